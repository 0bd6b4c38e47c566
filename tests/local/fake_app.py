"""A tiny Chalice app for testing the local gateway in isolation from the hub's own app.

Every WebSocket event it receives is recorded in DynamoDB (table `$MESSAGES_TABLE`) and
can be read back through `GET /events/{connection_id}`; `$default` understands a few
test actions. It talks to the gateway only through the unchanged boto3
`apigatewaymanagementapi` client at `$WS_MANAGEMENT_ENDPOINT`, as the real app does.
"""

from __future__ import annotations

import json
import os
import time
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from chalice.app import (
    AuthRequest,
    AuthResponse,
    Chalice,
    CloudWatchEvent,
    Rate,
    WebsocketEvent,
    WebsocketEventSourceHandler,
    WebsocketMessageConfig,
)

app = Chalice(app_name="fake-hub")
app.experimental_feature_flags.update(["WEBSOCKETS"])
# What a function keeps in memory between its own invocations (a warm container).
REMEMBERED: dict[str, str] = {}


def _what_i_see() -> dict[str, Any]:
    return {"env": dict(os.environ), "remembered": dict(REMEMBERED)}


def _table() -> Any:
    return boto3.resource("dynamodb").Table(os.environ["MESSAGES_TABLE"])


def _management() -> Any:
    return boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["WS_MANAGEMENT_ENDPOINT"])


def _record(event: dict[str, Any]) -> None:
    context = event["requestContext"]
    _table().put_item(
        Item={
            "pk": f"events#{context['connectionId']}",
            "sk": f"{context['requestTimeEpoch']:015d}#{context['requestId']}",
            "route": context["routeKey"],
            "event": json.dumps(event),
        }
    )


def _post(connection_id: str, payload: Any) -> None:
    _management().post_to_connection(ConnectionId=connection_id, Data=json.dumps(payload).encode("utf-8"))


def ensure_tables() -> None:
    client = boto3.client("dynamodb")
    name = os.environ["MESSAGES_TABLE"]
    if name in client.list_tables()["TableNames"]:
        return
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def ensure_tenant(tenant_id: str, name: str, widget_key: str) -> None:
    _table().put_item(Item={"pk": "tenant", "sk": tenant_id, "name": name, "widget_key": widget_key})


# ------------------------------------------------------------------ WebSocket
@app.on_ws_connect()
def connect(event: WebsocketEvent) -> dict[str, Any]:
    raw = event.to_dict()
    params = raw.get("queryStringParameters") or {}
    if "sleep" in params:
        time.sleep(float(params["sleep"]))
    if params.get("crash"):
        raise RuntimeError("connect crashed on purpose")
    if "status" in params:
        return {"statusCode": int(params["status"]), "body": json.dumps({"message": "refused"})}
    _record(raw)
    if "protocol" in params:
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": params["protocol"]}}
    return {"statusCode": 200}


@app.on_ws_message()
def message(event: WebsocketEvent) -> dict[str, Any]:
    raw = event.to_dict()
    _record(raw)
    me = event.connection_id
    try:
        body = json.loads(event.body)
    except (ValueError, RecursionError):
        body = {}
    action = body.get("action") if isinstance(body, dict) else None
    if action == "echo":
        _post(me, {"echo": raw})
    elif action == "crash":
        raise RuntimeError("message crashed on purpose")
    elif action == "sleep":
        time.sleep(float(body["seconds"]))
        _post(me, {"slept": body["seconds"], "tag": body.get("tag")})
    elif action == "put":
        _table().put_item(Item={"pk": "kv", "sk": body["key"], "value": body["value"]})
        _post(me, {"stored": body["key"]})
    elif action == "info":
        info = _management().get_connection(ConnectionId=body.get("target", me))
        _post(me, {"info": json.loads(json.dumps(info, default=str))})
    elif action == "post_to":
        client = _management()
        try:
            client.post_to_connection(ConnectionId=body["target"], Data=body["data"].encode("utf-8"))
            _post(me, {"posted": body["target"]})
        except client.exceptions.GoneException:
            _post(me, {"gone": body["target"]})
    elif action == "close_me":
        _management().delete_connection(ConnectionId=me)
    elif action == "remember":
        # Both kinds of state a function could leak to another if they shared a process.
        if body.get("value") is None:
            os.environ.pop(body["key"], None)
            REMEMBERED.pop(body["key"], None)
        else:
            os.environ[body["key"]] = body["value"]
            REMEMBERED[body["key"]] = body["value"]
        _post(me, {"remembered": body["key"]})
    elif action == "what_i_see":
        _post(me, _what_i_see())
    elif action == "die":
        os._exit(3)  # the runtime process goes away, as when a Lambda container crashes
    elif action == "subscribe":
        _table().put_item(Item={"pk": "subscribers", "sk": me})
        _post(me, {"subscribed": me})
    # Chalice ignores this body unless a route response is configured: never sent.
    return {"statusCode": 200, "body": json.dumps({"returned": "ignored"})}


@app.on_ws_disconnect()
def disconnect(event: WebsocketEvent) -> dict[str, Any]:
    _record(event.to_dict())
    return {"statusCode": 200}


def _custom_route(route_key: str, fn: Any) -> Any:
    """Chalice can only declare `$default`; a custom route key the way API Gateway has them."""
    wrapped = WebsocketEventSourceHandler(fn, WebsocketEvent, app.websocket_api)
    app.websocket_handlers[route_key] = WebsocketMessageConfig(
        name=fn.__name__, route_key_handled=route_key, handler_string=f"app.{fn.__name__}", user_handler=fn
    )
    app.handler_map[fn.__name__] = wrapped
    return wrapped


def shout(event: WebsocketEvent) -> dict[str, Any]:
    raw = event.to_dict()
    _record(raw)
    _post(
        event.connection_id,
        {"shouted": json.loads(event.body)["text"].upper(), "route": raw["requestContext"]["routeKey"]},
    )
    return {"statusCode": 200}


shout = _custom_route("shout", shout)


# ------------------------------------------------------------------ REST
@app.authorizer()
def token_auth(auth_request: AuthRequest) -> AuthResponse:
    if auth_request.token == "letmein":
        return AuthResponse(routes=["*"], principal_id="tester", context={"who": "tester"})
    return AuthResponse(routes=[], principal_id="nobody")


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: int(v) if isinstance(v, Decimal) else str(v)))


@app.route("/events/{connection_id}")
def events(connection_id: str) -> dict[str, Any]:
    items = _table().query(KeyConditionExpression=Key("pk").eq(f"events#{connection_id}"), ConsistentRead=True)["Items"]
    return {"events": [json.loads(str(item["event"])) for item in items]}


@app.route("/kv/{key}")
def kv(key: str) -> dict[str, Any]:
    item = _table().get_item(Key={"pk": "kv", "sk": key}, ConsistentRead=True).get("Item")
    return {"key": key, "value": None if item is None else _plain(item["value"])}


@app.route("/echo", methods=["POST", "PUT"])
def echo() -> dict[str, Any]:
    request = app.current_request
    assert request is not None
    return {
        "method": request.method,
        "path": request.path,
        "query": dict(request.query_params or {}),
        "body": request.json_body,
        "header": request.headers.get("x-test"),
        "stage": os.environ.get("HUB_STAGE"),
        "rest_stage": request.context.get("stage"),
        "request_id": request.context.get("requestId"),
        "source_ip": request.context.get("identity", {}).get("sourceIp"),
    }


@app.route("/what_i_see")
def what_i_see() -> dict[str, Any]:
    return _what_i_see()


@app.route("/push/{connection_id}", methods=["POST"])
def push(connection_id: str) -> dict[str, Any]:
    """A REST-triggered push: this function knows only its own `WS_MANAGEMENT_ENDPOINT`."""
    request = app.current_request
    assert request is not None
    _post(connection_id, {"pushed_by": "rest", "body": request.json_body})
    return {"pushed": connection_id}


@app.route("/slow")
def slow() -> dict[str, Any]:
    request = app.current_request
    assert request is not None
    params: dict[str, str] = dict(request.query_params or {})
    time.sleep(float(params.get("seconds", "0.5")))
    # Still this request's own query after the sleep: requests do not share `current_request`.
    after = app.current_request
    assert after is not None
    return {"tag": params.get("tag"), "tag_after_sleep": dict(after.query_params or {}).get("tag")}


@app.route("/secure", authorizer=token_auth)
def secure() -> dict[str, Any]:
    request = app.current_request
    assert request is not None
    return {"authorizer": request.context.get("authorizer")}


# ------------------------------------------------------------------ schedules
@app.schedule(Rate(1, unit=Rate.HOURS))
def hourly(event: CloudWatchEvent) -> dict[str, Any]:
    table = _table()
    result = table.update_item(
        Key={"pk": "counter", "sk": "hourly"},
        UpdateExpression="ADD runs :one",
        ExpressionAttributeValues={":one": 1},
        ReturnValues="UPDATED_NEW",
    )
    return {"runs": int(result["Attributes"]["runs"]), "event": event.to_dict()}


@app.schedule(Rate(1, unit=Rate.HOURS))
def broadcast(event: CloudWatchEvent) -> dict[str, Any]:
    """A schedule-triggered push to every subscribed connection."""
    subscribers = _table().query(KeyConditionExpression=Key("pk").eq("subscribers"), ConsistentRead=True)["Items"]
    client, pushed = _management(), []
    for item in subscribers:
        try:
            client.post_to_connection(ConnectionId=str(item["sk"]), Data=b'{"pushed_by": "schedule"}')
            pushed.append(str(item["sk"]))
        except client.exceptions.GoneException:
            _table().delete_item(Key={"pk": "subscribers", "sk": item["sk"]})
    return {"pushed": pushed, **_what_i_see()}


@app.schedule("rate(1 minute)", name="broken")
def broken(event: CloudWatchEvent) -> None:
    raise ValueError("scheduled job failed on purpose")
