"""The hub's mode (ready, live, recovery): going live only when the launch check passes, every
change recorded with who and when."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.contract.common import Ref
from chalicelib.contract.events import ModeEvent
from chalicelib.contract.rest import ModeChange
from chalicelib.contract.views import HubSnapshot
from chalicelib.hub.command import SupportCommand
from chalicelib.hub.launch import LaunchDecision, launch_check
from chalicelib.hub.mode_rules import MODES
from chalicelib.live.port import LivePort
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import AlreadyTaken, InvalidAction
from chalicelib.store.keys import history_subject
from chalicelib.store.ports import HubStore
from chalicelib.store.work import history_entry


class LaunchBlocked(AlreadyTaken):
    """Going live was refused: the launch check lists what blocks it."""

    def __init__(self, decision: LaunchDecision) -> None:
        super().__init__(decision.headline + ": " + "; ".join(b.message for b in decision.blockers))
        self.decision = decision


class Mode:
    def __init__(
        self,
        store: HubStore,
        command: SupportCommand,
        live: LivePort,
        clock: Clock,
        availability_changed: Callable[[str], object] = lambda _tenant: None,
    ) -> None:
        self.store = store
        self.command = command
        self.live = live
        self.clock = clock
        self.availability_changed = availability_changed

    def set(self, actor: Actor, mode: str) -> HubSnapshot:
        """Going live is allowed only when the launch check passes; falling back to recovery
        (or ready) is always allowed. Both are recorded with who and when."""
        if mode not in MODES:
            raise InvalidAction(f"mode: expected one of {', '.join(MODES)}")
        tenant = self.command.tenant(actor.tenant)
        if mode == "live":
            decision = launch_check(self.command.pressure(actor.tenant))
            if not decision.ready:
                raise LaunchBlocked(decision)
        now = self.clock.now()
        entry = history_entry(
            history_subject(actor.tenant, "MODE", "hub"), now, "mode", actor.id, actor.name, f"{tenant.mode} → {mode}"
        )
        self.store.record_mode(actor.tenant, mode, now, actor.name, entry)
        self.live.push_to_agents(actor.tenant, ModeEvent(mode, actor.name, iso(now)))
        self.availability_changed(actor.tenant)  # recovery changes what the widgets offer
        return self.command.snapshot(actor.tenant)

    def history(self, tenant: str) -> list[ModeChange]:
        return [
            ModeChange(h.at.split("#")[0], Ref(h.actor_id, h.actor_name), h.detail)
            for h in self.store.history(history_subject(tenant, "MODE", "hub"))
        ]
