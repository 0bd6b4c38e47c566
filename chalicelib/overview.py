"""Support command: the hub counters pushed live, their idempotent recompute, the drift sweep,
the pressure on each lane, the next move, the launch decision and the hub's mode."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chalicelib import counters, events
from chalicelib.callbacks import Actor, AlreadyTaken
from chalicelib.clock import Clock, iso
from chalicelib.errors import InvalidAction, NotFound
from chalicelib.launch import LaunchDecision, launch_check
from chalicelib.live import LiveLane
from chalicelib.models import AgentPresence, HubCounters, Tenant
from chalicelib.next_move import Pressure, next_move
from chalicelib.observability import MetricUnit, logger, metrics
from chalicelib.work_store import WorkStore, history_entry, subject

MODES = ("ready", "live", "recovery")
# A typing indicator with no refresh for this long was left on by a client that went away.
TYPING_STALE_SECONDS = 15
# Past the presence window an agent shows as away; past this, offline.
OFFLINE_AFTER_SECONDS = 10 * 60
DELIVERY_WINDOW_SECONDS = 5 * 60


class Overview:
    def __init__(self, store: WorkStore, lane: LiveLane, clock: Clock) -> None:
        self.store = store
        self.lane = lane
        self.clock = clock

    # ------------------------------------------------------------------ counters
    def counters(self, tenant: str) -> dict[str, int]:
        values = counters.view(self.store.get_counters(tenant))
        values["agents_available"] = len(self.lane.available_agents(tenant))
        return values

    def push_counters(self, tenant: str) -> None:
        self.lane.broadcast_agents(tenant, {"type": "counters", "counters": self.counters(tenant)})

    def record_delivery_failures(self, tenant: str, n: int) -> None:
        now = self.clock.now()
        current = self.store.get_counters(tenant) or HubCounters(tenant)
        if now - float(current.delivery_window_at or 0) > DELIVERY_WINDOW_SECONDS:
            current.update(actions=[HubCounters.delivery_failures.set(n), HubCounters.delivery_window_at.set(now)])
        else:
            current.update(actions=[HubCounters.delivery_failures.add(n)])

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
            fresh["agents_available"] = len(self.lane.available_agents(tenant))
            before = counters.view(self.store.get_counters(tenant))
            drift = sum(abs(fresh[k] - before[k]) for k in counters.COUNTER_NAMES)
            self.store.set_counters(tenant, {**fresh, "last_drift": drift}, now)
            stats["drift"] += drift
            if drift:
                logger.warning("counter drift repaired", extra={"tenant": tenant, "before": before, "after": fresh})
                metrics.add_metric(name="CounterDrift", unit=MetricUnit.Count, value=drift)
            if drift or fresh["agents_available"] != before["agents_available"]:
                self.push_counters(tenant)
        return stats

    # ------------------------------------------------------------------ drift sweep
    def sweep_drift(self) -> dict[str, int]:
        """Marks agents whose heartbeats stopped as away, then offline (their chosen status
        stays), and switches off typing indicators that never stopped. Idempotent: a second run
        finds nothing new to change; each change is conditioned on what the sweep read."""
        stats = {"presence_drift": 0, "typing_cleared": 0, "tenants": 0}
        now = self.clock.now()
        window = self.lane.settings.presence_window
        for tenant in self.store.tenant_ids():
            stats["tenants"] += 1
            drifting = 0
            for p in self.lane.store.tenant_presence(tenant):
                if p.status == "offline" or events.is_reachable(p, now, window):
                    continue
                drifting += 1
                silent = now - float(p.heartbeat_at or 0)
                target = "offline" if silent >= OFFLINE_AFTER_SECONDS else "away"
                if p.drift_status != target and self._mark_drift(p, target):
                    p.drift_status = target
                    self.lane.broadcast_agents(tenant, events.presence_event(p, False))
            typing_cleared = 0
            for item in self.lane.store.stale_typing(tenant, now - TYPING_STALE_SECONDS):
                if self.lane.store.clear_typing(item.pk, item.sk, float(item.typing_at or 0)):
                    typing_cleared += 1
                    self.lane.typing_stopped(tenant, item.pk, item.sk)
            HubCounters(tenant).update(
                actions=[HubCounters.presence_drift.set(drifting), HubCounters.typing_drift.set(typing_cleared)]
            )
            stats["presence_drift"] += drifting
            stats["typing_cleared"] += typing_cleared
        if stats["presence_drift"] or stats["typing_cleared"]:
            metrics.add_metric(name="PresenceDrift", unit=MetricUnit.Count, value=stats["presence_drift"])
            metrics.add_metric(name="TypingDriftCleared", unit=MetricUnit.Count, value=stats["typing_cleared"])
        return stats

    @staticmethod
    def _mark_drift(p: AgentPresence, target: str) -> bool:
        try:
            p.update(
                actions=[AgentPresence.drift_status.set(target)], condition=AgentPresence.heartbeat_at == p.heartbeat_at
            )
        except Exception as exc:
            if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
                return False  # a heartbeat arrived meanwhile
            raise
        return True

    # ------------------------------------------------------------------ pressure and decisions
    def pressure(self, tenant: str) -> Pressure:
        now = self.clock.now()
        window = self.lane.settings.presence_window
        stored = self.store.get_counters(tenant) or HubCounters(tenant)
        tickets = self.store.open_tickets(tenant)
        callbacks = self.store.open_callbacks(tenant)
        chats = self.store.active_conversations(tenant)
        presence = self.lane.store.tenant_presence(tenant)
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
            agents_available=sum(1 for p in presence if events.is_available(p, now, window)),
            presence_drift=sum(
                1 for p in presence if p.status != "offline" and not events.is_reachable(p, now, window)
            ),
            typing_drift=int(stored.typing_drift or 0),
            failing_deliveries=recent_failures,
            oldest_overdue_callback_s=max((now - float(c.due_at) for c in overdue), default=None),
            oldest_waiting_ticket_s=max((now - float(t.status_at) for t in waiting), default=None),
            oldest_unanswered_chat_s=max((now - float(m.preview_at or m.updated_at) for m in unanswered), default=None),
        )

    def snapshot(self, tenant_id: str) -> dict[str, Any]:
        """Everything support command shows: counters, lanes, drift, next move, launch, mode."""
        tenant = self._tenant(tenant_id)
        p = self.pressure(tenant_id)
        move = next_move(p)
        decision = launch_check(p)
        return {
            "tenant": tenant_id,
            "mode": {
                "mode": tenant.mode,
                "at": iso(float(tenant.mode_at)) if tenant.mode_at else None,
                "by": tenant.mode_by,
            },
            "counters": self.counters(tenant_id),
            "pressure": asdict(p),
            "next_move": asdict(move),
            "launch": _launch_view(decision),
        }

    # ------------------------------------------------------------------ mode
    def set_mode(self, actor: Actor, mode: str) -> dict[str, Any]:
        """Going live is allowed only when the launch check passes; falling back to recovery
        (or ready) is always allowed. Both are recorded with who and when."""
        if mode not in MODES:
            raise InvalidAction(f"mode: expected one of {', '.join(MODES)}")
        tenant = self._tenant(actor.tenant)
        if mode == "live":
            decision = launch_check(self.pressure(actor.tenant))
            if not decision.ready:
                raise LaunchBlocked(decision)
        now = self.clock.now()
        before = tenant.mode
        tenant.update(actions=[Tenant.mode.set(mode), Tenant.mode_at.set(now), Tenant.mode_by.set(actor.name)])
        history_entry(
            subject(actor.tenant, "MODE", "hub"), now, "mode", actor.id, actor.name, f"{before} → {mode}"
        ).save()
        self.lane.broadcast_agents(actor.tenant, {"type": "mode", "mode": mode, "by": actor.name, "at": iso(now)})
        return self.snapshot(actor.tenant)

    def mode_history(self, tenant: str) -> list[dict[str, Any]]:
        return [
            {"at": h.at.split("#")[0], "by": {"id": h.actor_id, "name": h.actor_name}, "change": h.detail}
            for h in self.store.history(subject(tenant, "MODE", "hub"))
        ]

    def _tenant(self, tenant_id: str) -> Tenant:
        tenant = self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound(f"no tenant {tenant_id!r}")
        return tenant


class LaunchBlocked(AlreadyTaken):
    def __init__(self, decision: LaunchDecision) -> None:
        super().__init__(decision.headline + ": " + "; ".join(b.message for b in decision.blockers))
        self.decision = decision


def _launch_view(decision: LaunchDecision) -> dict[str, Any]:
    return {
        "ready": decision.ready,
        "headline": decision.headline,
        "blockers": [asdict(b) for b in decision.blockers],
    }
