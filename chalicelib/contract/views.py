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


class CsatView(Struct, forbid_unknown_fields=True):
    """The customer's rating of a closed conversation (at most one per conversation)."""

    rating: Annotated[int, Meta(ge=1, le=5)]
    comment: str | None
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
    csat: Annotated[CsatView | None, Meta(description="The customer's rating, once given.")] = None


class MessageEvent(Struct, forbid_unknown_fields=True, tag="message", tag_field="type", kw_only=True):
    """A timeline entry, numbered in the receiver's own numbering: agents see every entry,
    customers only the public ones, numbered without holes (they never learn a note existed).
    `prev_seq` is always `seq - 1` in that numbering, so a gap is always detectable. A system
    line also carries `code` and `params` (`chalicelib/live/lines.py`): clients word it in their
    language and fall back to `text`."""

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
    oldest_overdue_callback_s: Annotated[float | None, Meta(description="Open time (business hours) only.")]
    oldest_waiting_ticket_s: Annotated[float | None, Meta(description="Open time (business hours) only.")]
    oldest_unanswered_chat_s: Annotated[float | None, Meta(description="Open time (business hours) only.")]
    lost_agents: list[LostAgent]
    queued_chats: int
    team_open: Annotated[bool, Meta(description="Within the tenant's business hours.")] = True


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


class TeamStatus(Struct, forbid_unknown_fields=True):
    """Whether the team is within its business hours (always, for a tenant that set none)."""

    open: bool
    next_open_at: Annotated[Timestamp | None, Meta(description="When closed: the next opening.")]


class CsatDay(Struct, forbid_unknown_fields=True):
    day: Annotated[str, Meta(description="yyyy-mm-dd in the tenant's time zone")]
    ratings: Seq
    average: float | None


class CsatReport(Struct, forbid_unknown_fields=True):
    """CSAT of the last days (today included), from one counter item per day."""

    days: int
    ratings: Seq
    average: float | None
    satisfied_percent: Annotated[int | None, Meta(description="Share of ratings that are 4 or 5.")]
    scores: Annotated[dict[str, int], Meta(description='Ratings per score, "1" to "5".')]
    per_day: list[CsatDay]


class HubSnapshot(Struct, forbid_unknown_fields=True):
    """Everything support command shows."""

    tenant: str
    mode: ModeState
    counters: Counters
    pressure: Pressure
    next_move: NextMove
    launch: Launch
    team: TeamStatus
    csat: Annotated[CsatReport | None, Meta(description="CSAT of the last 7 days.")] = None


# ------------------------------------------------------------------ the agent's day
ClockTime = Annotated[str, Meta(pattern="^([01][0-9]|2[0-4]):[0-5][0-9]$", description="HH:MM, 00:00-24:00")]


class OpeningInterval(Struct, forbid_unknown_fields=True):
    open: ClockTime
    close: ClockTime


class WeeklyHours(Struct, forbid_unknown_fields=True):
    """Opening intervals per weekday (a day not listed is closed); each within one day."""

    mon: list[OpeningInterval] = []
    tue: list[OpeningInterval] = []
    wed: list[OpeningInterval] = []
    thu: list[OpeningInterval] = []
    fri: list[OpeningInterval] = []
    sat: list[OpeningInterval] = []
    sun: list[OpeningInterval] = []


class BusinessHoursView(Struct, forbid_unknown_fields=True):
    """Weekly hours in the tenant's time zone, and closed days."""

    time_zone: Annotated[str, Meta(max_length=64, description="IANA time zone, e.g. `Europe/Stockholm`")]
    weekly: WeeklyHours
    holidays: Annotated[list[str], Meta(max_length=100, description="yyyy-mm-dd dates the team is closed")] = []


class CannedReplyView(Struct, forbid_unknown_fields=True):
    id: str
    title: str
    shortcut: Annotated[str, Meta(description="Typed after `/` in the composer.")]
    text: Annotated[str, Meta(description="May contain `{customer.name}` and `{agent.name}`.")]
    updated_at: Timestamp
    updated_by: str


class CustomerPage(Struct, forbid_unknown_fields=True):
    url: str
    title: str | None


class CustomerProfileView(Struct, forbid_unknown_fields=True):
    """Who the customer is, as the widget told on their last visit."""

    id: str
    name: str
    verified: Annotated[bool, Meta(description="The tenant's server vouched for this identity (HMAC).")]
    email: str | None = None
    external_id: Annotated[str | None, Meta(description="The tenant's user id (verified only).")] = None
    page: Annotated[CustomerPage | None, Meta(description="The page the customer is on.")] = None
    locale: str | None = None
    user_agent: str | None = None
    first_seen: Timestamp | None = None
    last_seen: Timestamp | None = None
    last_conversation_id: str | None = None


class ConversationItem(Struct, forbid_unknown_fields=True):
    """A conversation in a customer's history."""

    id: str
    status: ConversationStatus
    created_at: Timestamp
    updated_at: Timestamp
    owner: Ref | None
    preview: Preview | None
    csat: CsatView | None


class SearchResult(Struct, forbid_unknown_fields=True):
    kind: Literal["customer", "conversation", "callback", "ticket"]
    id: str
    title: str
    detail: str
    customer_id: str | None
    conversation_id: Annotated[str | None, Meta(description="The thread to open, when there is one.")]
    verified: bool | None
    at: Timestamp | None
