"""Smoke test of the `local_hub` fixture with the hub's real app (app.py): the contract
between the local stack and the app holds end to end."""

from __future__ import annotations

import json
import urllib.error
from typing import Any

import aiohttp
import pytest

from local.testing import LocalHub
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
