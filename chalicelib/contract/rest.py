"""The REST API's request bodies and answers. Bodies refuse unknown fields; `decode_body` is the
one way a handler reads one (`bad_json` or `invalid_action` otherwise)."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.contract.common import (
    MAX_NAME,
    MAX_NOTE,
    MAX_PHONE,
    MAX_REASON,
    MAX_REGION,
    MAX_REST_BODY_BYTES,
    MAX_SUBJECT,
    MAX_TIME_ZONE,
    MAX_TOKEN,
    MAX_WAITING_ON,
    MAX_WIDGET_KEY,
    AgentRef,
    CallbackWindow,
    HubMode,
    Offer,
    PresenceStatus,
    Ref,
    TicketStatus,
    Timestamp,
)
from chalicelib.contract.views.agent_day import (
    BusinessHoursView,
    CannedReplyView,
    CustomerProfileView,
    SearchResult,
    WeeklyHours,
)
from chalicelib.contract.views.conversations import ConversationItem, ConversationSnapshot, CsatView
from chalicelib.contract.views.hub import Blocker, HubSnapshot
from chalicelib.contract.views.work import CallbackView, CustomerCallbackView, HistoryItem, TicketView
from chalicelib.platform.errors import BadJson, InvalidAction, PayloadTooLarge, lone_surrogate


class Body(Struct, forbid_unknown_fields=True):
    """A JSON request body (unknown fields are refused)."""


# ------------------------------------------------------------------ request bodies
class WidgetSessionRequest(Body):
    widget_key: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_WIDGET_KEY,
            description="The tenant's public widget key (`wk_<tenant>_<random>`).",
        ),
    ]
    previous_token: (
        Annotated[
            str,
            Meta(
                max_length=MAX_TOKEN,
                description="A still-valid earlier session token of the same tenant keeps its customer id.",
            ),
        ]
        | None
    ) = None
    name: Annotated[str, Meta(max_length=MAX_NAME, description="Display name (trimmed; default `Visitor`).")] | None = (
        None
    )
    email: Annotated[str, Meta(max_length=254, description="What the host page knows; not verified.")] | None = None
    page_url: Annotated[str, Meta(max_length=2048, description="The page the widget is on (http or https).")] | None = (
        None
    )
    page_title: (
        Annotated[str, Meta(max_length=1000, description="The page's title (at most 200 characters kept).")] | None
    ) = None
    locale: Annotated[str, Meta(max_length=35, description="A language tag such as `sv-SE`.")] | None = None
    user_agent: (
        Annotated[str, Meta(max_length=4096, description="The browser's user agent (at most 512 characters kept).")]
        | None
    ) = None
    user_id: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=255,
                description="Identity verification: the tenant's own id of its signed-in user (with `user_hash`).",
            ),
        ]
        | None
    ) = None
    user_hash: (
        Annotated[
            str,
            Meta(
                pattern="^[0-9a-fA-F]{64}$",
                description="HMAC-SHA256 of `user_id` with the tenant's verification secret, hex (with `user_id`).",
            ),
        ]
        | None
    ) = None


class CallbackRequest(Body):
    phone: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_PHONE,
            description="Any common notation; stored as E.164. Without `+<country>` the `region` is needed.",
        ),
    ]
    region: (
        Annotated[
            str, Meta(pattern="^[A-Za-z]{2}$", description="ISO 3166 alpha-2 region for a national number, e.g. `SE`.")
        ]
        | None
    ) = None
    window: Annotated[CallbackWindow, Meta(description="When to call; `asap` when absent or null.")] | None = None
    reason: Annotated[str, Meta(max_length=MAX_REASON)] | None = None
    conversation_id: (
        Annotated[
            str,
            Meta(
                pattern="^[A-Za-z0-9_-]{1,64}$",
                description="Attach the callback to a conversation (for the widget: the customer's own).",
            ),
        ]
        | None
    ) = None
    customer_name: (
        Annotated[
            str,
            Meta(
                max_length=MAX_NAME,
                description="Default: the conversation's customer; else the widget session's name, or `Caller` for "
                "a missed call.",
            ),
        ]
        | None
    ) = None


class CannedReplyCreate(Body):
    title: Annotated[str, Meta(min_length=1, max_length=80)]
    shortcut: Annotated[str, Meta(pattern="^/?[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", description="Stored in lower case.")]
    text: Annotated[
        str, Meta(min_length=1, max_length=4000, description="May use `{customer.name}` and `{agent.name}`.")
    ]


class CannedReplyChange(Body):
    """Absent fields stay as they are."""

    title: Annotated[str, Meta(min_length=1, max_length=80)] | UnsetType = UNSET
    shortcut: Annotated[str, Meta(pattern="^/?[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")] | UnsetType = UNSET
    text: Annotated[str, Meta(min_length=1, max_length=4000)] | UnsetType = UNSET


class HoursRequest(Body):
    """The tenant's weekly hours and holidays (replace what was set), and optionally its time zone."""

    weekly: WeeklyHours
    holidays: Annotated[
        list[Annotated[str, Meta(max_length=10)]],
        Meta(max_length=100, description="yyyy-mm-dd dates the team is closed"),
    ] = []
    time_zone: (
        Annotated[
            str,
            Meta(
                max_length=MAX_TIME_ZONE,
                description="IANA, e.g. `Europe/Stockholm`: the tenant's one time zone (as `PATCH /tenant` sets "
                "it; callback windows are read in it too). Omitted: unchanged.",
            ),
        ]
        | UnsetType
    ) = UNSET


class RatingRequest(Body):
    conversation_id: Annotated[
        str, Meta(pattern="^[A-Za-z0-9_-]{1,64}$", description="The customer's own conversation, closed.")
    ]
    rating: Annotated[int, Meta(ge=1, le=5)]
    comment: Annotated[str, Meta(max_length=MAX_NOTE)] | None = None


class CallbackStepRequest(Body):
    note: (
        Annotated[
            str, Meta(max_length=MAX_NOTE, description="Kept in the history of `complete`, `no-answer` and `cancel`.")
        ]
        | None
    ) = None


class TicketCreateRequest(Body):
    subject: Annotated[str, Meta(min_length=1, max_length=MAX_SUBJECT)]
    conversation_id: (
        Annotated[
            str,
            Meta(
                pattern="^[A-Za-z0-9_-]{1,64}$",
                description="Open the ticket from this conversation (its thread stays).",
            ),
        ]
        | None
    ) = None
    owner: Annotated[AgentRef, Meta(description="Default: the calling agent. An agent of the same tenant.")] | None = (
        None
    )


class TicketChangeRequest(Body):
    """Absent or null fields stay as they are."""

    status: TicketStatus | None = None
    waiting_on: (
        Annotated[
            str,
            Meta(
                max_length=MAX_WAITING_ON,
                description="The team or person a `waiting_internal` ticket waits on (needed to enter it).",
            ),
        ]
        | None
    ) = None
    owner: Annotated[AgentRef, Meta(description="An agent of the same tenant.")] | None = None


class HubModeRequest(Body):
    mode: HubMode


# ------------------------------------------------------------------ answers
class Health(Struct, forbid_unknown_fields=True):
    status: Literal["ok"]


class WidgetSession(Struct, forbid_unknown_fields=True):
    token: Annotated[str, Meta(description="The widget session token: send it as `Authorization` (widgetSession).")]
    customer_id: str
    tenant: str
    expires_at: Timestamp
    verified: Annotated[bool, Meta(description="`user_id` and `user_hash` matched: one identity everywhere.")] = False
    conversation_id: (
        Annotated[str, Meta(description="A verified customer's open conversation (e.g. from another device).")] | None
    ) = None


class Availability(Struct, forbid_unknown_fields=True, kw_only=True):
    """What the tenant's widgets may offer now (`chalicelib/hub/availability.py`)."""

    agents_available: Annotated[bool, Meta(description="Whether an agent is available and reachable.")]
    offer: Annotated[
        Offer, Meta(description="chat, or leave a message / call me back (mode, presence and business hours).")
    ]
    mode: HubMode
    default_region: (
        Annotated[str, Meta(description="Region numbers without a country code are read in, e.g. `SE`.")]
        | UnsetType
        | None
    ) = UNSET
    open: Annotated[bool, Meta(description="Within the tenant's business hours.")] = True
    next_open_at: Annotated[Timestamp | None, Meta(description="When closed: the next opening.")] = None
    hours: Annotated[BusinessHoursView | None, Meta(description="null: open around the clock.")] = None


class Hours(Struct, forbid_unknown_fields=True):
    """Open now or not, the next opening, the hours (null: open around the clock) and the tenant's
    one time zone they are read in (also when none are set: the editor starts from it)."""

    open: bool
    next_open_at: Timestamp | None
    hours: BusinessHoursView | None
    time_zone: Annotated[str, Meta(description="IANA: the team setting (`PATCH /tenant`), callback windows too.")]


class CannedReplyList(Struct, forbid_unknown_fields=True):
    """By shortcut."""

    replies: list[CannedReplyView]


class CannedReplyEnvelope(Struct, forbid_unknown_fields=True):
    reply: CannedReplyView


class Deleted(Struct, forbid_unknown_fields=True):
    deleted: str


class SearchAnswer(Struct, forbid_unknown_fields=True):
    query: str
    kind: Annotated[Literal["id", "email", "phone", "name"], Meta(description="How the query was read.")]
    results: list[SearchResult]
    note: Annotated[str | None, Meta(description="Why nothing was found (e.g. not a phone number).")]
    not_searchable: Annotated[str, Meta(description="What cannot be searched, and why.")]


class CustomerPanel(Struct, forbid_unknown_fields=True):
    """The customer side panel: who, where, and their earlier work (newest first, at most 20 each)."""

    customer: CustomerProfileView
    conversations: list[ConversationItem]
    callbacks: list[CallbackView]
    tickets: list[TicketView]


class Rating(Struct, forbid_unknown_fields=True):
    conversation_id: str
    csat: CsatView


class AgentItem(Struct, forbid_unknown_fields=True):
    """An agent of the tenant's directory (also those who never signed in)."""

    id: Annotated[str, Meta(description="The Cognito `sub`.")]
    name: str
    status: Annotated[PresenceStatus, Meta(description="Chosen status.")]
    reachable: Annotated[bool, Meta(description="Heartbeats arrive within the window.")]
    available: Annotated[bool, Meta(description="Chosen available and reachable.")]
    capacity: Annotated[int, Meta(ge=0, description="Open chats routing gives them (own, else the tenant's).")]
    own_capacity: Annotated[bool, Meta(description="Their own capacity is set (else the tenant's default).")]
    open_chats: Annotated[int, Meta(ge=0)]


class AgentEnvelope(Struct, forbid_unknown_fields=True):
    agent: AgentItem


class AgentChangeRequest(Body):
    capacity: Annotated[int, Meta(ge=0, le=50, description="null: the tenant's default.")] | None


class Reassigned(Struct, forbid_unknown_fields=True):
    requeued: Annotated[int, Meta(ge=0, description="How many open chats went back to the queue.")]
    hub: HubSnapshot


class TenantSettings(Struct, forbid_unknown_fields=True):
    tenant: str
    name: str
    time_zone: Annotated[str, Meta(description="IANA time zone the callback windows are read in.")]
    default_region: Annotated[str, Meta(description="ISO 3166 region for numbers without a country code.")] | None
    chat_capacity: Annotated[int, Meta(ge=0, description="Open chats per agent unless their own is set.")]
    callback_sla_minutes: int
    mode: HubMode


class TenantSettingsEnvelope(Struct, forbid_unknown_fields=True):
    settings: TenantSettings


class TenantChangeRequest(Body):
    """Only the named settings change."""

    time_zone: (
        Annotated[str, Meta(max_length=MAX_TIME_ZONE, description="IANA, e.g. `Europe/Stockholm`.")] | UnsetType
    ) = UNSET
    default_region: (
        Annotated[str, Meta(max_length=MAX_REGION, description="ISO 3166, e.g. `SE`; null clears it.")]
        | UnsetType
        | None
    ) = UNSET
    chat_capacity: Annotated[int, Meta(ge=0, le=50)] | UnsetType = UNSET


class CustomerCallbackEnvelope(Struct, forbid_unknown_fields=True):
    callback: CustomerCallbackView


class AgentList(Struct, forbid_unknown_fields=True):
    agents: list[AgentItem]


class MyPresence(Struct, forbid_unknown_fields=True):
    status: Annotated[PresenceStatus, Meta(description="Chosen status.")]
    reachable: Annotated[bool, Meta(description="Heartbeats arrive within the window.")]


class Me(Struct, forbid_unknown_fields=True):
    agent_id: Annotated[str, Meta(description="The Cognito `sub`.")]
    name: str
    tenant: str
    presence: MyPresence


class ConversationList(Struct, forbid_unknown_fields=True):
    conversations: list[ConversationSnapshot]


class CallbackEnvelope(Struct, forbid_unknown_fields=True):
    callback: CallbackView


class CallbackList(Struct, forbid_unknown_fields=True):
    """Open callbacks, due first."""

    callbacks: list[CallbackView]


class CallbackDetail(Struct, forbid_unknown_fields=True):
    callback: CallbackView
    history: list[HistoryItem]


class TicketEnvelope(Struct, forbid_unknown_fields=True):
    ticket: TicketView


class TicketList(Struct, forbid_unknown_fields=True):
    """Unsolved tickets, most recent first."""

    tickets: list[TicketView]


class TicketDetail(Struct, forbid_unknown_fields=True):
    ticket: TicketView
    history: list[HistoryItem]


class ModeChange(Struct, forbid_unknown_fields=True):
    at: Timestamp
    by: Ref
    change: Annotated[str, Meta(description="e.g. `ready → live`")]


class ModeHistory(Struct, forbid_unknown_fields=True):
    history: list[ModeChange]


class Error(Struct, forbid_unknown_fields=True):
    """Every domain error of the hub (`chalicelib.handlers.rest.rest_errors`). `retry_after`
    (with `rate_limited`, also sent as the `Retry-After` header): seconds to wait."""

    code: str
    message: str
    retry_after: int | UnsetType = UNSET


class LaunchBlockedError(Struct, forbid_unknown_fields=True):
    """Going live was refused: the launch check does not pass."""

    code: Literal["launch_blocked"]
    message: Annotated[str, Meta(description="The launch headline and every blocker's message.")]
    blockers: list[Blocker]


B = TypeVar("B", bound=Body)
_top = msgspec.json.Decoder(dict[str, msgspec.Raw])


def decode_body(raw: str | bytes | None, body_type: type[B]) -> B:
    """A request body as its type: none is an empty object; not JSON, or not an object, is
    `bad_json`; anything else wrong (unknown field, wrong type, too long) is `invalid_action`."""
    data = (raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw) or b"{}"
    if len(data) > MAX_REST_BODY_BYTES:
        raise PayloadTooLarge(f"request body is {len(data)} bytes; the limit is {MAX_REST_BODY_BYTES}")
    try:
        return msgspec.json.decode(data, type=body_type)
    except msgspec.ValidationError as exc:
        try:
            _top.decode(data)
        except msgspec.ValidationError:
            raise BadJson("request body must be a JSON object") from None
        except (msgspec.DecodeError, RecursionError):
            raise BadJson("request body is nested too deeply") from None
        raise InvalidAction(str(exc)) from None
    except msgspec.DecodeError as exc:
        surrogate = lone_surrogate(data)
        if surrogate:
            raise InvalidAction(f"request body: {surrogate}") from None
        raise BadJson(f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadJson("request body is nested too deeply") from None
