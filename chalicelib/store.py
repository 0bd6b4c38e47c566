"""DynamoDB access for the live lane: one method per named access pattern (see models.py).

Nothing here decides who may do what; `chalicelib.live` does. Every read that
touches TTL'd items drops the expired ones itself, because DynamoDB deletes
them up to two days late.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.connection import Connection as DynamoConnection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import counters, keys
from chalicelib.models import (
    AgentPresence,
    ClientKey,
    Connection,
    ConversationItem,
    ConversationMeta,
    HubCounters,
    Message,
    Participant,
    Subscription,
    Tenant,
)


class SequenceConflict(Exception):
    """Another writer took the next sequence first; reload and try again."""


class ClientIdTaken(Exception):
    """This author already stored an entry with this client id in this conversation."""


@dataclass
class ConversationState:
    """Everything in a conversation's partition except its idempotency keys (AP-V1)."""

    meta: ConversationMeta
    participants: dict[str, Participant] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    # Who spoke last before the entry just appended ("customer" means it was already waiting).
    spoke_last_before: str | None = None

    @property
    def tenant(self) -> str:
        return str(self.meta.tenant)

    @property
    def conversation_id(self) -> str:
        return str(self.meta.conversation_id)


@dataclass(frozen=True)
class NewEntry:
    kind: str  # "text" | "note" | "system"
    author_role: str
    author_id: str
    author_name: str
    text: str
    client_id: str

    @property
    def public(self) -> bool:
        return self.kind != "note"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Store:
    def __init__(self, region: str) -> None:
        self._ddb = DynamoConnection(region=region)

    # ------------------------------------------------------------------ connections
    def put_connection(self, conn: Connection) -> None:
        conn.save()

    def get_connection(self, connection_id: str, now: float) -> Connection | None:
        """AP-C1. An item past its TTL counts as gone."""
        try:
            conn = Connection.get(connection_id)
        except DoesNotExist:
            return None
        if conn.expires_at is not None and conn.expires_at.timestamp() <= now:
            return None
        return conn

    def delete_connection(self, conn: Connection) -> None:
        """Removes the connection and its conversation subscriptions."""
        for conversation_id in sorted(conn.conversations or ()):
            self.unsubscribe(conn.tenant, conversation_id, conn.connection_id)
        conn.delete()

    def tenant_connections(self, tenant: str, role: str) -> list[str]:
        """AP-C2: connection ids of one role in a tenant."""
        return [c.connection_id for c in Connection.by_tenant_role.query(keys.tenant_role(tenant, role))]

    def tenant_agents_online(self, tenant: str) -> list[tuple[str, str]]:
        """AP-C2: (connection id, agent id) of every live agent connection in a tenant."""
        return [
            (c.connection_id, c.user_id) for c in Connection.by_tenant_role.query(keys.tenant_role(tenant, "agent"))
        ]

    def user_connections(self, tenant: str, role: str, user_id: str) -> list[str]:
        """AP-C3."""
        return [c.connection_id for c in Connection.by_user.query(keys.tenant_user(tenant, role, user_id))]

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

    def set_waiting_ticket(self, tenant: str, conversation_id: str, ticket_id: str | None) -> None:
        meta = ConversationMeta(keys.conversation_pk(tenant, conversation_id), keys.META_SK)
        action = (
            ConversationMeta.waiting_ticket_id.set(ticket_id)
            if ticket_id
            else ConversationMeta.waiting_ticket_id.remove()
        )
        meta.update(actions=[action], condition=ConversationMeta.pk.exists())

    def subscribe(self, conn: Connection, tenant: str, conversation_id: str) -> None:
        Subscription(
            keys.conversation_pk(tenant, conversation_id),
            keys.subscription_sk(conn.connection_id),
            connection_id=conn.connection_id,
            role=conn.role,
            user_id=conn.user_id,
            expires_at=conn.expires_at,
        ).save()
        conn.update(actions=[Connection.conversations.add({conversation_id})])

    def unsubscribe(self, tenant: str, conversation_id: str, connection_id: str) -> None:
        Subscription(keys.conversation_pk(tenant, conversation_id), keys.subscription_sk(connection_id)).delete()

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
        extra_meta_actions: list[Any] | None = None,
        new_participant: Participant | None = None,
    ) -> Message:
        """Stores one timeline entry with the next sequence, atomically.

        One transaction: the META sequence moves from the number we read to the
        next (so concurrent writers never share or skip one), the message is
        written, and its idempotency key is claimed. Raises SequenceConflict or
        ClientIdTaken.
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
        actions += extra_meta_actions or []
        key = ClientKey(
            pk, keys.client_key_sk(entry.author_id, entry.client_id), seq=seq, text_hash=text_hash(entry.text)
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

    def stale_typing(self, tenant: str, older_than: float) -> list[ConversationItem]:
        """AP-V6: typing indicators switched on before `older_than` and never switched off."""
        return list(ConversationItem.typing_by_tenant.query(tenant, ConversationItem.typing_at < older_than))

    def clear_typing(self, pk: str, sk: str, seen_at: float) -> bool:
        """Switches one stale indicator off, unless the participant typed again meanwhile."""
        try:
            Participant(pk, sk).update(
                actions=[Participant.typing_at.remove(), Participant.typing_tenant.remove()],
                condition=Participant.typing_at == seen_at,
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # ------------------------------------------------------------------ presence
    def get_presence(self, tenant: str, agent_id: str) -> AgentPresence | None:
        """AP-P1."""
        try:
            return AgentPresence.get(tenant, agent_id)
        except DoesNotExist:
            return None

    def tenant_presence(self, tenant: str) -> list[AgentPresence]:
        """AP-P2."""
        return list(AgentPresence.query(tenant))

    def touch_presence(
        self, tenant: str, agent_id: str, name: str, now: float, status: str | None = None
    ) -> tuple[AgentPresence | None, AgentPresence]:
        """Records a heartbeat (and optionally a new chosen status); returns (before, after)."""
        before = self.get_presence(tenant, agent_id)
        after = AgentPresence(
            tenant,
            agent_id,
            name=name,
            status=status or (before.status if before else "available"),
            status_at=now if status or before is None else before.status_at,
            heartbeat_at=now,
        )
        after.save()
        return before, after

    def drop_heartbeat(self, tenant: str, agent_id: str) -> AgentPresence | None:
        """The agent's last connection closed: keep the chosen status, mark unreachable."""
        presence = self.get_presence(tenant, agent_id)
        if presence is None:
            return None
        presence.update(actions=[AgentPresence.heartbeat_at.set(0)])
        return presence

    # ------------------------------------------------------------------ tenants
    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """AP-T1."""
        try:
            return Tenant.get(tenant_id)
        except DoesNotExist:
            return None


def backoff(attempt: int) -> None:
    """Exponential pause with full jitter between optimistic retries, so racing senders spread out."""
    time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))
