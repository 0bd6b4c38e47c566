"""The hub's runtime entry points, built once per Lambda container.

`app.py` hands each route's event to one function here; this module turns
events into calls on the services and maps domain errors to responses in one
place.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, ParamSpec, TypeVar

from chalice.app import Response

from chalicelib import callbacks as callback_views
from chalicelib import events
from chalicelib import tickets as ticket_views
from chalicelib.auth import Identity
from chalicelib.callbacks import Actor, Callbacks
from chalicelib.errors import BadJson, HubError, InvalidAction, Unauthorized
from chalicelib.live import LiveLane
from chalicelib.observability import capture, logger
from chalicelib.overview import LaunchBlocked, Overview
from chalicelib.tenants import Widgets
from chalicelib.tickets import Tickets
from chalicelib.work_store import WorkStore

LIST_LIMIT = 100
T = TypeVar("T")


# Built once per container. lru_cache is not a lock: the local stack runs handlers on threads,
# so the first build is guarded (on Lambda a container runs one invocation at a time anyway).
_BUILD = threading.RLock()


def _once(build: Callable[[], T]) -> Callable[[], T]:
    cached = lru_cache(maxsize=1)(build)

    @wraps(build)
    def get() -> T:
        if cached.cache_info().currsize:
            return cached()
        with _BUILD:
            return cached()

    return get


@_once
def lane() -> LiveLane:
    hub = LiveLane.from_env()
    # The work lanes hook into the live lane: counters follow conversations, a customer's reply
    # reopens the ticket waiting on them, failed deliveries feed the launch check.
    hub.conversation_changed = lambda tenant: overview().push_counters(tenant)
    hub.delivery_failed = lambda tenant, n: overview().record_delivery_failures(tenant, n)
    hub.customer_replied = lambda conn, meta: tickets().customer_replied(
        conn.tenant, str(meta.waiting_ticket_id), Actor(conn.tenant, "customer", conn.user_id, conn.name)
    )
    return hub


@_once
def work_store() -> WorkStore:
    return WorkStore(lane().settings.region)


@_once
def overview() -> Overview:
    return Overview(work_store(), lane(), lane().clock)


@_once
def callbacks() -> Callbacks:
    return Callbacks(work_store(), lane(), lane().clock, overview().push_counters)


@_once
def tickets() -> Tickets:
    return Tickets(work_store(), lane(), lane().clock, overview().push_counters)


@_once
def widgets() -> Widgets:
    hub = lane()
    return Widgets(hub.store, hub.widgets, hub.clock)


# ------------------------------------------------------------------ WebSocket
@capture
def ws_connect(event: dict[str, Any]) -> dict[str, Any]:
    ctx = event["requestContext"]
    hub = lane()
    hub.sender.configure_from_event(ctx.get("domainName", ""), ctx.get("stage", ""))
    try:
        who = hub.identify_and_bind(ctx["connectionId"], event.get("queryStringParameters") or {})
    except Unauthorized as exc:
        logger.info("connect refused", extra={"reason": exc.message})
        return {"statusCode": 401, "body": exc.message}
    logger.info("connected", extra={"tenant": who.tenant, "role": who.role, "connection_id": ctx["connectionId"]})
    return {"statusCode": 200}


@capture
def ws_message(event: dict[str, Any]) -> dict[str, Any]:
    ctx = event["requestContext"]
    hub = lane()
    hub.sender.configure_from_event(ctx.get("domainName", ""), ctx.get("stage", ""))
    hub.handle(ctx["connectionId"], event.get("body"))
    return {"statusCode": 200}


@capture
def ws_disconnect(event: dict[str, Any]) -> dict[str, Any]:
    ctx = event["requestContext"]
    hub = lane()
    hub.sender.configure_from_event(ctx.get("domainName", ""), ctx.get("stage", ""))
    hub.disconnect(ctx["connectionId"])
    return {"statusCode": 200}


# ------------------------------------------------------------------ REST
def verify_agent(token: str) -> Identity:
    raw = token[7:] if token.lower().startswith("bearer ") else token
    return lane().agents.verify(raw)


P = ParamSpec("P")


def rest_errors(view: Callable[P, Any]) -> Callable[P, Any]:
    """The one place a domain error becomes an HTTP response: `{"code", "message"}`."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return view(*args, **kwargs)
        except LaunchBlocked as exc:
            body = {
                "code": "launch_blocked",
                "message": exc.message,
                "blockers": [b.__dict__ for b in exc.decision.blockers],
            }
            return Response(body=body, status_code=409)
        except HubError as exc:
            return Response(body={"code": exc.code, "message": exc.message}, status_code=exc.http_status)

    return wrapper


def json_object(raw: str | bytes | None) -> dict[str, Any]:
    """A request body as a JSON object: none is `{}`, anything else is `bad_json`."""
    if not raw:  # a POST without a body is an empty object, not an error
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise BadJson(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadJson("request body must be a JSON object")
    return body


def widget_session(body: dict[str, Any]) -> dict[str, Any]:
    key = body.get("widget_key")
    if not isinstance(key, str) or not key:
        raise InvalidAction("widget_key is required")
    previous = body.get("previous_token")
    name = body.get("name")
    session = widgets().open_session(
        key, previous if isinstance(previous, str) else None, name if isinstance(name, str) else None
    )
    return {
        "token": session.token,
        "customer_id": session.customer_id,
        "tenant": session.tenant,
        "expires_at": session.expires_at,
    }


def widget_availability(widget_key: str) -> dict[str, Any]:
    tenant = widgets().tenant_for_key(widget_key)
    return {"agents_available": lane().agents_available(tenant)}


def me(agent: dict[str, Any]) -> dict[str, Any]:
    hub = lane()
    presence = hub.store.get_presence(agent["tenant"], agent["agent_id"])
    now = hub.clock.now()
    status = presence.status if presence else "offline"
    reachable = bool(presence) and events.is_reachable(presence, now, hub.settings.presence_window)  # type: ignore[arg-type]
    return {
        "agent_id": agent["agent_id"],
        "name": agent["name"],
        "tenant": agent["tenant"],
        "presence": {"status": status, "reachable": reachable},
    }


def list_agents(agent: dict[str, Any]) -> dict[str, Any]:
    """The tenant's agents with their chosen status and reachability (owner pickers, presence)."""
    hub = lane()
    now, window = hub.clock.now(), hub.settings.presence_window
    return {
        "agents": [
            {
                "id": p.agent_id,
                "name": p.name,
                "status": p.status,
                "reachable": events.is_reachable(p, now, window),
                "available": events.is_available(p, now, window),
            }
            for p in hub.store.tenant_presence(agent["tenant"])
        ]
    }


def list_conversations(agent: dict[str, Any]) -> dict[str, Any]:
    hub = lane()
    from chalicelib.store import ConversationState

    metas = hub.store.list_conversations(agent["tenant"], LIST_LIMIT)
    return {"conversations": [events.snapshot(ConversationState(m), "agent") for m in metas]}


# ------------------------------------------------------------------ work lanes (REST)
def actor(agent: dict[str, Any]) -> Actor:
    return Actor(agent["tenant"], "agent", agent["agent_id"], agent["name"])


def _text(body: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidAction(f"{name}: a string is required")
    return value


def widget_customer(authorization: str) -> Actor:
    raw = authorization[7:] if authorization.lower().startswith("bearer ") else authorization
    who = lane().widgets.verify(raw)
    return Actor(who.tenant, "customer", who.user_id, who.name)


def request_callback(who: Actor, body: dict[str, Any], source: str) -> dict[str, Any]:
    cb = callbacks().request(
        who,
        phone=_text(body, "phone", required=True) or "",
        region=_text(body, "region"),
        window=_text(body, "window") or "asap",
        reason=_text(body, "reason"),
        conversation_id=_text(body, "conversation_id"),
        customer_name=_text(body, "customer_name"),
        source=source,
    )
    return {"callback": callback_views.view(cb, lane().clock.now())}


def callback_queue(agent: dict[str, Any]) -> dict[str, Any]:
    now = lane().clock.now()
    return {"callbacks": [callback_views.view(cb, now) for cb in callbacks().queue(agent["tenant"])]}


def callback_detail(agent: dict[str, Any], callback_id: str) -> dict[str, Any]:
    cb, history = callbacks().get(actor(agent), callback_id)
    return {"callback": callback_views.view(cb, lane().clock.now()), "history": history}


def callback_step(agent: dict[str, Any], callback_id: str, step: str, body: dict[str, Any]) -> dict[str, Any]:
    who, service, note = actor(agent), callbacks(), _text(body, "note")
    steps = {
        "claim": lambda: service.claim(who, callback_id),
        "release": lambda: service.release(who, callback_id),
        "complete": lambda: service.complete(who, callback_id, note),
        "no-answer": lambda: service.no_answer(who, callback_id, note),
        "cancel": lambda: service.cancel(who, callback_id, note),
    }
    if step not in steps:
        raise InvalidAction(f"unknown step {step!r}; expected one of {', '.join(steps)}")
    return {"callback": callback_views.view(steps[step](), lane().clock.now())}


def ticket_list(agent: dict[str, Any]) -> dict[str, Any]:
    return {"tickets": [ticket_views.view(t) for t in tickets().open(agent["tenant"])]}


def _owner(body: dict[str, Any]) -> tuple[str, str] | None:
    owner = body.get("owner")
    if owner is None:
        return None
    if not isinstance(owner, dict) or not isinstance(owner.get("id"), str) or not isinstance(owner.get("name"), str):
        raise InvalidAction("owner: expected {id, name}")
    return owner["id"], owner["name"]


def ticket_create(agent: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    ticket = tickets().create(
        actor(agent), _text(body, "subject", required=True) or "", _text(body, "conversation_id"), _owner(body)
    )
    return {"ticket": ticket_views.view(ticket)}


def ticket_detail(agent: dict[str, Any], ticket_id: str) -> dict[str, Any]:
    ticket, history = tickets().get(actor(agent), ticket_id)
    return {"ticket": ticket_views.view(ticket), "history": history}


def ticket_change(agent: dict[str, Any], ticket_id: str, body: dict[str, Any]) -> dict[str, Any]:
    ticket = tickets().change(actor(agent), ticket_id, _text(body, "status"), _text(body, "waiting_on"), _owner(body))
    return {"ticket": ticket_views.view(ticket)}


def hub_snapshot(agent: dict[str, Any]) -> dict[str, Any]:
    return overview().snapshot(agent["tenant"])


def hub_mode(agent: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return overview().set_mode(actor(agent), _text(body, "mode", required=True) or "")


def hub_mode_history(agent: dict[str, Any]) -> dict[str, Any]:
    return {"history": overview().mode_history(agent["tenant"])}


# ------------------------------------------------------------------ scheduled
def escalate_overdue_callbacks() -> dict[str, int]:
    return callbacks().escalate_overdue()


def recompute_counters() -> dict[str, int]:
    return overview().recompute()


def sweep_drift() -> dict[str, int]:
    return overview().sweep_drift()
