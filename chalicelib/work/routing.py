"""Routing: who gets a new conversation, the queue when everyone is full, and giving a vanished
agent's chats back to the queue.

Assignment rule — **fewest open chats first**, ties to whoever got a chat longest ago (so equal
loads take turns, as round-robin would). Among agents who are *available* by the presence rule
(chosen available and reachable, `live/presence.py`) and *under capacity* (their own `capacity`,
else the tenant's `chat_capacity`). Why fewest-open rather than plain round-robin: agents
finish chats at different speeds and may have different capacities; round-robin hands the next
chat to whoever's turn it is even when they still have three open and a colleague has none,
fewest-open evens the load out and degrades to round-robin when loads are equal.

Every assignment is one atomic owner change (`LivePort.change_owner` → `live/ownership.py`):
conditioned on the conversation still having no owner (two routers, or a router and an agent
taking it, end with one owner) and on the agent's open-chat count still being under capacity
(two chats racing for an agent's last free place cannot both get it). A lost race just moves
on: another agent, or the queue.

The queue (AP-V7, first come first): a started conversation nobody could take waits there and
its customer is told their place (`queue` event), again whenever it moves. Places free up when
a chat closes, changes owner or an agent becomes available — each drains the queue.

A vanished agent (`PresenceRule.gone`: unreachable past the grace period; at once in recovery
mode, `hub/mode_rules.py`) has their open chats put back in the queue at their original place
with a line in the thread — by `sweep`, a scheduled job that is idempotent (each requeue is
conditioned on the agent still owning the chat, so a second run finds nothing to do), and by
"reassign their chats" (`requeue_agent`) from the launch blocker.
"""

from __future__ import annotations

import threading

from msgspec import Struct

from chalicelib.contract.events import QueueEvent
from chalicelib.hub.mode_rules import rules_for
from chalicelib.live.events import (
    ConversationClosed,
    ConversationReopened,
    ConversationStarted,
    OwnerChanged,
    PresenceChanged,
)
from chalicelib.live.port import LivePort
from chalicelib.live.presence import PresenceRule
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import Clock
from chalicelib.platform.errors import AlreadyTaken, AtCapacity, NotFound
from chalicelib.platform.observability import MetricUnit, logger, metrics
from chalicelib.store.models import AgentPresence, Tenant
from chalicelib.store.ports import HubStore

ROUTER = ("routing", "Routing")
# How many waiting conversations one drain looks at (the rest wait for the next free place).
DRAIN_BATCH = 50


class Candidate(Struct):
    agent_id: str
    name: str
    open_chats: int
    capacity: int
    last_assigned_at: float

    @property
    def room(self) -> int:
        return self.capacity - self.open_chats


def capacity_of(agent: AgentPresence, tenant: Tenant | None) -> int:
    """The agent's own capacity, else the tenant's default."""
    if agent.capacity is not None:
        return int(agent.capacity)
    return int(tenant.chat_capacity) if tenant is not None else 3


def candidates(presence: list[AgentPresence], tenant: Tenant | None, rule: PresenceRule, now: float) -> list[Candidate]:
    """Agents routing may give a chat to, best first: available, under capacity, fewest open
    chats, then longest since their last assignment (pure)."""
    out = [
        Candidate(
            str(p.agent_id), str(p.name), int(p.open_chats or 0), capacity_of(p, tenant), float(p.last_assigned_at or 0)
        )
        for p in presence
        if rule.available(p, now)
    ]
    return sorted((c for c in out if c.room > 0), key=_best_first)


def _best_first(c: Candidate) -> tuple[int, float, str]:
    return (c.open_chats, c.last_assigned_at, c.agent_id)


class Routing:
    def __init__(self, store: HubStore, live: LivePort, clock: Clock, rule: PresenceRule) -> None:
        self.store = store
        self.live = live
        self.clock = clock
        self.rule = rule
        # Assignments publish OwnerChanged, which drains the queue: a drain does not start
        # another one inside itself (per thread: the local stack runs handlers on threads).
        self._local = threading.local()

    # ------------------------------------------------------------------ listeners
    def conversation_started(self, event: ConversationStarted) -> None:
        self.route(event.tenant, event.conversation_id)

    def conversation_reopened(self, event: ConversationReopened) -> None:
        """A reopened chat goes back to its owner if they are still here, else to routing."""
        meta = self.live.conversation(event.tenant, event.conversation_id)
        if meta is None or meta.status != "open":
            return
        if meta.owner_id:
            owner = next((p for p in self.store.tenant_presence(event.tenant) if p.agent_id == meta.owner_id), None)
            if owner is not None and not self.rule.gone(owner, self.clock.now()):
                return
            self._requeue(event.tenant, event.conversation_id, str(meta.owner_id), float(meta.started_at or 0))
        self.route(event.tenant, event.conversation_id)

    def place_freed(self, event: ConversationClosed | OwnerChanged) -> None:
        """A chat closed or changed owner: places may have freed up, and the queue moved."""
        if self.drain(event.tenant) == 0 and not getattr(self._local, "draining", False):
            self.tell_places(event.tenant)

    def presence_changed(self, event: PresenceChanged) -> None:
        """An agent became available: they may take someone from the queue (places are told
        only when someone moved)."""
        if event.reachable and event.status == "available":
            self.drain(event.tenant)

    # ------------------------------------------------------------------ routing
    def route(self, tenant_id: str, conversation_id: str) -> str | None:
        """Assigns a started, ownerless conversation to the best candidate, or queues it.
        Returns the agent it went to (None: queued, or someone took it meanwhile)."""
        meta = self.live.conversation(tenant_id, conversation_id)
        if meta is None or meta.status != "open" or meta.owner_id or meta.queued_at is not None:
            return None
        now = self.clock.now()
        # Nobody jumps the queue: while others wait, a new conversation waits behind them.
        ahead = self.live.queue(tenant_id, 1)
        pool = (
            []
            if ahead
            else candidates(self.store.tenant_presence(tenant_id), self.store.get_tenant(tenant_id), self.rule, now)
        )
        agent = self._assign(tenant_id, conversation_id, pool)
        if agent is None:
            try:
                self.live.change_owner(
                    tenant_id, conversation_id, None, None, ROUTER, "queue", queue_at=float(meta.started_at or now)
                )
            except AlreadyTaken:
                return None  # an agent took it meanwhile
            metrics.add_metric(name="ConversationsQueued", unit=MetricUnit.Count, value=1)
        return agent

    def drain(self, tenant_id: str) -> int:
        """Gives waiting conversations to agents with a free place, first come first; then tells
        everyone still waiting their place. Returns how many were assigned."""
        if getattr(self._local, "draining", False):
            return 0  # the drain under way covers it (it tells the places at its end)
        self._local.draining = True
        try:
            waiting = self.live.queue(tenant_id, DRAIN_BATCH)
            if not waiting:
                return 0
            assigned = 0
            pool = candidates(
                self.store.tenant_presence(tenant_id), self.store.get_tenant(tenant_id), self.rule, self.clock.now()
            )
            for queued in waiting:
                if not pool:
                    break
                if self._assign(tenant_id, queued.conversation_id, pool):
                    assigned += 1
            if assigned:
                self.tell_places(tenant_id)
            return assigned
        finally:
            self._local.draining = False

    def tell_places(self, tenant_id: str) -> None:
        """Every waiting customer hears their place (1 = next)."""
        waiting = self.live.queue(tenant_id, DRAIN_BATCH * 4)
        self.live.push_each_to_customer(
            tenant_id,
            [(q.customer_id, QueueEvent(q.conversation_id, place)) for place, q in enumerate(waiting, start=1)],
        )

    def _assign(self, tenant_id: str, conversation_id: str, pool: list[Candidate]) -> str | None:
        """Tries the candidates best first; a full one leaves the pool. Mutates `pool`."""
        while pool:
            best = pool[0]
            try:
                self.live.change_owner(
                    tenant_id,
                    conversation_id,
                    (best.agent_id, best.name),
                    None,
                    ROUTER,
                    "route",
                    capacity=best.capacity,
                )
            except AtCapacity:
                pool.pop(0)  # someone else got their last place first
                continue
            except (AlreadyTaken, NotFound):
                return None  # owned (or closed) meanwhile: nothing to route
            best.open_chats += 1
            best.last_assigned_at = self.clock.now()
            pool[:] = sorted(
                (c for c in pool if c.room > 0), key=lambda c: (c.open_chats, c.last_assigned_at, c.agent_id)
            )
            metrics.add_metric(name="ConversationsAssigned", unit=MetricUnit.Count, value=1)
            return best.agent_id
        return None

    # ------------------------------------------------------------------ vanished agents
    def sweep(self) -> dict[str, int]:
        """Scheduled (every minute; idempotent): gives the chats of agents gone past the grace
        period (at once in recovery mode) back to the queue, then drains every queue."""
        stats = {"tenants": 0, "requeued": 0, "assigned": 0}
        now = self.clock.now()
        for tenant_id in self.store.tenant_ids():
            stats["tenants"] += 1
            tenant = self.store.get_tenant(tenant_id)
            grace = rules_for(tenant.mode if tenant else None).reassign_grace(self.rule.grace)
            gone = {
                str(p.agent_id)
                for p in self.store.tenant_presence(tenant_id)
                if int(p.open_chats or 0) > 0 and self.rule.gone(p, now, grace)
            }
            if gone:
                stats["requeued"] += self._requeue_owned_by(tenant_id, gone)
            stats["assigned"] += self.drain(tenant_id)
        if stats["requeued"]:
            logger.info("vanished agents' chats requeued", extra=stats)
            metrics.add_metric(name="ChatsRequeued", unit=MetricUnit.Count, value=stats["requeued"])
        return stats

    def requeue_agent(self, actor: Actor, agent_id: str) -> int:
        """ "Reassign their chats": every open chat of this agent goes back to the queue (and on
        to available colleagues). Returns how many."""
        if not any(p.agent_id == agent_id for p in self.store.tenant_presence(actor.tenant)):
            raise NotFound(f"no agent {agent_id!r} in this tenant")
        moved = self._requeue_owned_by(actor.tenant, {agent_id}, by=(actor.id, actor.name))
        self.drain(actor.tenant)
        return moved

    def _requeue_owned_by(self, tenant_id: str, agents: set[str], by: tuple[str, str] = ROUTER) -> int:
        moved = 0
        # AP-V5: the tenant's open conversations (cost follows open work), those the agents own.
        for meta in self.store.active_conversations(tenant_id):
            if meta.owner_id in agents and self._requeue(
                tenant_id, str(meta.conversation_id), str(meta.owner_id), float(meta.started_at or 0), by
            ):
                moved += 1
        return moved

    def _requeue(
        self, tenant_id: str, conversation_id: str, owner: str, started_at: float, by: tuple[str, str] = ROUTER
    ) -> bool:
        try:
            # Back at its original place: the customer has waited already.
            self.live.change_owner(
                tenant_id, conversation_id, None, owner, by, "requeue", queue_at=started_at or self.clock.now()
            )
        except (AlreadyTaken, NotFound):
            return False  # someone took it, it closed, or another run moved it first
        return True
