"""DynamoDB access for conversations and their timelines: one method per named access pattern
(see models.py).

Nothing here decides who may do what; the live lane does. Every read that touches TTL'd items
drops the expired ones itself, because DynamoDB deletes them up to two days late.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.connection import Connection as DynamoConnection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.store import counters, keys
from chalicelib.store.models import ClientKey, ConversationItem, ConversationMeta, Message, Participant, Subscription
from chalicelib.store.ports import ClientIdTaken, ConversationState, NewEntry, SequenceConflict
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
        meta.customer_key = keys.customer_key(str(meta.tenant), str(meta.customer_id))  # AP-V7
        with TransactWrite(connection=self._ddb) as tw:
            tw.save(meta, condition=ConversationMeta.pk.does_not_exist())
            tw.save(customer, condition=Participant.pk.does_not_exist())
            tw.update(HubCounters(meta.tenant), actions=counters.update_actions(counters.delta(None, meta), now))

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
            if exc.cause_response_code == "TransactionCanceledException":
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
            if exc.cause_response_code == "TransactionCanceledException":
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

    def append(
        self,
        state: ConversationState,
        entry: NewEntry,
        now: float,
        new_owner: tuple[str, str] | None = None,
        new_participant: Participant | None = None,
    ) -> Message:
        """Stores one timeline entry with the next sequence, atomically.

        One transaction: the META sequence moves from the number we read to the
        next (so concurrent writers never share or skip one), the message is
        written, and its idempotency key is claimed (with `new_owner` and `new_participant`
        when a join adds them). Raises SequenceConflict or ClientIdTaken.
        """
        meta = state.meta
        state.spoke_last_before = meta.preview_role
        prev = int(meta.last_seq)
        seq = prev + 1
        pk = meta.pk
        message = Message(
            pk,
            seq,
            conversation_id=state.conversation_id,
            kind=entry.kind,
            author_role=entry.author_role,
            author_id=entry.author_id,
            author_name=entry.author_name,
            text=entry.text,
            client_id=entry.client_id,
            created_at=now,
            prev_public_seq=int(meta.last_public_seq),
        )
        actions: list[Any] = [ConversationMeta.last_seq.set(seq), ConversationMeta.updated_at.set(now)]
        if entry.public:
            actions.append(ConversationMeta.last_public_seq.set(seq))
        if entry.kind == "text":  # the preview is the last thing a person said, never a system line
            actions += [
                ConversationMeta.preview_text.set(entry.text[:140]),
                ConversationMeta.preview_role.set(entry.author_role),
                ConversationMeta.preview_at.set(now),
            ]
        if new_owner is not None:
            actions += [ConversationMeta.owner_id.set(new_owner[0]), ConversationMeta.owner_name.set(new_owner[1])]
        key = ClientKey(
            pk, keys.client_key_sk(entry.author_id, entry.client_id), seq=seq, text_hash=keys.text_hash(entry.text)
        )
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.update(meta, actions=actions, condition=ConversationMeta.last_seq == prev)
                tw.save(message, condition=Message.seq.does_not_exist())
                tw.save(key, condition=ClientKey.sk.does_not_exist())
                if new_participant is not None:
                    tw.save(new_participant, condition=Participant.sk.does_not_exist())
        except TransactWriteError as exc:
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            # PynamoDB sends puts before updates, in call order: [message, key, (participant), meta].
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                raise ClientIdTaken() from exc
            if exc.cause_response_code in ("TransactionCanceledException", "TransactionConflictException"):
                raise SequenceConflict() from exc
            raise
        meta.last_seq = seq
        meta.updated_at = now
        if entry.public:
            meta.last_public_seq = seq
        if entry.kind == "text":
            meta.preview_text = entry.text[:140]
            meta.preview_role = entry.author_role
            meta.preview_at = now
        return message

    def get_message(self, tenant: str, conversation_id: str, seq: int) -> Message | None:
        try:
            return Message.get(keys.conversation_pk(tenant, conversation_id), seq)
        except DoesNotExist:
            return None

    def messages_since(self, tenant: str, conversation_id: str, since: int, include_notes: bool) -> Iterator[Message]:
        """AP-M1: entries after `since`, ascending; customers' reads skip notes server-side."""
        condition = None if include_notes else (Message.kind != "note")
        return Message.query(
            keys.conversation_pk(tenant, conversation_id),
            Message.seq > since,
            filter_condition=condition,
            scan_index_forward=True,
            page_size=100,
        )

    def advance_cursor(self, participant: Participant, field_name: str, seq: int) -> bool:
        """Moves a delivered/read cursor forward; False when it was already at or past `seq`."""
        attr = Participant.delivered_seq if field_name == "delivered" else Participant.read_seq
        try:
            participant.update(actions=[attr.set(seq)], condition=(attr < seq) & Participant.sk.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
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
