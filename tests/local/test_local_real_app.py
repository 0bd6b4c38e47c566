"""Smoke test of the `local_hub` fixture with the hub's real app (app.py): the contract
between the local stack and the app holds end to end."""

from __future__ import annotations

import asyncio
import json
import urllib.error
from typing import Any

import aiohttp
import pytest

from local.testing import LocalHub
from tests.local.test_local_functions import stage_environment
from tests.local.wsclient import recv_json, run_async

pytestmark = pytest.mark.e2e


async def _answer(ws: aiohttp.ClientWebSocketResponse, request_id: str) -> dict[str, Any]:
    """The frame answering `request_id`; the shared hub may push other events (presence) first."""
    while True:
        event = await recv_json(ws, timeout=10)
        if event.get("request_id") == request_id:
            return event


def test_local_hub_serves_the_real_app(local_hub: LocalHub) -> None:
    session = local_hub.widget_session("Kim")
    token = local_hub.agent_token()
    me = local_hub.request("GET", local_hub.api_url + "/me", headers={"Authorization": token})
    assert me["tenant"] == "global"

    async def scenario() -> tuple[int, dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            try:
                async with http.ws_connect(local_hub.ws_url + "?token=not-a-token"):
                    refused = 101
            except aiohttp.WSServerHandshakeError as exc:
                refused = exc.status
            async with http.ws_connect(f"{local_hub.ws_url}?session={session['token']}") as customer:
                await customer.send_str(json.dumps({"action": "start", "request_id": "smoke"}))
                started = await _answer(customer, "smoke")
            async with http.ws_connect(f"{local_hub.ws_url}?token={token}") as agent:
                await agent.send_str(json.dumps({"action": "heartbeat", "request_id": "hb"}))
                ack = await _answer(agent, "hb")
        return refused, started, ack

    refused, started, ack = run_async(scenario())
    assert refused == 401
    assert started["type"] == "conversation"
    assert started["request_id"] == "smoke"
    assert ack["type"] == "ack"
    schedules = local_hub.request("GET", local_hub.base_url + "/_local/schedules")["schedules"]
    for schedule in schedules:
        report = local_hub.run_schedule(schedule["name"])
        assert report["ok"], report


def test_rest_errors_of_the_real_app_pass_through(local_hub: LocalHub) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        local_hub.request("GET", local_hub.api_url + "/me", headers={"Authorization": "garbage"})
    assert refused.value.code in (401, 403)


def test_rest_and_scheduled_pushes_reach_an_agent_through_the_configured_endpoint(local_hub: LocalHub) -> None:
    """The REST and the scheduled functions never see a WebSocket event: the only way their
    pushes reach a socket is the `WS_MANAGEMENT_ENDPOINT` the stack gave them."""
    token = local_hub.agent_token()
    auth = {"Authorization": token}
    mode_url = local_hub.api_url + "/hub/mode"
    counters_table = stage_environment("api_handler")["COUNTERS_TABLE"]

    async def next_event(ws: aiohttp.ClientWebSocketResponse, type_: str) -> dict[str, Any]:
        while True:
            event = await recv_json(ws, timeout=10)
            if event.get("type") == type_:
                return event

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as http, http.ws_connect(f"{local_hub.ws_url}?token={token}") as agent:
            await agent.send_str(json.dumps({"action": "heartbeat", "request_id": "push-hb"}))
            await _answer(agent, "push-hb")
            # REST-triggered: POST /hub/mode runs in the REST API's function.
            await asyncio.to_thread(
                local_hub.request, "POST", local_hub.api_url + "/hub/mode", {"mode": "recovery"}, auth
            )
            by_rest = await next_event(agent, "mode")
            await asyncio.to_thread(local_hub.request, "POST", mode_url, {"mode": "ready"}, auth)
            await next_event(agent, "mode")
            # Schedule-triggered: counters that drifted are repaired and pushed by the schedule.
            await asyncio.to_thread(
                local_hub.aws_client("dynamodb").update_item,
                TableName=counters_table,
                Key={"tenant": {"S": "global"}},
                UpdateExpression="SET open_tickets = :wrong",
                ExpressionAttributeValues={":wrong": {"N": "9999"}},
            )
            report = await asyncio.to_thread(local_hub.run_schedule, "recompute_counters")
            # The wrong value itself is a change the counters stream may push first (its poller
            # can read it before the repair lands); the repair must follow.
            by_schedule = await next_event(agent, "counters")
            while by_schedule["counters"]["open_tickets"] == 9999:
                by_schedule = await next_event(agent, "counters")
        return by_rest, report, by_schedule

    by_rest, report, by_schedule = run_async(scenario())
    assert (by_rest["mode"], by_rest["by"]) == ("recovery", "Demo Agent")
    assert report["ok"] and report["result"]["drift"] > 0
    assert by_schedule["counters"]["open_tickets"] < 9999
