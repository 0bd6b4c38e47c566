"""Hub counters: read and pushed live to the dashboards, the delivery-failure window, and the
idempotent recompute that repairs drift.

Every change keeps the stored counters current in its own transaction (`store/counters.py`
says what each item contributes); the recompute sums the contributions of the open items
from the sparse open-work indexes (cost grows with open work, not history) and SETs the
absolute values, so running it twice changes nothing.
"""

from __future__ import annotations

from typing import Any

from chalicelib.contract.events import CountersEvent
from chalicelib.contract.views import Counters as CountersView
from chalicelib.live.port import LivePort
from chalicelib.live.presence import PresenceRule
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import MetricUnit, logger, metrics
from chalicelib.store import counters
from chalicelib.store.ports import HubStore
from chalicelib.store.work_models import HubCounters

DELIVERY_WINDOW_SECONDS = 5 * 60
SHOWN = (*counters.COUNTER_NAMES, "agents_available")


def stored_values(stored: HubCounters | None) -> dict[str, int]:
    if stored is None:
        return {name: 0 for name in SHOWN}
    return {name: int(getattr(stored, name) or 0) for name in SHOWN}


class Counters:
    def __init__(self, store: HubStore, live: LivePort, clock: Clock, rule: PresenceRule) -> None:
        self.store = store
        self.live = live
        self.clock = clock
        self.rule = rule

    def agents_available(self, tenant: str) -> int:
        return len(self.rule.available_agents(self.store.tenant_presence(tenant), self.clock.now()))

    def view(self, tenant: str) -> CountersView:
        values = stored_values(self.store.get_counters(tenant))
        values["agents_available"] = self.agents_available(tenant)
        return CountersView(**values)

    def push(self, tenant: str) -> None:
        self.live.push_to_agents(tenant, CountersEvent(self.view(tenant)))

    def record_delivery_failures(self, tenant: str, failed: int) -> None:
        """Failed deliveries count within a 5-minute window (the launch check reads the window)."""
        now = self.clock.now()
        current = self.store.get_counters(tenant) or HubCounters(tenant)
        if now - float(current.delivery_window_at or 0) > DELIVERY_WINDOW_SECONDS:
            self.store.reset_delivery_failures(tenant, failed, now)
        else:
            self.store.add_delivery_failures(tenant, failed)

    def recompute(self) -> dict[str, int]:
        """Recounts every tenant from the sparse open-work indexes (cost grows with open
        items, not history) and SETs the absolute values: idempotent, and it repairs drift."""
        stats = {"tenants": 0, "drift": 0, "items_read": 0}
        now = self.clock.now()
        for tenant in self.store.tenant_ids():
            stats["tenants"] += 1
            open_items: list[Any] = [
                *self.store.open_tickets(tenant),
                *self.store.open_callbacks(tenant),
                *self.store.active_conversations(tenant),
            ]
            stats["items_read"] += len(open_items)
            fresh = {name: 0 for name in counters.COUNTER_NAMES}
            for item in open_items:
                for name, value in counters.contribution(item).items():
                    fresh[name] += value
            fresh["agents_available"] = self.agents_available(tenant)
            before = stored_values(self.store.get_counters(tenant))
            drift = sum(abs(fresh[k] - before[k]) for k in counters.COUNTER_NAMES)
            self.store.set_counters(tenant, {**fresh, "last_drift": drift}, now)
            stats["drift"] += drift
            if drift:
                logger.warning("counter drift repaired", extra={"tenant": tenant, "before": before, "after": fresh})
                metrics.add_metric(name="CounterDrift", unit=MetricUnit.Count, value=drift)
            if drift or fresh["agents_available"] != before["agents_available"]:
                self.push(tenant)
        return stats
