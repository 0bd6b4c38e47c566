"""Flow Conversation Live Hub: route wiring only. Behaviour lives in `chalicelib/`."""

from __future__ import annotations

from typing import Any

from chalice.app import AuthRequest, AuthResponse, Chalice, CloudWatchEvent, Rate, Request, WebsocketEvent

from chalicelib import api
from chalicelib.errors import Unauthorized
from chalicelib.observability import logger, metrics

app = Chalice(app_name="flow-hub")
# Chalice still labels WebSocket support experimental; we rely on it for the live lane.
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.middleware("all")
def flush_metrics(event: Any, get_response: Any) -> Any:
    """Metrics are flushed (as CloudWatch EMF log lines) after every invocation."""
    try:
        return get_response(event)
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()


# ------------------------------------------------------------------ WebSocket routes
@app.on_ws_connect()
def ws_connect(event: WebsocketEvent) -> dict[str, Any]:
    return api.ws_connect(event.to_dict())


@app.on_ws_message()
def ws_message(event: WebsocketEvent) -> dict[str, Any]:
    return api.ws_message(event.to_dict())


@app.on_ws_disconnect()
def ws_disconnect(event: WebsocketEvent) -> dict[str, Any]:
    return api.ws_disconnect(event.to_dict())


# ------------------------------------------------------------------ REST routes
@app.authorizer()
def agent_auth(auth_request: AuthRequest) -> AuthResponse:
    try:
        who = api.verify_agent(auth_request.token or "")
    except Unauthorized as exc:
        logger.info("rest auth refused", extra={"reason": exc.message})
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(
        routes=["*"],
        principal_id=who.user_id,
        context={"tenant": who.tenant, "agent_id": who.user_id, "name": who.name},
    )


def _request() -> Request:
    request = app.current_request
    assert request is not None  # set by Chalice for every REST invocation
    return request


def _agent() -> dict[str, Any]:
    return dict(_request().context["authorizer"])


@app.route("/health", cors=True)
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/widget/session", methods=["POST"], cors=True)
@api.rest_errors
def widget_session() -> dict[str, Any]:
    return api.widget_session(_body())


@app.route("/widget/availability", cors=True)
@api.rest_errors
def widget_availability() -> dict[str, Any]:
    params: Any = _request().query_params or {}
    return api.widget_availability(str(params.get("widget_key", "")))


@app.route("/me", authorizer=agent_auth, cors=True)
@api.rest_errors
def me() -> dict[str, Any]:
    return api.me(_agent())


@app.route("/agents", authorizer=agent_auth, cors=True)
@api.rest_errors
def agents() -> dict[str, Any]:
    return api.list_agents(_agent())


@app.route("/conversations", authorizer=agent_auth, cors=True)
@api.rest_errors
def conversations() -> dict[str, Any]:
    return api.list_conversations(_agent())


def _body() -> dict[str, Any]:
    return api.json_object(_request().raw_body)


@app.route("/widget/callbacks", methods=["POST"], cors=True)
@api.rest_errors
def widget_callback() -> dict[str, Any]:
    customer = api.widget_customer(_request().headers.get("authorization", ""))
    return api.request_callback(customer, _body(), source="widget")


@app.route("/callbacks", authorizer=agent_auth, cors=True)
@api.rest_errors
def callback_queue() -> dict[str, Any]:
    return api.callback_queue(_agent())


@app.route("/callbacks", methods=["POST"], authorizer=agent_auth, cors=True)
@api.rest_errors
def log_missed_call() -> dict[str, Any]:
    return api.request_callback(api.actor(_agent()), _body(), source="missed_call")


@app.route("/callbacks/{callback_id}", authorizer=agent_auth, cors=True)
@api.rest_errors
def callback_detail(callback_id: str) -> dict[str, Any]:
    return api.callback_detail(_agent(), callback_id)


@app.route("/callbacks/{callback_id}/{step}", methods=["POST"], authorizer=agent_auth, cors=True)
@api.rest_errors
def callback_step(callback_id: str, step: str) -> dict[str, Any]:
    return api.callback_step(_agent(), callback_id, step, _body())


@app.route("/tickets", authorizer=agent_auth, cors=True)
@api.rest_errors
def ticket_list() -> dict[str, Any]:
    return api.ticket_list(_agent())


@app.route("/tickets", methods=["POST"], authorizer=agent_auth, cors=True)
@api.rest_errors
def ticket_create() -> dict[str, Any]:
    return api.ticket_create(_agent(), _body())


@app.route("/tickets/{ticket_id}", authorizer=agent_auth, cors=True)
@api.rest_errors
def ticket_detail(ticket_id: str) -> dict[str, Any]:
    return api.ticket_detail(_agent(), ticket_id)


@app.route("/tickets/{ticket_id}", methods=["PATCH"], authorizer=agent_auth, cors=True)
@api.rest_errors
def ticket_change(ticket_id: str) -> dict[str, Any]:
    return api.ticket_change(_agent(), ticket_id, _body())


@app.route("/hub", authorizer=agent_auth, cors=True)
@api.rest_errors
def hub() -> dict[str, Any]:
    return api.hub_snapshot(_agent())


@app.route("/hub/mode", methods=["POST"], authorizer=agent_auth, cors=True)
@api.rest_errors
def hub_mode() -> dict[str, Any]:
    return api.hub_mode(_agent(), _body())


@app.route("/hub/mode", authorizer=agent_auth, cors=True)
@api.rest_errors
def hub_mode_history() -> dict[str, Any]:
    return api.hub_mode_history(_agent())


# ------------------------------------------------------------------ scheduled functions
@app.schedule(Rate(1, unit=Rate.MINUTES))
def escalate_overdue_callbacks(event: CloudWatchEvent) -> dict[str, int]:
    return api.escalate_overdue_callbacks()


@app.schedule(Rate(5, unit=Rate.MINUTES))
def recompute_counters(event: CloudWatchEvent) -> dict[str, int]:
    return api.recompute_counters()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweep_drift(event: CloudWatchEvent) -> dict[str, int]:
    return api.sweep_drift()
