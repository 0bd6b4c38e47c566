"""Hub counters: read and pushed live to the dashboards, the delivery-failure window, and the
idempotent recompute that repairs drift.

Every change keeps the stored counters current in its own transaction (`store/counters.py`
says what each item contributes); the recompute sums the contributions of the open items
from the sparse open-work indexes (cost grows with open work, not history) and SETs the
absolute values, so running it twice changes nothing.

Pushing them: with `pushed_by_stream` (as deployed, and on the local stack) a change pushes
nothing itself. The counters table's DynamoDB stream calls `stream_batch` with the records of
up to about one second (Lambda's batching window), and each tenant whose shown counters
changed gets its *current stored* counters once per batch: however fast changes come, an
agent connection hears at most about one `counters` event per second, and the last one
carries the final values. Stream records arrive twice and out of order; since the push reads
the table instead of applying the records, that changes nothing. A presence change writes
how many agents can answer into the item (only when it differs), so the stream pushes that
too. Without a stream (the in-process tests) every change pushes at once, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.contract.events import CountersEvent
from chalicelib.contract.views.hub import Counters as CountersView
from chalicelib.contract.views.hub import TeamStatus
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
    def __init__(
        self,
        store: HubStore,
        live: LivePort,
        clock: Clock,
        rule: PresenceRule,
        team: Callable[[str], TeamStatus] | None = None,
        *,
        pushed_by_stream: bool,
    ) -> None:
        self.store = store
        self.live = live
        self.clock = clock
        self.rule = rule
        # Whether the team is within its business hours, pushed with the counters.
        self.team = team
        self.pushed_by_stream = pushed_by_stream

    def agents_available(self, tenant: str) -> int:
        return len(self.rule.available_agents(self.store.tenant_presence(tenant), self.clock.now()))

    def view(self, tenant: str) -> CountersView:
        values = stored_values(self.store.get_counters(tenant))
        values["agents_available"] = self.agents_available(tenant)
        return CountersView(**values)

    def push(self, tenant: str) -> None:
        event = CountersEvent(counters=self.view(tenant))
        if self.team is not None:
            event.team = self.team(tenant)
        self.live.push_to_agents(tenant, event)

    def changed(self, tenant: str) -> None:
        """A change already stored the tenant's new counters: push them, unless the stream does."""
        if not self.pushed_by_stream:
            self.push(tenant)

    def presence_changed(self, tenant: str, available: int) -> None:
        """An agent's presence changed, and the agents were told how many can answer now
        (`available`, in the `presence` event). With the stream, that number is stored when it
        differs, and the stream pushes no `counters` for it (`store/counters.stream_tenants`);
        without, the counters go out now, as before."""
        if not self.pushed_by_stream:
            self.push(tenant)
            return
        counters.record_agents_available(tenant, available)

    def stream_batch(self, records: list[dict[str, Any]]) -> dict[str, int]:
        """One batch of the counters table's stream: each tenant whose shown counters changed gets
        its current counters once. Idempotent (duplicates and reordering push the same state). One
        tenant failing never keeps the others; then the batch raises, so Lambda delivers it again
        (pushing a tenant twice is harmless) and a final state is never lost to a passing error."""
        tenants = counters.stream_tenants(records)
        failed = 0
        for tenant in tenants:
            try:
                self.push(tenant)
            except Exception:
                failed += 1
                metrics.add_metric(name="CounterPushFailures", unit=MetricUnit.Count, value=1)
                logger.exception("counters push failed", extra={"tenant": tenant})
        if failed:
            raise RuntimeError(f"counters push failed for {failed} of {len(tenants)} tenants; the batch is retried")
        return {"records": len(records), "tenants": len(tenants), "failed": failed}

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
            # What it wrote differs from what the dashboards show: the stream pushes a counter's
            # repair (pushing here too sent every agent connection the same event twice), but not
            # a new number of agents available alone, which only presence events carry.
            available_changed = fresh["agents_available"] != before["agents_available"]
            stream_pushes = self.pushed_by_stream and drift
            if (drift or available_changed) and not stream_pushes:
                self.push(tenant)
        return stats
