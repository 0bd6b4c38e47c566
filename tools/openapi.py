"""Builds the OpenAPI 3.1 document of the hub's REST API into docs/openapi.json.

`python -m tools.openapi` rewrites the file; `--check` fails when it is stale.

What comes from the code, so it cannot drift:

* the paths, their methods, path parameters, operation ids (the view names), request media
  types and whether the agent authorizer guards them: read from the Chalice routes of
  `app.py` (building fails when a route has no entry in `OPERATIONS` or an entry no route);
* every enum the views emit or accept: callback windows, ticket statuses, hub modes, lanes,
  severities, next-move rules, launch blockers, counter names, presence statuses;
* the `Pressure` schema (from its dataclass) and the error codes with their HTTP statuses
  (from the `HubError` subclasses).

The response schemas below mirror the views in `chalicelib/{work/views,live/payloads,hub/command}.py`;
`tests/unit/test_openapi.py` calls every operation and validates the real bodies
against them with no extra properties allowed, so a view that changes shape fails there.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "openapi.json"

Schema = dict[str, Any]
Auth = Literal["agent", "widget", "public"]

AGENT_AUTHORIZER = "agent_auth"
# Callback steps accepted by `POST /callbacks/{callback_id}/{step}` (chalicelib.handlers.rest.callback_step;
# the unit test checks this list against the hub's own "unknown step" answer).
CALLBACK_STEPS = ("claim", "release", "complete", "no-answer", "cancel")
CALLBACK_STATUSES = ("queued", "claimed", "completed", "failed", "cancelled")
CALLBACK_SOURCES = ("widget", "missed_call")
CALLBACK_PRIORITIES = ("normal", "high")
CONVERSATION_STATUSES = ("open", "closed")


# ------------------------------------------------------------------ schema helpers
def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """The same schema, or JSON null."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    out = dict(schema)
    kind = out["type"]
    out["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def obj(properties: dict[str, Schema], required: list[str] | None = None, description: str = "") -> Schema:
    """An object; every property is required unless `required` says otherwise."""
    schema: Schema = {"type": "object"}
    if description:
        schema["description"] = description
    schema["properties"] = properties
    schema["required"] = list(properties) if required is None else required
    return schema


def string(description: str = "", **extra: Any) -> Schema:
    schema: Schema = {"type": "string", **extra}
    if description:
        schema["description"] = description
    return schema


def enum(values: typing.Iterable[str], description: str = "") -> Schema:
    return string(description, enum=list(values))


def integer(description: str = "", **extra: Any) -> Schema:
    schema: Schema = {"type": "integer", **extra}
    if description:
        schema["description"] = description
    return schema


TIMESTAMP = string("ISO-8601 UTC with milliseconds, e.g. `2027-01-15T08:00:00.000Z`", format="date-time")


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def from_dataclass(cls: type[Any], description: str) -> Schema:
    """A JSON object schema from a dataclass of ints, floats, strs and bools (optionally `| None`)."""
    hints = typing.get_type_hints(cls)
    simple = {int: "integer", float: "number", str: "string", bool: "boolean"}
    props: dict[str, Schema] = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        kinds = [simple[a] for a in args if a is not type(None)]
        if len(kinds) != 1:
            raise TypeError(f"{cls.__name__}.{f.name}: cannot map {hint!r} to a JSON type")
        props[f.name] = {"type": [kinds[0], "null"] if type(None) in args else kinds[0]}
    return obj(props, description=description)


# ------------------------------------------------------------------ components
def error_codes() -> dict[str, int]:
    """code → HTTP status, from every `HubError` subclass the REST handlers can raise."""
    from chalicelib import wiring  # noqa: F401 - imports every module that defines a HubError
    from chalicelib.hub.mode import LaunchBlocked
    from chalicelib.platform.errors import HubError

    codes: dict[str, int] = {}
    pending: list[type[HubError]] = [HubError]
    while pending:
        cls = pending.pop(0)
        pending.extend(cls.__subclasses__())
        if cls is not LaunchBlocked:
            codes.setdefault(cls.code, cls.http_status)
    return dict(sorted(codes.items(), key=lambda kv: (kv[1], kv[0])))


def schemas() -> dict[str, Schema]:
    from chalicelib.contract.protocol import ACTION_SCHEMAS
    from chalicelib.hub import mode_rules as mode
    from chalicelib.hub import next_move, pressure
    from chalicelib.hub.launch import BLOCKER_CODES
    from chalicelib.store import counters
    from chalicelib.work import callback_window as callbacks_windows
    from chalicelib.work import callbacks, tickets

    lanes = list(pressure.LANES)
    person = obj({"id": string(), "name": string()})
    codes = ", ".join(f"`{code}` ({status})" for code, status in error_codes().items())
    return {
        "Error": obj(
            {
                "code": string(
                    f"Machine-readable error code. Every code the hub defines (HTTP status): {codes}; "
                    "each operation lists the ones it answers with (the rest are WebSocket-only)."
                ),
                "message": string(),
            },
            description="Every domain error of the hub (`chalicelib.handlers.rest.rest_errors`).",
        ),
        "LaunchBlocked": obj(
            {
                "code": {"type": "string", "const": "launch_blocked"},
                "message": string("The launch headline and every blocker's message."),
                "blockers": array(ref("Blocker")),
            },
            description="Going live was refused: the launch check does not pass.",
        ),
        "ChaliceError": obj(
            {"Code": string(examples=["BadRequestError", "UnsupportedMediaType"]), "Message": string()},
            description="Raised by Chalice itself before the hub's code runs: malformed JSON (400), "
            "a Content-Type other than application/json (415), an unhandled exception (500).",
        ),
        "GatewayError": {
            "type": "object",
            "description": "Answered by API Gateway (or chalice local) for the agent authorizer: "
            '401 `{"message": "Unauthorized"}` without an `Authorization` header, 403 '
            '`{"Message": "User is not authorized to access this resource…"}` for a token it refused.',
            "properties": {"message": string(), "Message": string()},
            "anyOf": [{"required": ["message"]}, {"required": ["Message"]}],
        },
        "Person": person,
        "Health": obj({"status": {"type": "string", "const": "ok"}}),
        "WidgetSessionRequest": obj(
            {
                "widget_key": string("The tenant's public widget key (`wk_<tenant>_<random>`).", minLength=1),
                "previous_token": string(
                    "A still-valid earlier session token of the same tenant keeps its customer id (reloads)."
                ),
                "name": string("Display name (trimmed, at most 80 characters kept; default `Visitor`)."),
            },
            required=["widget_key"],
        ),
        "WidgetSession": obj(
            {
                "token": string("The widget session token: send it as `Authorization` (widgetSession)."),
                "customer_id": string(),
                "tenant": string(),
                "expires_at": TIMESTAMP,
            }
        ),
        "Availability": obj(
            {"agents_available": {"type": "boolean", "description": "Whether an agent is available and reachable."}}
        ),
        "AgentList": obj(
            {
                "agents": array(
                    obj(
                        {
                            "id": string("The Cognito `sub`."),
                            "name": string(),
                            "status": enum(
                                ACTION_SCHEMAS["presence"]["properties"]["status"]["enum"], "Chosen status."
                            ),
                            "reachable": {"type": "boolean", "description": "Heartbeats arrive within the window."},
                            "available": {"type": "boolean", "description": "Chosen available and reachable."},
                        }
                    )
                )
            }
        ),
        "Me": obj(
            {
                "agent_id": string("The Cognito `sub`."),
                "name": string(),
                "tenant": string(),
                "presence": obj(
                    {
                        "status": enum(ACTION_SCHEMAS["presence"]["properties"]["status"]["enum"], "Chosen status."),
                        "reachable": {"type": "boolean", "description": "Heartbeats arrive within the window."},
                    }
                ),
            }
        ),
        "Participant": obj(
            {
                "role": enum(["customer", "agent"]),
                "id": string(),
                "name": string(),
                "agent_role": nullable(enum(["owner", "helper"])),
                "delivered_seq": integer(minimum=0),
                "read_seq": integer(minimum=0),
            }
        ),
        "ConversationSnapshot": obj(
            {
                "id": string(),
                "status": enum(CONVERSATION_STATUSES),
                "created_at": TIMESTAMP,
                "updated_at": TIMESTAMP,
                "customer": ref("Person"),
                "owner": nullable(ref("Person")),
                "participants": array(ref("Participant")),
                "last_seq": integer("Last entry visible to an agent (notes included).", minimum=0),
                "preview": nullable(
                    obj(
                        {
                            "text": string("The last public entry, at most 140 characters."),
                            "author_role": enum(["customer", "agent", "system"]),
                            "at": TIMESTAMP,
                        }
                    )
                ),
            },
            description="A conversation as agents see it (`chalicelib.live.payloads.snapshot`).",
        ),
        "ConversationList": obj({"conversations": array(ref("ConversationSnapshot"))}),
        "CallbackRequest": obj(
            {
                "phone": string(
                    "Any common notation; stored as E.164. Without `+<country>` the `region` is needed.", minLength=1
                ),
                "region": nullable(string("ISO 3166 alpha-2 region for a national number, e.g. `SE`.")),
                "window": nullable(
                    enum(tuple(callbacks_windows.WINDOWS), "When to call; `asap` when absent, null or empty.")
                    | {"default": "asap"}
                ),
                "reason": nullable(string(maxLength=callbacks.MAX_REASON)),
                "conversation_id": nullable(
                    string("Attach the callback to a conversation (for the widget: the customer's own).")
                ),
                "customer_name": nullable(
                    string(
                        "Default: the conversation's customer; else the widget session's name, or `Caller` "
                        "for a missed call. At most 80 characters are kept."
                    )
                ),
            },
            required=["phone"],
        ),
        "Callback": obj(
            {
                "id": string(),
                "status": enum(CALLBACK_STATUSES),
                "source": enum(CALLBACK_SOURCES),
                "phone": string("E.164", pattern="^\\+[1-9][0-9]{6,14}$"),
                "customer_name": string(),
                "conversation_id": nullable(string()),
                "reason": nullable(string()),
                "window": enum(tuple(callbacks_windows.WINDOWS)),
                "priority": enum(CALLBACK_PRIORITIES, "`high` once overdue."),
                "overdue": {"type": "boolean"},
                "due_at": TIMESTAMP,
                "due_in_seconds": integer("Negative once overdue."),
                "attempts": integer(minimum=0),
                "max_attempts": integer(minimum=1),
                "claimed_by": nullable(ref("Person")),
                "created_at": TIMESTAMP,
                "updated_at": TIMESTAMP,
            },
            description="A promise to call a customer back (`chalicelib.work.views.callback_view`).",
        ),
        "CallbackEnvelope": obj({"callback": ref("Callback")}),
        "CallbackList": obj({"callbacks": array(ref("Callback"))}, description="Open callbacks, due first."),
        "CallbackDetail": obj({"callback": ref("Callback"), "history": array(ref("HistoryEntry"))}),
        "CallbackStepRequest": obj(
            {"note": nullable(string("Kept in the history of `complete`, `no-answer` and `cancel`."))}, required=[]
        ),
        "HistoryEntry": obj(
            {
                "at": TIMESTAMP,
                "action": string(
                    "Callbacks: requested, missed_call, claimed, released, completed, no_answer, cancelled, "
                    "overdue. Tickets: created, status, waiting_on, owner."
                ),
                "by": ref("Person"),
                "detail": string(),
            }
        ),
        "Owner": obj({"id": string(), "name": string()}, description="An agent (id = Cognito `sub`)."),
        "TicketCreateRequest": obj(
            {
                "subject": string(minLength=1, maxLength=tickets.MAX_SUBJECT),
                "conversation_id": nullable(string("Open the ticket from this conversation (its thread stays).")),
                "owner": nullable(ref("Owner") | {"description": "Default: the calling agent."}),
            },
            required=["subject"],
        ),
        "TicketChangeRequest": obj(
            {
                "status": nullable(enum(tickets.STATUSES)),
                "waiting_on": nullable(
                    string("The team or person a `waiting_internal` ticket waits on (required to enter it).")
                ),
                "owner": nullable(ref("Owner")),
            },
            required=[],
        ),
        "Ticket": obj(
            {
                "id": string(),
                "subject": string(),
                "status": enum(tickets.STATUSES),
                "waiting_on": nullable(string()),
                "owner": ref("Owner"),
                "conversation_id": nullable(string()),
                "customer": nullable(ref("Person")),
                "created_at": TIMESTAMP,
                "updated_at": TIMESTAMP,
                "status_at": TIMESTAMP,
            },
            description="A ticket (`chalicelib.work.views.ticket_view`).",
        ),
        "TicketEnvelope": obj({"ticket": ref("Ticket")}),
        "TicketList": obj({"tickets": array(ref("Ticket"))}, description="Unsolved tickets, most recent first."),
        "TicketDetail": obj({"ticket": ref("Ticket"), "history": array(ref("HistoryEntry"))}),
        "Counters": obj(
            {name: integer(minimum=0) for name in (*counters.COUNTER_NAMES, "agents_available")},
            description="The hub counters, also pushed live as the `counters` WebSocket event.",
        ),
        "Pressure": from_dataclass(
            pressure.Pressure, "What the next move and the launch check read (`chalicelib.hub.pressure.Pressure`)."
        ),
        "NextMove": obj(
            {
                "lane": enum(lanes),
                "reason": string("One plain sentence with the numbers."),
                "severity": enum(typing.get_args(pressure.Severity)),
                "rule": enum([rule.id for rule in next_move.RULES]),
            }
        ),
        "Blocker": obj({"code": enum(BLOCKER_CODES), "message": string(), "lane": enum(lanes)}),
        "Launch": obj(
            {
                "ready": {"type": "boolean"},
                "headline": string('"Ready for handoff", or e.g. "2 things block the handoff".'),
                "blockers": array(ref("Blocker")),
            }
        ),
        "HubMode": obj(
            {
                "mode": enum(mode.MODES),
                "at": nullable(TIMESTAMP),
                "by": nullable(string("Name of the agent who set it.")),
            }
        ),
        "HubSnapshot": obj(
            {
                "tenant": string(),
                "mode": ref("HubMode"),
                "counters": ref("Counters"),
                "pressure": ref("Pressure"),
                "next_move": ref("NextMove"),
                "launch": ref("Launch"),
            },
            description="Everything support command shows (`chalicelib.hub.command.SupportCommand.snapshot`).",
        ),
        "HubModeRequest": obj({"mode": enum(mode.MODES)}),
        "ModeHistory": obj(
            {"history": array(obj({"at": TIMESTAMP, "by": ref("Person"), "change": string("e.g. `ready → live`")}))}
        ),
    }


# ------------------------------------------------------------------ operations
@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    response: str  # component schema of the 200 body
    auth: Auth = "agent"
    description: str = ""
    request: str | None = None  # component schema of the JSON body
    request_required: bool = True
    query: tuple[Schema, ...] = ()
    path_params: dict[str, Schema] = field(default_factory=dict)
    # HTTP status → the domain error codes this operation answers with it.
    errors: dict[int, tuple[str, ...]] = field(default_factory=dict)


_AGENT_ONLY = "Agents only: the tenant is the one in the caller's ID token."

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("/health", "GET"): Operation("Liveness check", "hub", "Health", auth="public"),
    ("/widget/session", "POST"): Operation(
        "Open (or resume) a widget session",
        "widget",
        "WidgetSession",
        auth="public",
        description="Issues the customer's session token for the WebSocket (`?session=`) and `/widget/callbacks`.",
        request="WidgetSessionRequest",
        errors={400: ("invalid_action",), 403: ("unknown_widget_key",)},
    ),
    ("/widget/availability", "GET"): Operation(
        "Is an agent available?",
        "widget",
        "Availability",
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
    ("/me", "GET"): Operation("The calling agent and their presence", "agents", "Me"),
    ("/agents", "GET"): Operation(
        "The tenant's agents with chosen status and reachability", "agents", "AgentList", description=_AGENT_ONLY
    ),
    ("/conversations", "GET"): Operation(
        "The tenant's conversations",
        "live_chat",
        "ConversationList",
        description="Most recent activity first; at most 100.",
    ),
    ("/widget/callbacks", "POST"): Operation(
        "Customer: request a callback",
        "widget",
        "CallbackEnvelope",
        auth="widget",
        description="The callback's source is `widget`; its conversation, if any, must be the customer's own.",
        request="CallbackRequest",
        errors={400: ("invalid_action",), 401: ("unauthorized",), 404: ("not_found",)},
    ),
    ("/callbacks", "GET"): Operation("The callback queue", "callbacks", "CallbackList"),
    ("/callbacks", "POST"): Operation(
        "Agent: log a missed call",
        "callbacks",
        "CallbackEnvelope",
        description="Creates a callback with source `missed_call`.",
        request="CallbackRequest",
        errors={400: ("invalid_action",), 404: ("not_found",)},
    ),
    ("/callbacks/{callback_id}", "GET"): Operation(
        "A callback and its history", "callbacks", "CallbackDetail", errors={404: ("not_found",)}
    ),
    ("/callbacks/{callback_id}/{step}", "POST"): Operation(
        "Work a callback",
        "callbacks",
        "CallbackEnvelope",
        description="`claim` (exactly one agent wins), `release`, `complete`, `no-answer` (requeued after the "
        "tenant's retry delay, or `failed` after the last attempt) and `cancel`. `release`, `complete` and "
        "`no-answer` need the caller's own claim.",
        request="CallbackStepRequest",
        request_required=False,
        path_params={"step": enum(CALLBACK_STEPS)},
        errors={
            400: ("invalid_action",),
            404: ("not_found",),
            409: ("conflict",),
        },
    ),
    ("/tickets", "GET"): Operation("Unsolved tickets", "tickets", "TicketList"),
    ("/tickets", "POST"): Operation(
        "Create a ticket",
        "tickets",
        "TicketEnvelope",
        request="TicketCreateRequest",
        errors={400: ("invalid_action",), 404: ("not_found",)},
    ),
    ("/tickets/{ticket_id}", "GET"): Operation(
        "A ticket and its history", "tickets", "TicketDetail", errors={404: ("not_found",)}
    ),
    ("/tickets/{ticket_id}", "PATCH"): Operation(
        "Change a ticket's status, waiting_on or owner",
        "tickets",
        "TicketEnvelope",
        description="Absent or null fields stay as they are; a change that changes nothing returns the ticket.",
        request="TicketChangeRequest",
        request_required=False,
        errors={400: ("invalid_action",), 404: ("not_found",), 409: ("conflict",)},
    ),
    ("/hub", "GET"): Operation(
        "Support command: counters, pressure, next move, launch check and mode",
        "hub",
        "HubSnapshot",
        errors={400: ("invalid_action",)},
    ),
    ("/hub/mode", "POST"): Operation(
        "Set the hub's mode",
        "hub",
        "HubSnapshot",
        description="`live` only when the launch check passes (else 409 `launch_blocked` with the blockers); "
        "`ready` and `recovery` are always allowed. Returns the new snapshot.",
        request="HubModeRequest",
        errors={400: ("invalid_action",), 409: ("launch_blocked",)},
    ),
    ("/hub/mode", "GET"): Operation("Who changed the mode, and when", "hub", "ModeHistory"),
}

TAGS = [
    {"name": "widget", "description": "Public widget entry points and the customer's callback request."},
    {"name": "agents", "description": "The signed-in agent."},
    {"name": "live_chat", "description": "Conversations (the live lane itself is the WebSocket API)."},
    {"name": "callbacks", "description": "Callback recovery."},
    {"name": "tickets", "description": "Tickets."},
    {"name": "hub", "description": "Support command and health."},
]

MEDIA = "application/json"


def _json(schema: Schema, description: str) -> dict[str, Any]:
    return {"description": description, "content": {MEDIA: {"schema": schema}}}


def _codes(codes: tuple[str, ...]) -> str:
    return ", ".join(f"`{c}`" for c in codes)


def _responses(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": _json(ref(op.response), "OK")}
    errors = dict(op.errors)
    if op.request:
        errors.setdefault(400, ())
    for status in sorted({*errors, *((401, 403) if op.auth == "agent" else ())}):
        codes = errors.get(status, ())
        if status == 400:
            if op.request:
                schema = {"anyOf": [ref("Error"), ref("ChaliceError")]}
                text = f"{_codes(codes)}; or a body that is not JSON (`BadRequestError`, Chalice's shape)"
                responses["400"] = _json(schema, text if codes else "A body that is not JSON (`BadRequestError`)")
            else:
                responses["400"] = _json(ref("Error"), _codes(codes))
        elif status in (401, 403) and op.auth == "agent" and not codes:
            responses[str(status)] = {"$ref": "#/components/responses/" + ("NoToken" if status == 401 else "Denied")}
        elif codes == ("launch_blocked",):
            responses[str(status)] = _json(ref("LaunchBlocked"), "`launch_blocked`, with the blockers")
        else:
            responses[str(status)] = _json(ref("Error"), _codes(codes))
    if op.request:
        responses["415"] = {"$ref": "#/components/responses/UnsupportedMediaType"}
    return responses


def _operation(op: Operation, route: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": route.view_name, "summary": op.summary, "tags": [op.tag]}
    description = " ".join(d for d in (op.description, _AGENT_ONLY if op.auth == "agent" else "") if d)
    if description:
        out["description"] = description
    if op.auth != "public":
        out["security"] = [{"agentToken" if op.auth == "agent" else "widgetSession": []}]
    params = [
        {"name": name, "in": "path", "required": True, "schema": op.path_params.get(name, {"type": "string"})}
        for name in route.view_args
    ]
    if set(op.path_params) - set(route.view_args):
        raise ValueError(f"{route.uri_pattern}: unknown path parameters {set(op.path_params) - set(route.view_args)}")
    if params or op.query:
        out["parameters"] = [*params, *op.query]
    if op.request:
        out["requestBody"] = {
            "required": op.request_required,
            "content": {media: {"schema": ref(op.request)} for media in route.content_types},
        }
    out["responses"] = _responses(op)
    return out


def _check_auth(path: str, method: str, op: Operation, route: Any) -> None:
    authorizer = None if route.authorizer is None else getattr(route.authorizer, "name", repr(route.authorizer))
    if authorizer != (AGENT_AUTHORIZER if op.auth == "agent" else None):
        raise ValueError(f"{method} {path}: documented auth {op.auth!r} but the route's authorizer is {authorizer!r}")


def paths() -> dict[str, Any]:
    from app import app

    out: dict[str, Any] = {}
    seen: set[tuple[str, str]] = set()
    for path, methods in app.routes.items():
        item: dict[str, Any] = {}
        for method, route in methods.items():
            op = OPERATIONS.get((path, method))
            if op is None:
                raise ValueError(f"{method} {path} is not documented: add it to OPERATIONS in tools/openapi.py")
            _check_auth(path, method, op, route)
            item[method.lower()] = _operation(op, route)
            seen.add((path, method))
        out[path] = item
    stale = sorted(set(OPERATIONS) - seen)
    if stale:
        raise ValueError(f"OPERATIONS documents routes app.py does not have: {stale}")
    return out


def build() -> dict[str, Any]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Flow Conversation Live Hub REST API",
            "version": project["version"],
            "description": "The hub's REST routes (`app.py`). The live lane itself is the WebSocket API "
            "(docs/protocol.md). Generated by `python -m tools.openapi`; see docs/rest.md.",
        },
        "servers": [
            {"url": "http://127.0.0.1:8787/api", "description": "Local stack (`make run`)"},
            {
                "url": "https://{restApiId}.execute-api.{region}.amazonaws.com/api",
                "description": "Deployed stage",
                "variables": {"restApiId": {"default": "example"}, "region": {"default": "us-east-1"}},
            },
        ],
        "tags": TAGS,
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "responses": {
                "NoToken": _json(ref("GatewayError"), 'No `Authorization` header: `{"message": "Unauthorized"}`'),
                "Denied": _json(
                    ref("GatewayError"),
                    "The agent authorizer refused the token (invalid, expired, not an ID token, no tenant claim)",
                ),
                "UnsupportedMediaType": _json(ref("ChaliceError"), "A Content-Type other than application/json"),
            },
            "securitySchemes": {
                "agentToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "An agent's Cognito ID token (not the access token), bare or as `Bearer <token>`. "
                    "Checked by the `agent_auth` authorizer: RS256 against the pool, audience, expiry, "
                    "`token_use=id` and a `custom:tenant` claim.",
                },
                "widgetSession": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "A widget session token from `POST /widget/session`, bare or as `Bearer <token>`. "
                    "Checked by the route itself: a bad or expired one is 401 `unauthorized`.",
                },
            },
        },
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    new = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != new:
            print("docs/openapi.json is stale: run `python -m tools.openapi`", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
