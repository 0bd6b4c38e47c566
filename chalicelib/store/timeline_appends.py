"""Appending to a timeline: compare-and-set, the atomic counter and its allocated writes, void filler."""

from __future__ import annotations

from typing import Any

from pynamodb.connection import Connection as DynamoConnection
from pynamodb.exceptions import CancellationReason, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store import keys
from chalicelib.store.dynamo_errors import CONDITION_FAILED, TRANSACTION_CANCELED, TRANSACTION_CONFLICT, error_code
from chalicelib.store.models import ClientKey, ConversationMeta, Message, Participant
from chalicelib.store.ports import (
    Allocation,
    ClientIdTaken,
    ConversationState,
    NewEntry,
    ParticipantExists,
    SequenceConflict,
    SequenceTaken,
)


class TimelineAppends:
    _ddb: DynamoConnection

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
        typist = _typing_author(state, entry)
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.update(meta, actions=actions, condition=ConversationMeta.last_seq == prev)
                tw.save(message, condition=Message.seq.does_not_exist())
                tw.save(key, condition=ClientKey.sk.does_not_exist(), return_values="ALL_OLD")
                if new_participant is not None:
                    tw.save(new_participant, condition=Participant.sk.does_not_exist())
                if typist is not None:
                    _stop_typing(tw, typist)
        except TransactWriteError as exc:
            # PynamoDB sends puts before updates, in call order:
            # [message, key, (participant), meta, (typing off)].
            reasons = list(exc.cancellation_reasons or [])
            if _failed(reasons, 1):
                raise ClientIdTaken(_stored_key(reasons[1])) from exc
            if error_code(exc) in (TRANSACTION_CANCELED, TRANSACTION_CONFLICT):
                raise SequenceConflict() from exc
            raise
        self._applied(meta, entry, alloc, now)
        _typing_stopped(typist)
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
        typist = _typing_author(state, entry)
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.save(message, condition=Message.seq.does_not_exist())
                tw.save(key, condition=ClientKey.sk.does_not_exist(), return_values="ALL_OLD")
                if new_participant is not None:
                    tw.save(new_participant, condition=Participant.sk.does_not_exist())
                if typist is not None:
                    _stop_typing(tw, typist)
        except TransactWriteError as exc:
            # Puts before updates: [message, key, (participant), (typing off)].
            reasons = list(exc.cancellation_reasons or [])
            if _failed(reasons, 1):
                raise ClientIdTaken(_stored_key(reasons[1])) from exc
            if _failed(reasons, 0):
                raise SequenceTaken(alloc.seq) from exc
            if new_participant is not None and _failed(reasons, 2):
                raise ParticipantExists() from exc
            raise
        _typing_stopped(typist)
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


def _typing_author(state: ConversationState, entry: NewEntry) -> Participant | None:
    """The author, when their typing indicator is stored as on: sending stops typing, so the
    entry's own transaction switches it off (docs/protocol.md, "Typing"; no call of its own)."""
    author = state.participants.get(entry.author_id)
    return author if author is not None and author.typing_at is not None else None


def _stop_typing(tw: TransactWrite, typist: Participant) -> None:
    # Participants are never deleted; the condition only keeps the update from creating one.
    tw.update(
        typist,
        actions=[Participant.typing_at.remove(), Participant.typing_tenant.remove()],
        condition=Participant.sk.exists(),
    )


def _typing_stopped(typist: Participant | None) -> None:
    if typist is not None:
        typist.typing_at = None
        typist.typing_tenant = None


def _failed(reasons: list[CancellationReason | None], index: int) -> bool:
    reason = reasons[index] if index < len(reasons) else None
    return reason is not None and reason.code == "ConditionalCheckFailed"


def _stored_key(reason: CancellationReason | None) -> ClientKey | None:
    """The idempotency key a cancelled transaction found already stored (`ALL_OLD`)."""
    raw = reason.raw_item if reason is not None else None
    item = ClientKey.from_raw_data(raw) if raw else None
    return item if isinstance(item, ClientKey) else None
