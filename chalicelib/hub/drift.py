"""The drift sweep (every minute): agents whose heartbeats stopped are marked away, then offline
(their chosen status stays), typing indicators that never stopped are switched off, and the
tenant's widgets are told when nobody can answer any more (`hub/availability.py`: heartbeats
that stop without a `$disconnect` are noticed here). It also counts the open connections, the
gauge on-call reads on the operations dashboard (`OpenAgentConnections`,
`OpenCustomerConnections`: one count query per tenant and role, never a Scan).

Idempotent: a second run finds nothing new to change; each change is conditioned on what the
sweep read, so a heartbeat or keystroke that arrives meanwhile wins.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.live import payloads
from chalicelib.live.port import LivePort
from chalicelib.live.presence import PresenceRule
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store.ports import HubStore

# A typing indicator with no refresh for this long was left on by a client that went away: while
# keys are pressed it is at most TYPING_REFRESH_SECONDS + one repeat of the client (10 s, plus up
# to 4 s to the next key) old. (A spell's opening `start` is never stored: the sweep sees a spell
# from its second `start` on.)
TYPING_STALE_SECONDS = 45


class DriftSweep:
    """Past the presence window an agent shows as away; once the presence rule says they are
    gone (the grace period), offline."""

    def __init__(
        self,
        store: HubStore,
        live: LivePort,
        clock: Clock,
        rule: PresenceRule,
        availability_changed: Callable[[str], object] = lambda _tenant: None,
    ) -> None:
        self.store = store
        self.live = live
        self.clock = clock
        self.rule = rule
        self.availability_changed = availability_changed

    def sweep(self) -> dict[str, int]:
        stats = {
            "presence_drift": 0,
            "typing_cleared": 0,
            "tenants": 0,
            "agent_connections": 0,
            "customer_connections": 0,
        }
        now = self.clock.now()
        for tenant in self.store.tenant_ids():
            stats["tenants"] += 1
            stats["agent_connections"] += self.store.open_connections(tenant, "agent")
            stats["customer_connections"] += self.store.open_connections(tenant, "customer")
            drifting = 0
            team = self.store.tenant_presence(tenant)
            available = len(self.rule.available_agents(team, now))
            for p in team:
                if p.status == "offline" or self.rule.reachable(p, now):
                    continue
                drifting += 1
                target = "offline" if self.rule.gone(p, now) else "away"
                if p.drift_status != target and self.store.mark_presence_drift(p, target):
                    p.drift_status = target
                    self.live.push_to_agents(tenant, payloads.presence_event(p, False, available))
            typing_cleared = 0
            for indicator in self.store.stale_typing(tenant, now - TYPING_STALE_SECONDS):
                if self.store.clear_typing(indicator):
                    typing_cleared += 1
                    self.live.typing_stopped(tenant, indicator.conversation_id, indicator.user_id)
            self.store.set_drift_figures(tenant, drifting, typing_cleared)
            self.availability_changed(tenant)
            stats["presence_drift"] += drifting
            stats["typing_cleared"] += typing_cleared
        # A gauge: emitted on every run (the dashboard reads its maximum per period).
        metrics.add_metric(name="OpenAgentConnections", unit=MetricUnit.Count, value=stats["agent_connections"])
        metrics.add_metric(name="OpenCustomerConnections", unit=MetricUnit.Count, value=stats["customer_connections"])
        if stats["presence_drift"] or stats["typing_cleared"]:
            metrics.add_metric(name="PresenceDrift", unit=MetricUnit.Count, value=stats["presence_drift"])
            metrics.add_metric(name="TypingDriftCleared", unit=MetricUnit.Count, value=stats["typing_cleared"])
        return stats
