"""The REST routes: read the request (the agent bound by the authorizer, the JSON body), call one
service, and answer. `rest_errors` is the one place a domain error becomes an HTTP response."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

from chalice.app import AuthRequest, AuthResponse, Request, Response

from chalicelib import wiring
from chalicelib.hub.mode import LaunchBlocked
from chalicelib.hub.settings import agent_view, settings_view
from chalicelib.live import payloads
from chalicelib.platform.auth import Actor
from chalicelib.platform.errors import BadJson, HubError, InvalidAction, Unauthorized
from chalicelib.platform.observability import logger
from chalicelib.store.ports import ConversationState
from chalicelib.work.views import callback_view, customer_callback_view, ticket_view

LIST_LIMIT = 100
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


# ------------------------------------------------------------------ reading a request
def _bearer(value: str) -> str:
    return value[7:] if value.lower().startswith("bearer ") else value


def authorize(auth_request: AuthRequest) -> AuthResponse:
    """The REST authorizer: a verified Cognito ID token binds agent and tenant to the request."""
    try:
        who = wiring.hub().agents.verify(_bearer(auth_request.token or ""))
    except Unauthorized as exc:
        logger.info("rest auth refused", extra={"reason": exc.message})
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(
        routes=["*"],
        principal_id=who.user_id,
        context={"tenant": who.tenant, "agent_id": who.user_id, "name": who.name},
    )


def _agent(request: Request | None) -> dict[str, Any]:
    assert request is not None  # set by Chalice for every REST invocation
    return dict(request.context["authorizer"])


def actor(agent: dict[str, Any]) -> Actor:
    return Actor(agent["tenant"], "agent", agent["agent_id"], agent["name"])


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


def _body(request: Request | None) -> dict[str, Any]:
    assert request is not None
    return json_object(request.raw_body)


def _text(body: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidAction(f"{name}: a string is required")
    return value


def _owner(body: dict[str, Any]) -> tuple[str, str] | None:
    owner = body.get("owner")
    if owner is None:
        return None
    if not isinstance(owner, dict) or not isinstance(owner.get("id"), str) or not isinstance(owner.get("name"), str):
        raise InvalidAction("owner: expected {id, name}")
    return owner["id"], owner["name"]


# ------------------------------------------------------------------ the widget (customers)
@rest_errors
def widget_session(request: Request | None) -> Any:
    body = _body(request)
    key = body.get("widget_key")
    if not isinstance(key, str) or not key:
        raise InvalidAction("widget_key is required")
    previous = body.get("previous_token")
    name = body.get("name")
    session = wiring.hub().widgets.open_session(
        key, previous if isinstance(previous, str) else None, name if isinstance(name, str) else None
    )
    return {
        "token": session.token,
        "customer_id": session.customer_id,
        "tenant": session.tenant,
        "expires_at": session.expires_at,
    }


@rest_errors
def widget_availability(request: Request | None) -> Any:
    """Whether someone can answer, what the widget offers (mode and presence), and the region a
    phone number without a country code is read in when the visitor's locale names none."""
    assert request is not None
    params: Any = request.query_params or {}
    h = wiring.hub()
    tenant = h.widgets.tenant_for_key(str(params.get("widget_key", "")))
    return {**h.availability.current(tenant), "default_region": h.team.get(tenant).default_region}


def _customer(request: Request) -> Actor:
    who = wiring.hub().widget_tokens.verify(_bearer(request.headers.get("authorization", "")))
    return Actor(who.tenant, "customer", who.user_id, who.name)


@rest_errors
def widget_callback_status(request: Request | None, callback_id: str) -> Any:
    """The customer's own callback request as their widget shows it (after a reload)."""
    assert request is not None
    h = wiring.hub()
    return {"callback": customer_callback_view(h.callbacks.customer_status(_customer(request), callback_id))}


@rest_errors
def widget_callback(request: Request | None) -> Any:
    assert request is not None
    return _request_callback(_customer(request), _body(request), source="widget")


# ------------------------------------------------------------------ the agent and the live lane
@rest_errors
def me(request: Request | None) -> Any:
    agent, h = _agent(request), wiring.hub()
    presence = h.live.connections.store.get_presence(agent["tenant"], agent["agent_id"])
    reachable = presence is not None and h.rule.reachable(presence, h.clock.now())
    return {
        "agent_id": agent["agent_id"],
        "name": agent["name"],
        "tenant": agent["tenant"],
        "presence": {"status": presence.status if presence else "offline", "reachable": reachable},
    }


@rest_errors
def list_agents(request: Request | None) -> Any:
    """Every agent of the tenant — the directory, so also those who never signed in — with their
    chosen status, reachability, capacity and open chats (owner pickers, assignment, presence)."""
    agent, h = _agent(request), wiring.hub()
    tenant = h.team.get(agent["tenant"])
    now = h.clock.now()
    return {
        "agents": [
            agent_view(p, tenant, h.rule, now) for p in h.live.connections.store.tenant_presence(agent["tenant"])
        ]
    }


@rest_errors
def agent_change(request: Request | None, agent_id: str) -> Any:
    """`{"capacity": n | null}`: the agent's own chat capacity (null: the tenant's default)."""
    agent, h = _agent(request), wiring.hub()
    body = _body(request)
    if set(body) != {"capacity"}:
        raise InvalidAction('send {"capacity": <0-50> or null}')
    changed = h.team.set_capacity(actor(agent), agent_id, body["capacity"])
    h.routing.drain(agent["tenant"])  # a raised capacity may take someone from the queue
    return {"agent": agent_view(changed, h.team.get(agent["tenant"]), h.rule, h.clock.now())}


@rest_errors
def agent_reassign(request: Request | None, agent_id: str) -> Any:
    """ "Reassign their chats": the agent's open chats go back to the queue, then to colleagues."""
    agent, h = _agent(request), wiring.hub()
    moved = h.routing.requeue_agent(actor(agent), agent_id)
    return {"requeued": moved, "hub": h.command.snapshot(agent["tenant"])}


@rest_errors
def tenant_settings(request: Request | None) -> Any:
    return {"settings": settings_view(wiring.hub().team.get(_agent(request)["tenant"]))}


@rest_errors
def tenant_change(request: Request | None) -> Any:
    """PATCH `{time_zone?, default_region?, chat_capacity?}`."""
    agent, h = _agent(request), wiring.hub()
    tenant = h.team.change(actor(agent), _body(request))
    h.routing.drain(agent["tenant"])
    return {"settings": settings_view(tenant)}


@rest_errors
def list_conversations(request: Request | None) -> Any:
    agent = _agent(request)
    metas = wiring.hub().live.timeline.store.list_conversations(agent["tenant"], LIST_LIMIT)
    return {"conversations": [payloads.snapshot(ConversationState(m), "agent") for m in metas]}


# ------------------------------------------------------------------ callbacks
def _request_callback(who: Actor, body: dict[str, Any], source: str) -> dict[str, Any]:
    h = wiring.hub()
    cb = h.callbacks.request(
        who,
        phone=_text(body, "phone", required=True) or "",
        region=_text(body, "region"),
        window=_text(body, "window") or "asap",
        reason=_text(body, "reason"),
        conversation_id=_text(body, "conversation_id"),
        customer_name=_text(body, "customer_name"),
        source=source,
    )
    return {"callback": callback_view(cb, h.clock.now())}


@rest_errors
def log_missed_call(request: Request | None) -> Any:
    return _request_callback(actor(_agent(request)), _body(request), source="missed_call")


@rest_errors
def callback_queue(request: Request | None) -> Any:
    agent, h = _agent(request), wiring.hub()
    now = h.clock.now()
    return {"callbacks": [callback_view(cb, now) for cb in h.callbacks.queue(agent["tenant"])]}


@rest_errors
def callback_detail(request: Request | None, callback_id: str) -> Any:
    h = wiring.hub()
    cb, history = h.callbacks.get(actor(_agent(request)), callback_id)
    return {"callback": callback_view(cb, h.clock.now()), "history": history}


@rest_errors
def callback_step(request: Request | None, callback_id: str, step: str) -> Any:
    h = wiring.hub()
    who, service, note = actor(_agent(request)), h.callbacks, _text(_body(request), "note")
    steps = {
        "claim": lambda: service.claim(who, callback_id),
        "release": lambda: service.release(who, callback_id),
        "complete": lambda: service.complete(who, callback_id, note),
        "no-answer": lambda: service.no_answer(who, callback_id, note),
        "cancel": lambda: service.cancel(who, callback_id, note),
    }
    if step not in steps:
        raise InvalidAction(f"unknown step {step!r}; expected one of {', '.join(steps)}")
    return {"callback": callback_view(steps[step](), h.clock.now())}


# ------------------------------------------------------------------ tickets
@rest_errors
def ticket_list(request: Request | None) -> Any:
    return {"tickets": [ticket_view(t) for t in wiring.hub().tickets.open(_agent(request)["tenant"])]}


@rest_errors
def ticket_create(request: Request | None) -> Any:
    body = _body(request)
    ticket = wiring.hub().tickets.create(
        actor(_agent(request)),
        _text(body, "subject", required=True) or "",
        _text(body, "conversation_id"),
        _owner(body),
    )
    return {"ticket": ticket_view(ticket)}


@rest_errors
def ticket_detail(request: Request | None, ticket_id: str) -> Any:
    ticket, history = wiring.hub().tickets.get(actor(_agent(request)), ticket_id)
    return {"ticket": ticket_view(ticket), "history": history}


@rest_errors
def ticket_change(request: Request | None, ticket_id: str) -> Any:
    body = _body(request)
    ticket = wiring.hub().tickets.change(
        actor(_agent(request)), ticket_id, _text(body, "status"), _text(body, "waiting_on"), _owner(body)
    )
    return {"ticket": ticket_view(ticket)}


# ------------------------------------------------------------------ support command
@rest_errors
def hub_snapshot(request: Request | None) -> Any:
    return wiring.hub().command.snapshot(_agent(request)["tenant"])


@rest_errors
def hub_mode(request: Request | None) -> Any:
    return wiring.hub().mode.set(actor(_agent(request)), _text(_body(request), "mode", required=True) or "")


@rest_errors
def hub_mode_history(request: Request | None) -> Any:
    return {"history": wiring.hub().mode.history(_agent(request)["tenant"])}
