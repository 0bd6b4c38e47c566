"""REST under /api, /config.json, the static frontend and the schedule endpoints."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.error
from typing import Any

import aiohttp
import pytest

from local.testing import ROOT, LocalHub
from tests.local.wsclient import get_json, run_async


def _fetch(hub: LocalHub, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    return hub.request(method, hub.base_url + path, body, headers)


def _status(hub: LocalHub, method: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    try:
        return 200, _fetch(hub, method, path, headers=headers)
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


def test_rest_routes_are_served_under_api(fake_hub: LocalHub) -> None:
    result = _fetch(fake_hub, "POST", "/api/echo?x=1&y=two", {"hello": "rest"}, {"X-Test": "header"})
    assert len(result.pop("request_id")) == 36
    assert result == {
        "method": "POST",
        "path": "/echo",
        "query": {"x": "1", "y": "two"},
        "body": {"hello": "rest"},
        "header": "header",
        "stage": "dev",  # HUB_STAGE of the deployed (dev) configuration
        "rest_stage": "api",
        "source_ip": "127.0.0.1",
    }


def test_rest_events_carry_the_callers_address_as_api_gateway_does(fake_hub: LocalHub) -> None:
    # Per-address limits (widget sessions) read `identity.sourceIp`; chalice's local converter
    # alone says 127.0.0.1 for everyone.
    url = fake_hub.api_url + "/echo"
    seen = {fake_hub.request("POST", url, {}, source=f"127.0.3.{n}")["source_ip"] for n in (1, 2)}
    assert seen == {"127.0.3.1", "127.0.3.2"}


def test_unknown_routes_answer_like_api_gateway(fake_hub: LocalHub) -> None:
    status, body = _status(fake_hub, "GET", "/api/nope")
    assert (status, body) == (403, {"message": "Missing Authentication Token"})


def test_custom_authorizer_runs(fake_hub: LocalHub) -> None:
    assert _status(fake_hub, "GET", "/api/secure")[0] == 401
    assert _status(fake_hub, "GET", "/api/secure", {"Authorization": "wrong"})[0] == 403
    status, body = _status(fake_hub, "GET", "/api/secure", {"Authorization": "letmein"})
    assert status == 200
    assert body["authorizer"]["who"] == "tester"
    assert body["authorizer"]["principalId"] == "tester"


def test_rest_requests_run_concurrently_with_their_own_request(fake_hub: LocalHub) -> None:
    async def scenario() -> tuple[list[Any], float]:
        started = time.monotonic()
        async with aiohttp.ClientSession() as session:

            async def one(tag: str) -> Any:
                async with session.get(f"{fake_hub.api_url}/slow?seconds=1&tag={tag}") as response:
                    return await response.json()

            results = await asyncio.gather(*(one(tag) for tag in ("a", "b", "c")))
        return list(results), time.monotonic() - started

    results, elapsed = run_async(scenario())
    assert results == [{"tag": t, "tag_after_sleep": t} for t in ("a", "b", "c")]
    assert elapsed < 2.5


def test_config_json_points_the_frontend_at_this_stack(fake_hub: LocalHub) -> None:
    config = _fetch(fake_hub, "GET", "/config.json")
    assert config["apiUrl"] == fake_hub.api_url
    assert config["wsUrl"] == fake_hub.ws_url
    assert config["cognito"] == {
        "endpoint": fake_hub.moto_url,
        "region": "us-east-1",
        "userPoolId": fake_hub.user_pool_id,
        "clientId": fake_hub.client_id,
    }


def test_cognito_tokens_come_from_moto(fake_hub: LocalHub) -> None:
    import jwt

    claims = jwt.decode(fake_hub.agent_token(), options={"verify_signature": False})
    assert claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{fake_hub.user_pool_id}"
    assert claims["aud"] == fake_hub.client_id
    assert claims["token_use"] == "id"
    assert claims["custom:tenant"] == "global"
    assert claims["name"] == "Demo Agent"
    other = jwt.decode(fake_hub.agent_token(fake_hub.agent2_username), options={"verify_signature": False})
    assert other["sub"] != claims["sub"]
    status, jwks = run_async(get_json(f"{fake_hub.moto_url}/{fake_hub.user_pool_id}/.well-known/jwks.json"))
    assert status == 200
    assert jwks["keys"][0]["kid"] == jwt.get_unverified_header(fake_hub.agent_token())["kid"]


def test_static_frontend_is_served(fake_hub: LocalHub) -> None:
    async def scenario() -> list[tuple[int, str, str]]:
        out = []
        async with aiohttp.ClientSession() as session:
            for path in ("/", "/agent.html", "/widget.js", "/missing.js", "/%2e%2e/%2e%2e/pyproject.toml"):
                async with session.get(fake_hub.base_url + path) as response:
                    out.append((response.status, response.headers.get("Content-Type", ""), await response.text()))
        return out

    index, agent, widget, missing, traversal = run_async(scenario())
    assert index[0] == 200 and "widget demo" in index[2] and index[1].startswith("text/html")
    assert agent[0] == 200 and "agent" in agent[2]
    assert widget[0] == 200 and "javascript" in widget[1]
    assert missing[0] == 404
    assert traversal[0] == 404


def test_missing_frontend_build_says_how_to_build_it(short_hub: LocalHub) -> None:
    status, _ = run_async(get_json(short_hub.base_url + "/config.json"))
    assert status == 200

    async def page() -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(short_hub.base_url + "/") as response:
            return response.status, await response.text()

    status_code, text = run_async(page())
    assert status_code == 404
    assert "npm run build" in text


def test_schedules_are_listed(fake_hub: LocalHub) -> None:
    listing = _fetch(fake_hub, "GET", "/_local/schedules")
    by_name = {s["name"]: s for s in listing["schedules"]}
    assert set(by_name) == {"hourly", "broadcast", "broken"}
    assert by_name["hourly"]["expression"] == "rate(1 hour)"
    assert by_name["hourly"]["functionName"] == "fake-hub-dev-hourly"
    assert by_name["broken"]["expression"] == "rate(1 minute)"
    assert listing["automatic"] is False


def test_run_schedule_now_with_an_eventbridge_event(fake_hub: LocalHub) -> None:
    first = fake_hub.run_schedule("hourly")
    second = fake_hub.run_schedule("hourly")
    assert first["ok"] is True and second["ok"] is True
    assert second["result"]["runs"] == first["result"]["runs"] + 1
    event = first["result"]["event"]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/fake-hub-dev-hourly"]
    assert event["detail"] == {}
    assert event["time"].endswith("Z")


def test_a_failing_schedule_reports_its_error(fake_hub: LocalHub) -> None:
    report = fake_hub.run_schedule("broken")
    assert report["ok"] is False
    assert "ValueError: scheduled job failed on purpose" in report["error"]
    with pytest.raises(urllib.error.HTTPError) as missing:
        fake_hub.run_schedule("no-such-schedule")
    assert missing.value.code == 404


def test_run_schedule_cli(fake_hub: LocalHub) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "local.run_schedule", "hourly", "--base-url", fake_hub.base_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "hourly"
    failed = subprocess.run(
        [sys.executable, "-m", "local.run_schedule", "broken", "--base-url", fake_hub.base_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failed.returncode == 1
