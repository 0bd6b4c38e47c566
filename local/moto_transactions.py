"""moto's `TransactWriteItems` with a rollback of the touched items instead of whole tables.

Hand-written because no library does it: moto backs up every table a transaction touches
with `copy.deepcopy(table)` before applying it, so each transaction costs O(items stored) —
on the local stack a send's transaction went from ~10 ms on empty tables to ~200 ms after
1,500 messages, and throughput fell below 10 sends/s. A rollback only needs the items the
transaction touches; requests reach moto one at a time (`local.moto_server`), so nothing
else changes them meanwhile. Semantics stay moto's own: its code checks the conditions and
applies the writes; only what it copies, and how it is restored, changes.
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
