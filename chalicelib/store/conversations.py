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
from chalicelib.store.models import ClientKey, ConversationItem, ConversationMeta, Message, Participant, Subscription
from chalicelib.store.ports import (
    Allocation,
    ClientIdTaken,
    ConversationState,
    NewEntry,
    ParticipantExists,
    SequenceConflict,
    SequenceTaken,
    WriteConflict,
)
from chalicelib.store.work_models import HubCounters


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
        """Creates a conversation under a fresh id. A retried call whose first try was applied
        (its answer lost) finds the META there: the id is new, so it can only be ours."""
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.save(meta, condition=ConversationMeta.pk.does_not_exist())
                tw.save(customer, condition=Participant.pk.does_not_exist())
                tw.update(HubCounters(meta.tenant), actions=counters.update_actions(counters.delta(None, meta), now))
        except TransactWriteError as exc:
            if _failed(list(exc.cancellation_reasons or []), 0):
                return
            raise

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
                        ConversationMeta.closed_at.set(now),
                        ConversationMeta.updated_at.set(now),
                    ],
                    condition=ConversationMeta.status == "open",
                )
                tw.update(HubCounters(meta.tenant), actions=counters.update_actions(changes, now))
        except TransactWriteError as exc:
            if error_code(exc) == "TransactionCanceledException":
                return False
            raise
        meta.status = "closed"
        meta.active_tenant = None
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
                    condition=ConversationMeta.status == "closed",
                )
                tw.update(
                    HubCounters(meta.tenant), actions=counters.update_actions(counters.delta(meta, reopened), now)
                )
        except TransactWriteError as exc:
            if error_code(exc) == "TransactionCanceledException":
                return False
            raise
        meta.status, meta.active_tenant, meta.closed_at = "open", meta.tenant, None
        return True

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
        new_owner: tuple[str, str] | None = None,
        new_participant: Participant | None = None,
    ) -> Message:
        """Stores one entry with the next numbers, by compare-and-set: one transaction.

        META moves from the `last_seq` we read to the next (so concurrent writers never share
        or skip one), the message is written, and its idempotency key is claimed (with
        `new_owner` and `new_participant` when a join adds them). One write when nobody else
        is writing. Raises SequenceConflict (someone else took that number: nothing was
        written) or ClientIdTaken (with the stored key, read back in the same call).
        """
        meta = state.meta
        state.spoke_last_before = meta.preview_role
        prev, prev_public = int(meta.last_seq), int(meta.last_pseq or 0)
        seq = prev + 1
        pseq = prev_public + 1 if entry.public else None
        alloc = Allocation(seq, pseq, pseq if pseq is not None else prev_public)
        actions: list[Any] = [ConversationMeta.last_seq.set(seq), *self._meta_changes(entry, now, new_owner)]
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
        self._applied(meta, entry, alloc, now, new_owner)
        return message

    def allocate(
        self,
        state: ConversationState,
        entry: NewEntry,
        now: float,
        new_owner: tuple[str, str] | None = None,
        contended_for: float = 0.0,
    ) -> Allocation:
        """Takes the next numbers with one atomic counter update (`ADD`): never conflicts, so
        concurrent writers cost one update each, however many there are. The entry itself is
        written by `write_allocated`. With `new_owner`, only while the owner is still the one
        `state` holds (else WriteConflict, nothing taken). `contended_for` marks the
        conversation contended for that many seconds (writers then allocate directly)."""
        meta = state.meta
        actions: list[Any] = [ConversationMeta.last_seq.add(1), *self._meta_changes(entry, now, new_owner)]
        if entry.public:
            actions.append(ConversationMeta.last_pseq.add(1))
        if contended_for:
            actions.append(ConversationMeta.contended_until.set(now + contended_for))
        condition: Any = None
        if new_owner is not None:
            condition = (
                ConversationMeta.owner_id.does_not_exist()
                if meta.owner_id is None
                else ConversationMeta.owner_id == meta.owner_id
            )
        try:
            # ALL_OLD: the item as it was just before this update, so the numbers are old + 1.
            out: dict[str, Any] = ConversationMeta._get_connection().update_item(
                meta.pk, meta.sk, actions=actions, condition=condition, return_values="ALL_OLD"
            )
        except UpdateError as exc:
            if error_code(exc) == CONDITION_FAILED:
                raise WriteConflict("the conversation's owner changed") from exc
            raise
        before = ConversationMeta.from_raw_data(out["Attributes"])
        state.spoke_last_before = before.preview_role
        seq = int(before.last_seq or 0) + 1
        public_before = int(before.last_pseq or 0)
        pseq = public_before + 1 if entry.public else None
        alloc = Allocation(seq, pseq, pseq if pseq is not None else public_before)
        meta.last_seq = max(int(meta.last_seq), seq)
        meta.last_pseq = max(int(meta.last_pseq or 0), alloc.pfloor)
        self._applied(meta, entry, alloc, now, new_owner, numbers=False)
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

    def _meta_changes(self, entry: NewEntry, now: float, new_owner: tuple[str, str] | None) -> list[Any]:
        actions: list[Any] = [ConversationMeta.updated_at.set(now)]
        if entry.kind == "text":  # the preview is the last thing a person said, never a system line
            actions += [
                ConversationMeta.preview_text.set(entry.text[:140]),
                ConversationMeta.preview_role.set(entry.author_role),
                ConversationMeta.preview_at.set(now),
            ]
        if new_owner is not None:
            actions += [ConversationMeta.owner_id.set(new_owner[0]), ConversationMeta.owner_name.set(new_owner[1])]
        return actions

    @staticmethod
    def _applied(
        meta: ConversationMeta,
        entry: NewEntry,
        alloc: Allocation,
        now: float,
        new_owner: tuple[str, str] | None,
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
        if new_owner is not None:
            meta.owner_id, meta.owner_name = new_owner

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


def _failed(reasons: list[CancellationReason | None], index: int) -> bool:
    reason = reasons[index] if index < len(reasons) else None
    return reason is not None and reason.code == "ConditionalCheckFailed"


def _stored_key(reason: CancellationReason | None) -> ClientKey | None:
    """The idempotency key a cancelled transaction found already stored (`ALL_OLD`)."""
    raw = reason.raw_item if reason is not None else None
    item = ClientKey.from_raw_data(raw) if raw else None
    return item if isinstance(item, ClientKey) else None
