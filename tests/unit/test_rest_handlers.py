"""The REST handlers on in-memory stores through Chalice's test client: typed bodies in, typed
views out, every domain error mapped in one place."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from tests.unit.conftest import WIDGET_KEY, Unit


@pytest.fixture
def http(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(wiring, "hub", lambda: unit.hub)
    from app import app

    with Client(app) as c:
        yield c.http


def call(http: Any, method: str, path: str, token: str | None = None, body: Any = None, raw: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    return getattr(http, method)(path, headers=headers, body=data)


def test_widget_session_and_a_ticket_round_trip(unit: Unit, http: Any) -> None:
    session = call(http, "post", "/widget/session", body={"widget_key": WIDGET_KEY, "name": "Kim"}).json_body
    assert session["tenant"] == "global" and session["customer_id"].startswith("cu_")
    ana = unit.agent_token("ana")
    created = call(http, "post", "/tickets", ana, {"subject": "Broken zipper", "owner": {"id": "b", "name": "Bo"}})
    assert created.status_code == 200
    ticket = created.json_body["ticket"]
    assert ticket["owner"] == {"id": "b", "name": "Bo"} and ticket["status"] == "open"
    assert unit.store.tickets[("global", ticket["id"])].subject == "Broken zipper"
    listed = call(http, "get", "/tickets", ana).json_body
    assert [t["id"] for t in listed["tickets"]] == [ticket["id"]]


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("{not json", 400, "bad_json"),
        ("[1]", 400, "bad_json"),
        ('{"subject": "s", "sneaky": true}', 400, "invalid_action"),
        ('{"subject": "   "}', 400, "invalid_action"),
        ('{"subject": "s", "conversation_id": "c_missing"}', 404, "not_found"),
    ],
)
def test_bad_bodies_get_their_code_and_nothing_is_stored(
    unit: Unit, http: Any, raw: str, status: int, code: str
) -> None:
    res = call(http, "post", "/tickets", unit.agent_token("ana"), raw=raw)
    assert (res.status_code, res.json_body["code"]) == (status, code) and res.json_body["message"]
    assert unit.store.tickets == {}


def test_going_live_is_refused_with_the_blockers(unit: Unit, http: Any) -> None:
    res = call(http, "post", "/hub/mode", unit.agent_token("ana"), {"mode": "live"})
    assert res.status_code == 409 and res.json_body["code"] == "launch_blocked"
    assert [b["code"] for b in res.json_body["blockers"]] == ["no_agent_available"]
    assert unit.store.tenants["global"].mode == "ready"
    assert call(http, "get", "/hub", unit.agent_token("zed", "nowhere")).json_body["code"] == "not_found"
