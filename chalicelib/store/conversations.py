"""DynamoDB access for conversations and their timelines: one method per named access pattern
(see models.py).

Nothing here decides who may do what; the live lane does. Every read that touches TTL'd items
drops the expired ones itself, because DynamoDB deletes them up to two days late.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.connection import Connection as DynamoConnection
from pynamodb.exceptions import CancellationReason, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.store import counters, keys
from chalicelib.store.dynamo_errors import CONDITION_FAILED, TRANSACTION_CANCELED, TRANSACTION_CONFLICT, error_code
from chalicelib.store.models import (
    AgentPresence,
    ClientKey,
    ConversationItem,
    ConversationMeta,
    Message,
    Participant,
    Subscription,
)
from chalicelib.store.ports import (
    AgentFull,
    Allocation,
    ClientIdTaken,
    ConversationState,
    NewEntry,
    OwnerChange,
    OwnerConflict,
    ParticipantExists,
    QueuedConversation,
    SequenceConflict,
    SequenceTaken,
)
from chalicelib.store.work_models import HubCounters


def _load(tenant: str, agent_id: str, change: int) -> tuple[AgentPresence, list[Any]]:
    """An agent's open-chat count moving by `change` (in the same transaction as the owner change)."""
    return AgentPresence(tenant, agent_id), [AgentPresence.open_chats.add(change)]


class DynamoConversationStore:
    def __init__(self, region: str) -> None:
        self._ddb = DynamoConnection(region=region)

    # ------------------------------------------------------------------ conversations
    def load_conversation(self, tenant: str, conversation_id: str, now: float) -> ConversationState | None:
        """AP-V1: META, participants and live subscriptions in one Query."""
        pk = keys.conversation_pk(tenant, conversation_id)
        meta: ConversationMeta | None = None
        participants: dict[str, Participant] = {}
        subs: list[Subscription] = []
        for item in ConversationItem.query(pk, ConversationItem.sk >= keys.META_SK):
            if isinstance(item, ConversationMeta):
                meta = item
            elif isinstance(item, Participant):
                participants[item.user_id] = item
            elif isinstance(item, Subscription) and (item.expires_at is None or item.expires_at.timestamp() > now):
                subs.append(item)
        if meta is None:
            return None
        return ConversationState(meta, participants, subs)

    def create_conversation(self, meta: ConversationMeta, customer: Participant, now: float) -> None:
        """Stores a `new` conversation (it counts nowhere until `start_conversation`) under a
        fresh id. A retried call whose first try was applied (its answer lost) finds the META
        there: the id is new, so it can only be ours."""
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.save(meta, condition=ConversationMeta.pk.does_not_exist())
                tw.save(customer, condition=Participant.pk.does_not_exist())
                changes = counters.delta(None, meta)
                if changes:
                    tw.update(HubCounters(meta.tenant), actions=counters.update_actions(changes, now))
        except TransactWriteError as exc:
            if _failed(list(exc.cancellation_reasons or []), 0):
                return
            raise

    def start_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """new → open: it enters the inbox (AP-V4), the open conversations (AP-V5), its customer's
        conversations (AP-V8: the customer panel never lists a conversation nobody wrote in) and
        the counters."""
        if meta.status != "new":
            return False
        started = ConversationMeta(meta.pk, meta.sk, status="open")
        customer_key = keys.customer_key(str(meta.tenant), str(meta.customer_id))
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.update(
                    meta,
                    actions=[
                        ConversationMeta.status.set("open"),
                        ConversationMeta.gsi_tenant.set(meta.tenant),
                        ConversationMeta.active_tenant.set(meta.tenant),
                        ConversationMeta.started_at.set(now),
                        ConversationMeta.updated_at.set(now),
                        ConversationMeta.customer_key.set(customer_key),
                    ],
                    condition=ConversationMeta.status == "new",
                )
                tw.update(HubCounters(meta.tenant), actions=counters.update_actions(counters.delta(meta, started), now))
        except TransactWriteError as exc:
            if error_code(exc) == TRANSACTION_CANCELED:
                return False
            raise
        meta.status, meta.gsi_tenant, meta.active_tenant = "open", meta.tenant, meta.tenant
        meta.started_at = meta.updated_at = now
        meta.customer_key = customer_key
        return True

    def close_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """Closes an open conversation; False when it was already closed."""
        before_status = meta.status
        if before_status != "open":
            return False
        closed = ConversationMeta(meta.pk, meta.sk, status="closed")
        changes = counters.delta(meta, closed)
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.update(
                    meta,
                    actions=[
                        ConversationMeta.status.set("closed"),
                        ConversationMeta.active_tenant.remove(),
                        ConversationMeta.queue_tenant.remove(),
                        ConversationMeta.queued_at.remove(),
                        ConversationMeta.closed_at.set(now),
                        ConversationMeta.updated_at.set(now),
                    ],
                    # The owner read is the one whose load drops: an owner change meanwhile retries.
                    condition=(ConversationMeta.status == "open") & _owner_is(meta.owner_id),
                )
                tw.update(HubCounters(meta.tenant), actions=counters.update_actions(changes, now))
                if meta.owner_id:
                    tw.update(*_load(meta.tenant, meta.owner_id, -1))
        except TransactWriteError as exc:
            if error_code(exc) == TRANSACTION_CANCELED:
                fresh = self.load_conversation(meta.tenant, meta.conversation_id, now)
                if fresh is not None and fresh.meta.status == "open" and fresh.meta.owner_id != meta.owner_id:
                    return self.close_conversation(fresh.meta, now)  # the owner changed meanwhile
                return False
            raise
        meta.status = "closed"
        meta.active_tenant = None
        meta.queue_tenant = meta.queued_at = None
        meta.closed_at = now
        meta.updated_at = now
        return True

    def reopen_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """A customer wrote into a closed conversation: it is active again."""
        reopened = ConversationMeta(meta.pk, meta.sk, status="open")
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.update(
                    meta,
                    actions=[
                        ConversationMeta.status.set("open"),
                        ConversationMeta.active_tenant.set(meta.tenant),
                        ConversationMeta.closed_at.remove(),
                    ],
                    condition=(ConversationMeta.status == "closed") & _owner_is(meta.owner_id),
                )
                tw.update(
                    HubCounters(meta.tenant), actions=counters.update_actions(counters.delta(meta, reopened), now)
                )
                if meta.owner_id:  # the owner gets it back (routing requeues it if they are gone)
                    tw.update(*_load(meta.tenant, meta.owner_id, 1))
        except TransactWriteError as exc:
            if error_code(exc) == TRANSACTION_CANCELED:
                return False
            raise
        meta.status, meta.active_tenant, meta.closed_at = "open", meta.tenant, None
        return True

    def change_owner(self, state: ConversationState, change: OwnerChange, now: float) -> None:
        """One transaction: the owner (conditioned on `expect_owner` and on the conversation being
        open), the participants' roles, both agents' open-chat counts (the new owner's conditioned
        on `capacity`), the queue entry and the history record. Raises OwnerConflict or AgentFull."""
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
        # PynamoDB sends puts before updates, each in call order; `labels` follows that order so a
        # cancellation reason can be traced to its item.
        puts: list[tuple[str, Any, Any]] = []
        updates: list[tuple[str, Any, list[Any], Any]] = [
            ("meta", meta, meta_actions, (ConversationMeta.status == "open") & _owner_is(previous))
        ]
        if change.to is not None:
            agent_id, name = change.to
            if agent_id in state.participants:
                p = state.participants[agent_id]
                updates.append(("participant", p, [Participant.agent_role.set("owner")], None))
            else:
                joined = Participant(
                    meta.pk,
                    keys.participant_sk(agent_id),
                    role="agent",
                    user_id=agent_id,
                    name=name,
                    agent_role="owner",
                    delivered_seq=0,
                    read_seq=0,
                    joined_at=now,
                )
                puts.append(("participant", joined, Participant.sk.does_not_exist()))
            load = AgentPresence(tenant, agent_id)
            room = AgentPresence.agent_id.exists()
            if change.capacity is not None:
                room = room & (AgentPresence.open_chats.does_not_exist() | (AgentPresence.open_chats < change.capacity))
            updates.append(
                ("load", load, [AgentPresence.open_chats.add(1), AgentPresence.last_assigned_at.set(now)], room)
            )
        if previous and previous in state.participants and (change.to is None or change.to[0] != previous):
            updates.append(("old-role", state.participants[previous], [Participant.agent_role.set("helper")], None))
        if previous and (change.to is None or change.to[0] != previous):
            item, actions = _load(tenant, previous, -1)
            updates.append(("old-load", item, actions, None))
        if change.record is not None:
            puts.append(("record", change.record, None))
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
            if "load" in failed and "meta" not in failed:
                raise AgentFull(f"{change.to[1] if change.to else 'the agent'} has no free chat place") from exc
            raise OwnerConflict("the conversation's owner changed meanwhile") from exc
        if change.to is not None:
            meta.owner_id, meta.owner_name, meta.assigned_at = change.to[0], change.to[1], now
            meta.queue_tenant = meta.queued_at = None
        else:
            meta.owner_id = meta.owner_name = meta.assigned_at = None
            if change.queue_at is not None:
                meta.queue_tenant, meta.queued_at = tenant, change.queue_at
        meta.updated_at = now

    def queue(self, tenant: str, limit: int = 100) -> list[QueuedConversation]:
        """AP-V7: conversations waiting for an agent, first come first."""
        return [
            QueuedConversation(str(m.conversation_id), str(m.customer_id), float(m.queued_at or 0))
            for m in ConversationMeta.queue_by_tenant.query(tenant, limit=limit)
            if isinstance(m, ConversationMeta)
        ]

    def queue_place(self, tenant: str, queued_at: float) -> int:
        """AP-V7: 1 + how many conversations wait ahead (a COUNT over the index, no items read)."""
        return 1 + int(ConversationMeta.queue_by_tenant.count(tenant, ConversationMeta.queued_at < queued_at))

    def list_conversations(self, tenant: str, limit: int) -> list[ConversationMeta]:
        """AP-V4: most recent activity first."""
        items = ConversationMeta.by_tenant_activity.query(tenant, scan_index_forward=False, limit=limit)
        return [item for item in items if isinstance(item, ConversationMeta)]

    def get_client_key(self, tenant: str, conversation_id: str, author_id: str, client_id: str) -> ClientKey | None:
        """AP-V2."""
        try:
            item = ClientKey.get(
                keys.conversation_pk(tenant, conversation_id), keys.client_key_sk(author_id, client_id)
            )
        except DoesNotExist:
            return None
        return item if isinstance(item, ClientKey) else None

    # ------------------------------------------------------------------ appending
    def append(
        self,
        state: ConversationState,
        entry: NewEntry,
        now: float,
        new_participant: Participant | None = None,
    ) -> Message:
        """Stores one entry with the next numbers, by compare-and-set: one transaction.

        META moves from the `last_seq` we read to the next (so concurrent writers never share
        or skip one), the message is written, and its idempotency key is claimed (with
        `new_participant` when a helper joins). The owner never changes here: only
        `change_owner` does, with the agents' loads. One write when nobody else is writing.
        Raises SequenceConflict (someone else took that number: nothing was written) or
        ClientIdTaken (with the stored key, read back in the same call).
        """
        meta = state.meta
        state.spoke_last_before = meta.preview_role
        prev, prev_public = int(meta.last_seq), int(meta.last_pseq or 0)
        seq = prev + 1
        pseq = prev_public + 1 if entry.public else None
        alloc = Allocation(seq, pseq, pseq if pseq is not None else prev_public)
        actions: list[Any] = [ConversationMeta.last_seq.set(seq), *self._meta_changes(entry, now)]
        if pseq is not None:
            actions.append(ConversationMeta.last_pseq.set(pseq))
        message = self._message(state, entry, alloc, now)
        key = self._key(state, entry, alloc, now)
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.update(meta, actions=actions, condition=ConversationMeta.last_seq == prev)
                tw.save(message, condition=Message.seq.does_not_exist())
                tw.save(key, condition=ClientKey.sk.does_not_exist(), return_values="ALL_OLD")
                if new_participant is not None:
                    tw.save(new_participant, condition=Participant.sk.does_not_exist())
        except TransactWriteError as exc:
            # PynamoDB sends puts before updates, in call order: [message, key, (participant), meta].
            reasons = list(exc.cancellation_reasons or [])
            if _failed(reasons, 1):
                raise ClientIdTaken(_stored_key(reasons[1])) from exc
            if error_code(exc) in (TRANSACTION_CANCELED, TRANSACTION_CONFLICT):
                raise SequenceConflict() from exc
            raise
        self._applied(meta, entry, alloc, now)
        return message

    def allocate(
        self,
        state: ConversationState,
        entry: NewEntry,
        now: float,
        contended_for: float = 0.0,
    ) -> Allocation:
        """Takes the next numbers with one atomic counter update (`ADD`): never conflicts, so
        concurrent writers cost one update each, however many there are. The entry itself is
        written by `write_allocated`. The owner never changes here (only `change_owner` does).
        `contended_for` marks the conversation contended for that many seconds (writers then
        allocate directly)."""
        meta = state.meta
        actions: list[Any] = [ConversationMeta.last_seq.add(1), *self._meta_changes(entry, now)]
        if entry.public:
            actions.append(ConversationMeta.last_pseq.add(1))
        if contended_for:
            actions.append(ConversationMeta.contended_until.set(now + contended_for))
        # ALL_OLD: the item as it was just before this update, so the numbers are old + 1.
        out: dict[str, Any] = ConversationMeta._get_connection().update_item(
            meta.pk, meta.sk, actions=actions, return_values="ALL_OLD"
        )
        before = ConversationMeta.from_raw_data(out["Attributes"])
        state.spoke_last_before = before.preview_role
        seq = int(before.last_seq or 0) + 1
        public_before = int(before.last_pseq or 0)
        pseq = public_before + 1 if entry.public else None
        alloc = Allocation(seq, pseq, pseq if pseq is not None else public_before)
        meta.last_seq = max(int(meta.last_seq), seq)
        meta.last_pseq = max(int(meta.last_pseq or 0), alloc.pfloor)
        self._applied(meta, entry, alloc, now, numbers=False)
        return alloc

    def write_allocated(
        self,
        state: ConversationState,
        entry: NewEntry,
        alloc: Allocation,
        now: float,
        new_participant: Participant | None = None,
    ) -> Message:
        """Writes an entry under numbers `allocate` took, with its idempotency key (and a
        joining participant), in one transaction. Raises ClientIdTaken (with the stored key),
        SequenceTaken (a reader filled this number as void: its writer was too late) or
        ParticipantExists. On any of them nothing was written."""
        message = self._message(state, entry, alloc, now)
        key = self._key(state, entry, alloc, now)
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.save(message, condition=Message.seq.does_not_exist())
                tw.save(key, condition=ClientKey.sk.does_not_exist(), return_values="ALL_OLD")
                if new_participant is not None:
                    tw.save(new_participant, condition=Participant.sk.does_not_exist())
        except TransactWriteError as exc:
            reasons = list(exc.cancellation_reasons or [])
            if _failed(reasons, 1):
                raise ClientIdTaken(_stored_key(reasons[1])) from exc
            if _failed(reasons, 0):
                raise SequenceTaken(alloc.seq) from exc
            if _failed(reasons, 2):
                raise ParticipantExists() from exc
            raise
        return message

    def put_void(self, tenant: str, conversation_id: str, void: Allocation, now: float) -> bool:
        """Fills a number nobody will write with a `void` entry (readers skip it); only if the
        number is still empty. False when an entry is there (its late writer made it)."""
        item = Message(
            keys.conversation_pk(tenant, conversation_id),
            void.seq,
            conversation_id=conversation_id,
            kind="void",
            author_role="system",
            author_id="hub",
            author_name="",
            text="",
            client_id=f"void-{void.seq}",
            created_at=now,
            pseq=void.pseq,
            pfloor=void.pfloor,
        )
        try:
            item.save(condition=Message.seq.does_not_exist())
        except PutError as exc:
            if error_code(exc) == CONDITION_FAILED:
                return False
            raise
        return True

    def _meta_changes(self, entry: NewEntry, now: float) -> list[Any]:
        actions: list[Any] = [ConversationMeta.updated_at.set(now)]
        if entry.kind == "text":  # the preview is the last thing a person said, never a system line
            actions += [
                ConversationMeta.preview_text.set(entry.text[:140]),
                ConversationMeta.preview_role.set(entry.author_role),
                ConversationMeta.preview_at.set(now),
            ]
        return actions

    @staticmethod
    def _applied(
        meta: ConversationMeta,
        entry: NewEntry,
        alloc: Allocation,
        now: float,
        numbers: bool = True,
    ) -> None:
        """Mirrors a stored change on the META the caller holds (its snapshot shows it)."""
        if numbers:
            meta.last_seq = alloc.seq
            meta.last_pseq = alloc.pfloor
        meta.updated_at = now
        if entry.kind == "text":
            meta.preview_text = entry.text[:140]
            meta.preview_role = entry.author_role
            meta.preview_at = now

    @staticmethod
    def _message(state: ConversationState, entry: NewEntry, alloc: Allocation, now: float) -> Message:
        return Message(
            state.meta.pk,
            alloc.seq,
            conversation_id=state.conversation_id,
            kind=entry.kind,
            author_role=entry.author_role,
            author_id=entry.author_id,
            author_name=entry.author_name,
            text=entry.text,
            client_id=entry.client_id,
            created_at=now,
            pseq=alloc.pseq,
            pfloor=alloc.pfloor,
            code=entry.code,
            params=entry.params,
        )

    @staticmethod
    def _key(state: ConversationState, entry: NewEntry, alloc: Allocation, now: float) -> ClientKey:
        return ClientKey(
            state.meta.pk,
            keys.client_key_sk(entry.author_id, entry.client_id),
            seq=alloc.seq,
            pseq=alloc.pseq,
            kind=entry.kind,
            created_at=now,
            text_hash=keys.text_hash(entry.text),
        )

    # ------------------------------------------------------------------ reading the timeline
    def get_message(self, tenant: str, conversation_id: str, seq: int) -> Message | None:
        try:
            return Message.get(keys.conversation_pk(tenant, conversation_id), seq, consistent_read=True)
        except DoesNotExist:
            return None

    def entries_from(self, tenant: str, conversation_id: str, first: int, last: int | None = None) -> Iterator[Message]:
        """AP-M1: every entry (voids included) from `first` (to `last`), ascending, consistent."""
        pk = keys.conversation_pk(tenant, conversation_id)
        condition = Message.seq >= first if last is None else Message.seq.between(first, last)
        return Message.query(pk, condition, scan_index_forward=True, consistent_read=True, page_size=100)

    def public_from(self, tenant: str, conversation_id: str, first: int) -> Iterator[Message]:
        """AP-M2: public entries (voids with a public number included) from public number
        `first`, ascending, consistent (a local index reads its writes)."""
        return Message.by_public_seq.query(
            keys.conversation_pk(tenant, conversation_id),
            Message.pseq >= first,
            scan_index_forward=True,
            consistent_read=True,
            page_size=100,
        )

    def advance_cursor(self, participant: Participant, field_name: str, seq: int, pseq: int) -> bool:
        """Moves a delivered/read cursor forward, in both numberings (read implies delivered);
        False when it was already at or past `seq`."""
        internal, public = (
            (Participant.delivered_seq, Participant.delivered_pseq)
            if field_name == "delivered"
            else (Participant.read_seq, Participant.read_pseq)
        )
        actions: list[Any] = [internal.set(seq), public.set(pseq)]
        if field_name == "read" and int(participant.delivered_seq) < seq:
            actions += [Participant.delivered_seq.set(seq), Participant.delivered_pseq.set(pseq)]
        try:
            participant.update(actions=actions, condition=(internal < seq) & Participant.sk.exists())
        except UpdateError as exc:
            if error_code(exc) == CONDITION_FAILED:
                return False
            raise
        return True

    def set_typing(self, tenant: str, participant: Participant, at: float | None) -> None:
        actions: list[Any]
        if at is not None:
            actions = [Participant.typing_at.set(at), Participant.typing_tenant.set(tenant)]
        else:
            actions = [Participant.typing_at.remove(), Participant.typing_tenant.remove()]
        participant.update(actions=actions)


def _owner_is(owner_id: str | None) -> Any:
    """The condition that the conversation's owner is still `owner_id` (None: it has none)."""
    if owner_id:
        return ConversationMeta.owner_id == owner_id
    return ConversationMeta.owner_id.does_not_exist()


def _failed(reasons: list[CancellationReason | None], index: int) -> bool:
    reason = reasons[index] if index < len(reasons) else None
    return reason is not None and reason.code == "ConditionalCheckFailed"


def _stored_key(reason: CancellationReason | None) -> ClientKey | None:
    """The idempotency key a cancelled transaction found already stored (`ALL_OLD`)."""
    raw = reason.raw_item if reason is not None else None
    item = ClientKey.from_raw_data(raw) if raw else None
    return item if isinstance(item, ClientKey) else None
