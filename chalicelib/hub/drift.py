"""The drift sweep (every minute): agents whose heartbeats stopped are marked away, then offline
(their chosen status stays), and typing indicators that never stopped are switched off.

Idempotent: a second run finds nothing new to change; each change is conditioned on what the
sweep read, so a heartbeat or keystroke that arrives meanwhile wins.
"""

from __future__ import annotations

from chalicelib.live import payloads
from chalicelib.live.port import LivePort
from chalicelib.live.presence import is_reachable
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store.ports import HubStore

# A typing indicator with no refresh for this long was left on by a client that went away.
TYPING_STALE_SECONDS = 15
# Past the presence window an agent shows as away; past this, offline.
OFFLINE_AFTER_SECONDS = 10 * 60


class DriftSweep:
    def __init__(self, store: HubStore, live: LivePort, clock: Clock, presence_window: float) -> None:
        self.store = store
        self.live = live
        self.clock = clock
        self.presence_window = presence_window

    def sweep(self) -> dict[str, int]:
        stats = {"presence_drift": 0, "typing_cleared": 0, "tenants": 0}
        now = self.clock.now()
        for tenant in self.store.tenant_ids():
            stats["tenants"] += 1
            drifting = 0
            for p in self.store.tenant_presence(tenant):
                if p.status == "offline" or is_reachable(p, now, self.presence_window):
                    continue
                drifting += 1
                silent = now - float(p.heartbeat_at or 0)
                target = "offline" if silent >= OFFLINE_AFTER_SECONDS else "away"
                if p.drift_status != target and self.store.mark_presence_drift(p, target):
                    p.drift_status = target
                    self.live.push_to_agents(tenant, payloads.presence_event(p, False))
            typing_cleared = 0
            for indicator in self.store.stale_typing(tenant, now - TYPING_STALE_SECONDS):
                if self.store.clear_typing(indicator):
                    typing_cleared += 1
                    self.live.typing_stopped(tenant, indicator.conversation_id, indicator.user_id)
            self.store.set_drift_figures(tenant, drifting, typing_cleared)
            stats["presence_drift"] += drifting
            stats["typing_cleared"] += typing_cleared
        if stats["presence_drift"] or stats["typing_cleared"]:
            metrics.add_metric(name="PresenceDrift", unit=MetricUnit.Count, value=stats["presence_drift"])
            metrics.add_metric(name="TypingDriftCleared", unit=MetricUnit.Count, value=stats["typing_cleared"])
        return stats
