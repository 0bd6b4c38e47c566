"""DynamoDB access for the work lanes: callbacks and tickets, their history, and the conversation
fields they read or set.

Every state change is one transaction: the item (guarded by its version, plus what the caller
expects of it), the counter deltas it causes, and its history entries.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from typing import Any

from pynamodb.connection import Connection as DynamoConnection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.platform.clock import iso
from chalicelib.store import counters, keys
from chalicelib.store.models import ConversationMeta
from chalicelib.store.ports import WriteConflict
from chalicelib.store.tenants import DynamoTenantStore
from chalicelib.store.work_models import Callback, HistoryEntry, HubCounters, Ticket


def history_entry(
    subject_key: str, now: float, action: str, actor_id: str, actor_name: str, detail: str = ""
) -> HistoryEntry:
    # The hub's clock orders entries; wall-clock nanoseconds break ties within one millisecond
    # (and keep order when a test clock stands still), random bits keep concurrent writers apart.
    key = f"{iso(now)}#{time.time_ns():020d}{secrets.token_hex(2)}"
    return HistoryEntry(subject_key, key, action=action, actor_id=actor_id, actor_name=actor_name, detail=detail)


class OpenWorkReads(DynamoTenantStore):
    """Reads of open work shared by the work lanes and the hub (sparse indexes: open items only)."""

    def open_callbacks(self, tenant: str, due_before: float | None = None) -> list[Callback]:
        """AP-B2: open callbacks by due time; with `due_before`, only those due by then."""
        condition = Callback.due_at <= due_before if due_before is not None else None
        return list(Callback.open_by_due.query(tenant, condition))

    def open_tickets(self, tenant: str) -> list[Ticket]:
        """AP-K2: unsolved tickets, most recently changed first."""
        return list(Ticket.open_by_update.query(tenant, scan_index_forward=False))

    def history(self, subject_key: str) -> list[HistoryEntry]:
        """AP-Y1."""
        return list(HistoryEntry.query(subject_key))


class DynamoWorkStore(OpenWorkReads):
    def __init__(self, region: str) -> None:
        super().__init__(consistent_reads=True)
        self._ddb = DynamoConnection(region=region)

    def commit(
        self,
        tenant: str,
        item: Callback | Ticket,
        before: Callback | Ticket | None,
        now: float,
        history: Iterable[HistoryEntry] = (),
        expect: dict[str, Any] | None = None,
    ) -> None:
        """Saves `item` and applies the counter delta from `before` to `item` atomically."""
        changes = counters.delta(before, item)
        condition: Condition | None = None
        for name, value in (expect or {}).items():
            clause = getattr(type(item), name) == value
            condition = clause if condition is None else condition & clause
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.save(item, condition=condition)
                if changes:
                    tw.update(HubCounters(tenant), actions=counters.update_actions(changes, now))
                for entry in history:
                    tw.save(entry)
        except TransactWriteError as exc:
            if exc.cause_response_code in ("TransactionCanceledException", "TransactionConflictException"):
                raise WriteConflict(str(exc.cause_response_message)) from exc
            raise

    def get_callback(self, tenant: str, callback_id: str) -> Callback | None:
        """AP-B1."""
        try:
            return Callback.get(tenant, callback_id, consistent_read=True)
        except DoesNotExist:
            return None

    def mark_alerted(self, cb: Callback, now: float) -> bool:
        try:
            cb.update(actions=[Callback.last_alert_at.set(now)], condition=Callback.last_alert_at == cb.last_alert_at)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_ticket(self, tenant: str, ticket_id: str) -> Ticket | None:
        """AP-K1."""
        try:
            return Ticket.get(tenant, ticket_id, consistent_read=True)
        except DoesNotExist:
            return None

    def next_ticket_number(self, tenant: str) -> int:
        """An atomic ADD on the tenant's counters item; the value after it is this ticket's number.
        (A ticket that then fails to save leaves a gap, never a duplicate.)"""
        item = HubCounters(tenant)
        item.update(actions=[HubCounters.ticket_seq.add(1)])
        return int(item.ticket_seq)

    def conversation(self, tenant: str, conversation_id: str) -> ConversationMeta | None:
        """AP-V3: a conversation's META."""
        try:
            item = ConversationMeta.get(keys.conversation_pk(tenant, conversation_id), keys.META_SK)
        except DoesNotExist:
            return None
        return item if isinstance(item, ConversationMeta) else None

    def set_waiting_ticket(self, tenant: str, conversation_id: str, ticket_id: str | None) -> None:
        meta = ConversationMeta(keys.conversation_pk(tenant, conversation_id), keys.META_SK)
        action = (
            ConversationMeta.waiting_ticket_id.set(ticket_id)
            if ticket_id
            else ConversationMeta.waiting_ticket_id.remove()
        )
        meta.update(actions=[action], condition=ConversationMeta.pk.exists())
