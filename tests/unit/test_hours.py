"""The business-hours calendar (pure): open or not, the next opening, adding open time, open time
between two instants — in the tenant's time zone, across daylight saving changes and holidays."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.hub.hours import BusinessHours, InvalidHours

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600.0


def local(tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=tz).timestamp()


def office(tz: str = "Europe/Stockholm", **extra: Any) -> BusinessHours:
    """Mon-Fri 09:00-17:00, Saturday 10:00-14:00, Sunday closed."""
    weekday = [{"open": "09:00", "close": "17:00"}]
    return BusinessHours.parse(
        {
            "time_zone": tz,
            "weekly": {
                "mon": weekday,
                "tue": weekday,
                "wed": weekday,
                "thu": weekday,
                "fri": weekday,
                "sat": [{"open": "10:00", "close": "14:00"}],
            },
            **extra,
        }
    )


def test_open_and_closed_in_the_tenants_zone() -> None:
    hours = office()
    # Wednesday 2025-06-11: 09:00 Stockholm is 07:00 UTC.
    assert not hours.is_open(local(STOCKHOLM, 2025, 6, 11, 8, 59))
    assert hours.is_open(local(STOCKHOLM, 2025, 6, 11, 9, 0))
    assert hours.is_open(local(STOCKHOLM, 2025, 6, 11, 16, 59))
    assert not hours.is_open(local(STOCKHOLM, 2025, 6, 11, 17, 0))
    assert hours.is_open(datetime(2025, 6, 11, 7, 30, tzinfo=UTC).timestamp())
    assert not hours.is_open(local(STOCKHOLM, 2025, 6, 15, 12, 0))  # Sunday


def test_next_open_skips_nights_sundays_and_holidays() -> None:
    hours = office(holidays=["2025-06-16"])  # Monday off
    at = local(STOCKHOLM, 2025, 6, 11, 12, 0)
    assert hours.next_open(at) == at  # open now
    assert hours.next_open(local(STOCKHOLM, 2025, 6, 11, 18, 0)) == local(STOCKHOLM, 2025, 6, 12, 9, 0)
    assert hours.next_open(local(STOCKHOLM, 2025, 6, 14, 15, 0)) == local(STOCKHOLM, 2025, 6, 17, 9, 0)


def test_add_open_time_counts_open_hours_only() -> None:
    hours = office()
    # 15 minutes asked at 16:50 on Wednesday: 10 today, 5 more on Thursday morning.
    assert hours.add_open_time(local(STOCKHOLM, 2025, 6, 11, 16, 50), 15 * 60) == local(STOCKHOLM, 2025, 6, 12, 9, 5)
    # At night: due 15 minutes after the next opening.
    assert hours.add_open_time(local(STOCKHOLM, 2025, 6, 11, 23, 0), 15 * 60) == local(STOCKHOLM, 2025, 6, 12, 9, 15)
    # Saturday 13:00 + 2 h: 1 h on Saturday, then Monday 09:00 + 1 h.
    assert hours.add_open_time(local(STOCKHOLM, 2025, 6, 14, 13, 0), 2 * HOUR) == local(STOCKHOLM, 2025, 6, 16, 10, 0)
    assert hours.add_open_time(local(STOCKHOLM, 2025, 6, 11, 10, 0), 0) == local(STOCKHOLM, 2025, 6, 11, 10, 0)


def test_open_seconds_between_two_instants() -> None:
    hours = office()
    # Wednesday 16:00 → Thursday 10:00: one hour each day.
    assert hours.open_seconds(local(STOCKHOLM, 2025, 6, 11, 16, 0), local(STOCKHOLM, 2025, 6, 12, 10, 0)) == 2 * HOUR
    assert hours.open_seconds(local(STOCKHOLM, 2025, 6, 11, 18, 0), local(STOCKHOLM, 2025, 6, 12, 8, 0)) == 0
    assert hours.open_seconds(5.0, 1.0) == 0


def test_spring_forward_keeps_local_hours_and_a_shorter_night() -> None:
    """Europe/Stockholm moves 02:00 → 03:00 on Sunday 2025-03-30."""
    night = BusinessHours.parse(
        {"time_zone": "Europe/Stockholm", "weekly": {d: [{"open": "00:00", "close": "24:00"}] for d in ("sat", "sun")}}
    )
    # Sunday is 23 hours long.
    assert night.open_seconds(local(STOCKHOLM, 2025, 3, 30, 0, 0), local(STOCKHOLM, 2025, 3, 31, 0, 0)) == 23 * HOUR
    hours = office()
    # Friday 16:00 + 2 open hours: 1 h Friday, then Saturday 10:00 + 1 h — CET on both days.
    assert hours.add_open_time(local(STOCKHOLM, 2025, 3, 28, 16, 0), 2 * HOUR) == local(STOCKHOLM, 2025, 3, 29, 11, 0)
    # Saturday 13:30 + 1 h: 30 min Saturday (CET), then Monday 09:30 in summer time (CEST).
    due = hours.add_open_time(local(STOCKHOLM, 2025, 3, 29, 13, 30), HOUR)
    assert datetime.fromtimestamp(due, STOCKHOLM).replace(tzinfo=None) == datetime(2025, 3, 31, 9, 30)
    assert datetime.fromtimestamp(due, UTC).hour == 7  # 09:30 CEST is 07:30 UTC (it was 08:30 UTC a week before)


def test_an_interval_inside_the_skipped_hour_is_closed_and_one_across_it_is_shorter() -> None:
    hours = BusinessHours.parse(
        {
            "time_zone": "America/New_York",  # 2025-03-09: 02:00 → 03:00
            "weekly": {"sun": [{"open": "02:00", "close": "03:00"}, {"open": "03:00", "close": "05:00"}]},
        }
    )
    start = local(NEW_YORK, 2025, 3, 9, 0, 0)
    assert hours.next_open(start) == local(NEW_YORK, 2025, 3, 9, 3, 0)
    assert hours.open_seconds(start, local(NEW_YORK, 2025, 3, 10, 0, 0)) == 2 * HOUR
    # A week later (no change) the same hours give 3 hours.
    assert hours.open_seconds(local(NEW_YORK, 2025, 3, 16, 0, 0), local(NEW_YORK, 2025, 3, 17, 0, 0)) == 3 * HOUR


def test_fall_back_gives_a_longer_day() -> None:
    """Europe/Stockholm moves 03:00 → 02:00 on Sunday 2025-10-26."""
    hours = BusinessHours.parse(
        {"time_zone": "Europe/Stockholm", "weekly": {"sun": [{"open": "00:00", "close": "06:00"}]}}
    )
    assert hours.open_seconds(local(STOCKHOLM, 2025, 10, 26, 0, 0), local(STOCKHOLM, 2025, 10, 27, 0, 0)) == 7 * HOUR
    assert hours.add_open_time(local(STOCKHOLM, 2025, 10, 26, 0, 0), 7 * HOUR) == local(STOCKHOLM, 2025, 10, 26, 6, 0)


def test_a_night_shift_across_midnight_is_one_stretch_of_open_time() -> None:
    hours = BusinessHours.parse(
        {
            "time_zone": "UTC",
            "weekly": {"fri": [{"open": "22:00", "close": "24:00"}], "sat": [{"open": "00:00", "close": "02:00"}]},
        }
    )
    fri_23 = datetime(2025, 6, 13, 23, 0, tzinfo=UTC).timestamp()
    assert hours.is_open(fri_23)
    assert hours.is_open(fri_23 + HOUR)  # Saturday 00:00
    assert hours.add_open_time(fri_23, 2 * HOUR) == fri_23 + 2 * HOUR


def test_always_open_is_the_default_calendar() -> None:
    hours = BusinessHours.always_open()
    at = 1_750_000_000.0
    assert hours.is_open(at) and hours.next_open(at) == at
    assert hours.add_open_time(at, 900) == at + 900
    assert hours.open_seconds(at, at + 86_400 * 3) == 86_400 * 3


def test_wire_form_round_trips() -> None:
    hours = office(holidays=["2025-12-24", "2025-12-25"])
    again = BusinessHours.parse(hours.to_dict())
    assert again == hours
    assert hours.to_dict()["weekly"]["sat"] == [{"open": "10:00", "close": "14:00"}]
    assert hours.to_dict()["weekly"]["sun"] == []


MON = {"mon": [{"open": "09:00", "close": "12:00"}]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("nope", "hours: expected an object"),
        ({"time_zone": "Mars/Olympus", "weekly": {"mon": []}}, "time_zone: unknown time zone"),
        ({"time_zone": "UTC", "weekly": {}}, "open at least once a week"),
        ({"time_zone": "UTC", "weekly": {"funday": []}}, "weekly: expected an object"),
        ({"time_zone": "UTC", "weekly": {"mon": [{"open": "17:00", "close": "09:00"}]}}, "open must be before close"),
        ({"time_zone": "UTC", "weekly": {"mon": [{"open": "9", "close": "17:00"}]}}, "weekly.mon[0].open"),
        ({"time_zone": "UTC", "weekly": {"mon": [{"open": "24:30", "close": "24:45"}]}}, "weekly.mon[0].open"),
        (
            {
                "time_zone": "UTC",
                "weekly": {"mon": [{"open": "09:00", "close": "12:00"}, {"open": "11:00", "close": "13:00"}]},
            },
            "intervals overlap",
        ),
        (
            {"time_zone": "UTC", "weekly": {"mon": [{"open": "09:00", "close": "12:00"}]}, "holidays": ["24/12"]},
            "holidays[0]",
        ),
        ({"time_zone": "UTC", "weekly": MON, "extra": 1}, "unknown field"),
    ],
)
def test_bad_calendars_are_refused_with_the_field_named(data: Any, message: str) -> None:
    with pytest.raises(InvalidHours, match=message.replace("[", r"\[").replace("]", r"\]")):
        BusinessHours.parse(data)


@settings(max_examples=200, deadline=None)
@given(
    start=st.floats(min_value=1_700_000_000, max_value=1_800_000_000),
    seconds=st.integers(min_value=0, max_value=40 * 3600),
)
def test_added_open_time_is_exactly_the_open_time_in_between(start: float, seconds: int) -> None:
    """Across weeks, DST changes and holidays: add_open_time and open_seconds agree."""
    hours = office(holidays=["2025-03-31", "2025-10-27"])
    due = hours.add_open_time(start, seconds)
    assert due >= start
    assert hours.open_seconds(start, due) == pytest.approx(seconds, abs=1e-3)
    if seconds > 0:
        assert hours.is_open(due - 0.5)  # the last half second counted was open time
