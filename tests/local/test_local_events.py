"""The WebSocket gateway's handshake and the events it hands the Lambda, over real sockets."""

from __future__ import annotations

import re
import time
from typing import Any

import aiohttp
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)

from local.testing import LocalHub
from tests.local.wsclient import CONNECTION_ID, echo, get_json, open_ws, routes, run_async, wait_for_events

REQUEST_TIME = re.compile(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")


async def _refused(hub: LocalHub, query: str) -> int:
    try:
        async with open_ws(hub, query):
            pass
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    raise AssertionError("the handshake was not refused")


def test_connect_refused_with_the_status_connect_returns(fake_hub: LocalHub) -> None:
    async def scenario() -> None:
        assert await _refused(fake_hub, "?status=401") == 401
        assert await _refused(fake_hub, "?status=403") == 403
        # A raising $connect handler is an integration failure: 500, no connection.
        assert await _refused(fake_hub, "?crash=1") == 500
        status, body = await get_json(f"{fake_hub.base_url}/_local/status")
        assert status == 200
        assert body["connections"] == []

    run_async(scenario())


def test_handshake_completes_only_after_connect_returns(fake_hub: LocalHub) -> None:
    async def scenario() -> None:
        started = time.monotonic()
        async with open_ws(fake_hub, "?sleep=0.6") as ws:
            assert time.monotonic() - started >= 0.6
            event = await echo(ws)
            found = await wait_for_events(fake_hub, event["requestContext"]["connectionId"], lambda e: len(e) >= 2)
            assert routes(found)[:2] == ["$connect", "$default"]

    run_async(scenario())


def test_subprotocol_chosen_by_connect_is_negotiated(fake_hub: LocalHub) -> None:
    async def scenario() -> None:
        async with open_ws(fake_hub, "?protocol=hub.v1", protocols=("hub.v1",)) as ws:
            assert ws.protocol == "hub.v1"

    run_async(scenario())


def test_connect_event_has_the_aws_shape(fake_hub: LocalHub) -> None:
    async def scenario() -> dict[str, Any]:
        query = "?session=abc.def&tag=one&tag=two&empty="
        async with open_ws(fake_hub, query, headers={"X-Custom-Header": "yes", "User-Agent": "hub-test/1"}) as ws:
            cid = (await echo(ws))["requestContext"]["connectionId"]
            found = await wait_for_events(fake_hub, cid, lambda e: "$connect" in routes(e))
        return next(e for e in found if e["requestContext"]["routeKey"] == "$connect")

    event = run_async(scenario())
    APIGatewayWebSocketConnectEventModel.model_validate(event)
    ctx = event["requestContext"]
    assert CONNECTION_ID.match(ctx["connectionId"])
    assert ctx["eventType"] == "CONNECT"
    assert ctx["messageDirection"] == "IN"
    assert ctx["stage"] == "ws"
    assert re.fullmatch(r"[a-z0-9]{10}", ctx["apiId"])
    assert ctx["domainName"] == fake_hub.base_url.removeprefix("http://")
    assert ctx["requestId"] == ctx["extendedRequestId"]
    assert CONNECTION_ID.match(ctx["requestId"])
    assert REQUEST_TIME.match(ctx["requestTime"])
    assert isinstance(ctx["connectedAt"], int) and ctx["requestTimeEpoch"] >= ctx["connectedAt"]
    assert ctx["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "hub-test/1"}
    assert "messageId" not in ctx and "disconnectStatusCode" not in ctx
    assert event["queryStringParameters"] == {"session": "abc.def", "tag": "two", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"session": ["abc.def"], "tag": ["one", "two"], "empty": [""]}
    # Header names keep the client's spelling, as API Gateway passes them on.
    assert event["headers"]["X-Custom-Header"] == "yes"
    assert event["multiValueHeaders"]["X-Custom-Header"] == ["yes"]
    assert event["headers"]["Sec-WebSocket-Version"] == "13"
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert event["isBase64Encoded"] is False


def test_connect_event_without_query_string_has_no_query_keys(fake_hub: LocalHub) -> None:
    async def scenario() -> dict[str, Any]:
        async with open_ws(fake_hub) as ws:
            cid = (await echo(ws))["requestContext"]["connectionId"]
            found = await wait_for_events(fake_hub, cid, lambda e: "$connect" in routes(e))
        return found[0]

    event = run_async(scenario())
    assert "queryStringParameters" not in event
    assert "multiValueQueryStringParameters" not in event


def test_message_event_has_the_aws_shape(fake_hub: LocalHub) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with open_ws(fake_hub) as ws:
            first = await echo(ws, text="héllo")
            second = await echo(ws)
        return first, second

    first, second = run_async(scenario())
    APIGatewayWebSocketMessageEventModel.model_validate(first)
    ctx = first["requestContext"]
    assert ctx["routeKey"] == "$default"
    assert ctx["eventType"] == "MESSAGE"
    assert CONNECTION_ID.match(ctx["messageId"])
    assert first["body"] == '{"action": "echo", "text": "h\\u00e9llo"}'
    assert first["isBase64Encoded"] is False
    assert set(first) == {"requestContext", "body", "isBase64Encoded"}
    assert ctx["connectedAt"] == second["requestContext"]["connectedAt"]
    assert ctx["requestId"] != second["requestContext"]["requestId"]
    assert ctx["messageId"] != second["requestContext"]["messageId"]


@pytest.mark.parametrize(("code", "reason"), [(1000, ""), (4001, "bye now")])
def test_disconnect_event_carries_the_close_code(fake_hub: LocalHub, code: int, reason: str) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with open_ws(fake_hub) as ws:
            cid = (await echo(ws))["requestContext"]["connectionId"]
            await ws.close(code=code, message=reason.encode())
        return await wait_for_events(fake_hub, cid, lambda e: "$disconnect" in routes(e))

    found = run_async(scenario())
    assert routes(found) == ["$connect", "$default", "$disconnect"]
    event = found[-1]
    APIGatewayWebSocketDisconnectEventModel.model_validate(event)
    ctx = event["requestContext"]
    assert ctx["eventType"] == "DISCONNECT"
    assert ctx["disconnectStatusCode"] == code
    assert ctx["disconnectReason"] == reason
    assert ctx["connectedAt"] == found[0]["requestContext"]["connectedAt"]
    assert event["headers"]["Host"] == ctx["domainName"]


def test_dropped_tcp_connection_still_gets_disconnect(fake_hub: LocalHub) -> None:
    async def scenario() -> list[dict[str, Any]]:
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(fake_hub.ws_url)
        event = await echo(ws)
        cid = event["requestContext"]["connectionId"]
        # No close frame: the socket just goes away.
        await session.close()
        return await wait_for_events(fake_hub, cid, lambda e: "$disconnect" in routes(e))

    found = run_async(scenario())
    assert routes(found)[-1] == "$disconnect"
    assert found[-1]["requestContext"]["disconnectStatusCode"] in (1000, 1006)


def test_connection_ids_are_unique(fake_hub: LocalHub) -> None:
    async def scenario() -> set[str]:
        ids = set()
        for _ in range(5):
            async with open_ws(fake_hub) as ws:
                ids.add((await echo(ws))["requestContext"]["connectionId"])
        return ids

    assert len(run_async(scenario())) == 5
