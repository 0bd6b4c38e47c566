"""EventBridge schedule expressions: `rate(...)` exactly, `cron(...)` for the common syntax.

`cron(Minutes Hours Day-of-month Month Day-of-week Year)`, evaluated in UTC like
EventBridge, with `*`, `?`, lists, ranges, `/` steps and month/day names. The special
`L`, `W` and `#` forms are not evaluated: such an expression is approximated by running
once an hour (`CronExpression.approximate` says so, and the scheduler logs it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    m: i + 1 for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
}
_DAYS = {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}


class UnsupportedCron(ValueError):
    pass


def expression_string(expression: Any) -> str:
    """A chalice `Rate`/`Cron` object or an expression string, as EventBridge's string."""
    if isinstance(expression, str):
        return expression.strip()
    to_string = getattr(expression, "to_string", None)
    if callable(to_string):
        return str(to_string())
    raise ValueError(f"not a schedule expression: {expression!r}")


def rate_seconds(expression: str) -> int | None:
    """Seconds between runs of a `rate(...)` expression; None for anything else."""
    match = _RATE.match(expression.strip())
    if not match:
        return None
    value, unit = int(match.group(1)), match.group(2).lower().rstrip("s")
    if value <= 0:
        raise ValueError(f"rate must be positive: {expression!r}")
    return value * _UNIT_SECONDS[unit]


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int] | None:
    """The allowed values of one cron field; None for `?` (no constraint from this field)."""
    if text == "?":
        return None
    values: set[int] = set()
    for part in text.split(","):
        for token in re.split(r"[-/]", part.upper()):
            if token in ("", "*") or token.isdigit() or (names and token in names):
                continue
            if any(special in token for special in ("L", "W", "#")):
                raise UnsupportedCron(part)
            raise ValueError(f"bad cron field {text!r}")
        step = 1
        span = part
        if "/" in part:
            span, step_text = part.split("/", 1)
            step = int(step_text)
            if step <= 0:
                raise ValueError(f"bad step in {text!r}")
        if span in ("*", ""):
            start, end = low, high
        elif "-" in span:
            a, b = span.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(span, names)
            end = high if step != 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise ValueError(f"value out of range in {text!r}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(text: str, names: dict[str, int] | None) -> int:
    upper = text.upper()
    if names and upper in names:
        return names[upper]
    return int(text)


@dataclass(frozen=True)
class CronExpression:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None
    months: frozenset[int]
    days_of_week: frozenset[int] | None
    years: frozenset[int]
    approximate: bool = False

    @classmethod
    def parse(cls, expression: str) -> CronExpression:
        match = _CRON.match(expression.strip())
        if not match:
            raise ValueError(f"not a cron expression: {expression!r}")
        parts = match.group(1).split()
        if len(parts) != 6:
            raise ValueError(f"cron needs 6 fields: {expression!r}")
        try:
            return cls(
                minutes=_field(parts[0], 0, 59) or frozenset(range(60)),
                hours=_field(parts[1], 0, 23) or frozenset(range(24)),
                days_of_month=_field(parts[2], 1, 31),
                months=_field(parts[3], 1, 12, _MONTHS) or frozenset(range(1, 13)),
                days_of_week=_field(parts[4], 1, 7, _DAYS),
                years=_field(parts[5], 1970, 2199) or frozenset(range(1970, 2200)),
            )
        except UnsupportedCron:
            # L / W / # are not evaluated locally: run hourly, on the minute given if any.
            minute = int(parts[0]) if parts[0].isdigit() else 0
            return cls(
                minutes=frozenset({minute}),
                hours=frozenset(range(24)),
                days_of_month=None,
                months=frozenset(range(1, 13)),
                days_of_week=None,
                years=frozenset(range(1970, 2200)),
                approximate=True,
            )

    def _day_matches(self, t: datetime) -> bool:
        aws_dow = (t.weekday() + 1) % 7 + 1  # AWS: 1 = SUN ... 7 = SAT
        dom_ok = self.days_of_month is None or t.day in self.days_of_month
        dow_ok = self.days_of_week is None or aws_dow in self.days_of_week
        return dom_ok and dow_ok

    def next_after(self, after: datetime) -> datetime | None:
        """The first matching minute strictly after `after` (UTC); None if there is none."""
        t = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = t.replace(year=min(t.year + 8, 2199))
        while t <= limit:
            if t.year not in self.years:
                t = datetime(t.year + 1, 1, 1, tzinfo=UTC)
            elif t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            elif not self._day_matches(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
            elif t.minute not in self.minutes:
                t = t + timedelta(minutes=1)
            else:
                return t
        return None
