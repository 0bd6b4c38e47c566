"""The hub's runtime entry points, built once per Lambda container.

`app.py` hands each route's event to one function here; this module turns
events into calls on the services and maps domain errors to responses in one
place.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, ParamSpec

from chalice.app import Response

from chalicelib import events
from chalicelib.auth import Identity
from chalicelib.errors import HubError, Unauthorized
from chalicelib.live import LiveLane
from chalicelib.observability import capture, logger
from chalicelib.tenants import Widgets

LIST_LIMIT = 100


@lru_cache(maxsize=1)
def lane() -> LiveLane:
    return LiveLane.from_env()


@lru_cache(maxsize=1)
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
        except HubError as exc:
            return Response(body={"code": exc.code, "message": exc.message}, status_code=exc.http_status)

    return wrapper


def widget_session(body: dict[str, Any]) -> dict[str, Any]:
    key = body.get("widget_key")
    if not isinstance(key, str) or not key:
        from chalicelib.errors import InvalidAction

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


def list_conversations(agent: dict[str, Any]) -> dict[str, Any]:
    hub = lane()
    from chalicelib.store import ConversationState

    metas = hub.store.list_conversations(agent["tenant"], LIST_LIMIT)
    return {"conversations": [events.snapshot(ConversationState(m), "agent") for m in metas]}
