"""The WebSocket events the hub sends, each a Struct tagged by its `type` field.

`Event` is every one of them; the notifier and the sender take only these, so nothing reaches
a client that is not in the contract.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.contract.common import ErrorCode, HubMode, Offer, Person, PresenceStatus, Ref, Seq, Timestamp
from chalicelib.contract.views.conversations import ConversationSnapshot, CsatView, MessageEvent
from chalicelib.contract.views.hub import Counters, TeamStatus
from chalicelib.contract.views.work import CallbackView, CustomerCallbackView, TicketView


class AckEvent(Struct, forbid_unknown_fields=True, tag="ack", tag_field="type", kw_only=True):
    """The answer to `send`/`note` (with `seq` and `status`), `delivered`/`read`, `presence`, `heartbeat`."""

    action: str
    request_id: str | UnsetType = UNSET
    conversation_id: str | UnsetType = UNSET
    client_id: str | UnsetType = UNSET
    seq: int | UnsetType = UNSET
    status: Literal["sent", "sent-again"] | UnsetType = UNSET
    created_at: Timestamp | UnsetType = UNSET


class DeliveredEvent(Struct, forbid_unknown_fields=True, tag="delivered", tag_field="type"):
    """A participant received every entry up to `seq`."""

    conversation_id: str
    by: Person
    seq: int


class ReadEvent(Struct, forbid_unknown_fields=True, tag="read", tag_field="type"):
    """A participant read every entry up to `seq`, so received them too: no `delivered` event
    comes for what a `read` covers."""

    conversation_id: str
    by: Person
    seq: int


class TypingEvent(Struct, forbid_unknown_fields=True, tag="typing", tag_field="type", kw_only=True):
    conversation_id: str
    by: Person
    state: Literal["start", "stop"]
    note: bool | UnsetType = UNSET


class PresenceEvent(Struct, forbid_unknown_fields=True, tag="presence", tag_field="type"):
    """An agent's chosen status and whether their heartbeats arrive, with how many agents can
    answer now (`agents_available`): a dashboard sets its counter from it, and no `counters`
    event follows a change of presence alone."""

    agent: Ref
    status: PresenceStatus
    reachable: bool
    heartbeat_at: Timestamp | None
    agents_available: Seq | UnsetType = UNSET
    version: Annotated[
        int,
        Meta(
            ge=0,
            description="The agent's presence version: one more for every change others hear about. "
            "Two changes racing (two tabs, a tab and the drift sweep) can arrive in either order; "
            "keep the event with the highest version per agent, the status the hub stored last.",
        ),
    ] = 0


class ConversationEvent(Struct, forbid_unknown_fields=True, tag="conversation", tag_field="type", kw_only=True):
    """A conversation's state: the answer to `start`/`join`/`close`, and pushed when it changes."""

    conversation: ConversationSnapshot
    request_id: str | UnsetType = UNSET
    agents_available: bool | UnsetType = UNSET
    offer: Offer | UnsetType = UNSET
    mode: HubMode | UnsetType = UNSET


class AssignedEvent(Struct, forbid_unknown_fields=True, tag="assigned", tag_field="type"):
    """A conversation became this agent's (to the new owner's dashboards): routing, a colleague's
    `assign`, or their own `take` in another tab."""

    conversation_id: str
    agent: Ref
    by: Ref
    reason: Literal["take", "takeover", "assign", "route"]
    at: Timestamp
    conversation: ConversationSnapshot


class QueueEvent(Struct, forbid_unknown_fields=True, tag="queue", tag_field="type"):
    """To a waiting customer: their place in the queue (1 = next), again whenever it moves."""

    conversation_id: str
    place: Annotated[int, Meta(ge=1)]


class AvailabilityEvent(Struct, forbid_unknown_fields=True, tag="availability", tag_field="type"):
    """To every customer connection of the tenant, only when it flips: can someone answer now,
    and what the widget offers (`chalicelib/hub/availability.py`)."""

    agents_available: bool
    offer: Offer
    mode: HubMode
    open: Annotated[bool, Meta(description="Within the tenant's business hours (outside them: no chat).")] = True
    next_open_at: Annotated[Timestamp | None, Meta(description="When closed: the next opening.")] = None


class CallbackStatusEvent(Struct, forbid_unknown_fields=True, tag="callback_status", tag_field="type"):
    """To the customer who asked: their callback's state changed."""

    callback: CustomerCallbackView


class SyncEvent(Struct, forbid_unknown_fields=True, tag="sync", tag_field="type", kw_only=True):
    """The answer to `sync`: one page of entries after `since`; `next_since` when there is more.

    `through`: every number up to it is in `messages` or holds nothing for this reader (an entry
    whose writer died is filled as void and skipped), so the client's last number becomes
    `through`. Below `conversation.last_seq`, the rest is still being written: ask again shortly.
    `reset`: the client's view is not the server's (its `since` is beyond the last number, or its
    `anchor` is not the entry the server holds there — data restored to an earlier point): drop
    the thread and rebuild it from these messages, which start again from 0."""

    conversation_id: str
    since: Seq
    messages: list[MessageEvent]
    conversation: ConversationSnapshot
    complete: bool
    through: Seq
    request_id: str | UnsetType = UNSET
    next_since: int | UnsetType = UNSET
    reset: Literal[True] | UnsetType = UNSET


class CallbackEvent(Struct, forbid_unknown_fields=True, tag="callback", tag_field="type"):
    """A callback changed (`action`: what happened, as in its history)."""

    action: str
    callback: CallbackView


class CallbackAlertEvent(Struct, forbid_unknown_fields=True, tag="callback_alert", tag_field="type"):
    """An overdue callback nobody claimed (to available agents, again every minute)."""

    callback: CallbackView


class TicketEvent(Struct, forbid_unknown_fields=True, tag="ticket", tag_field="type"):
    ticket: TicketView


class CountersEvent(Struct, forbid_unknown_fields=True, tag="counters", tag_field="type", kw_only=True):
    """The hub counters, and whether the team is within its business hours (`team`)."""

    counters: Counters
    team: TeamStatus | UnsetType = UNSET


class MentionEvent(Struct, forbid_unknown_fields=True, tag="mention", tag_field="type"):
    """A colleague's note names this agent (`@Name`): to every connection of the mentioned agents,
    whether or not they follow the conversation."""

    conversation_id: str
    seq: int
    by: Ref
    text: str
    created_at: Timestamp


class CsatEvent(Struct, forbid_unknown_fields=True, tag="csat", tag_field="type"):
    """A customer rated a closed conversation (to the tenant's agents)."""

    conversation_id: str
    customer_id: str
    csat: CsatView


class ModeEvent(Struct, forbid_unknown_fields=True, tag="mode", tag_field="type"):
    mode: HubMode
    by: str
    at: Timestamp


class ErrorEvent(Struct, forbid_unknown_fields=True, tag="error", tag_field="type", kw_only=True):
    """What was wrong with the sender's frame (to that sender only), with its correlation fields."""

    code: ErrorCode
    message: str
    request_id: str | UnsetType = UNSET
    action: str | UnsetType = UNSET
    client_id: str | UnsetType = UNSET
    conversation_id: str | UnsetType = UNSET
    retry_after: Annotated[int, Meta(ge=1, description="`rate_limited`: seconds to wait")] | UnsetType = UNSET


Event = (
    MessageEvent
    | AssignedEvent
    | QueueEvent
    | AvailabilityEvent
    | CallbackStatusEvent
    | AckEvent
    | DeliveredEvent
    | ReadEvent
    | TypingEvent
    | PresenceEvent
    | ConversationEvent
    | SyncEvent
    | CallbackEvent
    | CallbackAlertEvent
    | TicketEvent
    | CountersEvent
    | ModeEvent
    | MentionEvent
    | CsatEvent
    | ErrorEvent
)
EVENT_TYPES: tuple[type[Struct], ...] = (
    MessageEvent,
    AssignedEvent,
    QueueEvent,
    AvailabilityEvent,
    CallbackStatusEvent,
    AckEvent,
    DeliveredEvent,
    ReadEvent,
    TypingEvent,
    PresenceEvent,
    ConversationEvent,
    SyncEvent,
    CallbackEvent,
    CallbackAlertEvent,
    TicketEvent,
    CountersEvent,
    ModeEvent,
    MentionEvent,
    CsatEvent,
    ErrorEvent,
)
