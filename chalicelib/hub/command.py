"""Support command: one overview for a team lead — counters, the pressure on each lane, drift,
the next move, the launch decision and the mode."""

from __future__ import annotations

from collections.abc import Callable

from msgspec.structs import asdict

from chalicelib.contract.views.hub import Blocker as BlockerView
from chalicelib.contract.views.hub import CsatReport, HubSnapshot, Launch, ModeRules, ModeState, TeamStatus
from chalicelib.contract.views.hub import LostAgent as LostAgentView
from chalicelib.contract.views.hub import NextMove as NextMoveView
from chalicelib.contract.views.hub import Pressure as PressureView
from chalicelib.hub.counters import DELIVERY_WINDOW_SECONDS, Counters
from chalicelib.hub.hours import BusinessHours
from chalicelib.hub.launch import Blocker, LaunchDecision, launch_check
from chalicelib.hub.mode_rules import rules_for
from chalicelib.hub.next_move import next_move
from chalicelib.hub.opening import team_status
from chalicelib.hub.pressure import LostAgent, Pressure
from chalicelib.live.presence import PresenceRule
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import NotFound
from chalicelib.store.models import Tenant
from chalicelib.store.ports import HubStore
from chalicelib.store.work_models import HubCounters


def _always_open(_tenant: str) -> BusinessHours:
    return BusinessHours.always_open()


class SupportCommand:
    def __init__(
        self,
        store: HubStore,
        counters: Counters,
        clock: Clock,
        rule: PresenceRule,
        calendar: Callable[[str], BusinessHours] = _always_open,
        csat: Callable[[str], CsatReport] | None = None,
    ) -> None:
        self.store = store
        self.counters = counters
        self.clock = clock
        self.rule = rule
        # The tenant's business hours: waiting ages count open time only, and the next move and
        # the launch decision know whether the team is open.
        self.calendar = calendar
        # CSAT of the last days (`work/csat.py`).
        self.csat = csat

    def pressure(self, tenant: str, hours: BusinessHours | None = None) -> Pressure:
        now = self.clock.now()
        rule = self.rule
        hours = hours or self.calendar(tenant)

        def waited(since: float) -> float:
            return hours.open_seconds(since, now)

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
        lost = sorted(
            (
                LostAgent(str(p.agent_id), str(p.name), int(p.open_chats or 0), rule.silence(p, now))
                for p in presence
                if int(p.open_chats or 0) > 0 and rule.lost(p, now)
            ),
            key=lambda a: (-a.open_chats, a.name),
        )
        return Pressure(
            open_tickets=len(tickets),
            waiting_internal=sum(1 for t in tickets if t.status == "waiting_internal"),
            callback_queued=len(queued_on_time),
            callback_overdue=len(overdue),
            active_chats=len(chats),
            unanswered_chats=len(unanswered),
            agents_available=sum(1 for p in presence if rule.available(p, now)),
            presence_drift=len(lost),
            typing_drift=int(stored.typing_drift or 0),
            failing_deliveries=recent_failures,
            oldest_overdue_callback_s=max((waited(float(c.due_at)) for c in overdue), default=None),
            oldest_waiting_ticket_s=max((waited(float(t.status_at)) for t in waiting), default=None),
            oldest_unanswered_chat_s=max(
                (waited(float(m.preview_at or m.updated_at)) for m in unanswered), default=None
            ),
            lost_agents=tuple(lost),
            queued_chats=sum(1 for m in chats if m.queued_at is not None),
            team_open=hours.is_open(now),
        )

    def team(self, tenant: str, hours: BusinessHours | None = None) -> TeamStatus:
        """Within business hours or not, and when the team opens next."""
        return team_status(hours or self.calendar(tenant), self.clock.now())

    def snapshot(self, tenant_id: str) -> HubSnapshot:
        """Everything support command shows: counters, lanes, drift, next move, launch, mode."""
        tenant = self.tenant(tenant_id)
        hours = self.calendar(tenant_id)
        p = self.pressure(tenant_id, hours)
        return HubSnapshot(
            tenant=tenant_id,
            mode=ModeState(
                mode=tenant.mode,  # type: ignore[arg-type]
                at=iso(float(tenant.mode_at)) if tenant.mode_at else None,
                by=tenant.mode_by,
                rules=ModeRules(**asdict(rules_for(tenant.mode))),
            ),
            counters=self.counters.view(tenant_id),
            pressure=pressure_view(p),
            next_move=NextMoveView(**asdict(next_move(p))),
            launch=launch_view(launch_check(p)),
            team=self.team(tenant_id, hours),
            csat=self.csat(tenant_id) if self.csat is not None else None,
        )

    def tenant(self, tenant_id: str) -> Tenant:
        tenant = self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound(f"no tenant {tenant_id!r}")
        return tenant


def launch_view(decision: LaunchDecision) -> Launch:
    return Launch(decision.ready, decision.headline, [blocker_view(b) for b in decision.blockers])


def blocker_view(b: Blocker) -> BlockerView:
    view = BlockerView(code=b.code, message=b.message, lane=b.lane)
    if b.agents:  # "reassign their chats": who, and the fix
        view.agents = [LostAgentView(**asdict(a)) for a in b.agents]
        view.fix = "reassign"
    return view


def pressure_view(p: Pressure) -> PressureView:
    fields = asdict(p)
    fields["lost_agents"] = [LostAgentView(**asdict(a)) for a in p.lost_agents]
    return PressureView(**fields)
