"""DynamoDB access for conversations and their timelines: one method per named access pattern
(see models.py).

Nothing here decides who may do what; the live lane does. Every read that touches TTL'd items
drops the expired ones itself, because DynamoDB deletes them up to two days late.
"""

from __future__ import annotations

from typing import Any

from pynamodb.connection import Connection as DynamoConnection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store import counters, keys
from chalicelib.store.conversation_items import ConversationItems
from chalicelib.store.dynamo_errors import TRANSACTION_CANCELED, error_code
from chalicelib.store.models import AgentPresence, ConversationMeta, Participant
from chalicelib.store.ports import AgentFull, ConversationState, OwnerChange, OwnerConflict, QueuedConversation
from chalicelib.store.timeline_appends import TimelineAppends
from chalicelib.store.timeline_reads import TimelineReads
from chalicelib.store.work_models import HubCounters

_Put = tuple[str, Any, Any]  # (label, item, condition)
_Update = tuple[str, Any, list[Any], Any]  # (label, item, actions, condition)

# The labels of a transaction's parts: a cancellation names the parts whose condition failed
# (`_Cancelled.failed`). Constants, so that each name is written once.
META = "meta"
LOAD = "load"
OLD_LOAD = "old-load"
OLD_ROLE = "old-role"
PARTICIPANT = "participant"
RECORD = "record"
COUNTERS = "counters"


def _counters(before: ConversationMeta, after: ConversationMeta | None, now: float) -> _Update:
    return (COUNTERS, HubCounters(before.tenant), counters.update_actions(counters.delta(before, after), now), None)


def _load(tenant: str, agent_id: str, change: int) -> tuple[AgentPresence, list[Any]]:
    """An agent's open-chat count moving by `change` (in the same transaction as the owner change)."""
    return AgentPresence(tenant, agent_id), [AgentPresence.open_chats.add(change)]


class DynamoConversationStore(ConversationItems, TimelineAppends, TimelineReads):
    def __init__(self, region: str) -> None:
        self._ddb = DynamoConnection(region=region)

    def close_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """Closes an open conversation; False when it was already closed."""
        if meta.status != "open":
            return False
        status = (
            META,
            meta,
            [
                ConversationMeta.status.set("closed"),
                ConversationMeta.active_tenant.remove(),
                ConversationMeta.queue_tenant.remove(),
                ConversationMeta.queued_at.remove(),
                ConversationMeta.closed_at.set(now),
                ConversationMeta.updated_at.set(now),
            ],
            # The owner read is the one whose load drops: an owner change meanwhile retries.
            (ConversationMeta.status == "open") & _owner_is(meta.owner_id),
        )
        try:
            # Closed, it counts in no counter: the change is minus what it counted open.
            self._with_owner_load(meta, -1, [status, _counters(meta, None, now)])
        except _Cancelled:
            fresh = self.load_conversation(meta.tenant, meta.conversation_id, now)
            if fresh is not None and fresh.meta.status == "open":
                # Still open: its owner changed meanwhile (perhaps and back): close what is there now.
                return self.close_conversation(fresh.meta, now)
            return False
        meta.status = "closed"
        meta.active_tenant = None
        meta.queue_tenant = meta.queued_at = None
        meta.closed_at = now
        meta.updated_at = now
        return True

    def reopen_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """A customer wrote into a closed conversation: it is active again."""
        reopened = ConversationMeta(status="open")  # what it counts in once open (counters.contribution)
        status = (
            META,
            meta,
            [
                ConversationMeta.status.set("open"),
                ConversationMeta.active_tenant.set(meta.tenant),
                ConversationMeta.closed_at.remove(),
            ],
            (ConversationMeta.status == "closed") & _owner_is(meta.owner_id),
        )
        try:
            # The owner gets it back (routing requeues it if they are gone).
            self._with_owner_load(meta, 1, [status, _counters(meta, reopened, now)])
        except _Cancelled:
            return False
        meta.status, meta.active_tenant, meta.closed_at = "open", meta.tenant, None
        return True

    def _with_owner_load(self, meta: ConversationMeta, change: int, updates: list[_Update]) -> None:
        """The updates, plus the owner's open-chat count moving by `change` when the owner is still
        in the directory; without it when their row is gone (no ghost row is written)."""
        if not meta.owner_id:
            self._transact([], updates)
            return
        item, actions = _load(str(meta.tenant), str(meta.owner_id), change)
        try:
            self._transact([], [*updates, (OLD_LOAD, item, actions, AgentPresence.agent_id.exists())])
        except _Cancelled as exc:
            if exc.failed != {OLD_LOAD}:
                raise
            self._transact([], updates)

    def change_owner(self, state: ConversationState, change: OwnerChange, now: float) -> None:
        """One transaction: the owner (conditioned on `expect_owner` and on the conversation being
        open), the participants' roles, both agents' open-chat counts (the new owner's conditioned
        on `capacity`), the queue entry and the history record. Raises OwnerConflict or AgentFull.
        A change to the owner it is expected to have changes nothing (`Ownership.change` does
        not even call it then)."""
        if change.to is not None and change.to[0] == change.expect_owner:
            return
        meta = state.meta
        tenant = str(meta.tenant)
        previous = change.expect_owner
        meta_actions: list[Any] = [ConversationMeta.updated_at.set(now)]
        if change.to is not None:
            meta_actions += [
                ConversationMeta.owner_id.set(change.to[0]),
                ConversationMeta.owner_name.set(change.to[1]),
                ConversationMeta.assigned_at.set(now),
                ConversationMeta.queue_tenant.remove(),
                ConversationMeta.queued_at.remove(),
            ]
        else:
            meta_actions += [
                ConversationMeta.owner_id.remove(),
                ConversationMeta.owner_name.remove(),
                ConversationMeta.assigned_at.remove(),
            ]
            if change.queue_at is not None:
                meta_actions += [
                    ConversationMeta.queue_tenant.set(tenant),
                    ConversationMeta.queued_at.set(change.queue_at),
                ]
        puts: list[_Put] = []
        updates: list[_Update] = [(META, meta, meta_actions, (ConversationMeta.status == "open") & _owner_is(previous))]
        if change.to is not None:
            agent_id, name = change.to
            if agent_id in state.participants:
                p = state.participants[agent_id]
                updates.append((PARTICIPANT, p, [Participant.agent_role.set("owner")], None))
            else:
                joined = Participant(
                    meta.pk,
                    keys.participant_sk(agent_id),
                    role="agent",
                    user_id=agent_id,
                    name=name,
                    agent_role="owner",
                    joined_at=now,
                )
                puts.append((PARTICIPANT, joined, Participant.sk.does_not_exist()))
            load = AgentPresence(tenant, agent_id)
            room = AgentPresence.agent_id.exists()
            if change.capacity is not None:
                room = room & (AgentPresence.open_chats.does_not_exist() | (AgentPresence.open_chats < change.capacity))
            updates.append(
                (LOAD, load, [AgentPresence.open_chats.add(1), AgentPresence.last_assigned_at.set(now)], room)
            )
        if previous and previous in state.participants:  # (never the new owner: see above)
            updates.append((OLD_ROLE, state.participants[previous], [Participant.agent_role.set("helper")], None))
        if previous:
            item, actions = _load(tenant, previous, -1)
            # Only a row that is there: an ADD on a missing key would write a ghost agent (no
            # name, -1 chats) into the directory when the old owner's row was deleted.
            updates.append((OLD_LOAD, item, actions, AgentPresence.agent_id.exists()))
        if change.record is not None:
            puts.append((RECORD, change.record, None))
        try:
            self._transact(puts, updates)
        except _Cancelled as first:
            if first.failed != {OLD_LOAD}:
                first.raise_for(change)
            # The previous owner is no longer in the directory: nothing of theirs to count down.
            try:
                self._transact(puts, [u for u in updates if u[0] != OLD_LOAD])
            except _Cancelled as second:
                second.raise_for(change)
        if change.to is not None:
            meta.owner_id, meta.owner_name, meta.assigned_at = change.to[0], change.to[1], now
            meta.queue_tenant = meta.queued_at = None
        else:
            meta.owner_id = meta.owner_name = meta.assigned_at = None
            if change.queue_at is not None:
                meta.queue_tenant, meta.queued_at = tenant, change.queue_at
        meta.updated_at = now

    def _transact(self, puts: list[_Put], updates: list[_Update]) -> None:
        """One TransactWriteItems; a cancellation names the labels whose condition failed."""
        # PynamoDB sends puts before updates, each in call order: the labels follow that order.
        labels = [label for label, *_ in puts] + [label for label, *_ in updates]
        try:
            with TransactWrite(connection=self._ddb) as tw:
                for _, item, condition in puts:
                    tw.save(item, condition=condition)
                for _, item, actions, condition in updates:
                    tw.update(item, actions=actions, condition=condition)
        except TransactWriteError as exc:
            if error_code(exc) != TRANSACTION_CANCELED:
                raise
            failed = {
                labels[i]
                for i, r in enumerate(exc.cancellation_reasons or [])
                if r is not None and r.code == "ConditionalCheckFailed" and i < len(labels)
            }
            raise _Cancelled(failed) from exc

    def queue(self, tenant: str, limit: int) -> list[QueuedConversation]:
        """AP-V7: conversations waiting for an agent, first come first."""
        return [
            QueuedConversation(str(m.conversation_id), str(m.customer_id), float(m.queued_at or 0))
            for m in ConversationMeta.queue_by_tenant.query(tenant, limit=limit)
            if isinstance(m, ConversationMeta)
        ]

    def queue_place(self, tenant: str, queued_at: float) -> int:
        """AP-V7: 1 + how many conversations wait ahead (a COUNT over the index, no items read)."""
        return 1 + int(ConversationMeta.queue_by_tenant.count(tenant, ConversationMeta.queued_at < queued_at))


class _Cancelled(Exception):
    """A cancelled owner-change transaction and the parts whose condition failed."""

    def __init__(self, failed: set[str]) -> None:
        super().__init__(", ".join(sorted(failed)))
        self.failed = failed

    def raise_for(self, change: OwnerChange) -> None:
        if LOAD in self.failed and META not in self.failed:
            raise AgentFull(f"{change.to[1] if change.to else 'the agent'} has no free chat place") from self
        raise OwnerConflict("the conversation's owner changed meanwhile") from self


def _owner_is(owner_id: str | None) -> Any:
    """The condition that the conversation's owner is still `owner_id` (None: it has none)."""
    if owner_id:
        return ConversationMeta.owner_id == owner_id
    return ConversationMeta.owner_id.does_not_exist()
