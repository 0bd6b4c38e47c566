"""The benches set up as many connections as they print figures for: the call-count bench's
customers must get past the hub's widget-session limit the way real visitors do (one address
each), and the latency bench must hold every socket of its highest rate open at once."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web
from moto import mock_aws

from bench import ddb_calls, latency
from chalicelib.platform.limits import LimitSettings


def test_the_call_count_bench_opens_more_customer_sessions_than_one_address_may() -> None:
    with ddb_calls.aws_environment(), mock_aws():
        hub = ddb_calls.Hub.create()
        wanted = LimitSettings().sessions_per_minute + 5  # the clock stands still: one window
        connections = [hub.connect_customer() for _ in range(wanted)]
        assert len(set(connections)) == wanted
        # Each is a bound customer connection the lane answers: a conversation opens for the last.
        assert hub.open(connections[-1])


def test_the_latency_bench_holds_more_than_100_sockets_open_at_once() -> None:
    """At 75 msg/s and up the bench holds over 100 WebSockets open (one per conversation, plus
    the agents). Through aiohttp's default session the 101st waited for a free connection
    until its timeout, and the run died in setup before measuring anything."""
    wanted = 130

    async def exercise() -> int:
        async def echo(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            async for message in ws:
                await ws.send_str(message.data)
            return ws

        app = web.Application()
        app.router.add_get("/", echo)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with latency.client_session(aiohttp.ClientTimeout(total=10)) as http:
                sockets = [await http.ws_connect(f"http://127.0.0.1:{port}/") for _ in range(wanted)]
                for i, ws in enumerate(sockets):  # every one is open and answers, the first as the last
                    await ws.send_str(f"ping {i}")
                answered = [(await ws.receive_str(timeout=5)) == f"ping {i}" for i, ws in enumerate(sockets)]
                for ws in sockets:
                    await ws.close()
                return sum(answered)
        finally:
            await runner.cleanup()

    assert asyncio.run(exercise()) == wanted
