"""The views the hub shows: a conversation, a callback, a ticket, their history, the counters and
everything support command reads. WebSocket events and REST answers are built from these."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.contract.common import (
    CallbackPriority,
    CallbackSource,
    CallbackStatus,
    CallbackWindow,
    ConversationStatus,
    CustomerCallbackStatus,
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


class ConversationSnapshot(Struct, forbid_unknown_fields=True, kw_only=True):
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
    queued: Annotated[bool, Meta(description="Waiting in the queue for an agent with a free place.")] = False
    queue_place: Annotated[int, Meta(ge=1, description="The customer's place (1 = next), when known.")] | UnsetType = (
        UNSET
    )


class MessageEvent(Struct, forbid_unknown_fields=True, tag="message", tag_field="type", kw_only=True):
    """A timeline entry. `prev_seq` is the previous entry visible to the receiver (customers never
    see notes), so a gap is always detectable. A system line also carries `code` and `params`
    (`chalicelib/live/lines.py`): clients word it in their language and fall back to `text`."""

    conversation_id: str
    seq: int
    prev_seq: int
    client_id: str
    kind: MessageKind
    author: Person
    text: Annotated[str, Meta(description="For a system line: its English wording.")]
    created_at: Timestamp
    code: Annotated[str, Meta(description="System lines: what happened, e.g. `agent_joined`.")] | UnsetType = UNSET
    params: dict[str, str] | UnsetType = UNSET


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
    not_before: (
        Annotated[Timestamp, Meta(description="Call no earlier: the chosen window's opening, tenant time zone.")] | None
    )
    due_at: Timestamp
    due_in_seconds: Annotated[int, Meta(description="negative once overdue")]
    attempts: Seq
    max_attempts: Annotated[int, Meta(ge=1)]
    claimed_by: Ref | None
    created_at: Timestamp
    updated_at: Timestamp


class CustomerCallbackView(Struct, forbid_unknown_fields=True):
    """A callback as its customer's widget shows it: its state, window and times; never the
    agent, the notes or the number."""

    id: str
    status: CustomerCallbackStatus
    window: CallbackWindow
    not_before: Timestamp | None
    due_at: Timestamp
    attempts: Seq
    conversation_id: str | None


class TicketView(Struct, forbid_unknown_fields=True):
    id: str
    number: Annotated[int, Meta(description="The tenant's running ticket number (what the customer is told).")] | None
    subject: Annotated[str, Meta(description="Written by the agent; never shown to the customer.")]
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


class LostAgent(Struct, forbid_unknown_fields=True):
    """An agent who dropped off with open chats, within the grace period (`live/presence.py`)."""

    id: str
    name: str
    open_chats: int
    silent_s: float


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
    lost_agents: list[LostAgent]
    queued_chats: int


class NextMove(Struct, forbid_unknown_fields=True):
    lane: Lane
    reason: Annotated[str, Meta(description="One plain sentence with the numbers.")]
    severity: Severity
    rule: str


class Blocker(Struct, forbid_unknown_fields=True, kw_only=True):
    code: str
    message: str
    lane: Lane
    agents: Annotated[list[LostAgent], Meta(description="presence_drift: who dropped off.")] | UnsetType = UNSET
    fix: (
        Annotated[Literal["reassign"], Meta(description="`POST /agents/{id}/reassign` for each of `agents`.")]
        | UnsetType
    ) = UNSET


class Launch(Struct, forbid_unknown_fields=True):
    ready: bool
    headline: Annotated[str, Meta(description='"Ready for handoff", or e.g. "2 things block the handoff".')]
    blockers: list[Blocker]


class ModeRules(Struct, forbid_unknown_fields=True):
    """What the mode changes (`chalicelib/hub/mode_rules.py`)."""

    mode: HubMode
    chat_when_available: Annotated[bool, Meta(description="The widget offers chat while someone is available.")]
    reassign_at_once: Annotated[bool, Meta(description="A vanished agent's chats go back without the grace period.")]
    first: Annotated[Literal["launch", "next_move", "recovery"], Meta(description="What the dashboard shows first.")]


class ModeState(Struct, forbid_unknown_fields=True):
    mode: HubMode
    at: Timestamp | None
    by: Annotated[str, Meta(description="Name of the agent who set it.")] | None
    rules: ModeRules


class HubSnapshot(Struct, forbid_unknown_fields=True):
    """Everything support command shows."""

    tenant: str
    mode: ModeState
    counters: Counters
    pressure: Pressure
    next_move: NextMove
    launch: Launch
