"""Work-lane REST routes through Chalice's test client: same identity and tenant checks as the
WebSocket, domain errors as {code, message}."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from tests.integration.conftest import WIDGET_KEY, Work


@pytest.fixture
def http(work: Work, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(wiring, "hub", lambda: work.hub.built)
    from app import app

    with Client(app) as c:
        yield c.http


def call(http: Any, method: str, path: str, token: str | None = None, body: dict[str, Any] | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    return getattr(http, method)(path, headers=headers, body=json.dumps(body) if body is not None else None)


def test_callback_from_widget_to_completion_over_rest(work: Work, http: Any) -> None:
    session = call(http, "post", "/widget/session", body={"widget_key": WIDGET_KEY, "name": "Kim"}).json_body
    res = call(
        http,
        "post",
        "/widget/callbacks",
        session["token"],
        {"phone": "0701234567", "region": "SE", "window": "afternoon"},
    )
    assert res.status_code == 200, res.json_body
    cb = res.json_body["callback"]
    assert cb["phone"] == "+46701234567" and cb["status"] == "queued" and cb["window"] == "afternoon"

    ana = work.hub.agent_token("ana")
    bo = work.hub.agent_token("bo")
    queue = call(http, "get", "/callbacks", ana).json_body["callbacks"]
    assert [c["id"] for c in queue] == [cb["id"]]
    claimed = call(http, "post", f"/callbacks/{cb['id']}/claim", ana)
    assert claimed.json_body.get("callback", {}).get("status") == "claimed", claimed.json_body
    lost = call(http, "post", f"/callbacks/{cb['id']}/claim", bo)
    assert lost.status_code == 409 and lost.json_body["code"] == "conflict"
    done = call(http, "post", f"/callbacks/{cb['id']}/complete", ana, {"note": "Booked a repair"})
    assert done.json_body["callback"]["status"] == "completed"
    detail = call(http, "get", f"/callbacks/{cb['id']}", ana).json_body
    assert [h["action"] for h in detail["history"]] == ["requested", "claimed", "completed"]
    assert call(http, "post", f"/callbacks/{cb['id']}/teleport", ana).status_code == 400


def test_widget_callback_needs_a_valid_session_and_phone(http: Any) -> None:
    assert call(http, "post", "/widget/callbacks", "forged", {"phone": "+46701234567"}).status_code == 401
    session = call(http, "post", "/widget/session", body={"widget_key": WIDGET_KEY}).json_body
    bad = call(http, "post", "/widget/callbacks", session["token"], {"phone": "not a phone"})
    assert bad.status_code == 400 and bad.json_body["code"] == "invalid_action"


def test_tickets_over_rest_stay_in_their_tenant(work: Work, http: Any) -> None:
    ana = work.hub.agent_token("ana")
    created = call(http, "post", "/tickets", ana, {"subject": "Broken zipper"}).json_body["ticket"]
    changed = call(
        http, "patch", f"/tickets/{created['id']}", ana, {"status": "waiting_internal", "waiting_on": "Warehouse"}
    )
    assert changed.json_body["ticket"]["status"] == "waiting_internal"
    assert [t["id"] for t in call(http, "get", "/tickets", ana).json_body["tickets"]] == [created["id"]]
    other = work.hub.agent_token("zed", "acme")
    assert call(http, "get", "/tickets", other).json_body["tickets"] == []
    missing = call(http, "get", f"/tickets/{created['id']}", other)
    assert missing.status_code == 404 and missing.json_body["code"] == "not_found"
    assert call(http, "get", "/tickets").status_code == 401


def test_hub_overview_and_go_live(work: Work, http: Any) -> None:
    ana_conn, _ = work.agent("ana")
    work.hub.act(ana_conn, action="presence", status="away")
    token = work.hub.agent_token("ana")
    snap = call(http, "get", "/hub", token).json_body
    assert snap["mode"]["mode"] == "ready" and snap["launch"]["ready"] is False
    assert set(snap["counters"]) == {
        "open_tickets",
        "waiting_internal",
        "callback_queued",
        "callback_overdue",
        "active_chats",
        "agents_available",
    }
    refused = call(http, "post", "/hub/mode", token, {"mode": "live"})
    assert refused.status_code == 409 and refused.json_body["blockers"][0]["code"] == "no_agent_available"
    work.hub.act(ana_conn, action="presence", status="available")
    assert call(http, "post", "/hub/mode", token, {"mode": "live"}).json_body["mode"]["mode"] == "live"
    assert call(http, "get", "/hub/mode", token).json_body["history"][0]["change"] == "ready → live"
