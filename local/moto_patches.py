"""Two patches that keep moto's DynamoDB fast as local data grows (its semantics unchanged).

Hand-written because no library does it.

1. `TransactWriteItems` rolls back the items it touched instead of whole tables. moto backs
   up every table a transaction touches with `copy.deepcopy(table)` before applying it, so
   each transaction cost O(items stored): on the local stack a send's transaction went from
   ~10 ms on empty tables to ~200 ms after 1,500 messages. A rollback only needs the items
   the transaction touches; requests reach moto one at a time (`local.moto_server`), so
   nothing else changes them meanwhile. moto's own code still checks the conditions and
   applies the writes; only what it copies, and how it is restored, changes.

2. A base-table `Query` reads its own partition. moto walks every item of the table and keeps
   those with the hash key, so the send path's one Query (a conversation's partition) cost
   O(table); it now gets the partition's items only. Index queries are left as they are.
"""

from __future__ import annotations

import copy
from typing import Any


class _CopyButNotTables:
    """Stands in for the `copy` module inside moto's DynamoDB backend: tables are not copied."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def install() -> None:
    _install_item_rollback()
    _install_partition_query()


def _install_partition_query() -> None:
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_partition_read", False):
        return
    original = Table.query

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name or hash_key is None or not self.range_key_attr:
            return original(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key)
        items = list(partition.values()) if partition else []
        self.all_items = lambda: items  # the only place moto's base-table query reads from
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query._partition_read = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]


def _install_item_rollback() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "_item_rollback", False):
        return
    models.copy = _CopyButNotTables(Table)  # type: ignore[assignment,attr-defined]
    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table_name = op.get("TableName")
            if not table_name or table_name not in self.tables:
                continue
            table = self.tables[table_name]
            if "Item" in op:
                attrs = op["Item"]
                key = {table.hash_key_attr: attrs.get(table.hash_key_attr)}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs.get(table.range_key_attr)
            else:
                key = op.get("Key") or {}
            try:
                current = self.get_item(table_name, key)
            except Exception:  # noqa: S112 - a malformed key: moto itself rejects it below
                continue
            saved.append((table_name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attrs in reversed(saved):
                if attrs is None:
                    if self.get_item(table_name, key) is not None:
                        self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attrs)
            raise

    transact_write_items._item_rollback = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
