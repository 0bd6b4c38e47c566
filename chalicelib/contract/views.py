"""The views the hub shows: a conversation, a callback, a ticket, their history, the counters and
everything support command reads. WebSocket events and REST answers are built from these."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from chalicelib.contract.common import (
    CallbackPriority,
    CallbackSource,
    CallbackStatus,
    CallbackWindow,
    ConversationStatus,
    HubMode,
    Lane,
    MessageKind,
    Person,
    Ref,
    Role,
    Seq,
    Severity,
    TicketStatus,
    Timestamp,
)


class Participant(Struct, forbid_unknown_fields=True):
    role: Literal["customer", "agent"]
    id: str
    name: str
    agent_role: Literal["owner", "helper"] | None
    delivered_seq: Seq
    read_seq: Seq


class Preview(Struct, forbid_unknown_fields=True):
    """The last thing a person said (never a system line)."""

    text: Annotated[str, Meta(description="at most 140 characters")]
    author_role: Role
    at: Timestamp


class ConversationSnapshot(Struct, forbid_unknown_fields=True):
    """A conversation as its viewer sees it (`last_seq`: the last entry visible to that viewer)."""

    id: str
    status: ConversationStatus
    created_at: Timestamp
    updated_at: Timestamp
    customer: Ref
    owner: Ref | None
    participants: list[Participant]
    last_seq: Seq
    preview: Preview | None


class MessageEvent(Struct, forbid_unknown_fields=True, tag="message", tag_field="type"):
    """A timeline entry, numbered in the receiver's own numbering: agents see every entry,
    customers only the public ones, numbered without holes (they never learn a note existed).
    `prev_seq` is always `seq - 1` in that numbering, so a gap is always detectable."""

    conversation_id: str
    seq: int
    prev_seq: int
    client_id: str
    kind: MessageKind
    author: Person
    text: str
    created_at: Timestamp


class CallbackView(Struct, forbid_unknown_fields=True):
    """A promise to call a customer back."""

    id: str
    status: CallbackStatus
    source: CallbackSource
    phone: Annotated[str, Meta(pattern="^\\+[1-9][0-9]{6,14}$", description="E.164")]
    customer_name: str
    conversation_id: str | None
    reason: str | None
    window: CallbackWindow
    priority: Annotated[CallbackPriority, Meta(description="`high` once overdue")]
    overdue: bool
    due_at: Timestamp
    due_in_seconds: Annotated[int, Meta(description="negative once overdue")]
    attempts: Seq
    max_attempts: Annotated[int, Meta(ge=1)]
    claimed_by: Ref | None
    created_at: Timestamp
    updated_at: Timestamp


class TicketView(Struct, forbid_unknown_fields=True):
    id: str
    subject: str
    status: TicketStatus
    waiting_on: str | None
    owner: Ref
    conversation_id: str | None
    customer: Ref | None
    created_at: Timestamp
    updated_at: Timestamp
    status_at: Timestamp


class HistoryItem(Struct, forbid_unknown_fields=True):
    at: Timestamp
    action: Annotated[
        str,
        Meta(
            description="Callbacks: requested, missed_call, claimed, released, completed, no_answer, cancelled, "
            "overdue. Tickets: created, status, waiting_on, owner."
        ),
    ]
    by: Ref
    detail: str


class Counters(Struct, forbid_unknown_fields=True):
    """The hub counters, also pushed live as the `counters` event."""

    open_tickets: Seq
    waiting_internal: Seq
    callback_queued: Seq
    callback_overdue: Seq
    active_chats: Seq
    agents_available: Seq


class Pressure(Struct, forbid_unknown_fields=True):
    """What the next move and the launch check read."""

    open_tickets: int
    waiting_internal: int
    callback_queued: int
    callback_overdue: int
    active_chats: int
    unanswered_chats: int
    agents_available: int
    presence_drift: int
    typing_drift: int
    failing_deliveries: int
    oldest_overdue_callback_s: float | None
    oldest_waiting_ticket_s: float | None
    oldest_unanswered_chat_s: float | None


class NextMove(Struct, forbid_unknown_fields=True):
    lane: Lane
    reason: Annotated[str, Meta(description="One plain sentence with the numbers.")]
    severity: Severity
    rule: str


class Blocker(Struct, forbid_unknown_fields=True):
    code: str
    message: str
    lane: Lane


class Launch(Struct, forbid_unknown_fields=True):
    ready: bool
    headline: Annotated[str, Meta(description='"Ready for handoff", or e.g. "2 things block the handoff".')]
    blockers: list[Blocker]


class ModeState(Struct, forbid_unknown_fields=True):
    mode: HubMode
    at: Timestamp | None
    by: Annotated[str, Meta(description="Name of the agent who set it.")] | None


class HubSnapshot(Struct, forbid_unknown_fields=True):
    """Everything support command shows."""

    tenant: str
    mode: ModeState
    counters: Counters
    pressure: Pressure
    next_move: NextMove
    launch: Launch
