"""Flow Conversation Live Hub: route wiring only. Behaviour lives in `chalicelib/`."""

from __future__ import annotations

from typing import Any

from chalice.app import AuthRequest, AuthResponse, Chalice, Request, WebsocketEvent

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
    return api.widget_session(_request().json_body or {})


@app.route("/widget/availability", cors=True)
@api.rest_errors
def widget_availability() -> dict[str, Any]:
    params: Any = _request().query_params or {}
    return api.widget_availability(str(params.get("widget_key", "")))


@app.route("/me", authorizer=agent_auth, cors=True)
@api.rest_errors
def me() -> dict[str, Any]:
    return api.me(_agent())


@app.route("/conversations", authorizer=agent_auth, cors=True)
@api.rest_errors
def conversations() -> dict[str, Any]:
    return api.list_conversations(_agent())
