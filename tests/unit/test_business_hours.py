"""Business hours in the hub (REST on in-memory stores): setting them, the widget seeing them,
callback due times and waiting ages counting open time only, and the counters, the next move
and the launch decision knowing whether the team is open."""

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

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WEEKDAYS = {d: [{"open": "09:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}
HOURS = {"time_zone": "Europe/Stockholm", "weekly": WEEKDAYS, "holidays": ["2026-06-19"]}


@pytest.fixture
def http(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(wiring, "hub", lambda: unit.hub)
    from app import app

    with Client(app) as c:
        yield c.http


def at(unit: Unit, year: int, month: int, day: int, hour: int, minute: int) -> float:
    ts = datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM).timestamp()
    unit.clock.set(ts)
    return ts


def test_hours_are_set_read_and_shown_to_the_widget(unit: Unit, http: Any) -> None:
    ana = unit.agent_token("ana")
    assert call(http, "get", "/hours", ana).json_body == {
        "open": True,
        "next_open_at": None,
        "hours": None,
        "time_zone": "UTC",  # the tenant's (a team setting), also when no hours are set
    }
    at(unit, 2026, 6, 18, 20, 0)  # Thursday evening; Friday is a holiday
    res = call(http, "put", "/hours", ana, HOURS)
    assert res.status_code == 200, res.json_body
    assert res.json_body["open"] is False and res.json_body["next_open_at"] == "2026-06-22T07:00:00.000Z"
    assert res.json_body["hours"]["weekly"]["mon"] == [{"open": "09:00", "close": "17:00"}]
    assert res.json_body["hours"]["weekly"]["sat"] == [] and res.json_body["hours"]["holidays"] == ["2026-06-19"]
    seen = call(http, "get", f"/widget/availability?widget_key={WIDGET_KEY}").json_body
    assert (seen["open"], seen["next_open_at"]) == (False, "2026-06-22T07:00:00.000Z")
    assert seen["hours"]["time_zone"] == "Europe/Stockholm"
    # Other tenants keep their own (none: always open).
    assert call(http, "get", "/hours", unit.agent_token("zed", "acme")).json_body["open"] is True
    # Removing the hours opens the team around the clock again.
    cleared = call(http, "delete", "/hours", ana).json_body
    assert cleared == {"open": True, "next_open_at": None, "hours": None, "time_zone": "Europe/Stockholm"}
    assert "global" not in unit.store.hours
    assert call(http, "get", f"/widget/availability?widget_key={WIDGET_KEY}").json_body["open"] is True


@pytest.mark.parametrize(
    "body",
    [
        {**HOURS, "time_zone": "Mars/Olympus"},
        {**HOURS, "weekly": {"mon": [{"open": "17:00", "close": "09:00"}]}},
        {**HOURS, "weekly": {}},
        {**HOURS, "weekly": {"mon": [{"open": "9am", "close": "17:00"}]}},
        {**HOURS, "holidays": ["midsummer"]},
        # A new time zone with a bad week changes neither (the zone is a team setting).
        {**HOURS, "time_zone": "America/New_York", "weekly": {}},
    ],
)
def test_bad_hours_are_refused_and_the_old_ones_stay(unit: Unit, http: Any, body: dict[str, Any]) -> None:
    ana = unit.agent_token("ana")
    call(http, "put", "/hours", ana, HOURS)
    res = call(http, "put", "/hours", ana, body)
    assert (res.status_code, res.json_body["code"]) == (400, "invalid_action")
    # The tenant's one time zone (a team setting since the merge with routing) did not move either.
    assert call(http, "get", "/tenant", ana).json_body["settings"]["time_zone"] == "Europe/Stockholm"
    assert call(http, "get", "/hours", ana).json_body["hours"]["time_zone"] == "Europe/Stockholm"
    assert call(http, "get", "/hours", ana).json_body["hours"]["weekly"]["mon"] == WEEKDAYS["mon"]


def test_a_callback_asked_for_at_night_is_due_after_the_next_opening(unit: Unit, http: Any) -> None:
    call(http, "put", "/hours", unit.agent_token("ana"), HOURS)
    at(unit, 2026, 6, 22, 23, 0)  # Monday night; the SLA is 15 minutes
    session = call(http, "post", "/widget/session", body={"widget_key": WIDGET_KEY}).json_body
    res = call(http, "post", "/widget/callbacks", session["token"], {"phone": "+46701234567"})
    assert res.json_body["callback"]["due_at"] == "2026-06-23T07:15:00.000Z"  # Tuesday 09:15 Stockholm
    # Asked for 10 minutes before closing: 10 minutes today, 5 on the next open day.
    at(unit, 2026, 6, 23, 16, 50)
    res = call(http, "post", "/widget/callbacks", session["token"], {"phone": "+46701234568"})
    assert res.json_body["callback"]["due_at"] == "2026-06-24T07:05:00.000Z"
    # A no-answer retry (10 minutes) also counts open time: claimed at 16:55, retried Thursday 09:05.
    agent = Actor("global", "agent", "sub-ana", "Ana")
    cb_id = res.json_body["callback"]["id"]
    at(unit, 2026, 6, 24, 16, 55)
    unit.hub.callbacks.claim(agent, cb_id)
    retried = unit.hub.callbacks.no_answer(agent, cb_id, None)
    assert datetime.fromtimestamp(float(retried.due_at), STOCKHOLM) == datetime(2026, 6, 25, 9, 5, tzinfo=STOCKHOLM)


def test_the_counters_next_move_and_launch_know_the_team_is_closed(unit: Unit, http: Any) -> None:
    ana = unit.agent_token("ana")
    call(http, "put", "/hours", ana, HOURS)
    # A customer wrote on Thursday half an hour before closing (Friday is a holiday); it is Monday 09:30.
    at(unit, 2026, 6, 18, 16, 30)
    customer = unit.connect_customer()
    conversation = unit.start(customer)
    unit.act(customer, action="send", conversation_id=conversation, client_id="m1", text="Hello?")
    at(unit, 2026, 6, 22, 9, 30)
    snap = call(http, "get", "/hub", ana).json_body
    assert snap["team"] == {"open": True, "next_open_at": None}
    # Waited: 30 minutes on Thursday and 30 on Monday — not the four days in between.
    assert snap["pressure"]["oldest_unanswered_chat_s"] == 3600.0 and snap["pressure"]["team_open"] is True

    at(unit, 2026, 6, 22, 22, 0)  # Monday night
    snap = call(http, "get", "/hub", ana).json_body
    assert snap["team"] == {"open": False, "next_open_at": "2026-06-23T07:00:00.000Z"}
    # Nobody is expected at night: the waiting chat is the move, not "no agent available".
    assert (snap["next_move"]["rule"], snap["next_move"]["severity"]) == ("unanswered_chats", "urgent")
    # The launch decision agrees with the next move (routing's rule: an urgent move blocks too),
    # and "no agent available" blocks nothing at night.
    assert [b["code"] for b in snap["launch"]["blockers"]] == ["outside_hours", "unanswered_chats"]
    # The counters pushed to the dashboards carry it too.
    agent = unit.connect_agent("bo")
    unit.hub.counters.push("global")
    [pushed] = [e for e in unit.sender.take(agent) if e["type"] == "counters"]
    assert pushed["team"] == {"open": False, "next_open_at": "2026-06-23T07:00:00.000Z"}


def test_one_time_zone_for_the_hours_and_the_callback_windows(unit: Unit, http: Any) -> None:
    """The hours carry no zone of their own: they are read in the team setting (`PATCH /tenant`),
    which a `time_zone` sent with the hours changes too — callback windows follow it."""
    ana = unit.agent_token("ana")
    assert call(http, "put", "/hours", ana, {"weekly": WEEKDAYS}).json_body["hours"]["time_zone"] == "UTC"
    assert call(http, "put", "/hours", ana, HOURS).status_code == 200
    assert call(http, "get", "/tenant", ana).json_body["settings"]["time_zone"] == "Europe/Stockholm"
    changed = call(http, "patch", "/tenant", ana, {"time_zone": "America/New_York"}).json_body
    assert changed["settings"]["time_zone"] == "America/New_York"
    assert call(http, "get", "/hours", ana).json_body["hours"]["time_zone"] == "America/New_York"
    # Tuesday 08:00 in New York: the team opens at 09:00 there, so a morning call is due 09:15.
    unit.clock.set(datetime(2026, 6, 23, 8, 0, tzinfo=ZoneInfo("America/New_York")).timestamp())
    session = call(http, "post", "/widget/session", body={"widget_key": WIDGET_KEY}).json_body
    res = call(http, "post", "/widget/callbacks", session["token"], {"phone": "+12025550143", "window": "morning"})
    cb = res.json_body["callback"]
    assert (cb["not_before"], cb["due_at"]) == ("2026-06-23T13:00:00.000Z", "2026-06-23T13:15:00.000Z")
    # An evening call: the team is never open then (9-17), so the widget is told to choose another.
    res = call(http, "post", "/widget/callbacks", session["token"], {"phone": "+12025550143", "window": "evening"})
    assert (res.status_code, res.json_body["code"]) == (400, "invalid_action")
    assert "evening" in res.json_body["message"]


def test_outside_hours_the_widget_offers_a_callback_even_while_an_agent_is_in(unit: Unit, http: Any) -> None:
    ana = unit.agent_token("ana")
    at(unit, 2026, 6, 23, 16, 30)  # Tuesday afternoon: open
    agent = unit.connect_agent("ana")
    unit.act(agent, action="presence", status="available")
    customer = unit.connect_customer()
    call(http, "put", "/hours", ana, HOURS)
    seen = call(http, "get", f"/widget/availability?widget_key={WIDGET_KEY}").json_body
    assert (seen["agents_available"], seen["offer"], seen["open"]) == (True, "chat", True)
    unit.sender.take(customer)
    at(unit, 2026, 6, 23, 16, 59)
    unit.act(agent, action="heartbeat")
    unit.clock.advance(61)  # 17:00:01, closed; the agent is still in
    seen = call(http, "get", f"/widget/availability?widget_key={WIDGET_KEY}").json_body
    assert (seen["agents_available"], seen["offer"], seen["open"]) == (True, "callback", False)
    assert seen["next_open_at"] == "2026-06-24T07:00:00.000Z"
    # The widgets hear it live: the drift sweep notices the clock closing the team.
    unit.hub.drift.sweep()
    [flip] = [e for e in unit.sender.take(customer) if e["type"] == "availability"]
    assert flip == {
        "type": "availability",
        "agents_available": True,
        "offer": "callback",
        "mode": "ready",
        "open": False,
        "next_open_at": "2026-06-24T07:00:00.000Z",
    }
    # Removing the hours opens the team again, and the widgets are told at once.
    call(http, "delete", "/hours", ana)
    [back] = [e for e in unit.sender.take(customer) if e["type"] == "availability"]
    assert (back["offer"], back["open"]) == ("chat", True)
