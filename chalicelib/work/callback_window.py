"""When a callback is due: the customer's chosen window, read in the tenant's time zone (pure).

Windows, in the tenant's local time (`Tenant.time_zone`, an IANA name read with the standard
library's `zoneinfo`; the `tzdata` package carries the zone data into the Lambda):

=========  ===============  ================================================================
window     local hours      the callback…
=========  ===============  ================================================================
asap       any time         may be called now; due after the tenant's SLA
morning    08:00 - 12:00    may be called from the window's next opening (now, if inside it);
afternoon  12:00 - 17:00    due the SLA after that, but never after the window closes — so
evening    17:00 - 20:00    the due time always falls inside the window the customer chose
=========  ===============  ================================================================

A request made after today's window has closed goes to tomorrow's. Local times are built with
`zoneinfo`, so a window on a daylight-saving change day still opens at 08:00 local time.

Business hours (issue 11) count too, when the tenant set them: the call may happen only while
the team is open *and* inside the chosen window, and the SLA counts open time only. A callback
asked for at night is due its SLA after the next opening; a "morning" request on a day the team
opens at 10:00 may be called from 10:00; a window the team is not open in on a given day moves
to the next day it is. The calendar is anything with `windows(since)` (`hub/hours.BusinessHours`
is one), so this module stays pure and the work lane does not import the hub.

`callback_due` is the one function the callback lane calls for a new request and for a retry
after no answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from msgspec import Struct

WINDOWS: dict[str, tuple[time, time] | None] = {
    "asap": None,
    "morning": (time(8), time(12)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(20)),
}


class OpenHours(Protocol):
    """A tenant's business hours, in the tenant's time zone (`hub/hours.BusinessHours`)."""

    def windows(self, since: float) -> Iterator[tuple[float, float]]:
        """Open windows `[open, close)` that end after `since`, in order, each within one local day."""
        ...


class NeverOpenInWindow(ValueError):
    """The team is never open inside the chosen window (e.g. "evening" for a team that closes at 17)."""


class CallbackDue(Struct, frozen=True):
    not_before: float  # epoch seconds: call no earlier than this
    due_at: float  # epoch seconds: overdue after this; not_before <= due_at, both inside the window


def zone(name: str | None) -> ZoneInfo:
    """The tenant's zone; raises ValueError for a name that is not an IANA time zone."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def _whole_days(since: float, tz: ZoneInfo) -> Iterator[tuple[float, float]]:
    """The calendar of a tenant without business hours: every local day, open all day."""
    day = datetime.fromtimestamp(since, tz).date()
    while True:
        start, day = _local(day, time(0), tz).timestamp(), day + timedelta(days=1)
        yield start, _local(day, time(0), tz).timestamp()


def _allowed(
    window: str, since: float, open_windows: Iterator[tuple[float, float]], tz: ZoneInfo
) -> Iterator[tuple[date, float, float]]:
    """The stretches from `since` on when a call may happen: open, and inside the chosen window of
    that local day; each with its local day."""
    hours = WINDOWS[window]
    for w_start, w_end in open_windows:
        day = datetime.fromtimestamp(w_start, tz).date()
        start, end = max(w_start, since), w_end
        if hours is not None:
            start, end = (
                max(start, _local(day, hours[0], tz).timestamp()),
                min(end, _local(day, hours[1], tz).timestamp()),
            )
        if end > start:
            yield day, start, end


def callback_due(
    window: str, requested_at: float, sla: timedelta, tz: ZoneInfo, hours: OpenHours | None = None
) -> CallbackDue:
    """The call may happen from `not_before` and is due by `due_at`, both inside the window and
    inside the team's open hours (`hours`; None: open around the clock). The SLA is open time:
    `asap` counts it across days; a chosen window's due time never passes that window's close
    (nor its last open moment that day). Raises NeverOpenInWindow when no day has both."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}")
    open_windows = hours.windows(requested_at) if hours is not None else _whole_days(requested_at, tz)
    left = sla.total_seconds()
    not_before: float | None = None
    first_day: date | None = None
    last_end = requested_at
    # Elapsed time, not wall-clock time: the SLA is the same length on a daylight-saving day.
    for day, start, end in _allowed(window, requested_at, open_windows, tz):
        if not_before is None:
            not_before, first_day = start, day
        elif WINDOWS[window] is not None and day != first_day:
            return CallbackDue(not_before, last_end)  # the chosen window of that day has closed
        if start + left <= end:
            return CallbackDue(not_before, start + left)
        left -= end - start
        last_end = end
    if not_before is None:
        raise NeverOpenInWindow(f"the team is not open in the {window} window")
    return CallbackDue(not_before, last_end)  # parse() rules out a calendar without open time ahead
