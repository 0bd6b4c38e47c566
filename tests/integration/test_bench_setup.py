"""The benches set up as many connections as they print figures for: the call-count bench's
customers must get past the hub's widget-session limit the way real visitors do (one address
each), and the latency bench must hold every socket of its highest rate open at once."""

from __future__ import annotations

import threading
import time
from typing import Any

import aiohttp
import boto3
import botocore.client
import pytest
from aiohttp import web
from moto import mock_aws

from bench import ddb_calls, fanout, latency
from chalicelib.platform.limits import LimitSettings
from tests.local.wsclient import run_async


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

    assert run_async(exercise()) == wanted  # on a thread: another test's Playwright may hold a loop here


def test_the_call_count_bench_measures_a_chat_its_agent_owns_when_every_agent_is_full() -> None:
    """With 1,000 connections every agent is at capacity and new chats queue. The chat the bench
    measures must still be owned by the agent in it; else each customer line after an agent's
    reply goes to every agent's lobby, and the "owned chat" rows count that instead."""
    with ddb_calls.aws_environment(), mock_aws():
        hub = ddb_calls.Hub.create()
        hub.clock.set(time.time() - 60)  # stepped below, and never past now: sessions' `iat` is checked
        hub.connect_agent("agent00")
        for _ in range(6):  # 3 chats an agent (the tenant's capacity): 3 to agent00, 3 queue
            hub.clock.advance(1)
            hub.open(hub.connect_customer())
        # The measured chat queues behind those; its agent, coming online, is given the 3 older ones.
        hub.clock.advance(1)
        customer, agent, conversation = ddb_calls.owned_chat(hub)

        hub.sender.reset()
        hub.act(customer, action="send", conversation_id=conversation, client_id="q", text="question")
        assert dict(hub.sender.kinds) == {"ack": 1, "message": 1}  # to the owner only: no lobby update
        hub.sender.reset()
        hub.act(agent, action="send", conversation_id=conversation, client_id="a", text="answer")
        assert dict(hub.sender.kinds) == {"ack": 1, "message": 1}  # to the customer only


def test_the_fanout_bench_takes_out_dynamodb_calls_in_flight_together_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ms -moto` is the handler's time without the time DynamoDB calls were in flight. Four
    calls of 0.2 s in flight together are 0.2 s of it, not 0.8: summed per call, a queue move's
    concurrent reads took out more than the handler waited (119 ms left of 1,651)."""

    def slow_call(client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        time.sleep(0.2)
        return {}

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", slow_call)
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    clock = fanout.DynamoClock()
    with clock.installed():
        together = [threading.Thread(target=client.query, kwargs={"TableName": "t"}) for _ in range(4)]
        for thread in together:
            thread.start()
        for thread in together:
            thread.join()
        client.query(TableName="t")  # one more, alone
    assert 0.4 <= clock.take() < 0.7
