"""Who owns a conversation: every owner change goes through `Ownership.change`.

Reading a conversation changes nothing (agents read with `sync`). Taking ownership (`take`),
helping (`join`), assigning to a colleague (`assign`) and routing (`work/routing.py`, through
the `LivePort`) are explicit, and each owner change is one transaction
(`ConversationStore.change_owner`): the owner, conditioned on the owner the caller saw, so of
two agents taking one chat exactly one wins; both agents' open-chat counts, conditioned on
capacity when routing assigns; the queue entry; and the history record. Then the thread gets
a line, the tenant's agents see the new owner, the new owner's dashboards get `assigned`, and
`OwnerChanged` is published (routing gives freed places to the queue).
"""

from __future__ import annotations

from chalicelib.contract.common import Ref
from chalicelib.contract.events import AssignedEvent
from chalicelib.live import lines, payloads
from chalicelib.live.connections import Connections
from chalicelib.live.events import Listeners, OwnerChanged
from chalicelib.live.notifier import Notifier
from chalicelib.live.timeline import Timeline
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import AlreadyTaken, AtCapacity, NotFound
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store import keys
from chalicelib.store.ports import AgentFull, ConversationState, OwnerChange, OwnerConflict
from chalicelib.store.work import history_entry

# Why an owner changed: the thread line each reason writes (None: no line).
REASONS = ("take", "takeover", "assign", "route", "requeue", "release")


class Ownership:
    def __init__(
        self, timeline: Timeline, connections: Connections, notifier: Notifier, listeners: Listeners, clock: Clock
    ) -> None:
        self.timeline = timeline
        self.connections = connections
        self.notifier = notifier
        self.listeners = listeners
        self.clock = clock

    def change(
        self,
        tenant: str,
        conversation_id: str,
        to: tuple[str, str] | None,
        expect_owner: str | None,
        by: tuple[str, str],
        reason: str,
        capacity: int | None = None,
        queue_at: float | None = None,
        changed_by_connection: str = "",
    ) -> ConversationState:
        """Moves the conversation from `expect_owner` to `to` (None: back to the queue at
        `queue_at`). Raises AlreadyTaken when the owner is not `expect_owner` any more or the
        conversation is not open, AtCapacity when `capacity` is set and reached."""
        now = self.clock.now()
        state = self.timeline.store.load_conversation(tenant, conversation_id, now)
        if state is None or state.meta.status == "new":
            raise NotFound(f"no conversation {conversation_id!r}")
        meta = state.meta
        if meta.status != "open":
            raise AlreadyTaken("the conversation is closed")
        if to is not None and meta.owner_id == to[0]:
            return state  # already theirs (routing may have been quicker than their click)
        if (meta.owner_id or None) != expect_owner:
            raise AlreadyTaken(_taken(meta.owner_name))
        if to is not None and to[0] == expect_owner:
            return state  # already theirs: nothing changes
        if to is not None and self.connections.store.get_presence(tenant, to[0]) is None:
            raise NotFound(f"no agent {to[0]!r} in this tenant")
        previous_name = meta.owner_name  # the store updates `meta` in place
        before = f"{meta.owner_name} ({meta.owner_id})" if meta.owner_id else "nobody"
        after = f"{to[1]} ({to[0]})" if to else "the queue"
        record = history_entry(
            keys.history_subject(tenant, "CONV", conversation_id),
            now,
            reason,
            by[0],
            by[1],
            f"{before} → {after}",
        )
        try:
            self.timeline.store.change_owner(
                state, OwnerChange(to, expect_owner, capacity, queue_at if to is None else None, record), now
            )
        except OwnerConflict:
            fresh = self.timeline.store.load_conversation(tenant, conversation_id, now)
            name = fresh.meta.owner_name if fresh and fresh.meta.status == "open" else None
            if fresh is not None and fresh.meta.status != "open":
                raise AlreadyTaken("the conversation is closed") from None
            raise AlreadyTaken(_taken(name)) from None
        except AgentFull as exc:
            raise AtCapacity(str(exc)) from None
        metrics.add_metric(name="OwnerChanges", unit=MetricUnit.Count, value=1)
        state = self._line(state, to, reason, previous_name, record.at)
        # Routing queues a chat as it starts (`begin` awaits its announcement: this is it) or as
        # it reopens (the reopen announced it already).
        if reason != "queue" or self.notifier.awaits_announcement(conversation_id):
            self.notifier.announce(state, changed_by_connection)
        if to is not None:
            self.notifier.agents(
                tenant,
                AssignedEvent(
                    conversation_id=conversation_id,
                    agent=Ref(to[0], to[1]),
                    by=Ref(by[0], by[1]),
                    reason=reason,  # type: ignore[arg-type]  # take | takeover | assign | route
                    at=iso(now),
                    conversation=payloads.snapshot(state, "agent"),
                ),
                only_users={to[0]},
                exclude=changed_by_connection,
            )
        self.listeners.publish(OwnerChanged(tenant, conversation_id, expect_owner, to[0] if to else None, reason))
        return state

    def _line(
        self, state: ConversationState, to: tuple[str, str] | None, reason: str, before_name: str | None, change: str
    ) -> ConversationState:
        """The thread's line for this change (one per change: keyed by its history record)."""
        if to is not None:
            code = {"take": "agent_joined", "takeover": "agent_took_over"}.get(reason, "agent_assigned")
            entry = lines.line(code, name=to[1])
        elif reason == "requeue" and before_name:
            entry = lines.line("agent_left", name=before_name)
        else:
            return state
        key = "owner-" + change.rsplit("#", 1)[-1]
        fresh, msg, stored_now = self.timeline.system_entry(state.tenant, state.conversation_id, entry, key)
        if stored_now:
            self.notifier.message(fresh, msg, "")
        return fresh


def _taken(owner_name: str | None) -> str:
    if owner_name:
        return f"{owner_name} already owns this conversation"
    return "the conversation's owner changed meanwhile; reload it"
