"""The callback's due time falls inside the window the customer chose, in the tenant's time zone
(issue 10, item 8), and inside the tenant's business hours with the SLA counted in open time
(issue 11): pure, on fixed instants."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.hub.hours import BusinessHours
from chalicelib.work.callback_window import WINDOWS, CallbackDue, NeverOpenInWindow, callback_due, zone

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NEW_YORK = ZoneInfo("America/New_York")
SLA = timedelta(minutes=15)


def at(tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=tz).timestamp()


def local(ts: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")


def test_afternoon_chosen_in_the_morning_is_due_in_the_afternoon_not_in_15_minutes() -> None:
    """The report: a customer chose "Afternoon" at 09:30 and got "due in 15 min"."""
    due = callback_due("afternoon", at(STOCKHOLM, 2027, 3, 10, 9, 30), SLA, STOCKHOLM)
    assert local(due.not_before, STOCKHOLM) == "2027-03-10 12:00"
    assert local(due.due_at, STOCKHOLM) == "2027-03-10 12:15"


def test_inside_the_window_it_is_due_after_the_sla_but_never_after_the_window_closes() -> None:
    due = callback_due("morning", at(STOCKHOLM, 2027, 3, 10, 10, 0), SLA, STOCKHOLM)
    assert (local(due.not_before, STOCKHOLM), local(due.due_at, STOCKHOLM)) == ("2027-03-10 10:00", "2027-03-10 10:15")
    late = callback_due("morning", at(STOCKHOLM, 2027, 3, 10, 11, 55), SLA, STOCKHOLM)
    assert local(late.due_at, STOCKHOLM) == "2027-03-10 12:00"


def test_after_the_window_closed_it_goes_to_tomorrows() -> None:
    due = callback_due("evening", at(STOCKHOLM, 2027, 3, 10, 21, 0), SLA, STOCKHOLM)
    assert local(due.not_before, STOCKHOLM) == "2027-03-11 17:00"
    assert local(due.due_at, STOCKHOLM) == "2027-03-11 17:15"


def test_the_window_is_read_in_the_tenants_time_zone() -> None:
    instant = at(STOCKHOLM, 2027, 3, 10, 14, 0)  # 14:00 in Stockholm is 08:00 in New York
    stockholm = callback_due("morning", instant, SLA, STOCKHOLM)
    new_york = callback_due("morning", instant, SLA, NEW_YORK)
    assert local(stockholm.not_before, STOCKHOLM) == "2027-03-11 08:00"  # Stockholm's morning has passed
    assert local(new_york.not_before, NEW_YORK) == "2027-03-10 08:00"  # New York's has just begun


def test_a_daylight_saving_day_still_opens_at_local_time() -> None:
    # Stockholm moves its clocks from 02:00 to 03:00 on 2027-03-28.
    due = callback_due("morning", at(STOCKHOLM, 2027, 3, 27, 22, 0), SLA, STOCKHOLM)
    assert local(due.not_before, STOCKHOLM) == "2027-03-28 08:00"
    assert due.due_at - due.not_before == SLA.total_seconds()


def test_asap_is_now_plus_the_sla() -> None:
    now = at(STOCKHOLM, 2027, 3, 10, 23, 59)
    assert callback_due("asap", now, SLA, STOCKHOLM) == CallbackDue(now, now + 900)


def test_unknown_window_and_time_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        callback_due("midnight", 0.0, SLA, STOCKHOLM)
    with pytest.raises(ValueError, match="time zone"):
        zone("Mars/Olympus_Mons")


@given(
    window=st.sampled_from(["morning", "afternoon", "evening"]),
    instant=st.floats(min_value=1.7e9, max_value=2.2e9),
    tz=st.sampled_from(["Europe/Stockholm", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "UTC"]),
    sla_minutes=st.integers(min_value=0, max_value=600),
)
def test_the_due_time_always_falls_inside_the_chosen_window(
    window: str, instant: float, tz: str, sla_minutes: int
) -> None:
    z = ZoneInfo(tz)
    due = callback_due(window, instant, timedelta(minutes=sla_minutes), z)
    opens, closes = WINDOWS[window]  # type: ignore[misc]
    start, end = datetime.fromtimestamp(due.not_before, z), datetime.fromtimestamp(due.due_at, z)
    assert instant <= due.not_before <= due.due_at
    assert start.date() == end.date()
    assert opens <= start.time() and end.time() <= closes
    assert due.not_before - instant < 2 * 86_400  # today's window or tomorrow's


# ------------------------------------------------------------------ with business hours (issue 11)
def weekdays(*intervals: tuple[str, str], tz: str = "Europe/Stockholm", **days: list[tuple[str, str]]) -> BusinessHours:
    """A calendar open `intervals` Monday to Friday (or as `days` says), in `tz`."""
    week = {d: [{"open": a, "close": b} for a, b in intervals] for d in ("mon", "tue", "wed", "thu", "fri")}
    if days:
        week = {d: [{"open": a, "close": b} for a, b in spans] for d, spans in days.items()}
    return BusinessHours.parse({"time_zone": tz, "weekly": week})


def test_a_window_is_called_only_while_the_team_is_open() -> None:
    """ "Morning" asked for at 07:00 on a day the team opens at 10:00: from 10:00, due 10:15."""
    hours = weekdays(("10:00", "17:00"))
    due = callback_due("morning", at(STOCKHOLM, 2027, 3, 10, 7, 0), SLA, STOCKHOLM, hours)
    assert (local(due.not_before, STOCKHOLM), local(due.due_at, STOCKHOLM)) == ("2027-03-10 10:00", "2027-03-10 10:15")


def test_asap_at_night_is_due_its_sla_after_the_next_opening() -> None:
    hours = weekdays(("09:00", "17:00"))
    due = callback_due("asap", at(STOCKHOLM, 2027, 3, 12, 22, 0), SLA, STOCKHOLM, hours)  # Friday night
    assert (local(due.not_before, STOCKHOLM), local(due.due_at, STOCKHOLM)) == ("2027-03-15 09:00", "2027-03-15 09:15")


def test_the_sla_counts_open_time_inside_the_window_and_never_passes_its_last_open_moment() -> None:
    hours = weekdays(("09:00", "10:30"), ("11:00", "11:30"))
    # 10 minutes before the break and 5 after it.
    due = callback_due("morning", at(STOCKHOLM, 2027, 3, 10, 10, 20), SLA, STOCKHOLM, hours)
    assert (local(due.not_before, STOCKHOLM), local(due.due_at, STOCKHOLM)) == ("2027-03-10 10:20", "2027-03-10 11:05")
    # Five minutes of the morning's open time are left: due when it ends, not in the afternoon.
    late = callback_due("morning", at(STOCKHOLM, 2027, 3, 10, 11, 25), SLA, STOCKHOLM, hours)
    assert local(late.due_at, STOCKHOLM) == "2027-03-10 11:30"


def test_a_window_the_team_is_not_open_in_that_day_moves_to_the_next_day_it_is() -> None:
    hours = weekdays(mon=[("09:00", "17:00")], tue=[("09:00", "19:00")])
    due = callback_due("evening", at(STOCKHOLM, 2027, 3, 8, 12, 0), SLA, STOCKHOLM, hours)  # Monday noon
    assert (local(due.not_before, STOCKHOLM), local(due.due_at, STOCKHOLM)) == ("2027-03-09 17:00", "2027-03-09 17:15")


def test_a_window_the_team_is_never_open_in_is_refused() -> None:
    with pytest.raises(NeverOpenInWindow, match="evening"):
        callback_due("evening", at(STOCKHOLM, 2027, 3, 8, 12, 0), SLA, STOCKHOLM, weekdays(("09:00", "17:00")))


@given(
    window=st.sampled_from(["asap", "morning", "afternoon", "evening"]),
    instant=st.floats(min_value=1.7e9, max_value=2.2e9),
    tz=st.sampled_from(["Europe/Stockholm", "America/New_York", "UTC"]),
    sla_minutes=st.integers(min_value=0, max_value=600),
)
def test_the_call_falls_in_open_hours_and_the_window_and_the_sla_is_open_time(
    window: str, instant: float, tz: str, sla_minutes: int
) -> None:
    z = ZoneInfo(tz)
    hours = weekdays(("08:30", "12:00"), ("13:00", "18:30"), tz=tz)
    due = callback_due(window, instant, timedelta(minutes=sla_minutes), z, hours)
    assert instant <= due.not_before <= due.due_at
    assert hours.is_open(due.not_before)
    counted = hours.open_seconds(due.not_before, due.due_at)
    assert counted <= sla_minutes * 60 + 1e-6
    if WINDOWS[window] is None:
        assert abs(counted - sla_minutes * 60) < 1e-6  # asap: the whole SLA, in open time
    else:
        opens, closes = WINDOWS[window]  # type: ignore[misc]
        start, end = datetime.fromtimestamp(due.not_before, z), datetime.fromtimestamp(due.due_at, z)
        assert start.date() == end.date() and opens <= start.time() and end.time() <= closes
        # Cut short only by the end of that day's open time inside the window.
        assert abs(counted - sla_minutes * 60) < 1e-6 or not hours.is_open(due.due_at) or end.time() == closes


def test_an_sla_that_ends_exactly_at_closing_is_due_at_closing_not_next_morning() -> None:
    hours = weekdays(("09:00", "17:00"))
    due = callback_due("asap", at(STOCKHOLM, 2027, 3, 10, 16, 45), SLA, STOCKHOLM, hours)
    assert (local(due.not_before, STOCKHOLM), local(due.due_at, STOCKHOLM)) == ("2027-03-10 16:45", "2027-03-10 17:00")


def test_an_sla_longer_than_all_the_open_time_known_is_due_at_its_last_open_moment() -> None:
    """The hours are known a fixed number of days ahead: an SLA beyond them is due at the last
    open moment of that horizon (from the first), never at an unknown or empty time."""
    hours = weekdays(("09:00", "17:00"))
    now = at(STOCKHOLM, 2027, 3, 10, 10, 0)
    due = callback_due("asap", now, timedelta(days=10_000), STOCKHOLM, hours)
    *_, (_, last_close) = hours.windows(now)
    assert due == CallbackDue(now, last_close)
    assert last_close - now > 14 * 86_400  # well past the first days: the whole horizon was counted


def test_asap_late_in_the_evening_west_of_utc_is_due_that_evening() -> None:
    """21:00 in New York is already tomorrow in UTC: the call is still due at 21:15 New York time,
    not from New York's next midnight."""
    now = at(NEW_YORK, 2027, 3, 10, 21, 0)
    due = callback_due("asap", now, SLA, NEW_YORK)
    assert (local(due.not_before, NEW_YORK), local(due.due_at, NEW_YORK)) == ("2027-03-10 21:00", "2027-03-10 21:15")
