"""Search (REST `/search` on in-memory stores): by name (any word, accents folded), e-mail,
phone number (E.164, national numbers read in a region) and by id — tenant-scoped, and each
result names the thread it opens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.platform.auth import Actor
from chalicelib.work.search import NOT_SEARCHABLE, kind_of
from tests.unit.conftest import OTHER_WIDGET_KEY, WIDGET_KEY, Unit
from tests.unit.test_rest_handlers import call


@pytest.fixture
def http(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(wiring, "hub", lambda: unit.hub)
    from app import app

    with Client(app) as c:
        yield c.http


def customer(http: Any, name: str, widget_key: str = WIDGET_KEY, **more: Any) -> dict[str, Any]:
    res = call(http, "post", "/widget/session", body={"widget_key": widget_key, "name": name, **more})
    assert res.status_code == 200, res.json_body
    body: dict[str, Any] = res.json_body
    return body


def search(http: Any, token: str, q: str, region: str | None = None) -> Any:
    from urllib.parse import urlencode

    params = {"q": q, **({"region": region} if region else {})}
    return call(http, "get", f"/search?{urlencode(params)}", token)


def titles(res: Any) -> list[str]:
    return sorted(r["title"] for r in res.json_body["results"])


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("c_abcdEFGH1234", "id"),
        ("cb_x1y2z3", "id"),
        ("tk_abcd", "id"),
        ("kim@example.com", "email"),
        ("+46 70 123 45 67", "phone"),
        ("070-123 45 67", "phone"),
        ("(555) 010-9999", "phone"),
        ("Kim Andersson", "name"),
        ("12345", "name"),
        ("c_", "name"),
    ],
)
def test_how_a_query_is_read(query: str, kind: str) -> None:
    assert kind_of(query) == kind


def test_by_name_any_word_accents_folded(unit: Unit, http: Any) -> None:
    for name in ("Kim Andersson", "Kimberly Ng", "Bo Kim", "Åsa Öberg", "Visitor"):
        customer(http, name)
    ana = unit.agent_token("ana")
    assert titles(search(http, ana, "kim")) == ["Bo Kim", "Kim Andersson", "Kimberly Ng"]
    assert titles(search(http, ana, "Kim And")) == ["Kim Andersson"]
    assert titles(search(http, ana, "asa")) == ["Åsa Öberg"]
    assert titles(search(http, ana, "OBERG")) == ["Åsa Öberg"]
    assert titles(search(http, ana, "visitor")) == []  # the placeholder name is not indexed
    res = search(http, ana, "kim")
    assert res.json_body["kind"] == "name" and res.json_body["not_searchable"] == NOT_SEARCHABLE
    assert all(r["kind"] == "customer" and r["verified"] is False for r in res.json_body["results"])
    short = search(http, ana, "k")
    assert (short.status_code, short.json_body["code"]) == (400, "invalid_action")


def test_a_changed_name_is_found_by_the_new_name_only(unit: Unit, http: Any) -> None:
    first = customer(http, "Robin Hood")
    customer(http, "Sam Gamgee", previous_token=first["token"])
    ana = unit.agent_token("ana")
    assert titles(search(http, ana, "robin")) == []
    assert titles(search(http, ana, "sam")) == ["Sam Gamgee"]
    assert len(unit.store.terms) == 2  # "sam" and "gamgee": the old terms are gone


def test_by_email_prefix(unit: Unit, http: Any) -> None:
    customer(http, "Kim", email="kim.andersson@example.com")
    customer(http, "Bo", email="bo@example.com")
    ana = unit.agent_token("ana")
    res = search(http, ana, "KIM.ANDERSSON@")
    assert res.json_body["kind"] == "email" and titles(res) == ["Kim"]
    assert res.json_body["results"][0]["detail"] == "kim.andersson@example.com"


def test_a_customer_result_opens_their_newest_conversation(unit: Unit, http: Any) -> None:
    kim = customer(http, "Kim Andersson")
    cid = "kim="
    unit.hub.live.identify_and_bind(cid, {"session": kim["token"]})
    conversation = unit.started(cid)  # a conversation starts with the customer's first message
    by_id = search(http, unit.agent_token("ana"), kim["customer_id"]).json_body["results"]
    assert [(r["kind"], r["conversation_id"]) for r in by_id] == [("customer", conversation)]


def test_by_phone_finds_the_callback(unit: Unit, http: Any) -> None:
    ana = unit.agent_token("ana")
    agent = Actor("global", "agent", "sub-ana", "Ana")
    cb = unit.hub.callbacks.request(agent, "+46 70 123 45 67", None, "asap", None, None, "Caller Carl", "missed_call")
    res = search(http, ana, "070-123 45 67", region="SE")
    assert [(r["kind"], r["id"]) for r in res.json_body["results"]] == [("callback", cb.callback_id)]
    assert search(http, ana, "+46701234567").json_body["results"][0]["title"] == "Caller Carl · +46701234567"
    # A national number without a region cannot be read; the note says so.
    unread = search(http, ana, "070-123 45 67").json_body
    assert unread["results"] == [] and "country code" in unread["note"]
    # A tenant with a default phone region reads it in that region, whatever the agent's.
    unit.store.tenants["global"].phone_region = "SE"
    in_region = search(http, ana, "070-123 45 67", region="US").json_body
    assert [r["id"] for r in in_region["results"]] == [cb.callback_id]
    nobody = search(http, ana, "+46 70 999 99 99").json_body
    assert nobody["results"] == [] and nobody["note"] == "No callback to +46709999999."


def test_by_id_and_only_within_the_tenant(unit: Unit, http: Any) -> None:
    cid = unit.connect_customer()
    conversation = unit.start(cid)
    ana_actor = Actor("global", "agent", "sub-ana", "Ana")
    ticket = unit.hub.tickets.create(ana_actor, "Broken zipper", conversation)
    cb = unit.hub.callbacks.request(ana_actor, "+46701234567", None, "asap", None, conversation)
    ana = unit.agent_token("ana")
    for item_id, kind in ((conversation, "conversation"), (ticket.ticket_id, "ticket"), (cb.callback_id, "callback")):
        [found] = search(http, ana, item_id).json_body["results"]
        assert (found["kind"], found["id"], found["conversation_id"]) == (kind, item_id, conversation)
    zed = unit.agent_token("zed", "acme")
    for item_id in (conversation, ticket.ticket_id, cb.callback_id):
        assert search(http, zed, item_id).json_body["results"] == []
    customer(http, "Kimball Acme", widget_key=OTHER_WIDGET_KEY)
    assert titles(search(http, ana, "kimball")) == []
    assert titles(search(http, zed, "kim")) == ["Kimball Acme"]
    assert call(http, "get", "/search?q=kim").status_code == 401
