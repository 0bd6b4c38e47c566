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

`callback_due` is the one function the callback lane calls for a new request and for a retry
after no answer; it is kept small and separate on purpose: counting only business hours
(issue 11) belongs here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WINDOWS: dict[str, tuple[time, time] | None] = {
    "asap": None,
    "morning": (time(8), time(12)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(20)),
}


@dataclass(frozen=True)
class CallbackDue:
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


def callback_due(window: str, requested_at: float, sla: timedelta, tz: ZoneInfo) -> CallbackDue:
    """The call may happen from `not_before` and is due by `due_at`, both inside the window."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}")
    hours = WINDOWS[window]
    if hours is None:
        return CallbackDue(requested_at, requested_at + sla.total_seconds())
    opens, closes = hours
    now = datetime.fromtimestamp(requested_at, UTC).astimezone(tz)
    day = now.date()
    if now >= _local(day, closes, tz):
        day += timedelta(days=1)  # today's window has closed: tomorrow's
    start = max(requested_at, _local(day, opens, tz).timestamp())
    end = _local(day, closes, tz).timestamp()
    # Elapsed time, not wall-clock time: the SLA is the same length on a daylight-saving day.
    return CallbackDue(start, min(start + sla.total_seconds(), end))
