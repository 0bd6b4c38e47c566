"""Support command: one overview for a team lead — counters, the pressure on each lane, drift,
the next move, the launch decision and the mode."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from chalicelib.hub.counters import DELIVERY_WINDOW_SECONDS, Counters
from chalicelib.hub.hours import BusinessHours
from chalicelib.hub.launch import LaunchDecision, launch_check
from chalicelib.hub.next_move import next_move
from chalicelib.hub.pressure import Pressure
from chalicelib.live.presence import is_available, is_reachable
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import NotFound
from chalicelib.store.models import Tenant
from chalicelib.store.ports import HubStore
from chalicelib.store.work_models import HubCounters


class SupportCommand:
    def __init__(
        self,
        store: HubStore,
        counters: Counters,
        clock: Clock,
        presence_window: float,
        calendar: Callable[[str], BusinessHours] = lambda _tenant: BusinessHours.always_open(),
        extras: Callable[[str], dict[str, Any]] = lambda _tenant: {},
    ) -> None:
        self.store = store
        self.counters = counters
        self.clock = clock
        self.presence_window = presence_window
        # The tenant's business hours: waiting ages count open time only, and the next move and
        # the launch decision know whether the team is open.
        self.calendar = calendar
        # More for the snapshot (CSAT of the last days): tenant → fields.
        self.extras = extras

    def pressure(self, tenant: str) -> Pressure:
        now = self.clock.now()
        hours = self.calendar(tenant)

        def waited(since: float) -> float:
            return hours.open_seconds(since, now)

        window = self.presence_window
        stored = self.store.get_counters(tenant) or HubCounters(tenant)
        tickets = self.store.open_tickets(tenant)
        callbacks = self.store.open_callbacks(tenant)
        chats = self.store.active_conversations(tenant)
        presence = self.store.tenant_presence(tenant)
        overdue = [c for c in callbacks if c.overdue]
        queued_on_time = [c for c in callbacks if c.status == "queued" and not c.overdue]
        waiting = [t for t in tickets if t.status in ("waiting_internal", "waiting_customer")]
        unanswered = [m for m in chats if m.preview_role == "customer"]
        recent_failures = (
            int(stored.delivery_failures or 0)
            if now - float(stored.delivery_window_at or 0) <= DELIVERY_WINDOW_SECONDS
            else 0
        )
        return Pressure(
            open_tickets=len(tickets),
            waiting_internal=sum(1 for t in tickets if t.status == "waiting_internal"),
            callback_queued=len(queued_on_time),
            callback_overdue=len(overdue),
            active_chats=len(chats),
            unanswered_chats=len(unanswered),
            agents_available=sum(1 for p in presence if is_available(p, now, window)),
            presence_drift=sum(1 for p in presence if p.status != "offline" and not is_reachable(p, now, window)),
            typing_drift=int(stored.typing_drift or 0),
            failing_deliveries=recent_failures,
            oldest_overdue_callback_s=max((waited(float(c.due_at)) for c in overdue), default=None),
            oldest_waiting_ticket_s=max((waited(float(t.status_at)) for t in waiting), default=None),
            oldest_unanswered_chat_s=max(
                (waited(float(m.preview_at or m.updated_at)) for m in unanswered), default=None
            ),
            team_open=hours.is_open(now),
        )

    def snapshot(self, tenant_id: str) -> dict[str, Any]:
        """Everything support command shows: counters, lanes, drift, next move, launch, mode."""
        tenant = self.tenant(tenant_id)
        p = self.pressure(tenant_id)
        return {
            "tenant": tenant_id,
            "mode": {
                "mode": tenant.mode,
                "at": iso(float(tenant.mode_at)) if tenant.mode_at else None,
                "by": tenant.mode_by,
            },
            "counters": self.counters.view(tenant_id),
            "pressure": asdict(p),
            "next_move": asdict(next_move(p)),
            "launch": launch_view(launch_check(p)),
            **self.extras(tenant_id),
        }

    def tenant(self, tenant_id: str) -> Tenant:
        tenant = self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound(f"no tenant {tenant_id!r}")
        return tenant


def launch_view(decision: LaunchDecision) -> dict[str, Any]:
    return {
        "ready": decision.ready,
        "headline": decision.headline,
        "blockers": [asdict(b) for b in decision.blockers],
    }
