"""The store ports: what each lane may ask of persistence, as small Protocols.

The lanes depend on these, never on PynamoDB queries; `chalicelib.wiring` plugs in the DynamoDB
stores (`store/connections.py`, `conversations.py`, `work.py`, `hub.py`, `tenants.py`), unit
tests plug in in-memory fakes. Records are the PynamoDB model classes used as plain values:
a lane reads and sets their attributes, but only a store ever saves, updates or queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.store.models import (
    AgentPresence,
    ClientKey,
    Connection,
    ConversationMeta,
    Message,
    Participant,
    Subscription,
    Tenant,
)
from chalicelib.store.work_models import Callback, HistoryEntry, HubCounters, Ticket


# ------------------------------------------------------------------ outcomes a store reports
class SequenceConflict(Exception):
    """Another writer took the next sequence first; reload and try again."""


class ClientIdTaken(Exception):
    """This author already stored an entry with this client id in this conversation."""


class WriteConflict(Exception):
    """The item changed since it was read, or the caller's expectation does not hold."""


class OwnerConflict(WriteConflict):
    """The conversation's owner is no longer the one expected (or it is not open any more)."""


class AgentFull(WriteConflict):
    """The agent has no free chat place left (or is not in the tenant's agent directory)."""


# ------------------------------------------------------------------ values
@dataclass
class ConversationState:
    """Everything in a conversation's partition except its idempotency keys (AP-V1)."""

    meta: ConversationMeta
    participants: dict[str, Participant] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    # Who spoke last before the entry just appended ("customer" means it was already waiting).
    spoke_last_before: str | None = None

    @property
    def tenant(self) -> str:
        return str(self.meta.tenant)

    @property
    def conversation_id(self) -> str:
        return str(self.meta.conversation_id)


@dataclass(frozen=True)
class NewEntry:
    kind: str  # "text" | "note" | "system"
    author_role: str
    author_id: str
    author_name: str
    text: str
    client_id: str
    code: str | None = None  # system lines: what happened (`live/lines.py`)
    params: str | None = None  # system lines: JSON object of the code's parameters

    @property
    def public(self) -> bool:
        return self.kind != "note"


@dataclass(frozen=True)
class OwnerChange:
    """One change of a conversation's owner, applied atomically by `ConversationStore.change_owner`."""

    to: tuple[str, str] | None  # (agent id, name); None: back to the queue
    expect_owner: str | None  # the owner it must still have (None: it must have none)
    capacity: int | None  # when set, the new owner must have fewer open chats than this
    queue_at: float | None = None  # with `to=None`: its place in the queue (AP-V7)
    record: HistoryEntry | None = None  # the assignment history entry written with it


@dataclass(frozen=True)
class QueuedConversation:
    """A conversation waiting for an agent (AP-V7)."""

    conversation_id: str
    customer_id: str
    queued_at: float


@dataclass(frozen=True)
class TypingIndicator:
    """A participant's typing indicator that is switched on (AP-V6)."""

    tenant: str
    conversation_id: str
    user_id: str
    typing_at: float


# ------------------------------------------------------------------ ports
class TenantStore(Protocol):
    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """AP-T1."""
        ...

    def tenant_ids(self) -> Iterator[str]:
        """AP-T2: every tenant, for the scheduled jobs."""
        ...

    def update_tenant(self, tenant_id: str, changes: dict[str, Any]) -> Tenant | None:
        """Sets the given settings (attribute → value; None removes); None if no such tenant."""
        ...


class ConnectionStore(Protocol):
    """Connections bound at `$connect`, their conversation subscriptions, and agent presence."""

    def put_connection(self, conn: Connection) -> None: ...

    def get_connection(self, connection_id: str, now: float) -> Connection | None:
        """AP-C1. An item past its TTL counts as gone."""
        ...

    def delete_connection(self, conn: Connection) -> None:
        """Removes the connection and its conversation subscriptions."""
        ...

    def tenant_connections(self, tenant: str, role: str) -> list[str]:
        """AP-C2: connection ids of one role in a tenant."""
        ...

    def tenant_agents_online(self, tenant: str) -> list[tuple[str, str]]:
        """AP-C2: (connection id, agent id) of every live agent connection in a tenant."""
        ...

    def user_connections(self, tenant: str, role: str, user_id: str) -> list[str]:
        """AP-C3."""
        ...

    def subscribe(self, conn: Connection, tenant: str, conversation_id: str) -> None: ...

    def get_presence(self, tenant: str, agent_id: str) -> AgentPresence | None:
        """AP-P1."""
        ...

    def set_capacity(self, tenant: str, agent_id: str, capacity: int | None) -> AgentPresence | None:
        """An agent's own chat capacity (None: the tenant's default); None if no such agent."""
        ...

    def tenant_presence(self, tenant: str) -> list[AgentPresence]:
        """AP-P2."""
        ...

    def touch_presence(
        self, tenant: str, agent_id: str, name: str, now: float, status: str | None = None
    ) -> tuple[AgentPresence | None, AgentPresence]:
        """Records a heartbeat (and optionally a new chosen status); returns (before, after)."""
        ...

    def drop_heartbeat(self, tenant: str, agent_id: str, now: float) -> AgentPresence | None:
        """The agent's last connection closed: keep the chosen status, mark unreachable (left at `now`)."""
        ...


class ConversationStore(Protocol):
    """A conversation's partition (meta, participants, subscriptions, idempotency keys) and its
    timeline of messages."""

    def load_conversation(self, tenant: str, conversation_id: str, now: float) -> ConversationState | None:
        """AP-V1: META, participants and live subscriptions in one Query."""
        ...

    def create_conversation(self, meta: ConversationMeta, customer: Participant, now: float) -> None:
        """Stores a `new` conversation: not in the inbox, the active chats or the counters yet."""
        ...

    def start_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """new → open (the customer wrote or asked for a callback): it enters the inbox (AP-V4),
        the open conversations (AP-V5) and the active-chats counter. False if it was not new."""
        ...

    def change_owner(self, state: ConversationState, change: OwnerChange, now: float) -> None:
        """One transaction: the conversation's owner (conditioned on `expect_owner` and on being
        open), the owners' participant roles, both agents' open-chat counts (the new one
        conditioned on `capacity`), the queue entry and the history record.
        Raises OwnerConflict or AgentFull."""
        ...

    def queue(self, tenant: str, limit: int = 100) -> list[QueuedConversation]:
        """AP-V7: conversations waiting for an agent, first come first."""
        ...

    def queue_place(self, tenant: str, queued_at: float) -> int:
        """AP-V7: 1 + how many conversations wait ahead of one queued at `queued_at` (a COUNT)."""
        ...

    def close_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """Closes an open conversation; False when it was already closed."""
        ...

    def reopen_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """A customer wrote into a closed conversation: it is active again; False if it was not closed."""
        ...

    def list_conversations(self, tenant: str, limit: int) -> list[ConversationMeta]:
        """AP-V4: most recent activity first."""
        ...

    def get_client_key(self, tenant: str, conversation_id: str, author_id: str, client_id: str) -> ClientKey | None:
        """AP-V2."""
        ...

    def append(
        self,
        state: ConversationState,
        entry: NewEntry,
        now: float,
        new_participant: Participant | None = None,
    ) -> Message:
        """Stores one entry with the next sequence, atomically (see the DynamoDB store).
        Raises SequenceConflict or ClientIdTaken."""
        ...

    def get_message(self, tenant: str, conversation_id: str, seq: int) -> Message | None: ...

    def messages_since(self, tenant: str, conversation_id: str, since: int, include_notes: bool) -> Iterator[Message]:
        """AP-M1: entries after `since`, ascending; customers' reads skip notes server-side."""
        ...

    def advance_cursor(self, participant: Participant, field_name: str, seq: int) -> bool:
        """Moves a delivered/read cursor forward; False when it was already at or past `seq`."""
        ...

    def set_typing(self, tenant: str, participant: Participant, at: float | None) -> None: ...


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

    def mark_presence_drift(self, presence: AgentPresence, target: str) -> bool:
        """Sets `drift_status`; False when a heartbeat arrived since `presence` was read."""
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
