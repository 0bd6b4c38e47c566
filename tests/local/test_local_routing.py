"""Route selection, concurrency and error frames of the WebSocket gateway."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from local.testing import LocalHub
from tests.local.wsclient import (
    CONNECTION_ID,
    connection_id,
    echo,
    get_json,
    open_ws,
    recv_json,
    routes,
    run_async,
    wait_for_events,
)


def test_route_selection_uses_the_action_field(fake_hub: LocalHub) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with open_ws(fake_hub) as ws:
            await ws.send_str(json.dumps({"action": "shout", "text": "hi there"}))
            shouted = await recv_json(ws)
            # "echo" is not a route key: it falls back to $default.
            echoed = await echo(ws)
        return shouted, echoed

    shouted, echoed = run_async(scenario())
    assert shouted == {"shouted": "HI THERE", "route": "shout"}
    assert echoed["requestContext"]["routeKey"] == "$default"


def test_messages_without_a_route_go_to_default(fake_hub: LocalHub) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
            await ws.send_str("not json at all")
            await ws.send_str(json.dumps({"action": {"nested": "object"}}))
            await ws.send_str(json.dumps(["action", "shout"]))
            return await wait_for_events(fake_hub, cid, lambda e: len(e) >= 5)

    found = run_async(scenario())
    messages = [e for e in found if e["requestContext"]["eventType"] == "MESSAGE"]
    assert {e["requestContext"]["routeKey"] for e in messages} == {"$default"}
    bodies = {e["body"]: e["isBase64Encoded"] for e in messages}
    assert bodies["not json at all"] is False
    assert len(bodies) == 4


def test_json_nested_too_deep_to_parse_goes_to_default_and_the_connection_stays(fake_hub: LocalHub) -> None:
    nested = '{"action": ' + "[" * 3000 + "]" * 3000 + "}"

    async def scenario() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
            await ws.send_str(nested)
            found = await wait_for_events(fake_hub, cid, lambda e: any(x.get("body") == nested for x in e))
            return found, await echo(ws)  # still open and served

    found, echoed = run_async(scenario())
    assert [e["requestContext"]["routeKey"] for e in found if e.get("body") == nested] == ["$default"]
    assert echoed["requestContext"]["routeKey"] == "$default"


def test_a_binary_frame_closes_1003_without_invocation(fake_hub: LocalHub) -> None:
    """API Gateway refuses binary frames: close 1003, then `$disconnect` (and nothing else)."""

    async def scenario() -> tuple[aiohttp.WSMessage, list[dict[str, Any]]]:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
            await ws.send_bytes(json.dumps({"action": "put", "key": "binary", "value": "x"}).encode())
            closing = await ws.receive(timeout=5)
        return closing, await wait_for_events(fake_hub, cid, lambda e: "$disconnect" in routes(e))

    closing, found = run_async(scenario())
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert closing.data == 1003
    assert routes(found) == ["$connect", "$default", "$disconnect"]
    assert found[-1]["requestContext"]["disconnectStatusCode"] == 1003
    _, stored = run_async(get_json(f"{fake_hub.api_url}/kv/binary"))
    assert stored["value"] is None


def test_a_raising_handler_gets_the_internal_server_error_frame(fake_hub: LocalHub) -> None:
    async def scenario() -> tuple[str, dict[str, Any], dict[str, Any]]:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
            await ws.send_str(json.dumps({"action": "crash"}))
            error = await recv_json(ws)
            # The connection survives; the gateway keeps serving it.
            after = await echo(ws)
        return cid, error, after

    cid, error, after = run_async(scenario())
    assert error["message"] == "Internal server error"
    assert error["connectionId"] == cid
    assert CONNECTION_ID.match(error["requestId"])
    assert after["requestContext"]["connectionId"] == cid


def test_the_handler_response_body_is_not_sent(fake_hub: LocalHub) -> None:
    async def scenario() -> aiohttp.WSMsgType:
        async with open_ws(fake_hub) as ws:
            await echo(ws)
            try:
                msg = await ws.receive(timeout=0.7)
            except TimeoutError:
                return aiohttp.WSMsgType.CLOSED
            return msg.type

    # Nothing else arrives: the `{"returned": "ignored"}` body never reaches the client.
    assert run_async(scenario()) is aiohttp.WSMsgType.CLOSED


def test_messages_of_one_connection_run_concurrently(fake_hub: LocalHub) -> None:
    async def scenario() -> tuple[list[Any], float]:
        async with open_ws(fake_hub) as ws:
            started = time.monotonic()
            for tag in ("a", "b", "c"):
                await ws.send_str(json.dumps({"action": "sleep", "seconds": 1.0, "tag": tag}))
            await ws.send_str(json.dumps({"action": "echo"}))
            replies = [await recv_json(ws, timeout=10) for _ in range(4)]
            return replies, time.monotonic() - started

    replies, elapsed = run_async(scenario())
    # The quick echo overtakes the sleepers, and three 1-second handlers take ~1 s, not 3.
    assert "echo" in replies[0]
    assert sorted(r["tag"] for r in replies[1:]) == ["a", "b", "c"]
    assert elapsed < 2.5


def test_a_slow_handler_gets_the_endpoint_timeout_frame(fake_hub: LocalHub) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with open_ws(fake_hub) as ws:
            await ws.send_str(json.dumps({"action": "sleep", "seconds": 3, "tag": "late"}))
            timed_out = await recv_json(ws, timeout=5)
            # The Lambda itself runs on (its timeout is longer) and still posts.
            late = await recv_json(ws, timeout=5)
        return timed_out, late

    timed_out, late = run_async(scenario())
    assert timed_out["message"] == "Endpoint request timed out"
    assert late == {"slept": 3, "tag": "late"}


def test_disconnect_runs_exactly_once(fake_hub: LocalHub) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
            await ws.send_str(json.dumps({"action": "close_me"}))
            msg = await ws.receive(timeout=5)
            assert msg.type is aiohttp.WSMsgType.CLOSE
            await ws.close()
        await asyncio.sleep(0.5)
        return await wait_for_events(fake_hub, cid, lambda e: "$disconnect" in routes(e))

    found = run_async(scenario())
    assert routes(found).count("$disconnect") == 1
