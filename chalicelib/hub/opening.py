"""The tenant's business hours as the hub uses them: the calendar (`hours.py`) read from the desk
table, whether the team is open now, and setting the hours.

A tenant that never set hours is open around the clock (in UTC), so nothing changes for it.
Every use reads the calendar (one eventually consistent GetItem, AP-D3): a change of hours
applies at once in every container, and the read costs less than keeping caches coherent.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from chalicelib.contract.views import BusinessHoursView, TeamStatus
from chalicelib.hub.hours import BusinessHours, InvalidHours
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import InvalidAction
from chalicelib.store import keys
from chalicelib.store.desk_models import HoursItem
from chalicelib.store.ports import DeskStore


class Opening:
    def __init__(self, store: DeskStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def configured(self, tenant: str) -> BusinessHours | None:
        """The tenant's own calendar; None when it set no hours."""
        item = self.store.get_hours(tenant)
        if item is None:
            return None
        return BusinessHours.parse(
            {
                "time_zone": item.time_zone,
                "weekly": json.loads(str(item.weekly)),
                "holidays": sorted(item.holidays or ()),
            }
        )

    def calendar(self, tenant: str) -> BusinessHours:
        """The calendar every time rule counts with (open around the clock when none is set)."""
        return self.configured(tenant) or BusinessHours.always_open()

    def is_open(self, tenant: str) -> bool:
        return self.calendar(tenant).is_open(self.clock.now())

    def team(self, tenant: str) -> TeamStatus:
        return team_status(self.calendar(tenant), self.clock.now())

    def hours_view(self, tenant: str) -> BusinessHoursView | None:
        """The tenant's hours (None: open around the clock)."""
        own = self.configured(tenant)
        return hours_view(own) if own is not None else None

    def add_open_time(self, tenant: str, start: float, seconds: float) -> float:
        """`seconds` of the tenant's open time after `start` (callback due times, SLA clocks)."""
        return self.calendar(tenant).add_open_time(start, seconds)

    def set(self, actor: Actor, data: Any) -> BusinessHours:
        """Replaces the tenant's hours; `data` is the wire form (a contract Struct or a dict)."""
        if isinstance(data, msgspec.Struct):
            data = msgspec.to_builtins(data)
        try:
            calendar = BusinessHours.parse(data)
        except InvalidHours as exc:
            raise InvalidAction(str(exc)) from None
        wire = calendar.to_dict()
        self.store.put_hours(
            HoursItem(
                actor.tenant,
                keys.HOURS_SK,
                time_zone=calendar.time_zone,
                weekly=json.dumps(wire["weekly"], separators=(",", ":")),
                holidays=set(wire["holidays"]) or None,
                updated_at=self.clock.now(),
                updated_by=actor.name,
            )
        )
        return calendar

    def clear(self, actor: Actor) -> None:
        """No hours any more: the team is open around the clock."""
        self.store.delete_hours(actor.tenant)


def team_status(hours: BusinessHours, now: float) -> TeamStatus:
    """Open now, or closed and when it opens next."""
    if hours.is_open(now):
        return TeamStatus(True, None)
    opens = hours.next_open(now)
    return TeamStatus(False, iso(opens) if opens is not None else None)


def hours_view(hours: BusinessHours) -> BusinessHoursView:
    return msgspec.convert(hours.to_dict(), BusinessHoursView)
