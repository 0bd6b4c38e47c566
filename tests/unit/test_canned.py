"""Canned replies over REST on in-memory stores: CRUD per tenant, unique shortcuts, known
placeholders only, and nothing half-written when a request is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from tests.unit.conftest import Unit
from tests.unit.test_rest_handlers import call


@pytest.fixture
def http(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(wiring, "hub", lambda: unit.hub)
    from app import app

    with Client(app) as c:
        yield c.http


GREETING = {"title": "Greeting", "shortcut": "/Hello", "text": "Hi {customer.name}, {agent.name} here."}


def test_create_list_change_and_delete(unit: Unit, http: Any) -> None:
    ana = unit.agent_token("ana")
    created = call(http, "post", "/canned", ana, GREETING)
    assert created.status_code == 200, created.json_body
    reply = created.json_body["reply"]
    assert (reply["shortcut"], reply["title"], reply["updated_by"]) == ("hello", "Greeting", "Ana")
    assert reply["text"] == "Hi {customer.name}, {agent.name} here."
    assert unit.store.canned[("global", reply["id"])].shortcut == "hello"

    call(http, "post", "/canned", ana, {"title": "Bye", "shortcut": "bye", "text": "Bye!"})
    listed = call(http, "get", "/canned", ana).json_body["replies"]
    assert [r["shortcut"] for r in listed] == ["bye", "hello"]

    changed = call(http, "patch", f"/canned/{reply['id']}", ana, {"shortcut": "hi", "text": "Hey {customer.name}!"})
    assert changed.status_code == 200, changed.json_body
    assert (changed.json_body["reply"]["shortcut"], changed.json_body["reply"]["title"]) == ("hi", "Greeting")
    # The old shortcut is free again, the new one is taken.
    assert ("global", "hello") not in unit.store.shortcuts and unit.store.shortcuts[("global", "hi")] == reply["id"]

    gone = call(http, "delete", f"/canned/{reply['id']}", ana)
    assert gone.json_body == {"deleted": reply["id"]}
    assert [r["shortcut"] for r in call(http, "get", "/canned", ana).json_body["replies"]] == ["bye"]
    assert ("global", "hi") not in unit.store.shortcuts
    assert call(http, "delete", f"/canned/{reply['id']}", ana).status_code == 404


def test_a_shortcut_is_unique_per_tenant(unit: Unit, http: Any) -> None:
    ana = unit.agent_token("ana")
    first = call(http, "post", "/canned", ana, GREETING).json_body["reply"]
    again = call(http, "post", "/canned", ana, {**GREETING, "shortcut": "hello", "title": "Other"})
    assert (again.status_code, again.json_body["code"]) == (409, "conflict")
    other = call(http, "post", "/canned", ana, {"title": "Other", "shortcut": "other", "text": "x"}).json_body["reply"]
    renamed = call(http, "patch", f"/canned/{other['id']}", ana, {"shortcut": "hello"})
    assert (renamed.status_code, renamed.json_body["code"]) == (409, "conflict")
    assert unit.store.canned[("global", other["id"])].shortcut == "other"  # nothing half-written
    assert unit.store.shortcuts[("global", "hello")] == first["id"]
    # Another tenant has its own shortcuts.
    acme = call(http, "post", "/canned", unit.agent_token("zed", "acme"), GREETING)
    assert acme.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GREETING, "text": "Hi {customer.email}"}, "placeholder {customer.email}"),
        ({**GREETING, "shortcut": "two words"}, "shortcut"),
        ({**GREETING, "title": ""}, "title"),
        ({**GREETING, "text": "x" * 4001}, "text"),
        ({**GREETING, "extra": 1}, "extra"),
    ],
)
def test_bad_replies_are_refused_and_nothing_is_stored(unit: Unit, http: Any, body: dict[str, Any], field: str) -> None:
    res = call(http, "post", "/canned", unit.agent_token("ana"), body)
    assert (res.status_code, res.json_body["code"]) == (400, "invalid_action")
    assert field in res.json_body["message"]
    assert unit.store.canned == {} and unit.store.shortcuts == {}


def test_replies_stay_in_their_tenant(unit: Unit, http: Any) -> None:
    reply = call(http, "post", "/canned", unit.agent_token("ana"), GREETING).json_body["reply"]
    zed = unit.agent_token("zed", "acme")
    assert call(http, "get", "/canned", zed).json_body["replies"] == []
    for method, body in (("patch", {"title": "Mine now"}), ("delete", None)):
        res = call(http, method, f"/canned/{reply['id']}", zed, body)
        assert (res.status_code, res.json_body["code"]) == (404, "not_found")
    assert unit.store.canned[("global", reply["id"])].title == "Greeting"
    assert call(http, "get", "/canned").status_code == 401
