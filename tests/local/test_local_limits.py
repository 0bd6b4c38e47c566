"""API Gateway's quotas as the gateway reproduces them: frame and message size, idle
timeout, connection lifetime, new connections per second."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from local.testing import LocalHub
from tests.local.rawws import TEXT, RawWebSocket
from tests.local.wsclient import connection_id, echo, get_json, open_ws, recv_json, routes, run_async, wait_for_events

KB = 1024


def _put_body(key: str, size: int) -> bytes:
    """A `put` action whose JSON encoding is exactly `size` bytes."""
    empty = json.dumps({"action": "put", "key": key, "value": ""}).encode()
    return json.dumps({"action": "put", "key": key, "value": "v" * (size - len(empty))}).encode()


async def _raw_connection_id(ws: RawWebSocket) -> str:
    await ws.send_frame(TEXT, b'{"action": "echo"}')
    _, payload = await ws.read_frame()
    return str(json.loads(payload)["echo"]["requestContext"]["connectionId"])


def test_a_frame_over_32_kb_closes_1009_without_invocation(fake_hub: LocalHub) -> None:
    async def scenario() -> tuple[aiohttp.WSMessage, list[dict[str, Any]]]:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
            await ws.send_bytes(_put_body("too-big-frame", 32 * KB + 1))
            closing = await ws.receive(timeout=5)
        found = await wait_for_events(fake_hub, cid, lambda e: "$disconnect" in routes(e))
        return closing, found

    closing, found = run_async(scenario())
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert closing.data == 1009
    # connect, the echo, disconnect: the oversized message was never invoked.
    assert routes(found) == ["$connect", "$default", "$disconnect"]
    assert found[-1]["requestContext"]["disconnectStatusCode"] == 1009


def test_a_frame_of_exactly_32_kb_is_delivered(fake_hub: LocalHub) -> None:
    async def scenario() -> dict[str, Any]:
        async with open_ws(fake_hub) as ws:
            await ws.send_str(_put_body("frame-32k", 32 * KB).decode())
            return await recv_json(ws)

    assert run_async(scenario()) == {"stored": "frame-32k"}


def test_a_fragmented_message_up_to_32_kb_is_delivered_whole(fake_hub: LocalHub) -> None:
    body = _put_body("fragmented", 32 * KB)

    async def scenario() -> tuple[dict[str, Any], Any]:
        ws = await RawWebSocket.connect(fake_hub.ws_url)
        try:
            await ws.send_fragmented(body, 8 * KB)
            _, payload = await ws.read_frame()
        finally:
            ws.abort()
        _, stored = await get_json(f"{fake_hub.api_url}/kv/fragmented")
        return json.loads(payload), stored

    reply, stored = run_async(scenario())
    assert reply == {"stored": "fragmented"}
    assert stored["value"] == json.loads(body)["value"]


def test_a_fragmented_message_over_32_kb_closes_1009(fake_hub: LocalHub) -> None:
    """Stricter than AWS on purpose (it takes up to 128 KB in 32 KB frames): aiohttp's public
    `max_msg_size` limits the reassembled message. Browsers never fragment, so for them the
    32 KB frame quota is exact; locally nothing is accepted that AWS would refuse."""

    async def scenario() -> tuple[int, list[dict[str, Any]]]:
        ws = await RawWebSocket.connect(fake_hub.ws_url)
        try:
            cid = await _raw_connection_id(ws)
            await ws.send_fragmented(_put_body("too-big-message", 32 * KB + 1), 16 * KB)
            code = await ws.close_code()
        finally:
            ws.abort()
        return code, await wait_for_events(fake_hub, cid, lambda e: "$disconnect" in routes(e))

    code, found = run_async(scenario())
    assert code == 1009
    assert routes(found) == ["$connect", "$default", "$disconnect"]
    _, stored = run_async(get_json(f"{fake_hub.api_url}/kv/too-big-message"))
    assert stored["value"] is None


def test_an_idle_connection_is_closed_and_disconnected(short_hub: LocalHub) -> None:
    async def scenario() -> tuple[aiohttp.WSMessage, float, list[dict[str, Any]]]:
        async with open_ws(short_hub) as ws:
            cid = await connection_id(ws)
            quiet_since = time.monotonic()
            closing = await ws.receive(timeout=5)
            waited = time.monotonic() - quiet_since
        return closing, waited, await wait_for_events(short_hub, cid, lambda e: "$disconnect" in routes(e))

    closing, waited, found = run_async(scenario())
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert closing.data == 1001
    assert 0.8 <= waited <= 2.5
    disconnect = found[-1]["requestContext"]
    assert (disconnect["disconnectStatusCode"], disconnect["disconnectReason"]) == (1001, "Going away")


def test_activity_keeps_a_connection_open_until_its_maximum_lifetime(short_hub: LocalHub) -> None:
    client = short_hub.management_client()

    async def scenario() -> tuple[float, int, int]:
        started = time.monotonic()
        async with open_ws(short_hub) as ws:
            cid = await connection_id(ws)
            exchanges = 0
            while True:
                # Client messages and server posts both count as activity.
                try:
                    if exchanges % 2:
                        await asyncio.to_thread(client.post_to_connection, ConnectionId=cid, Data=b'{"tick": 1}')
                    else:
                        await ws.send_str(json.dumps({"action": "echo"}))
                except (ConnectionError, client.exceptions.GoneException):
                    pass  # closed in between: the close frame is waiting
                msg = await ws.receive(timeout=5)
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    break
                exchanges += 1
                await asyncio.sleep(0.4)
            return time.monotonic() - started, int(msg.data), exchanges

    lifetime, code, exchanges = run_async(scenario())
    assert code == 1001
    assert 2.7 <= lifetime <= 4.5, lifetime
    assert exchanges >= 5


def test_new_connections_are_rate_limited(short_hub: LocalHub) -> None:
    async def attempt(session: aiohttp.ClientSession) -> int:
        try:
            ws = await session.ws_connect(short_hub.ws_url)
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status
        await ws.close()
        return 101

    async def scenario() -> list[int]:
        await asyncio.sleep(1.1)  # an empty one-second window
        async with aiohttp.ClientSession() as session:
            results = list(await asyncio.gather(*(attempt(session) for _ in range(8))))
        await asyncio.sleep(1.1)  # leave the window empty for other tests
        return results

    results = run_async(scenario())
    assert results.count(101) == 5
    assert results.count(429) == 3


def test_a_connection_past_the_lifetime_is_gone_for_the_management_api(short_hub: LocalHub) -> None:
    client = short_hub.management_client()

    async def scenario() -> str:
        async with open_ws(short_hub) as ws:
            cid = (await echo(ws))["requestContext"]["connectionId"]
            msg = await ws.receive(timeout=5)
            assert msg.type is aiohttp.WSMsgType.CLOSE
        return str(cid)

    cid = run_async(scenario())
    try:
        client.get_connection(ConnectionId=cid)
    except client.exceptions.GoneException:
        return
    raise AssertionError("an idle-closed connection must answer 410")
