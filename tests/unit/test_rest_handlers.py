"""The REST handlers on in-memory stores through Chalice's test client: typed bodies in, typed
views out, every domain error mapped in one place."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.conftest import WIDGET_KEY, Unit


def call(
    http: Any, method: str, path: str, token: str | None = None, body: Any = None, raw: str | bytes | None = None
) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    return getattr(http, method)(path, headers=headers, body=data)


def test_widget_session_and_a_ticket_round_trip(unit: Unit, http: Any) -> None:
    session = call(http, "post", "/widget/session", body={"widget_key": WIDGET_KEY, "name": "Kim"}).json_body
    assert session["tenant"] == "global" and session["customer_id"].startswith("cu_")
    ana = unit.agent_token("ana")
    unit.connect_agent("bo")  # an agent of the tenant the hub has seen
    owner = {"id": "sub-bo", "name": "whatever the client says"}
    created = call(http, "post", "/tickets", ana, {"subject": "Broken zipper", "owner": owner})
    assert created.status_code == 200
    ticket = created.json_body["ticket"]
    assert ticket["owner"] == {"id": "sub-bo", "name": "Bo"} and ticket["status"] == "open"  # the name it knows
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


def test_a_ticket_owner_must_be_an_agent_of_the_same_tenant(unit: Unit, http: Any) -> None:
    unit.connect_agent("zed", tenant="acme")  # an agent, but of another tenant
    ana = unit.agent_token("ana")
    for owner in ({"id": "sub-zed", "name": "Zed"}, {"id": "anyone-at-all", "name": "X"}):
        res = call(http, "post", "/tickets", ana, {"subject": "s", "owner": owner})
        assert (res.status_code, res.json_body["code"]) == (400, "invalid_action"), res.json_body
    assert unit.store.tickets == {}
    unit.connect_agent("bo")
    ticket = call(http, "post", "/tickets", ana, {"subject": "s"}).json_body["ticket"]
    res = call(http, "patch", f"/tickets/{ticket['id']}", ana, {"owner": {"id": "sub-zed"}})
    assert (res.status_code, res.json_body["code"]) == (400, "invalid_action")
    assert unit.store.tickets[("global", ticket["id"])].owner_id == "sub-ana"


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/callbacks", {"phone": "+46701234567", "reason": "r" * 501}, 400, "invalid_action"),
        ("/callbacks", {"phone": "+46701234567", "customer_name": "n" * 81}, 400, "invalid_action"),
        ("/callbacks", {"phone": "1" * 33}, 400, "invalid_action"),
        ("/callbacks", {"phone": "+46701234567", "region": "Sweden"}, 400, "invalid_action"),
        ("/tickets", {"subject": "s", "owner": {"id": "sub-ana", "name": "n" * 81}}, 400, "invalid_action"),
        ("/tickets", {"subject": "s" * 300_000}, 413, "payload_too_large"),
        ("/widget/session", {"widget_key": WIDGET_KEY, "name": "Kim \ud800"}, 400, "invalid_action"),
        ("/widget/session", {"widget_key": WIDGET_KEY, "name": "n" * 81}, 400, "invalid_action"),
    ],
)
def test_every_rest_text_field_has_a_maximum_and_bad_text_stores_nothing(
    unit: Unit, http: Any, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    raw = json.dumps(body)  # ensure_ascii: the lone surrogate goes out as the escape `\\ud800`
    res = call(http, "post", path, unit.agent_token("ana"), raw=raw)
    assert (res.status_code, res.json_body["code"]) == (status, code), res.json_body
    assert unit.store.tickets == {} and unit.store.callbacks == {}


def test_a_rest_body_of_bytes_that_are_no_utf8_is_refused_not_an_internal_error(unit: Unit, http: Any) -> None:
    """Chalice hands the route the body's bytes (base64-decoded for a binary content type): bytes
    that are no UTF-8 get a 400 that says so, and nothing is stored."""
    res = call(http, "post", "/tickets", unit.agent_token("ana"), raw=b'{"subject": "Refund \xff"}')
    assert res.status_code == 400, res.body
    assert res.json_body == {
        "code": "invalid_action",
        "message": "request body: text must be valid Unicode; byte 0xff at 20 is not UTF-8",
    }
    assert unit.store.tickets == {}


def test_going_live_is_refused_with_the_blockers(unit: Unit, http: Any) -> None:
    res = call(http, "post", "/hub/mode", unit.agent_token("ana"), {"mode": "live"})
    assert res.status_code == 409 and res.json_body["code"] == "launch_blocked"
    assert [b["code"] for b in res.json_body["blockers"]] == ["no_agent_available"]
    assert unit.store.tenants["global"].mode == "ready"
    assert call(http, "get", "/hub", unit.agent_token("zed", "nowhere")).json_body["code"] == "not_found"
