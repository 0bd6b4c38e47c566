"""The REST API's request bodies and answers. Bodies refuse unknown fields; `decode_body` is the
one way a handler reads one (`bad_json` or `invalid_action` otherwise)."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.contract.common import (
    MAX_REASON,
    MAX_SUBJECT,
    CallbackWindow,
    HubMode,
    Offer,
    PresenceStatus,
    Ref,
    TicketStatus,
    Timestamp,
)
from chalicelib.contract.views import (
    Blocker,
    CallbackView,
    ConversationSnapshot,
    CustomerCallbackView,
    HistoryItem,
    HubSnapshot,
    TicketView,
)
from chalicelib.platform.errors import BadJson, InvalidAction


class Body(Struct, forbid_unknown_fields=True):
    """A JSON request body (unknown fields are refused)."""


# ------------------------------------------------------------------ request bodies
class WidgetSessionRequest(Body):
    widget_key: Annotated[
        str, Meta(min_length=1, description="The tenant's public widget key (`wk_<tenant>_<random>`).")
    ]
    previous_token: (
        Annotated[
            str, Meta(description="A still-valid earlier session token of the same tenant keeps its customer id.")
        ]
        | None
    ) = None
    name: (
        Annotated[str, Meta(description="Display name (trimmed, at most 80 characters kept; default `Visitor`).")]
        | None
    ) = None


class CallbackRequest(Body):
    phone: Annotated[
        str,
        Meta(
            min_length=1,
            description="Any common notation; stored as E.164. Without `+<country>` the `region` is needed.",
        ),
    ]
    region: Annotated[str, Meta(description="ISO 3166 alpha-2 region for a national number, e.g. `SE`.")] | None = None
    window: Annotated[CallbackWindow, Meta(description="When to call; `asap` when absent or null.")] | None = None
    reason: Annotated[str, Meta(max_length=MAX_REASON)] | None = None
    conversation_id: (
        Annotated[str, Meta(description="Attach the callback to a conversation (for the widget: the customer's own).")]
        | None
    ) = None
    customer_name: (
        Annotated[
            str,
            Meta(
                description="Default: the conversation's customer; else the widget session's name, or `Caller` for "
                "a missed call. At most 80 characters are kept."
            ),
        ]
        | None
    ) = None


class CallbackStepRequest(Body):
    note: Annotated[str, Meta(description="Kept in the history of `complete`, `no-answer` and `cancel`.")] | None = None


class TicketCreateRequest(Body):
    subject: Annotated[str, Meta(min_length=1, max_length=MAX_SUBJECT)]
    conversation_id: (
        Annotated[str, Meta(description="Open the ticket from this conversation (its thread stays).")] | None
    ) = None
    owner: Annotated[Ref, Meta(description="Default: the calling agent.")] | None = None


class TicketChangeRequest(Body):
    """Absent or null fields stay as they are."""

    status: TicketStatus | None = None
    waiting_on: (
        Annotated[
            str, Meta(description="The team or person a `waiting_internal` ticket waits on (needed to enter it).")
        ]
        | None
    ) = None
    owner: Ref | None = None


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


class Availability(Struct, forbid_unknown_fields=True, kw_only=True):
    """What the tenant's widgets may offer now (`chalicelib/hub/availability.py`)."""

    agents_available: Annotated[bool, Meta(description="Whether an agent is available and reachable.")]
    offer: Annotated[Offer, Meta(description="chat, or leave a message / call me back (mode and presence).")]
    mode: HubMode
    default_region: (
        Annotated[str, Meta(description="Region numbers without a country code are read in, e.g. `SE`.")]
        | UnsetType
        | None
    ) = UNSET


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

    time_zone: Annotated[str, Meta(description="IANA, e.g. `Europe/Stockholm`.")] | UnsetType = UNSET
    default_region: Annotated[str, Meta(description="ISO 3166, e.g. `SE`; null clears it.")] | UnsetType | None = UNSET
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
    """Every domain error of the hub (`chalicelib.handlers.rest.rest_errors`)."""

    code: str
    message: str


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
    data = (raw.encode("utf-8") if isinstance(raw, str) else raw) or b"{}"
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
        raise BadJson(f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadJson("request body is nested too deeply") from None
