"""Patches of moto, written against one version of it (`MOTO_VERSION`, fenced by
tests/local/test_moto_patches.py; the fixes moto itself could make are in
docs/local-stack.md). Hand-written because no library does it.

Two keep moto's DynamoDB fast as local data grows (its semantics unchanged):

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

Two make moto's Cognito enforce what the local user pool is configured with, as Cognito does:

3. `SignUp` is refused ("SignUp is not permitted for this user pool") when the pool allows
   only administrators to create users (`AdminCreateUserConfig.AllowAdminCreateUserOnly`).
4. `SignUp` and `UpdateUserAttributes` (a user changing their own attributes) may write only
   the app client's `WriteAttributes` ("A client attempted to write unauthorized attribute"),
   so a user cannot move themselves to another tenant (`custom:tenant`). The admin APIs are
   not limited by the client, as on AWS.
"""

from __future__ import annotations

import copy
import functools
import logging
from importlib.metadata import version
from typing import Any

log = logging.getLogger("local.moto_patches")

# The moto these patches were written against and checked with; another version must be
# re-checked against its source before this changes (the fence test fails until then).
MOTO_VERSION = "5.2.5"


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
    if version("moto") != MOTO_VERSION:
        log.warning("moto %s is not %s, which local.moto_patches was checked against", version("moto"), MOTO_VERSION)
    _install_item_rollback()
    _install_partition_query()
    _install_cognito_write_rules()


def _install_cognito_write_rules() -> None:
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend

    if getattr(CognitoIdpBackend.sign_up, "_write_rules", False):
        return
    original_sign_up = CognitoIdpBackend.sign_up
    original_update = CognitoIdpBackend.update_user_attributes

    def check_writable(client: Any, attributes: list[dict[str, str]]) -> None:
        writable = client.extended_config.get("WriteAttributes")
        # A client without WriteAttributes may write every attribute (Cognito's default).
        if writable is not None and any(a["Name"] not in writable for a in attributes or []):
            raise NotAuthorizedError("A client attempted to write unauthorized attribute")

    @functools.wraps(original_sign_up)
    def sign_up(self: Any, client_id: str, username: str, password: str, attributes: list[dict[str, str]]) -> Any:
        pool = next((p for p in self.user_pools.values() if client_id in p.clients), None)
        if pool is not None:
            if pool.extended_config.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly"):
                raise NotAuthorizedError("SignUp is not permitted for this user pool")
            check_writable(pool.clients[client_id], attributes)
        return original_sign_up(self, client_id, username, password, attributes)

    @functools.wraps(original_update)
    def update_user_attributes(self: Any, access_token: str, attributes: list[dict[str, str]]) -> None:
        for pool in self.user_pools.values():
            if access_token in pool.access_tokens:
                client_id, _ = pool.access_tokens[access_token]
                if client_id in pool.clients:
                    check_writable(pool.clients[client_id], attributes)
        original_update(self, access_token, attributes)

    sign_up._write_rules = True  # type: ignore[attr-defined]
    CognitoIdpBackend.sign_up = sign_up  # type: ignore[method-assign]
    CognitoIdpBackend.update_user_attributes = update_user_attributes  # type: ignore[method-assign]


def _install_partition_query() -> None:
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_partition_read", False):
        return
    original = Table.query

    @functools.wraps(original)  # `inspect.unwrap` finds moto's own, for the fence test
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

    @functools.wraps(original)
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
