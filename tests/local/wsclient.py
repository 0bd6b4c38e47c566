"""Async helpers for talking to a local hub over real WebSockets (aiohttp's client)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aiohttp

from local.testing import LocalHub

CONNECTION_ID = re.compile(r"^[A-Za-z0-9_-]{15}=$")
T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on a thread of its own: other fixtures (Playwright's sync API) may
    already run an event loop on the main thread."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-loop") as pool:
        return pool.submit(asyncio.run, coro).result()


@asynccontextmanager
async def open_ws(
    hub: LocalHub,
    query: str = "",
    headers: dict[str, str] | None = None,
    protocols: tuple[str, ...] = (),
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(hub.ws_url + query, headers=headers, protocols=protocols, autoclose=False) as ws,
    ):
        yield ws


async def recv_json(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout)
    assert msg.type is aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg.type} {msg.data!r}"
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def echo(ws: aiohttp.ClientWebSocketResponse, **extra: Any) -> dict[str, Any]:
    """Sends `{"action": "echo"}`; the MESSAGE event the handler received."""
    await ws.send_str(json.dumps({"action": "echo", **extra}))
    reply = await recv_json(ws)
    event: dict[str, Any] = reply["echo"]
    return event


async def connection_id(ws: aiohttp.ClientWebSocketResponse) -> str:
    return str((await echo(ws))["requestContext"]["connectionId"])


async def get_json(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        text = await response.text()
        return response.status, (json.loads(text) if text else None)


async def events(hub: LocalHub, conn_id: str) -> list[dict[str, Any]]:
    status, body = await get_json(f"{hub.api_url}/events/{conn_id}")
    assert status == 200, body
    result: list[dict[str, Any]] = body["events"]
    return result


async def wait_for_events(
    hub: LocalHub,
    conn_id: str,
    until: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 10.0,
) -> list[dict[str, Any]]:
    """Polls the events the fake app recorded for a connection until `until` holds."""
    deadline = time.monotonic() + timeout
    while True:
        found = await events(hub, conn_id)
        if until(found) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


def routes(found: list[dict[str, Any]]) -> list[str]:
    return [e["requestContext"]["routeKey"] for e in found]
