"""The tenant's business hours as the hub uses them: the calendar (`hours.py`) read from the desk
table, whether the team is open now, and setting the hours.

The hours are wall-clock times of the tenant's one time zone, `Tenant.time_zone` (the team
setting `PATCH /tenant` changes, which callback windows are read in too); the desk item holds
only the week and the closed days. A tenant that never set hours is open around the clock, so
nothing changes for it. Every use reads the calendar (two eventually consistent GetItems, AP-D3
and AP-T1): a change of hours applies at once in every container, and the reads cost less than
keeping caches coherent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import msgspec

from chalicelib.contract.views.agent_day import BusinessHoursView
from chalicelib.contract.views.hub import TeamStatus
from chalicelib.hub.hours import BusinessHours, InvalidHours
from chalicelib.hub.settings import TeamSettings
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import InvalidAction
from chalicelib.store import keys
from chalicelib.store.desk_models import HoursItem
from chalicelib.store.ports import DeskStore, TenantStore


class Opening:
    def __init__(self, store: DeskStore, tenants: TenantStore, team: TeamSettings, clock: Clock) -> None:
        self.store = store
        self.tenants = tenants
        self.team_settings = team  # the time zone is a team setting: changing it goes through there
        self.clock = clock
        # Told the tenant after its hours changed (wiring: the widgets' offer, the dashboards).
        self.changed: list[Callable[[str], object]] = []

    def time_zone(self, tenant: str) -> str:
        """The tenant's one time zone (`Tenant.time_zone`; UTC for a tenant that never set one)."""
        found = self.tenants.get_tenant(tenant)
        return str(found.time_zone) if found is not None and found.time_zone else "UTC"

    def configured(self, tenant: str) -> BusinessHours | None:
        """The tenant's own calendar; None when it set no hours."""
        item = self.store.get_hours(tenant)
        if item is None:
            return None
        return BusinessHours.parse(
            {
                "time_zone": self.time_zone(tenant),
                "weekly": json.loads(str(item.weekly)),
                "holidays": sorted(item.holidays or ()),
            }
        )

    def calendar(self, tenant: str) -> BusinessHours:
        """The calendar every time rule counts with (open around the clock when none is set)."""
        return self.configured(tenant) or BusinessHours.always_open(self.time_zone(tenant))

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
        """Replaces the tenant's hours; `data` is the wire form (a contract Struct or a dict).
        A `time_zone` in it is the tenant's one time zone: when it differs, the team setting
        changes too (recorded like any settings change), after the whole calendar was checked,
        so a refused calendar changes nothing."""
        if isinstance(data, msgspec.Struct):
            data = msgspec.to_builtins(data)
        if not isinstance(data, dict):
            raise InvalidAction("hours: expected an object")
        current = self.time_zone(actor.tenant)
        try:
            calendar = BusinessHours.parse({**data, "time_zone": data.get("time_zone") or current})
        except InvalidHours as exc:
            raise InvalidAction(str(exc)) from None
        if calendar.time_zone != current:
            self.team_settings.change(actor, {"time_zone": calendar.time_zone})
        wire = calendar.to_dict()
        self.store.put_hours(
            HoursItem(
                actor.tenant,
                keys.HOURS_SK,
                weekly=json.dumps(wire["weekly"], separators=(",", ":")),
                holidays=set(wire["holidays"]) or None,
                updated_at=self.clock.now(),
                updated_by=actor.name,
            )
        )
        self._tell(actor.tenant)
        return calendar

    def clear(self, actor: Actor) -> None:
        """No hours any more: the team is open around the clock."""
        self.store.delete_hours(actor.tenant)
        self._tell(actor.tenant)

    def _tell(self, tenant: str) -> None:
        for listener in self.changed:
            listener(tenant)


def team_status(hours: BusinessHours, now: float) -> TeamStatus:
    """Open now, or closed and when it opens next."""
    if hours.is_open(now):
        return TeamStatus(True, None)
    opens = hours.next_open(now)
    return TeamStatus(False, iso(opens) if opens is not None else None)


def hours_view(hours: BusinessHours) -> BusinessHoursView:
    return msgspec.convert(hours.to_dict(), BusinessHoursView)
