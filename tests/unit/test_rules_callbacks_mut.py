"""Callback due times at their edges: a retry whose window the team no longer opens in, a lane
without business hours, a tenant whose day is not the host's, and an SLA that runs past midnight."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import iso
from chalicelib.store.keys import history_subject
from chalicelib.work.callback_window import callback_due, zone
from chalicelib.work.callbacks import Callbacks
from tests.unit.conftest import Unit, of

ANA = Actor("global", "agent", "sub-ana", "Ana")
UTC = ZoneInfo("UTC")
LOS_ANGELES = zone("America/Los_Angeles")
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def hours(open_at: str, close_at: str) -> dict[str, object]:
    return {"time_zone": "UTC", "weekly": {d: [{"open": open_at, "close": close_at}] for d in EVERY_DAY}}


@pytest.fixture
def host_in_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The host's own zone is UTC, as on Lambda."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_retry_whose_window_the_team_no_longer_opens_in_is_due_once_the_delay_is_over(unit: Unit) -> None:
    dashboard = unit.connect_agent("ana")  # before the clock moves: the token is checked at connect
    unit.hub.opening.set(ANA, hours("09:00", "19:00"))
    unit.clock.set(datetime(2027, 3, 1, 17, 30, tzinfo=UTC).timestamp())  # a Monday, in the evening window
    cb = unit.hub.callbacks.request(ANA, "+1 415 555 0100", None, "evening", None, None, "Kim", "missed_call")
    unit.hub.callbacks.claim(ANA, cb.callback_id)
    unit.hub.opening.set(ANA, hours("09:00", "17:00"))  # the team no longer works evenings
    unit.clock.advance(5 * 60)
    unit.sender.sent.clear()

    retried = unit.hub.callbacks.no_answer(ANA, cb.callback_id, None)

    # The retry waits its 10 minutes of open time (Tuesday 09:10) and is called from then on.
    retry_at = datetime(2027, 3, 2, 9, 10, tzinfo=UTC).timestamp()
    stored = unit.store.callbacks[("global", cb.callback_id)]
    assert (retried.status, stored.status) == ("queued", "queued")
    assert (float(stored.not_before), float(stored.due_at)) == (retry_at, retry_at)
    [pushed] = of(unit.sender.take(dashboard), "callback")
    assert (pushed["action"], pushed["callback"]["not_before"], pushed["callback"]["due_at"]) == (
        "no_answer",
        iso(retry_at),
        iso(retry_at),
    )
    last = unit.store.histories[history_subject("global", "CB", cb.callback_id)][-1]
    assert last.detail == f"No answer (attempt 1 of 3); retry at {iso(retry_at)}"


def test_a_callback_lane_without_business_hours_counts_the_sla_around_the_clock(unit: Unit) -> None:
    lane = Callbacks(unit.store, unit.hub.live, unit.clock, unit.hub.counters.changed)
    asked = datetime(2027, 3, 6, 23, 55, tzinfo=UTC).timestamp()  # a Saturday, just before midnight
    unit.clock.set(asked)
    cb = lane.request(ANA, "+1 415 555 0100", None, "asap", None, None, "Kim", "missed_call")
    stored = unit.store.callbacks[("global", cb.callback_id)]
    assert (float(stored.not_before), float(stored.due_at)) == (asked, asked + 15 * 60)


@pytest.mark.usefixtures("host_in_utc")
@pytest.mark.parametrize("window", ["asap", "evening"])
def test_an_evening_request_is_due_that_evening_in_the_tenants_zone_whatever_the_hosts_date(window: str) -> None:
    # 18:00 on 1 December in Los Angeles is already 2 December on the (UTC) host.
    asked = datetime(2026, 12, 1, 18, 0, tzinfo=LOS_ANGELES).timestamp()
    due = callback_due(window, asked, timedelta(minutes=30), LOS_ANGELES)
    assert (due.not_before, due.due_at) == (asked, asked + 30 * 60)


def test_an_asap_sla_that_runs_past_midnight_counts_every_minute_once() -> None:
    stockholm = zone("Europe/Stockholm")
    asked = datetime(2026, 12, 1, 23, 30, tzinfo=stockholm).timestamp()
    due = callback_due("asap", asked, timedelta(hours=2), stockholm)
    assert (due.not_before, due.due_at) == (asked, datetime(2026, 12, 2, 1, 30, tzinfo=stockholm).timestamp())
