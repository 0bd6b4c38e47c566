"""What the REST API's documentation says about each route beyond its types: summary, tag, who
may call it, and the error codes it answers with. `tools/openapi.py` joins this with the Chalice
routes of `app.py` (a route missing here, or an entry without a route, fails the build) and the
contract's types. Never imported at runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from msgspec import Struct

from chalicelib.contract.rest import (
    AgentChangeRequest,
    AgentEnvelope,
    AgentList,
    Availability,
    CallbackDetail,
    CallbackEnvelope,
    CallbackList,
    CallbackRequest,
    CallbackStepRequest,
    ConversationList,
    CustomerCallbackEnvelope,
    Health,
    HubModeRequest,
    Me,
    ModeHistory,
    Reassigned,
    TenantChangeRequest,
    TenantSettingsEnvelope,
    TicketChangeRequest,
    TicketCreateRequest,
    TicketDetail,
    TicketEnvelope,
    TicketList,
    WidgetSession,
    WidgetSessionRequest,
)
from chalicelib.contract.views import HubSnapshot

Auth = Literal["agent", "widget", "public"]
# Callback steps accepted by `POST /callbacks/{callback_id}/{step}` (handlers.rest.callback_step;
# the unit test checks this list against the hub's own "unknown step" answer).
CALLBACK_STEPS = ("claim", "release", "complete", "no-answer", "cancel")


@dataclass(frozen=True)
class Route:
    summary: str
    tag: str
    response: type[Struct]  # the 200 body
    auth: Auth = "agent"
    description: str = ""
    request: type[Struct] | None = None  # the JSON body
    request_required: bool = True
    query: tuple[dict[str, Any], ...] = ()
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    # HTTP status → the domain error codes this route answers with it.
    errors: dict[int, tuple[str, ...]] = field(default_factory=dict)


_AGENT_ONLY = "Agents only: the tenant is the one in the caller's ID token."

ROUTES: dict[tuple[str, str], Route] = {
    ("/health", "GET"): Route("Liveness check", "hub", Health, auth="public"),
    ("/widget/session", "POST"): Route(
        "Open (or resume) a widget session",
        "widget",
        WidgetSession,
        auth="public",
        description="Issues the customer's session token for the WebSocket (`?session=`) and `/widget/callbacks`.",
        request=WidgetSessionRequest,
        errors={400: ("invalid_action",), 403: ("unknown_widget_key",)},
    ),
    ("/widget/availability", "GET"): Route(
        "Can someone answer, and what the widget offers",
        "widget",
        Availability,
        auth="public",
        query=(
            {
                "name": "widget_key",
                "in": "query",
                "required": True,
                "description": "The tenant's public widget key (a missing key is an unknown one: 403).",
                "schema": {"type": "string"},
            },
        ),
        errors={403: ("unknown_widget_key",)},
    ),
    ("/me", "GET"): Route("The calling agent and their presence", "agents", Me),
    ("/agents", "GET"): Route(
        "The tenant's agents (the directory: also those who never signed in)",
        "agents",
        AgentList,
        description=_AGENT_ONLY + " With chosen status, reachability, chat capacity and open chats.",
    ),
    ("/agents/{agent_id}", "PATCH"): Route(
        "Set an agent's own chat capacity",
        "agents",
        AgentEnvelope,
        description="`null` goes back to the tenant's `chat_capacity`. A raised capacity drains the queue.",
        request=AgentChangeRequest,
        errors={400: ("invalid_action",), 404: ("not_found",)},
    ),
    ("/agents/{agent_id}/reassign", "POST"): Route(
        "Reassign their chats",
        "agents",
        Reassigned,
        description="Every open chat the agent owns goes back to the queue (at its original place, with a line in "
        "the thread) and on to available colleagues with a free place: the fix the `presence_drift` launch "
        "blocker offers.",
        request_required=False,
        errors={404: ("not_found",)},
    ),
    ("/tenant", "GET"): Route("The tenant's team settings", "hub", TenantSettingsEnvelope),
    ("/tenant", "PATCH"): Route(
        "Change the tenant's team settings",
        "hub",
        TenantSettingsEnvelope,
        description="`time_zone` (IANA; callback windows are read in it), `default_region` (numbers without a "
        "country code), `chat_capacity` (open chats per agent unless their own is set). Only the named ones change.",
        request=TenantChangeRequest,
        errors={400: ("invalid_action",)},
    ),
    ("/widget/callbacks/{callback_id}", "GET"): Route(
        "Customer: my callback request",
        "widget",
        CustomerCallbackEnvelope,
        auth="widget",
        description="Its state as the widget shows it (queued, calling, completed, failed, cancelled); another "
        "customer's callback or an agent-logged missed call is `not_found`.",
        errors={401: ("unauthorized",), 404: ("not_found",)},
    ),
    ("/conversations", "GET"): Route(
        "The tenant's conversations",
        "live_chat",
        ConversationList,
        description="Most recent activity first; at most 100.",
    ),
    ("/widget/callbacks", "POST"): Route(
        "Customer: request a callback",
        "widget",
        CallbackEnvelope,
        auth="widget",
        description="The callback's source is `widget`; its conversation, if any, must be the customer's own.",
        request=CallbackRequest,
        errors={400: ("invalid_action",), 401: ("unauthorized",), 404: ("not_found",)},
    ),
    ("/callbacks", "GET"): Route("The callback queue", "callbacks", CallbackList),
    ("/callbacks", "POST"): Route(
        "Agent: log a missed call",
        "callbacks",
        CallbackEnvelope,
        description="Creates a callback with source `missed_call`.",
        request=CallbackRequest,
        errors={400: ("invalid_action",), 404: ("not_found",)},
    ),
    ("/callbacks/{callback_id}", "GET"): Route(
        "A callback and its history", "callbacks", CallbackDetail, errors={404: ("not_found",)}
    ),
    ("/callbacks/{callback_id}/{step}", "POST"): Route(
        "Work a callback",
        "callbacks",
        CallbackEnvelope,
        description="`claim` (exactly one agent wins), `release`, `complete`, `no-answer` (requeued after the "
        "tenant's retry delay, or `failed` after the last attempt) and `cancel`. `release`, `complete` and "
        "`no-answer` need the caller's own claim.",
        request=CallbackStepRequest,
        request_required=False,
        path_params={"step": {"type": "string", "enum": list(CALLBACK_STEPS)}},
        errors={
            400: ("invalid_action",),
            404: ("not_found",),
            409: ("conflict",),
        },
    ),
    ("/tickets", "GET"): Route("Unsolved tickets", "tickets", TicketList),
    ("/tickets", "POST"): Route(
        "Create a ticket",
        "tickets",
        TicketEnvelope,
        request=TicketCreateRequest,
        errors={400: ("invalid_action",), 404: ("not_found",)},
    ),
    ("/tickets/{ticket_id}", "GET"): Route(
        "A ticket and its history", "tickets", TicketDetail, errors={404: ("not_found",)}
    ),
    ("/tickets/{ticket_id}", "PATCH"): Route(
        "Change a ticket's status, waiting_on or owner",
        "tickets",
        TicketEnvelope,
        description="Absent or null fields stay as they are; a change that changes nothing returns the ticket.",
        request=TicketChangeRequest,
        request_required=False,
        errors={400: ("invalid_action",), 404: ("not_found",), 409: ("conflict",)},
    ),
    ("/hub", "GET"): Route(
        "Support command: counters, pressure, next move, launch check and mode",
        "hub",
        HubSnapshot,
        errors={400: ("invalid_action",)},
    ),
    ("/hub/mode", "POST"): Route(
        "Set the hub's mode",
        "hub",
        HubSnapshot,
        description="`live` only when the launch check passes (else 409 `launch_blocked` with the blockers); "
        "`ready` and `recovery` are always allowed. Returns the new snapshot.",
        request=HubModeRequest,
        errors={400: ("invalid_action",), 409: ("launch_blocked",)},
    ),
    ("/hub/mode", "GET"): Route("Who changed the mode, and when", "hub", ModeHistory),
}

TAGS = [
    {"name": "widget", "description": "Public widget entry points and the customer's callback request."},
    {"name": "agents", "description": "The signed-in agent, the tenant's agents, capacity and reassignment."},
    {"name": "live_chat", "description": "Conversations (the live lane itself is the WebSocket API)."},
    {"name": "callbacks", "description": "Callback recovery."},
    {"name": "tickets", "description": "Tickets."},
    {"name": "hub", "description": "Support command and health."},
]
