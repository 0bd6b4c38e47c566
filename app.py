"""Flow Conversation Live Hub: routes only, each one line into `chalicelib/handlers/`."""

from __future__ import annotations

import os
from typing import Any

from chalice.app import Chalice, CloudWatchEvent, CognitoUserPoolAuthorizer, DynamoDBEvent, Rate, WebsocketEvent

from chalicelib.handlers import rest, scheduled, streams, ws
from chalicelib.platform.auth import user_pool_arn
from chalicelib.platform.observability import observe

app = Chalice(app_name="flow-hub")
# Chalice still labels WebSocket support experimental; we rely on it for the live lane.
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.register_middleware(observe, "all")


# ------------------------------------------------------------------ WebSocket routes
@app.on_ws_connect()
def ws_connect(event: WebsocketEvent) -> dict[str, Any]:
    return ws.connect(event.to_dict())


@app.on_ws_message()
def ws_message(event: WebsocketEvent) -> dict[str, Any]:
    return ws.message(event.to_dict())


@app.on_ws_disconnect()
def ws_disconnect(event: WebsocketEvent) -> dict[str, Any]:
    return ws.disconnect(event.to_dict())


# ------------------------------------------------------------------ REST routes
# API Gateway's own Cognito authorizer: it verifies the agent's ID token (the raw token in
# `Authorization`) before any function runs; the routes read its claims.
agent_auth = CognitoUserPoolAuthorizer("agent_auth", provider_arns=[user_pool_arn()])


@app.route("/health", cors=True)
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/widget/session", methods=["POST"], cors=True)
def widget_session() -> Any:
    return rest.widget_session(app.current_request)


@app.route("/widget/availability", cors=True)
def widget_availability() -> Any:
    return rest.widget_availability(app.current_request)


@app.route("/me", authorizer=agent_auth, cors=True)
def me() -> Any:
    return rest.me(app.current_request)


@app.route("/agents", authorizer=agent_auth, cors=True)
def agents() -> Any:
    return rest.list_agents(app.current_request)


@app.route("/agents/{agent_id}", methods=["PATCH"], authorizer=agent_auth, cors=True)
def agent_change(agent_id: str) -> Any:
    return rest.agent_change(app.current_request, agent_id)


@app.route("/agents/{agent_id}/reassign", methods=["POST"], authorizer=agent_auth, cors=True)
def agent_reassign(agent_id: str) -> Any:
    return rest.agent_reassign(app.current_request, agent_id)


@app.route("/tenant", authorizer=agent_auth, cors=True)
def tenant_settings() -> Any:
    return rest.tenant_settings(app.current_request)


@app.route("/tenant", methods=["PATCH"], authorizer=agent_auth, cors=True)
def tenant_change() -> Any:
    return rest.tenant_change(app.current_request)


@app.route("/conversations", authorizer=agent_auth, cors=True)
def conversations() -> Any:
    return rest.list_conversations(app.current_request)


@app.route("/widget/callbacks", methods=["POST"], cors=True)
def widget_callback() -> Any:
    return rest.widget_callback(app.current_request)


@app.route("/widget/callbacks/{callback_id}", cors=True)
def widget_callback_status(callback_id: str) -> Any:
    return rest.widget_callback_status(app.current_request, callback_id)


@app.route("/callbacks", authorizer=agent_auth, cors=True)
def callback_queue() -> Any:
    return rest.callback_queue(app.current_request)


@app.route("/callbacks", methods=["POST"], authorizer=agent_auth, cors=True)
def log_missed_call() -> Any:
    return rest.log_missed_call(app.current_request)


@app.route("/callbacks/{callback_id}", authorizer=agent_auth, cors=True)
def callback_detail(callback_id: str) -> Any:
    return rest.callback_detail(app.current_request, callback_id)


@app.route("/callbacks/{callback_id}/{step}", methods=["POST"], authorizer=agent_auth, cors=True)
def callback_step(callback_id: str, step: str) -> Any:
    return rest.callback_step(app.current_request, callback_id, step)


@app.route("/tickets", authorizer=agent_auth, cors=True)
def ticket_list() -> Any:
    return rest.ticket_list(app.current_request)


@app.route("/tickets", methods=["POST"], authorizer=agent_auth, cors=True)
def ticket_create() -> Any:
    return rest.ticket_create(app.current_request)


@app.route("/tickets/{ticket_id}", authorizer=agent_auth, cors=True)
def ticket_detail(ticket_id: str) -> Any:
    return rest.ticket_detail(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}", methods=["PATCH"], authorizer=agent_auth, cors=True)
def ticket_change(ticket_id: str) -> Any:
    return rest.ticket_change(app.current_request, ticket_id)


@app.route("/hub", authorizer=agent_auth, cors=True)
def hub() -> Any:
    return rest.hub_snapshot(app.current_request)


@app.route("/hub/mode", methods=["POST"], authorizer=agent_auth, cors=True)
def hub_mode() -> Any:
    return rest.hub_mode(app.current_request)


@app.route("/hub/mode", authorizer=agent_auth, cors=True)
def hub_mode_history() -> Any:
    return rest.hub_mode_history(app.current_request)


@app.route("/widget/rating", methods=["POST"], cors=True)
def widget_rating() -> Any:
    return rest.widget_rating(app.current_request)


@app.route("/canned", authorizer=agent_auth, cors=True)
def canned_list() -> Any:
    return rest.canned_list(app.current_request)


@app.route("/canned", methods=["POST"], authorizer=agent_auth, cors=True)
def canned_create() -> Any:
    return rest.canned_create(app.current_request)


@app.route("/canned/{reply_id}", methods=["PATCH"], authorizer=agent_auth, cors=True)
def canned_change(reply_id: str) -> Any:
    return rest.canned_change(app.current_request, reply_id)


@app.route("/canned/{reply_id}", methods=["DELETE"], authorizer=agent_auth, cors=True)
def canned_delete(reply_id: str) -> Any:
    return rest.canned_delete(app.current_request, reply_id)


@app.route("/hours", authorizer=agent_auth, cors=True)
def hours_get() -> Any:
    return rest.hours_get(app.current_request)


@app.route("/hours", methods=["PUT"], authorizer=agent_auth, cors=True)
def hours_set() -> Any:
    return rest.hours_set(app.current_request)


@app.route("/hours", methods=["DELETE"], authorizer=agent_auth, cors=True)
def hours_clear() -> Any:
    return rest.hours_clear(app.current_request)


@app.route("/search", authorizer=agent_auth, cors=True)
def search() -> Any:
    return rest.search(app.current_request)


@app.route("/customers/{customer_id}", authorizer=agent_auth, cors=True)
def customer_panel(customer_id: str) -> Any:
    return rest.customer_panel(app.current_request, customer_id)


# ------------------------------------------------------------------ scheduled functions
@app.schedule(Rate(1, unit=Rate.MINUTES))
def escalate_overdue_callbacks(event: CloudWatchEvent) -> dict[str, int]:
    return scheduled.escalate_overdue_callbacks()


@app.schedule(Rate(5, unit=Rate.MINUTES))
def recompute_counters(event: CloudWatchEvent) -> dict[str, int]:
    return scheduled.recompute_counters()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweep_drift(event: CloudWatchEvent) -> dict[str, int]:
    return scheduled.sweep_drift()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def route_queue(event: CloudWatchEvent) -> dict[str, int]:
    return scheduled.route_queue()


# ------------------------------------------------------------------ stream functions
# The stream's ARN is known only once the table exists: infra/api.py puts the counters table's
# stream in place of this placeholder; the local stack feeds the function from moto's stream.
COUNTERS_STREAM = os.environ.get(
    "COUNTERS_STREAM_ARN", "arn:aws:dynamodb:us-east-1:000000000000:table/counters/stream/x"
)


@app.on_dynamodb_record(stream_arn=COUNTERS_STREAM, batch_size=100, maximum_batching_window_in_seconds=1)
def push_counters(event: DynamoDBEvent) -> dict[str, int]:
    return streams.counters_changed(event.to_dict())
