"""DynamoDB access for the work lanes: callbacks, tickets, counters, history, tenants.

Every state change is one transaction: the item (guarded by its version, plus any
condition the caller adds), the counter deltas it causes, and its history entries.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

from pynamodb.connection import Connection as DynamoConnection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib import counters
from chalicelib.clock import iso
from chalicelib.models import Callback, ConversationMeta, HistoryEntry, HubCounters, Tenant, Ticket


class Conflict(Exception):
    """The item changed since it was read, or the caller's condition does not hold."""


def subject(tenant: str, kind: str, item_id: str) -> str:
    return f"T#{tenant}#{kind}#{item_id}"


def history_entry(
    subject_key: str, now: float, action: str, actor_id: str, actor_name: str, detail: str = ""
) -> HistoryEntry:
    # The hub's clock orders entries; wall-clock nanoseconds break ties within one millisecond
    # (and keep order when a test clock stands still), random bits keep concurrent writers apart.
    key = f"{iso(now)}#{time.time_ns():020d}{secrets.token_hex(2)}"
    return HistoryEntry(subject_key, key, action=action, actor_id=actor_id, actor_name=actor_name, detail=detail)


def history_view(entries: list[HistoryEntry]) -> list[dict[str, Any]]:
    return [
        {
            "at": h.at.split("#")[0],
            "action": h.action,
            "by": {"id": h.actor_id, "name": h.actor_name},
            "detail": h.detail,
        }
        for h in entries
    ]


class WorkStore:
    def __init__(self, region: str) -> None:
        self._ddb = DynamoConnection(region=region)

    def commit(
        self,
        tenant: str,
        item: Model,
        before: Any | None,
        now: float,
        history: list[HistoryEntry] | None = None,
        condition: Condition | None = None,
        extra: list[tuple[Model, list[Any], Condition | None]] | None = None,
    ) -> None:
        """Saves `item` and applies the counter delta from `before` to `item` atomically."""
        changes = counters.delta(before, item)
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.save(item, condition=condition)
                if changes:
                    tw.update(HubCounters(tenant), actions=counters.update_actions(changes, now))
                for entry in history or []:
                    tw.save(entry)
                for model, actions, cond in extra or []:
                    tw.update(model, actions=actions, condition=cond)
        except TransactWriteError as exc:
            if exc.cause_response_code in ("TransactionCanceledException", "TransactionConflictException"):
                raise Conflict(str(exc.cause_response_message)) from exc
            raise

    # ------------------------------------------------------------------ callbacks
    def get_callback(self, tenant: str, callback_id: str) -> Callback | None:
        """AP-B1."""
        try:
            return Callback.get(tenant, callback_id, consistent_read=True)
        except DoesNotExist:
            return None

    def open_callbacks(self, tenant: str, due_before: float | None = None) -> list[Callback]:
        """AP-B2: open callbacks by due time; with `due_before`, only those due by then."""
        condition = Callback.due_at <= due_before if due_before is not None else None
        return list(Callback.open_by_due.query(tenant, condition))

    # ------------------------------------------------------------------ tickets
    def get_ticket(self, tenant: str, ticket_id: str) -> Ticket | None:
        """AP-K1."""
        try:
            return Ticket.get(tenant, ticket_id, consistent_read=True)
        except DoesNotExist:
            return None

    def open_tickets(self, tenant: str) -> list[Ticket]:
        """AP-K2: unsolved tickets, most recently changed first."""
        return list(Ticket.open_by_update.query(tenant, scan_index_forward=False))

    # ------------------------------------------------------------------ conversations, counters, history
    def active_conversations(self, tenant: str) -> list[ConversationMeta]:
        """AP-V5: open conversations only."""
        return [m for m in ConversationMeta.active_by_tenant.query(tenant) if isinstance(m, ConversationMeta)]

    def get_counters(self, tenant: str) -> HubCounters | None:
        """AP-H1."""
        try:
            return HubCounters.get(tenant, consistent_read=True)
        except DoesNotExist:
            return None

    def set_counters(self, tenant: str, values: dict[str, int], now: float) -> None:
        HubCounters(tenant).update(
            actions=[getattr(HubCounters, k).set(v) for k, v in values.items()] + [HubCounters.recomputed_at.set(now)]
        )

    def history(self, subject_key: str) -> list[HistoryEntry]:
        """AP-Y1."""
        return list(HistoryEntry.query(subject_key))

    # ------------------------------------------------------------------ tenants
    def tenant_ids(self) -> Iterator[str]:
        """AP-T2: every tenant, for the scheduled jobs."""
        for t in Tenant.all_tenants.query("tenants"):
            yield str(t.tenant_id)

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        try:
            return Tenant.get(tenant_id, consistent_read=True)
        except DoesNotExist:
            return None
