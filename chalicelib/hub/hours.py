"""Business hours: a tenant's weekly opening hours in its own time zone, plus holidays (pure).

`BusinessHours` answers the three questions the hub asks of a calendar:

- `is_open(at)`: is the team open at this instant?
- `next_open(at)`: when does it open next (`at` itself when open)?
- `add_open_time(start, seconds)`: the instant `seconds` of open time after `start` — how a
  callback's due time and an SLA clock count only open hours (a 15-minute SLA requested at
  night is due 15 minutes after the next opening);

and `open_seconds(a, b)`, the open time between two instants (how long a chat has waited,
counting open hours only).

Hours are wall-clock times of the tenant's time zone (`zoneinfo`), so a day with a daylight
saving change simply has one hour less or more of open time when the hours span the change:
9:00-17:00 stays 9:00-17:00 local on both sides. A local time that does not exist (in the hour
skipped in spring) is read with the offset in force before the change, as `datetime` does with
`fold=0` (02:30 becomes 03:30); an interval wholly inside that gap is closed that day.

Instants are epoch seconds (the hub's `Clock`). An opening interval lies within one day
(`close` may be "24:00"); a night shift is two intervals, one each side of midnight. No I/O
here: the tenant's calendar is stored in the desk table (`chalicelib.store.desk`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import cached_property
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from msgspec import Struct, field

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
MAX_INTERVALS_PER_DAY = 4
MAX_HOLIDAYS = 100
# How far ahead the calendar looks for the next open window. A valid calendar opens at least
# once a week and has at most MAX_HOLIDAYS closed days, so an opening is always found within it.
HORIZON_DAYS = 7 * (MAX_HOLIDAYS + 2)
_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")

Interval = tuple[int, int]  # minutes after local midnight: [open, close)


class InvalidHours(ValueError):
    """A calendar that cannot be used; the message says which field and why."""


def _minutes(value: Any, where: str) -> int:
    m = _CLOCK.match(value) if isinstance(value, str) else None
    if m is None:
        raise InvalidHours(f"{where}: expected a time like '09:00' (00:00-24:00)")
    minutes = int(m.group(1)) * 60 + int(m.group(2))
    if minutes > MINUTES_PER_DAY:
        raise InvalidHours(f"{where}: 24:00 is the latest time of a day")
    return minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def zone(name: Any) -> ZoneInfo:
    """An IANA time zone (e.g. `Europe/Stockholm`), or `InvalidHours`."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise InvalidHours("time_zone: expected an IANA time zone such as 'Europe/Stockholm'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidHours(f"time_zone: unknown time zone {name!r}") from None


class BusinessHours(Struct, frozen=True, dict=True):  # dict: room for the cached time zone
    time_zone: str
    # One tuple of opening intervals per weekday, Monday first, sorted and not overlapping.
    weekly: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    # ------------------------------------------------------------------ building and reading
    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> BusinessHours:
        """The calendar of a tenant that set no hours: open around the clock."""
        return cls(time_zone, tuple(((0, MINUTES_PER_DAY),) for _ in DAYS))

    @classmethod
    def parse(cls, data: Any) -> BusinessHours:
        """From the wire form (`to_dict`); raises `InvalidHours` naming the bad field."""
        if not isinstance(data, dict):
            raise InvalidHours("hours: expected an object")
        unknown = set(data) - {"time_zone", "weekly", "holidays"}
        if unknown:
            raise InvalidHours(f"hours: unknown field(s) {', '.join(sorted(unknown))}")
        tz = data.get("time_zone")
        zone(tz)
        weekly_in = data.get("weekly")
        if not isinstance(weekly_in, dict) or set(weekly_in) - set(DAYS):
            raise InvalidHours(f"weekly: expected an object with days among {', '.join(DAYS)}")
        weekly: list[tuple[Interval, ...]] = []
        for day in DAYS:
            raw = weekly_in.get(day, [])
            if not isinstance(raw, list) or len(raw) > MAX_INTERVALS_PER_DAY:
                raise InvalidHours(f"weekly.{day}: expected at most {MAX_INTERVALS_PER_DAY} intervals")
            intervals: list[Interval] = []
            for i, item in enumerate(raw):
                where = f"weekly.{day}[{i}]"
                if not isinstance(item, dict) or set(item) != {"open", "close"}:
                    raise InvalidHours(f"{where}: expected {{open, close}}")
                start, end = _minutes(item["open"], f"{where}.open"), _minutes(item["close"], f"{where}.close")
                if start >= end:
                    raise InvalidHours(f"{where}: open must be before close")
                intervals.append((start, end))
            intervals.sort()
            for (_, end), (start, _) in pairwise(intervals):
                if start < end:
                    raise InvalidHours(f"weekly.{day}: intervals overlap")
            weekly.append(tuple(intervals))
        if not any(weekly):
            raise InvalidHours("weekly: the team must be open at least once a week")
        holidays_in = data.get("holidays", [])
        if not isinstance(holidays_in, list) or len(holidays_in) > MAX_HOLIDAYS:
            raise InvalidHours(f"holidays: expected at most {MAX_HOLIDAYS} dates")
        holidays: set[date] = set()
        for i, raw_day in enumerate(holidays_in):
            try:
                holidays.add(date.fromisoformat(raw_day))
            except (TypeError, ValueError):
                raise InvalidHours(f"holidays[{i}]: expected a date like '2025-12-24'") from None
        return cls(str(tz), tuple(weekly), frozenset(holidays))

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_zone": self.time_zone,
            "weekly": {
                day: [{"open": _clock(a), "close": _clock(b)} for a, b in intervals]
                for day, intervals in zip(DAYS, self.weekly, strict=True)
            },
            "holidays": sorted(d.isoformat() for d in self.holidays),
        }

    @cached_property
    def _tz(self) -> ZoneInfo:
        return zone(self.time_zone)

    # ------------------------------------------------------------------ open windows
    def _at(self, day: date, minutes: int) -> float:
        """Epoch seconds of a wall-clock time of the tenant's zone (24:00 is the next midnight)."""
        if minutes == MINUTES_PER_DAY:
            day, minutes = day + timedelta(days=1), 0
        return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=self._tz).timestamp()

    def windows(self, since: float) -> Iterator[tuple[float, float]]:
        """Open windows `[open, close)` that end after `since`, in order. Adjacent windows (a day
        open until 24:00 and the next from 00:00) are not merged: nothing here needs them merged."""
        first = datetime.fromtimestamp(since, self._tz).date() - timedelta(days=1)
        for offset in range(HORIZON_DAYS + 2):
            day = first + timedelta(days=offset)
            if day in self.holidays:
                continue
            for start_min, end_min in self.weekly[day.weekday()]:
                start, end = self._at(day, start_min), self._at(day, end_min)
                if end > start and end > since:  # end <= start: wholly inside a skipped DST hour
                    yield start, end

    def is_open(self, at: float) -> bool:
        for start, _end in self.windows(at):
            return start <= at
        return False

    def next_open(self, at: float) -> float | None:
        """`at` when open, else the start of the next open window (None: never opens)."""
        for start, _end in self.windows(at):
            return max(start, at)
        return None

    def add_open_time(self, start: float, seconds: float) -> float:
        """The instant after `seconds` of open time counted from `start`."""
        left = max(0.0, seconds)
        for w_start, w_end in self.windows(start):
            begin = max(w_start, start)
            if begin + left <= w_end:
                return begin + left
            left -= w_end - begin
        raise InvalidHours("the calendar has no open time ahead")  # parse() rules this out

    def open_seconds(self, a: float, b: float) -> float:
        """Open time between two instants (0 when `b` is not after `a`)."""
        total = 0.0
        if b <= a:
            return total
        for w_start, w_end in self.windows(a):
            if w_start >= b:
                break
            total += min(w_end, b) - max(w_start, a)
        return total
