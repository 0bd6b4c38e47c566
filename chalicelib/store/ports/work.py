"""WorkStore: callbacks and tickets, their counters and history (AP-B…, AP-K…, AP-Y…)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from chalicelib.store.models import ConversationMeta
from chalicelib.store.ports.tenants import TenantStore
from chalicelib.store.work_models import Callback, HistoryEntry, Ticket


class WorkStore(TenantStore, Protocol):
    """Callbacks and tickets: each change one transaction with its counter deltas and history."""

    def commit(
        self,
        tenant: str,
        item: Callback | Ticket,
        before: Callback | Ticket | None,
        now: float,
        history: Iterable[HistoryEntry] = (),
        expect: dict[str, Any] | None = None,
    ) -> None:
        """Saves `item` (guarded by its version and by `expect`: attribute → value it must still
        have) with the counter delta from `before` and the history entries. Raises WriteConflict."""
        ...

    def get_callback(self, tenant: str, callback_id: str) -> Callback | None:
        """AP-B1."""
        ...

    def open_callbacks(self, tenant: str, due_before: float | None = None) -> list[Callback]:
        """AP-B2: open callbacks by due time; with `due_before`, only those due by then."""
        ...

    def mark_alerted(self, cb: Callback, now: float) -> bool:
        """Records an overdue alert; False when another run alerted since `cb` was read."""
        ...

    def get_ticket(self, tenant: str, ticket_id: str) -> Ticket | None:
        """AP-K1."""
        ...

    def next_ticket_number(self, tenant: str) -> int:
        """The tenant's next running ticket number (1, 2, …; an atomic ADD)."""
        ...

    def open_tickets(self, tenant: str) -> list[Ticket]:
        """AP-K2: unsolved tickets, most recently changed first."""
        ...

    def history(self, subject_key: str) -> list[HistoryEntry]:
        """AP-Y1."""
        ...

    def conversation(self, tenant: str, conversation_id: str) -> ConversationMeta | None:
        """AP-V3: a conversation's META (who the customer is)."""
        ...

    def set_waiting_ticket(self, tenant: str, conversation_id: str, ticket_id: str | None) -> None:
        """Points a conversation at the ticket waiting on its customer (or at none)."""
        ...
