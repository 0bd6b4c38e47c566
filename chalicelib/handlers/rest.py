"""The REST routes: read the request (the agent bound by the authorizer, the body as its contract
type), call one service, and answer with a contract view. `rest_errors` is the one place a domain
error becomes an HTTP response, and where a view becomes JSON."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import msgspec
from chalice.app import AuthRequest, AuthResponse, Request, Response

from chalicelib import wiring
from chalicelib.contract.common import Ref
from chalicelib.contract.rest import (
    AgentChangeRequest,
    AgentEnvelope,
    AgentList,
    Availability,
    Body,
    CallbackDetail,
    CallbackEnvelope,
    CallbackList,
    CallbackRequest,
    CallbackStepRequest,
    ConversationList,
    CustomerCallbackEnvelope,
    Error,
    HubModeRequest,
    LaunchBlockedError,
    Me,
    ModeHistory,
    MyPresence,
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
    decode_body,
)
from chalicelib.contract.views import HubSnapshot
from chalicelib.hub.command import blocker_view
from chalicelib.hub.mode import LaunchBlocked
from chalicelib.hub.settings import agent_view, settings_view
from chalicelib.live import payloads
from chalicelib.platform.auth import Actor
from chalicelib.platform.errors import HubError, InvalidAction, Unauthorized
from chalicelib.platform.observability import logger
from chalicelib.store.ports import ConversationState
from chalicelib.work.views import callback_view, customer_callback_view, ticket_view

LIST_LIMIT = 100
P = ParamSpec("P")
B = TypeVar("B", bound=Body)


def rest_errors(view: Callable[P, msgspec.Struct]) -> Callable[P, Any]:
    """The one place a domain error becomes an HTTP response (`Error`, or `LaunchBlockedError`),
    and a view becomes the JSON Chalice sends."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return msgspec.to_builtins(view(*args, **kwargs))
        except LaunchBlocked as exc:
            blockers = [blocker_view(b) for b in exc.decision.blockers]
            body = LaunchBlockedError("launch_blocked", exc.message, blockers)
            return Response(body=msgspec.to_builtins(body), status_code=409)
        except HubError as exc:
            return Response(body=msgspec.to_builtins(Error(exc.code, exc.message)), status_code=exc.http_status)

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


def _body(request: Request | None, body_type: type[B]) -> B:
    assert request is not None
    return decode_body(request.raw_body, body_type)


def _owner(owner: Ref | None) -> tuple[str, str] | None:
    return (owner.id, owner.name) if owner is not None else None


# ------------------------------------------------------------------ the widget (customers)
@rest_errors
def widget_session(request: Request | None) -> WidgetSession:
    body = _body(request, WidgetSessionRequest)
    session = wiring.hub().widgets.open_session(body.widget_key, body.previous_token, body.name)
    return WidgetSession(session.token, session.customer_id, session.tenant, session.expires_at)


@rest_errors
def widget_availability(request: Request | None) -> Availability:
    """Whether someone can answer, what the widget offers (mode and presence), and the region a
    phone number without a country code is read in when the visitor's locale names none."""
    assert request is not None
    params: Any = request.query_params or {}
    h = wiring.hub()
    tenant = h.widgets.tenant_for_key(str(params.get("widget_key", "")))
    offered = h.availability.current(tenant)
    offered.default_region = h.team.get(tenant).phone_region
    return offered


def _customer(request: Request) -> Actor:
    who = wiring.hub().widget_tokens.verify(_bearer(request.headers.get("authorization", "")))
    return Actor(who.tenant, "customer", who.user_id, who.name)


@rest_errors
def widget_callback(request: Request | None) -> CallbackEnvelope:
    assert request is not None
    return _request_callback(_customer(request), _body(request, CallbackRequest), source="widget")


@rest_errors
def widget_callback_status(request: Request | None, callback_id: str) -> CustomerCallbackEnvelope:
    """The customer's own callback request as their widget shows it (after a reload)."""
    assert request is not None
    cb = wiring.hub().callbacks.customer_status(_customer(request), callback_id)
    return CustomerCallbackEnvelope(customer_callback_view(cb))


# ------------------------------------------------------------------ the agent and the live lane
@rest_errors
def me(request: Request | None) -> Me:
    agent, h = _agent(request), wiring.hub()
    presence = h.live.connections.store.get_presence(agent["tenant"], agent["agent_id"])
    reachable = presence is not None and h.rule.reachable(presence, h.clock.now())
    status = presence.status if presence else "offline"
    return Me(agent["agent_id"], agent["name"], agent["tenant"], MyPresence(status, reachable))  # type: ignore[arg-type]


@rest_errors
def list_agents(request: Request | None) -> AgentList:
    """Every agent of the tenant — the directory, so also those who never signed in — with their
    chosen status, reachability, capacity and open chats (owner pickers, assignment, presence)."""
    agent, h = _agent(request), wiring.hub()
    tenant, now = h.team.get(agent["tenant"]), h.clock.now()
    return AgentList(
        [agent_view(p, tenant, h.rule, now) for p in h.live.connections.store.tenant_presence(agent["tenant"])]
    )


@rest_errors
def agent_change(request: Request | None, agent_id: str) -> AgentEnvelope:
    """`{"capacity": n | null}`: the agent's own chat capacity (null: the tenant's default)."""
    agent, h = _agent(request), wiring.hub()
    body = _body(request, AgentChangeRequest)
    changed = h.team.set_capacity(actor(agent), agent_id, body.capacity)
    h.routing.drain(agent["tenant"])  # a raised capacity may take someone from the queue
    return AgentEnvelope(agent_view(changed, h.team.get(agent["tenant"]), h.rule, h.clock.now()))


@rest_errors
def agent_reassign(request: Request | None, agent_id: str) -> Reassigned:
    """ "Reassign their chats": the agent's open chats go back to the queue, then to colleagues."""
    agent, h = _agent(request), wiring.hub()
    moved = h.routing.requeue_agent(actor(agent), agent_id)
    return Reassigned(moved, h.command.snapshot(agent["tenant"]))


@rest_errors
def tenant_settings(request: Request | None) -> TenantSettingsEnvelope:
    return TenantSettingsEnvelope(settings_view(wiring.hub().team.get(_agent(request)["tenant"])))


@rest_errors
def tenant_change(request: Request | None) -> TenantSettingsEnvelope:
    """PATCH `{time_zone?, default_region?, chat_capacity?}`: only the named settings change."""
    agent, h = _agent(request), wiring.hub()
    body = _body(request, TenantChangeRequest)
    changes = {f: getattr(body, f) for f in body.__struct_fields__ if getattr(body, f) is not msgspec.UNSET}
    tenant = h.team.change(actor(agent), changes)
    h.routing.drain(agent["tenant"])
    return TenantSettingsEnvelope(settings_view(tenant))


@rest_errors
def list_conversations(request: Request | None) -> ConversationList:
    agent = _agent(request)
    metas = wiring.hub().live.timeline.store.list_conversations(agent["tenant"], LIST_LIMIT)
    return ConversationList([payloads.snapshot(ConversationState(m), "agent") for m in metas])


# ------------------------------------------------------------------ callbacks
def _request_callback(who: Actor, body: CallbackRequest, source: str) -> CallbackEnvelope:
    h = wiring.hub()
    cb = h.callbacks.request(
        who,
        phone=body.phone,
        region=body.region,
        window=body.window or "asap",
        reason=body.reason,
        conversation_id=body.conversation_id,
        customer_name=body.customer_name,
        source=source,
    )
    return CallbackEnvelope(callback_view(cb, h.clock.now()))


@rest_errors
def log_missed_call(request: Request | None) -> CallbackEnvelope:
    return _request_callback(actor(_agent(request)), _body(request, CallbackRequest), source="missed_call")


@rest_errors
def callback_queue(request: Request | None) -> CallbackList:
    agent, h = _agent(request), wiring.hub()
    now = h.clock.now()
    return CallbackList([callback_view(cb, now) for cb in h.callbacks.queue(agent["tenant"])])


@rest_errors
def callback_detail(request: Request | None, callback_id: str) -> CallbackDetail:
    h = wiring.hub()
    cb, history = h.callbacks.get(actor(_agent(request)), callback_id)
    return CallbackDetail(callback_view(cb, h.clock.now()), history)


@rest_errors
def callback_step(request: Request | None, callback_id: str, step: str) -> CallbackEnvelope:
    h = wiring.hub()
    who, service, note = actor(_agent(request)), h.callbacks, _body(request, CallbackStepRequest).note
    steps = {
        "claim": lambda: service.claim(who, callback_id),
        "release": lambda: service.release(who, callback_id),
        "complete": lambda: service.complete(who, callback_id, note),
        "no-answer": lambda: service.no_answer(who, callback_id, note),
        "cancel": lambda: service.cancel(who, callback_id, note),
    }
    if step not in steps:
        raise InvalidAction(f"unknown step {step!r}; expected one of {', '.join(steps)}")
    return CallbackEnvelope(callback_view(steps[step](), h.clock.now()))


# ------------------------------------------------------------------ tickets
@rest_errors
def ticket_list(request: Request | None) -> TicketList:
    return TicketList([ticket_view(t) for t in wiring.hub().tickets.open(_agent(request)["tenant"])])


@rest_errors
def ticket_create(request: Request | None) -> TicketEnvelope:
    who, body = actor(_agent(request)), _body(request, TicketCreateRequest)
    ticket = wiring.hub().tickets.create(who, body.subject, body.conversation_id, _owner(body.owner))
    return TicketEnvelope(ticket_view(ticket))


@rest_errors
def ticket_detail(request: Request | None, ticket_id: str) -> TicketDetail:
    ticket, history = wiring.hub().tickets.get(actor(_agent(request)), ticket_id)
    return TicketDetail(ticket_view(ticket), history)


@rest_errors
def ticket_change(request: Request | None, ticket_id: str) -> TicketEnvelope:
    body = _body(request, TicketChangeRequest)
    ticket = wiring.hub().tickets.change(
        actor(_agent(request)), ticket_id, body.status, body.waiting_on, _owner(body.owner)
    )
    return TicketEnvelope(ticket_view(ticket))


# ------------------------------------------------------------------ support command
@rest_errors
def hub_snapshot(request: Request | None) -> HubSnapshot:
    return wiring.hub().command.snapshot(_agent(request)["tenant"])


@rest_errors
def hub_mode(request: Request | None) -> HubSnapshot:
    return wiring.hub().mode.set(actor(_agent(request)), _body(request, HubModeRequest).mode)


@rest_errors
def hub_mode_history(request: Request | None) -> ModeHistory:
    return ModeHistory(wiring.hub().mode.history(_agent(request)["tenant"]))
