"""CSAT (REST `/widget/rating` on in-memory stores): a closed conversation's customer rates it
1-5 once; the thread and the dashboards are told; the support command shows the last 7 days
from per-day counters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.platform.auth import Actor
from tests.unit.conftest import WIDGET_KEY, Unit
from tests.unit.test_rest_handlers import call


@pytest.fixture
def http(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(wiring, "hub", lambda: unit.hub)
    from app import app

    with Client(app) as c:
        yield c.http


def closed_conversation(unit: Unit, http: Any, name: str = "Kim") -> tuple[str, str, str]:
    """(customer's session token, their connection, a conversation an agent closed)."""
    token = call(http, "post", "/widget/session", body={"widget_key": WIDGET_KEY, "name": name}).json_body["token"]
    customer = f"{name.lower()}="
    unit.hub.live.identify_and_bind(customer, {"session": token})
    conversation = unit.start(customer)
    unit.act(customer, action="send", conversation_id=conversation, client_id="m1", text="Thanks!")
    ana = unit.connect_agent("ana")
    unit.act(ana, action="join", conversation_id=conversation)
    unit.act(ana, action="close", conversation_id=conversation)
    unit.sender.take(customer)
    return token, customer, conversation


def rate(http: Any, token: str, conversation: str, rating: Any, comment: Any = None) -> Any:
    body: dict[str, Any] = {"conversation_id": conversation, "rating": rating}
    if comment is not None:
        body["comment"] = comment
    return call(http, "post", "/widget/rating", token, body)


def test_a_rating_is_stored_once_and_reaches_the_thread_and_the_dashboards(unit: Unit, http: Any) -> None:
    token, customer, conversation = closed_conversation(unit, http)
    bo = unit.connect_agent("bo")  # not in the conversation: still hears about the rating
    res = rate(http, token, conversation, 4, "Quick help")
    assert res.status_code == 200, res.json_body
    assert res.json_body["csat"]["rating"] == 4 and res.json_body["csat"]["comment"] == "Quick help"
    meta = unit.store.metas[("global", conversation)]
    assert (meta.csat_rating, meta.csat_comment) == (4, "Quick help")
    [pushed] = [e for e in unit.sender.take(bo) if e["type"] == "csat"]
    assert pushed["conversation_id"] == conversation and pushed["csat"]["rating"] == 4
    # The thread shows it: one system line, which the customer sees too.
    assert unit.texts(conversation)[-1] == "Kim rated the conversation 4/5: “Quick help”"
    assert any(e["type"] == "message" and "rated" in e["text"] for e in unit.sender.take(customer))
    # A retry of the same rating answers as stored and counts nothing twice; another is refused.
    assert rate(http, token, conversation, 4, "Quick help").json_body["csat"]["rating"] == 4
    other = rate(http, token, conversation, 1)
    assert (other.status_code, other.json_body["code"]) == (409, "already_rated")
    assert sum(int(d.ratings) for d in unit.store.csat.values()) == 1
    assert unit.texts(conversation).count("Kim rated the conversation 4/5: “Quick help”") == 1
    # The conversation snapshot carries the rating.
    listed = call(http, "get", "/conversations", unit.agent_token("ana")).json_body["conversations"]
    assert [c["csat"]["rating"] for c in listed if c["id"] == conversation] == [4]


def test_only_the_conversations_customer_rates_a_closed_conversation(unit: Unit, http: Any) -> None:
    token, _customer, conversation = closed_conversation(unit, http)
    other_token = call(http, "post", "/widget/session", body={"widget_key": WIDGET_KEY}).json_body["token"]
    assert rate(http, other_token, conversation, 1).status_code == 404
    assert rate(http, unit.agent_token("ana"), conversation, 5).status_code == 401  # an agent is no customer
    assert rate(http, "forged", conversation, 5).status_code == 401
    for bad in (0, 6, 3.5, "5", True):
        res = rate(http, token, conversation, bad)
        assert (res.status_code, res.json_body["code"]) == (400, "invalid_action"), bad
    assert rate(http, token, conversation, 5, "x" * 1001).status_code == 400
    # Still open: not rated yet.
    fresh = "fresh="
    unit.hub.live.identify_and_bind(fresh, {"session": token})
    still_open = unit.start(fresh)
    res = rate(http, token, still_open, 5)
    assert (res.status_code, res.json_body["code"]) == (409, "not_closed")
    assert unit.store.csat == {} and unit.store.metas[("global", conversation)].csat_rating is None


def test_the_support_command_shows_the_last_seven_days(unit: Unit, http: Any) -> None:
    # Days are the tenant's: 23:30 UTC on 1 June is 2 June in Stockholm.
    unit.hub.opening.set(
        Actor("global", "agent", "sub-ana", "Ana"),
        {"time_zone": "Europe/Stockholm", "weekly": {"mon": [{"open": "00:00", "close": "24:00"}]}},
    )
    stockholm = ZoneInfo("Europe/Stockholm")
    unit.clock.set(datetime(2026, 6, 1, 23, 30, tzinfo=ZoneInfo("UTC")).timestamp())
    for i, score in enumerate((5, 4, 2)):
        token, _c, conversation = closed_conversation(unit, http, name=f"Cu{i}")
        assert rate(http, token, conversation, score).status_code == 200
    unit.clock.set(datetime(2026, 6, 8, 12, 0, tzinfo=stockholm).timestamp())
    token, _c, conversation = closed_conversation(unit, http, name="Late")
    rate(http, token, conversation, 1)
    snapshot = call(http, "get", "/hub", unit.agent_token("ana")).json_body
    csat = snapshot["csat"]
    assert [d["day"] for d in csat["per_day"]] == [f"2026-06-0{d}" for d in range(2, 9)]
    assert csat["per_day"][0] == {"day": "2026-06-02", "ratings": 3, "average": 3.67}
    assert csat["per_day"][-1] == {"day": "2026-06-08", "ratings": 1, "average": 1.0}
    assert (csat["ratings"], csat["average"], csat["satisfied_percent"]) == (4, 3.0, 50)
    assert csat["scores"] == {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1}
    # One stored item per day, not one per rating: the report reads two items.
    assert len(unit.store.csat) == 2
