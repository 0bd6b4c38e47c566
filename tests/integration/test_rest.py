"""REST routes through Chalice's own test client: auth, tenant scoping, error mapping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from tests.integration.conftest import WIDGET_KEY, Harness


@pytest.fixture
def client(hub: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(wiring, "hub", lambda: hub.built)
    from app import app

    with Client(app) as c:
        yield c.http


def post_json(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, headers={"Content-Type": "application/json"}, body=json.dumps(body))


def test_widget_session_issues_a_token_that_connects(hub: Harness, client: Any) -> None:
    res = post_json(client, "/widget/session", {"widget_key": WIDGET_KEY, "name": "Kim"})
    assert res.status_code == 200
    body = res.json_body
    assert body["tenant"] == "global" and body["customer_id"].startswith("cu_")
    who = hub.lane.identify_and_bind("w1=", {"session": body["token"]})
    assert who.user_id == body["customer_id"] and who.name == "Kim"


def test_unknown_widget_key_is_refused_with_a_code(client: Any) -> None:
    for key in ("wk_global_wrong", "wk_nosuchtenant_x", "garbage"):
        res = post_json(client, "/widget/session", {"widget_key": key})
        assert res.status_code == 403 and res.json_body["code"] == "unknown_widget_key"
    res = post_json(client, "/widget/session", {})
    assert res.status_code == 400 and res.json_body["code"] == "invalid_action"


def test_conversations_need_a_verified_agent_and_stay_in_its_tenant(hub: Harness, client: Any) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="Where is my order?")
    assert client.get("/conversations").status_code == 401
    assert client.get("/conversations", headers={"Authorization": "forged"}).status_code == 401

    ours = client.get("/conversations", headers={"Authorization": hub.agent_token("ana")})
    assert ours.status_code == 200
    [item] = ours.json_body["conversations"]
    assert item["id"] == conv and item["preview"]["text"] == "Where is my order?"

    theirs = client.get("/conversations", headers={"Authorization": hub.agent_token("zed", "acme")})
    assert theirs.status_code == 200 and theirs.json_body["conversations"] == []


def test_me_reports_presence_and_availability_follows_it(hub: Harness, client: Any) -> None:
    token = hub.agent_token("ana")
    res = client.get("/me", headers={"Authorization": token})
    assert res.json_body["presence"] == {"status": "offline", "reachable": False, "version": 0}
    avail = client.get(f"/widget/availability?widget_key={WIDGET_KEY}").json_body
    assert avail == {
        "agents_available": False,
        "offer": "callback",
        "mode": "ready",
        "default_region": None,
        "open": True,
        "next_open_at": None,
        "hours": None,
    }
    ana = hub.connect_agent("ana")
    hub.act(ana, action="presence", status="available")
    assert client.get("/me", headers={"Authorization": token}).json_body["presence"] == {
        "status": "available",
        "reachable": True,
        "version": 2,  # the sign-in's write, then the change's
    }
    offered = client.get(f"/widget/availability?widget_key={WIDGET_KEY}").json_body
    assert (offered["agents_available"], offered["offer"]) == (True, "chat")
    hub.clock.advance(hub.lane.settings.presence_window + 1)  # heartbeats stopped: not available any more
    offered = client.get(f"/widget/availability?widget_key={WIDGET_KEY}").json_body
    assert (offered["agents_available"], offered["offer"]) == (False, "callback")


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"'])
def test_a_body_that_is_not_a_json_object_is_bad_json(client: Any, raw: str) -> None:
    res = client.post("/widget/session", headers={"Content-Type": "application/json"}, body=raw)
    assert res.status_code == 400 and res.json_body["code"] == "bad_json"
