"""HubStore: counters, the open work they come from, drift, the mode (AP-H…)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.store.models import AgentPresence, ConversationMeta
from chalicelib.store.ports.tenants import TenantStore
from chalicelib.store.ports.values import TypingIndicator
from chalicelib.store.work_models import Callback, HistoryEntry, HubCounters, Ticket


class HubStore(TenantStore, Protocol):
    """Counters, the open work they are recomputed from, presence and typing drift, the mode."""

    def get_counters(self, tenant: str) -> HubCounters | None:
        """AP-H1."""
        ...

    def set_counters(self, tenant: str, values: dict[str, int], now: float) -> None: ...

    def reset_delivery_failures(self, tenant: str, failed: int, now: float) -> None:
        """Starts a new delivery-failure window with `failed` failures."""
        ...

    def add_delivery_failures(self, tenant: str, failed: int) -> None: ...

    def set_drift_figures(self, tenant: str, presence_drift: int, typing_drift: int) -> None: ...

    def set_widget_offer(self, tenant: str, offer: str) -> bool:
        """Records what the widgets were told; False (and no change) when it was already `offer`."""
        ...

    def open_tickets(self, tenant: str) -> list[Ticket]: ...

    def open_callbacks(self, tenant: str, due_before: float | None = None) -> list[Callback]: ...

    def active_conversations(self, tenant: str) -> list[ConversationMeta]:
        """AP-V5: open conversations only."""
        ...

    def tenant_presence(self, tenant: str) -> list[AgentPresence]: ...

    def open_connections(self, tenant: str, role: str) -> int:
        """How many connections of one role the tenant has open (AP-C2, counted)."""
        ...

    def mark_presence_drift(self, presence: AgentPresence, target: str) -> bool:
        """Sets `drift_status`; False when a heartbeat arrived since `presence` was read. True:
        `presence` is now the item as stored, its `version` moved on."""
        ...

    def stale_typing(self, tenant: str, older_than: float) -> list[TypingIndicator]:
        """AP-V6: typing indicators switched on before `older_than` and never switched off."""
        ...

    def clear_typing(self, indicator: TypingIndicator) -> bool:
        """Switches one stale indicator off, unless the participant typed again meanwhile."""
        ...

    def record_mode(self, tenant: str, mode: str, now: float, by: str, entry: HistoryEntry) -> None:
        """Sets the tenant's mode and appends its history entry."""
        ...

    def add_history(self, entry: HistoryEntry) -> None:
        """Appends one history entry (settings changes)."""
        ...

    def history(self, subject_key: str) -> list[HistoryEntry]: ...
