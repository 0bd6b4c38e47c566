"""In-memory fakes of the store ports (`chalicelib/store/ports.py`), for the unit tier.

One `MemoryStore` implements every port over plain dicts, with the same conditions the DynamoDB
stores put on their writes (the sequence moves only from the value read, an idempotency key is
claimed once, versions guard callbacks and tickets, cursors only move forward). Like the fakes in
aws-samples' cns427 example it can also be told to fail: `fail_next("append", Throttled())`
makes the next call(s) of that method raise, so the retry and error paths run without AWS.

Records are copied in and out, as a real store would: a lane never holds the stored object.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from chalicelib.store import counters, keys
from chalicelib.store.desk_models import CannedReply, CsatDay, HoursItem, IdentitySecret
from chalicelib.store.directory_models import CustomerProfile, SearchTerm
from chalicelib.store.models import (
    AgentPresence,
    ClientKey,
    Connection,
    ConversationMeta,
    Message,
    Participant,
    Subscription,
    Tenant,
)
from chalicelib.store.ports import (
    AgentFull,
    Allocation,
    ClientIdTaken,
    ConnectionGone,
    ConversationState,
    NewEntry,
    OwnerChange,
    OwnerConflict,
    ParticipantExists,
    QueuedConversation,
    SequenceConflict,
    SequenceTaken,
    ShortcutTaken,
    TypingIndicator,
    WriteConflict,
)
from chalicelib.store.work_models import Callback, HistoryEntry, HubCounters, Ticket

M = TypeVar("M")


class Throttled(Exception):
    """What DynamoDB's ProvisionedThroughputExceeded / ThrottlingException look like to a lane:
    an error from the store it did not ask for."""


def _copy(item: M) -> M:
    # No null check: a table can hold an item that lacks required attributes (a bare connection
    # item an update recreated), and reading it back gives it as it is, as DynamoDB does.
    return type(item).from_raw_data(item.serialize(null_check=False))  # type: ignore[attr-defined, no-any-return]


class MemoryStore:
    def __init__(self) -> None:
        self.connections: dict[str, Connection] = {}
        self.subscriptions: dict[tuple[str, str], dict[str, Subscription]] = defaultdict(dict)
        self.presence: dict[tuple[str, str], AgentPresence] = {}
        self.metas: dict[tuple[str, str], ConversationMeta] = {}
        self.participants: dict[tuple[str, str], dict[str, Participant]] = defaultdict(dict)
        self.client_keys: dict[tuple[str, str, str, str], ClientKey] = {}
        self.messages: dict[tuple[str, str], dict[int, Message]] = defaultdict(dict)
        self.tenants: dict[str, Tenant] = {}
        self.callbacks: dict[tuple[str, str], Callback] = {}
        self.tickets: dict[tuple[str, str], Ticket] = {}
        self.counters: dict[str, HubCounters] = {}
        self.histories: dict[str, list[HistoryEntry]] = defaultdict(list)
        self.windows: dict[str, int] = {}
        # The desk table: canned replies (and their shortcut claims), hours, identity secrets, CSAT days.
        self.canned: dict[tuple[str, str], CannedReply] = {}
        self.shortcuts: dict[tuple[str, str], str] = {}
        self.hours: dict[str, HoursItem] = {}
        self.identity: dict[str, IdentitySecret] = {}
        self.csat: dict[tuple[str, str], CsatDay] = {}
        # The directory table: customer profiles and search terms.
        self.profiles: dict[tuple[str, str], CustomerProfile] = {}
        self.terms: dict[tuple[str, str], SearchTerm] = {}
        self.calls: list[str] = []
        self._failures: dict[str, list[BaseException]] = defaultdict(list)
        self._effects: dict[str, list[Callable[[], object]]] = defaultdict(list)

    # ------------------------------------------------------------------ rate-limit windows
    def count(self, key: str, limit: int, expires_at: float) -> bool:
        self._enter("count")
        if self.windows.get(key, 0) >= limit:
            return False
        self.windows[key] = self.windows.get(key, 0) + 1
        return True

    # ------------------------------------------------------------------ failure injection
    def fail_next(self, method: str, error: BaseException, times: int = 1) -> None:
        """The next `times` calls of `method` raise `error` instead of doing anything."""
        self._failures[method] += [error] * times

    def before_next(self, method: str, effect: Callable[[], object]) -> None:
        """Runs `effect` just before the next call of `method` does its work: another writer
        landing between a read and a conditional write, exactly when a test needs it."""
        self._effects[method].append(effect)

    def _enter(self, method: str) -> None:
        self.calls.append(method)
        if self._effects[method]:
            self._effects[method].pop(0)()
        if self._failures[method]:
            raise self._failures[method].pop(0)

    # ------------------------------------------------------------------ tenants
    def add_tenant(self, tenant_id: str, widget_key: str, **settings: Any) -> None:
        self.tenants[tenant_id] = Tenant(tenant_id, name=tenant_id, widget_keys={widget_key}, created_at=0, **settings)

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        self._enter("get_tenant")
        t = self.tenants.get(tenant_id)
        return _copy(t) if t else None

    def tenant_ids(self) -> Iterator[str]:
        self._enter("tenant_ids")
        yield from sorted(self.tenants)

    def update_tenant(self, tenant_id: str, changes: dict[str, Any]) -> Tenant | None:
        self._enter("update_tenant")
        t = self.tenants.get(tenant_id)
        if t is None:
            return None
        for name, value in changes.items():
            setattr(t, name, value)
        return _copy(t)

    # ------------------------------------------------------------------ connections
    def put_connection(self, conn: Connection) -> None:
        self._enter("put_connection")
        self.connections[conn.connection_id] = _copy(conn)

    def get_connection(self, connection_id: str, now: float) -> Connection | None:
        self._enter("get_connection")
        conn = self.connections.get(connection_id)
        if conn is None or (conn.expires_at is not None and conn.expires_at.timestamp() <= now):
            return None
        return _copy(conn)

    def delete_connection(self, conn: Connection) -> None:
        self._enter("delete_connection")
        stored = self.connections.pop(conn.connection_id, None)  # the item as it was (ALL_OLD)
        if stored is None:
            return
        for conversation_id in stored.conversations or ():
            self.subscriptions[(stored.tenant or conn.tenant, conversation_id)].pop(conn.connection_id, None)

    def delete_subscription(self, tenant: str, conversation_id: str, connection_id: str) -> None:
        self._enter("delete_subscription")
        self.subscriptions[(tenant, conversation_id)].pop(connection_id, None)

    def _live(self, tenant: str, role: str) -> list[Connection]:
        # Read through the index key, as the GSI `by_tenant_role` is: a key that lost its tenant
        # would mix tenants here too.
        key = keys.tenant_role(tenant, role)
        return [c for c in self.connections.values() if c.tenant_role == key]

    def tenant_connections(self, tenant: str, role: str) -> list[str]:
        self._enter("tenant_connections")
        return [c.connection_id for c in self._live(tenant, role)]

    def open_connections(self, tenant: str, role: str) -> int:
        self._enter("open_connections")
        return len(self._live(tenant, role))

    def tenant_users_online(self, tenant: str, role: str) -> list[tuple[str, str]]:
        self._enter("tenant_users_online")
        return [(c.connection_id, c.user_id) for c in self._live(tenant, role)]

    def user_connections(self, tenant: str, role: str, user_id: str) -> list[str]:
        self._enter("user_connections")
        key = keys.tenant_user(tenant, role, user_id)  # the GSI `by_user`
        return [c.connection_id for c in self.connections.values() if c.tenant_user == key]

    def subscribe(self, conn: Connection, tenant: str, conversation_id: str) -> None:
        self._enter("subscribe")
        stored = self.connections.get(conn.connection_id)
        if stored is None:  # conditioned on the connection item, as the DynamoDB store is
            raise ConnectionGone(conn.connection_id)
        self.subscriptions[(tenant, conversation_id)][conn.connection_id] = Subscription(
            keys.conversation_pk(tenant, conversation_id),
            keys.subscription_sk(conn.connection_id),
            connection_id=conn.connection_id,
            role=conn.role,
            user_id=conn.user_id,
            expires_at=conn.expires_at,
        )
        stored.conversations = {*(stored.conversations or ()), conversation_id}

    # ------------------------------------------------------------------ presence
    def get_presence(self, tenant: str, agent_id: str) -> AgentPresence | None:
        self._enter("get_presence")
        p = self.presence.get((tenant, agent_id))
        return _copy(p) if p else None

    def tenant_presence(self, tenant: str) -> list[AgentPresence]:
        self._enter("tenant_presence")
        return [_copy(p) for (t, _), p in sorted(self.presence.items()) if t == tenant]

    def refresh_heartbeat(
        self, tenant: str, agent_id: str, name: str, now: float, connection_id: str, reachable_after: float
    ) -> bool:
        self._enter("refresh_heartbeat")
        if connection_id not in self.connections:
            raise ConnectionGone(connection_id)
        stored = self.presence.get((tenant, agent_id))
        if stored is None or float(stored.heartbeat_at or 0) <= reachable_after:
            return False
        stored.name, stored.heartbeat_at, stored.drift_status = name, now, None
        return True

    def touch_presence(
        self,
        tenant: str,
        agent_id: str,
        name: str,
        now: float,
        status: str | None = None,
        connection_id: str | None = None,
    ) -> tuple[AgentPresence | None, AgentPresence]:
        self._enter("touch_presence")
        if connection_id is not None and connection_id not in self.connections:
            raise ConnectionGone(connection_id)
        before = self.presence.get((tenant, agent_id))
        first = before is None or (not before.heartbeat_at and not before.left_at)
        stored = self.presence.setdefault((tenant, agent_id), AgentPresence(tenant, agent_id, status_at=now))
        kept = _copy(before) if before else None
        stored.name, stored.heartbeat_at, stored.drift_status = name, now, None
        stored.version = int(stored.version or 0) + 1
        if status or first:
            stored.status, stored.status_at = status or "available", now
        return kept, _copy(stored)

    def drop_heartbeat(self, tenant: str, agent_id: str, now: float, seen: float) -> AgentPresence | None:
        self._enter("drop_heartbeat")
        p = self.presence.get((tenant, agent_id))
        if p is None or float(p.heartbeat_at or 0) != seen:
            return None
        p.heartbeat_at, p.left_at = 0, now
        p.version = int(p.version or 0) + 1
        return _copy(p)

    def set_capacity(self, tenant: str, agent_id: str, capacity: int | None) -> AgentPresence | None:
        self._enter("set_capacity")
        p = self.presence.get((tenant, agent_id))
        if p is None:
            return None
        p.capacity = capacity
        return _copy(p)

    def mark_presence_drift(self, presence: AgentPresence, target: str) -> bool:
        self._enter("mark_presence_drift")
        stored = self.presence.get((presence.tenant, presence.agent_id))
        if stored is None or stored.heartbeat_at != presence.heartbeat_at:
            return False
        stored.drift_status = target
        stored.version = int(stored.version or 0) + 1
        presence.drift_status, presence.version = target, stored.version
        return True

    # ------------------------------------------------------------------ conversations
    def load_conversation(self, tenant: str, conversation_id: str, now: float) -> ConversationState | None:
        self._enter("load_conversation")
        meta = self.metas.get((tenant, conversation_id))
        if meta is None:
            return None
        subs = [
            _copy(s)
            for s in self.subscriptions[(tenant, conversation_id)].values()
            if s.expires_at is None or s.expires_at.timestamp() > now
        ]
        parts = {u: _copy(p) for u, p in self.participants[(tenant, conversation_id)].items()}
        return ConversationState(_copy(meta), parts, subs)

    def create_conversation(self, meta: ConversationMeta, customer: Participant, now: float) -> None:
        self._enter("create_conversation")
        key = (meta.tenant, meta.conversation_id)
        if key in self.metas:  # a retried create whose first try applied (as the DynamoDB store)
            return
        self.metas[key] = _copy(meta)
        self.participants[key][customer.user_id] = _copy(customer)
        self._count(meta.tenant, counters.delta(None, meta), now)

    def _set_status(self, meta: ConversationMeta, now: float, status: str, expected: str) -> bool:
        stored = self.metas[(meta.tenant, meta.conversation_id)]
        if stored.status != expected:
            return False
        before = _copy(stored)
        stored.status = status
        stored.active_tenant = stored.tenant if status == "open" else None
        stored.closed_at = now if status == "closed" else None
        if status == "closed":
            stored.updated_at = now
            stored.queue_tenant = stored.queued_at = None
        if expected == "new":  # it starts: the inbox, the open conversations and the counters see it
            stored.gsi_tenant, stored.started_at, stored.updated_at = stored.tenant, now, now
            stored.customer_key = keys.customer_key(str(stored.tenant), str(stored.customer_id))
        if stored.owner_id and expected != "new":  # the owner's load follows, in the same write
            self._load(meta.tenant, str(stored.owner_id), 1 if status == "open" else -1)
        self._count(meta.tenant, counters.delta(before, stored), now)
        meta.status, meta.active_tenant, meta.closed_at = stored.status, stored.active_tenant, stored.closed_at
        meta.gsi_tenant, meta.started_at, meta.customer_key = stored.gsi_tenant, stored.started_at, stored.customer_key
        meta.queue_tenant, meta.queued_at, meta.updated_at = stored.queue_tenant, stored.queued_at, stored.updated_at
        return True

    def _load(self, tenant: str, agent_id: str, change: int) -> None:
        """As the DynamoDB store: only an agent still in the directory is counted (no ghost row)."""
        p = self.presence.get((tenant, agent_id))
        if p is not None:
            p.open_chats = int(p.open_chats or 0) + change

    def start_conversation(self, meta: ConversationMeta, now: float) -> bool:
        self._enter("start_conversation")
        return meta.status == "new" and self._set_status(meta, now, "open", "new")

    def change_owner(self, state: ConversationState, change: OwnerChange, now: float) -> None:
        """The DynamoDB store's transaction, as one step under the same conditions."""
        self._enter("change_owner")
        if change.to is not None and change.to[0] == change.expect_owner:
            return  # already theirs: nothing changes
        meta = state.meta
        key = (meta.tenant, meta.conversation_id)
        stored = self.metas.get(key)
        if stored is None or stored.status != "open" or (stored.owner_id or None) != change.expect_owner:
            raise OwnerConflict("the conversation's owner changed meanwhile")
        if change.to is not None:
            if change.to[0] not in state.participants and change.to[0] in self.participants[key]:
                # The DynamoDB store puts the new owner's participant only where none is.
                raise OwnerConflict("the conversation's owner changed meanwhile")
            agent = self.presence.get((meta.tenant, change.to[0]))
            if agent is None or (change.capacity is not None and int(agent.open_chats or 0) >= change.capacity):
                raise AgentFull(f"{change.to[1]} has no free chat place")
        previous = change.expect_owner
        parts = self.participants[key]
        if change.to is not None:
            agent_id, name = change.to
            stored.owner_id, stored.owner_name, stored.assigned_at = agent_id, name, now
            stored.queue_tenant = stored.queued_at = None
            if agent_id in parts:
                parts[agent_id].agent_role = "owner"
            else:
                parts[agent_id] = Participant(
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
            self._load(meta.tenant, agent_id, 1)
            self.presence[(meta.tenant, agent_id)].last_assigned_at = now
        else:
            stored.owner_id = stored.owner_name = stored.assigned_at = None
            if change.queue_at is not None:
                stored.queue_tenant, stored.queued_at = meta.tenant, change.queue_at
        if previous:  # (never the new owner: returned above)
            if previous in parts:
                parts[previous].agent_role = "helper"
            self._load(meta.tenant, previous, -1)
        if change.record is not None:
            self.histories[change.record.subject].append(_copy(change.record))
        stored.updated_at = now
        meta.owner_id, meta.owner_name, meta.assigned_at = stored.owner_id, stored.owner_name, stored.assigned_at
        meta.queue_tenant, meta.queued_at, meta.updated_at = stored.queue_tenant, stored.queued_at, now

    def queue(self, tenant: str, limit: int) -> list[QueuedConversation]:
        self._enter("queue")
        waiting = sorted(
            (m for (t, _), m in self.metas.items() if t == tenant and m.queue_tenant), key=lambda m: float(m.queued_at)
        )
        return [QueuedConversation(str(m.conversation_id), str(m.customer_id), float(m.queued_at)) for m in waiting][
            :limit
        ]

    def queue_place(self, tenant: str, queued_at: float) -> int:
        self._enter("queue_place")
        return 1 + sum(
            1 for (t, _), m in self.metas.items() if t == tenant and m.queue_tenant and float(m.queued_at) < queued_at
        )

    def close_conversation(self, meta: ConversationMeta, now: float) -> bool:
        self._enter("close_conversation")
        return meta.status == "open" and self._set_status(meta, now, "closed", "open")

    def reopen_conversation(self, meta: ConversationMeta, now: float) -> bool:
        self._enter("reopen_conversation")
        return self._set_status(meta, now, "open", "closed")

    def list_conversations(self, tenant: str, limit: int) -> list[ConversationMeta]:
        self._enter("list_conversations")
        metas = [m for (t, _), m in self.metas.items() if t == tenant and m.gsi_tenant]
        return [_copy(m) for m in sorted(metas, key=lambda m: -float(m.updated_at))[:limit]]

    def conversation(self, tenant: str, conversation_id: str) -> ConversationMeta | None:
        self._enter("conversation")
        meta = self.metas.get((tenant, conversation_id))
        return _copy(meta) if meta else None

    def active_conversations(self, tenant: str) -> list[ConversationMeta]:
        self._enter("active_conversations")
        return [_copy(m) for (t, _), m in self.metas.items() if t == tenant and m.active_tenant]

    def set_waiting_ticket(self, tenant: str, conversation_id: str, ticket_id: str | None) -> None:
        self._enter("set_waiting_ticket")
        meta = self.metas.get((tenant, conversation_id))
        if meta is None:
            raise WriteConflict("no such conversation")
        meta.waiting_ticket_id = ticket_id

    # ------------------------------------------------------------------ the timeline
    def get_client_key(self, tenant: str, conversation_id: str, author_id: str, client_id: str) -> ClientKey | None:
        self._enter("get_client_key")
        key = self.client_keys.get((tenant, conversation_id, author_id, client_id))
        return _copy(key) if key else None

    def append(
        self,
        state: ConversationState,
        entry: NewEntry,
        now: float,
        new_participant: Participant | None = None,
    ) -> Message:
        """Compare-and-set: only from the `last_seq` the caller read."""
        self._enter("append")
        key = (state.tenant, state.conversation_id)
        stored = self.metas[key]
        ck = (*key, entry.author_id, entry.client_id)
        if ck in self.client_keys:
            raise ClientIdTaken(_copy(self.client_keys[ck]))
        if int(stored.last_seq) != int(state.meta.last_seq) or (
            new_participant is not None and new_participant.user_id in self.participants[key]
        ):
            raise SequenceConflict()
        state.spoke_last_before = stored.preview_role
        seq, public = int(stored.last_seq) + 1, int(stored.last_pseq or 0)
        pseq = public + 1 if entry.public else None
        alloc = Allocation(seq, pseq, pseq if pseq is not None else public)
        self._take(stored, state.meta, entry, alloc, now)
        return self._write(state, entry, alloc, now, new_participant)

    def allocate(
        self,
        state: ConversationState,
        entry: NewEntry,
        now: float,
        contended_for: float = 0.0,
    ) -> Allocation:
        """The atomic counter: never conflicts."""
        self._enter("allocate")
        stored = self.metas[(state.tenant, state.conversation_id)]
        state.spoke_last_before = stored.preview_role
        seq, public = int(stored.last_seq) + 1, int(stored.last_pseq or 0)
        pseq = public + 1 if entry.public else None
        alloc = Allocation(seq, pseq, pseq if pseq is not None else public)
        self._take(stored, state.meta, entry, alloc, now)
        if contended_for:
            stored.contended_until = now + contended_for
        return alloc

    def write_allocated(
        self,
        state: ConversationState,
        entry: NewEntry,
        alloc: Allocation,
        now: float,
        new_participant: Participant | None = None,
    ) -> Message:
        self._enter("write_allocated")
        key = (state.tenant, state.conversation_id)
        ck = (*key, entry.author_id, entry.client_id)
        if ck in self.client_keys:
            raise ClientIdTaken(_copy(self.client_keys[ck]))
        if alloc.seq in self.messages[key]:
            raise SequenceTaken(alloc.seq)
        if new_participant is not None and new_participant.user_id in self.participants[key]:
            raise ParticipantExists()
        return self._write(state, entry, alloc, now, new_participant)

    def _take(
        self,
        stored: ConversationMeta,
        meta: ConversationMeta,
        entry: NewEntry,
        alloc: Allocation,
        now: float,
    ) -> None:
        for target in (stored, meta):
            target.last_seq, target.last_pseq, target.updated_at = alloc.seq, alloc.pfloor, now
            if entry.kind == "text":
                target.preview_text, target.preview_role, target.preview_at = entry.text[:140], entry.author_role, now

    def _write(
        self, state: ConversationState, entry: NewEntry, alloc: Allocation, now: float, participant: Participant | None
    ) -> Message:
        key = (state.tenant, state.conversation_id)
        message = Message(
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
        self.messages[key][alloc.seq] = _copy(message)
        self.client_keys[(*key, entry.author_id, entry.client_id)] = ClientKey(
            state.meta.pk,
            keys.client_key_sk(entry.author_id, entry.client_id),
            seq=alloc.seq,
            pseq=alloc.pseq,
            kind=entry.kind,
            created_at=now,
            text_hash=keys.text_hash(entry.text),
        )
        if participant is not None:
            self.participants[key][participant.user_id] = _copy(participant)
        return message

    def put_void(self, tenant: str, conversation_id: str, void: Allocation, now: float) -> bool:
        self._enter("put_void")
        entries = self.messages[(tenant, conversation_id)]
        if void.seq in entries:
            return False
        entries[void.seq] = Message(
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
        return True

    def get_message(self, tenant: str, conversation_id: str, seq: int) -> Message | None:
        self._enter("get_message")
        msg = self.messages[(tenant, conversation_id)].get(seq)
        return _copy(msg) if msg else None

    def entries_from(self, tenant: str, conversation_id: str, first: int, last: int | None = None) -> Iterator[Message]:
        self._enter("entries_from")
        for seq, msg in sorted(self.messages[(tenant, conversation_id)].items()):
            if seq >= first and (last is None or seq <= last):
                yield _copy(msg)

    def public_from(self, tenant: str, conversation_id: str, first: int) -> Iterator[Message]:
        self._enter("public_from")
        public = [m for m in self.messages[(tenant, conversation_id)].values() if m.pseq is not None]
        for msg in sorted(public, key=lambda m: int(m.pseq or 0)):
            if int(msg.pseq or 0) >= first:
                yield _copy(msg)

    def _participant(self, p: Participant) -> Participant:
        return self.participants[(p.pk.split("#")[1], keys.conversation_id_from_pk(p.pk))][p.user_id]

    def advance_cursor(self, participant: Participant, field_name: str, seq: int, pseq: int) -> bool:
        self._enter("advance_cursor")
        stored = self._participant(participant)
        kinds = ["delivered"] if field_name == "delivered" else ["read"]
        if int(getattr(stored, f"{kinds[0]}_seq")) >= seq:
            return False
        if field_name == "read" and int(stored.delivered_seq) < seq:
            kinds.append("delivered")  # read implies delivered
        for kind in kinds:
            for target in (stored, participant):
                setattr(target, f"{kind}_seq", seq)
                setattr(target, f"{kind}_pseq", pseq)
        return True

    def set_typing(self, tenant: str, participant: Participant, at: float | None) -> None:
        self._enter("set_typing")
        stored = self._participant(participant)
        stored.typing_at, stored.typing_tenant = at, (tenant if at is not None else None)

    def stale_typing(self, tenant: str, older_than: float) -> list[TypingIndicator]:
        self._enter("stale_typing")
        # Read through the index key, as the sparse GSI `typing_by_tenant` is: an indicator
        # stored without its tenant is in no tenant's sweep.
        return [
            TypingIndicator(tenant, conversation_id, user, float(p.typing_at))
            for (_, conversation_id), people in self.participants.items()
            for user, p in people.items()
            if p.typing_tenant == tenant and p.typing_at is not None and float(p.typing_at) < older_than
        ]

    def clear_typing(self, indicator: TypingIndicator) -> bool:
        self._enter("clear_typing")
        p = self.participants[(indicator.tenant, indicator.conversation_id)].get(indicator.user_id)
        if p is None or p.typing_at is None or float(p.typing_at) != indicator.typing_at:
            return False
        p.typing_at = p.typing_tenant = None
        return True

    # ------------------------------------------------------------------ callbacks and tickets
    def commit(
        self,
        tenant: str,
        item: Callback | Ticket,
        before: Callback | Ticket | None,
        now: float,
        history: Iterable[HistoryEntry] = (),
        expect: dict[str, Any] | None = None,
    ) -> None:
        self._enter("commit")
        table: dict[tuple[str, str], Any] = self.callbacks if isinstance(item, Callback) else self.tickets
        key = (tenant, item.callback_id if isinstance(item, Callback) else item.ticket_id)
        stored = table.get(key)
        if (stored.version if stored else None) != item.version:
            raise WriteConflict("version")
        if stored is not None and any(getattr(stored, name) != value for name, value in (expect or {}).items()):
            raise WriteConflict("expectation")
        item.version = (item.version or 0) + 1
        table[key] = _copy(item)
        self._count(tenant, counters.delta(before, item), now)
        for entry in history:
            self.histories[entry.subject].append(_copy(entry))

    def get_callback(self, tenant: str, callback_id: str) -> Callback | None:
        self._enter("get_callback")
        cb = self.callbacks.get((tenant, callback_id))
        return _copy(cb) if cb else None

    def open_callbacks(self, tenant: str, due_before: float | None = None) -> list[Callback]:
        self._enter("open_callbacks")
        open_ = [c for (t, _), c in self.callbacks.items() if t == tenant and c.open_tenant]
        due = [c for c in open_ if due_before is None or float(c.due_at) <= due_before]
        return [_copy(c) for c in sorted(due, key=lambda c: float(c.due_at))]

    def mark_alerted(self, cb: Callback, now: float) -> bool:
        self._enter("mark_alerted")
        stored = self.callbacks[(cb.tenant, cb.callback_id)]
        if stored.last_alert_at != cb.last_alert_at or stored.version != cb.version:
            return False
        stored.last_alert_at, stored.version = now, int(stored.version) + 1
        cb.last_alert_at, cb.version = now, stored.version
        return True

    def get_ticket(self, tenant: str, ticket_id: str) -> Ticket | None:
        self._enter("get_ticket")
        t = self.tickets.get((tenant, ticket_id))
        return _copy(t) if t else None

    def open_tickets(self, tenant: str) -> list[Ticket]:
        self._enter("open_tickets")
        open_ = [t for (ten, _), t in self.tickets.items() if ten == tenant and t.open_tenant]
        return [_copy(t) for t in sorted(open_, key=lambda t: -float(t.updated_at))]

    def history(self, subject_key: str) -> list[HistoryEntry]:
        self._enter("history")
        return [_copy(h) for h in sorted(self.histories[subject_key], key=lambda h: h.at)]

    # ------------------------------------------------------------------ counters and mode
    def _count(self, tenant: str, changes: dict[str, int], now: float) -> None:
        row = self.counters.setdefault(tenant, HubCounters(tenant))
        for name, value in changes.items():
            setattr(row, name, int(getattr(row, name) or 0) + value)
        row.updated_at = now

    def get_counters(self, tenant: str) -> HubCounters | None:
        self._enter("get_counters")
        row = self.counters.get(tenant)
        return _copy(row) if row else None

    def set_counters(self, tenant: str, values: dict[str, int], now: float) -> None:
        self._enter("set_counters")
        row = self.counters.setdefault(tenant, HubCounters(tenant))
        for name, value in values.items():
            setattr(row, name, value)
        row.recomputed_at = now

    def reset_delivery_failures(self, tenant: str, failed: int, now: float) -> None:
        self._enter("reset_delivery_failures")
        row = self.counters.setdefault(tenant, HubCounters(tenant))
        row.delivery_failures, row.delivery_window_at = failed, now

    def add_delivery_failures(self, tenant: str, failed: int) -> None:
        self._enter("add_delivery_failures")
        row = self.counters.setdefault(tenant, HubCounters(tenant))
        row.delivery_failures = int(row.delivery_failures or 0) + failed

    def set_drift_figures(self, tenant: str, presence_drift: int, typing_drift: int) -> None:
        self._enter("set_drift_figures")
        row = self.counters.setdefault(tenant, HubCounters(tenant))
        row.presence_drift, row.typing_drift = presence_drift, typing_drift

    def set_widget_offer(self, tenant: str, offer: str) -> bool:
        self._enter("set_widget_offer")
        row = self.counters.setdefault(tenant, HubCounters(tenant))
        if row.widget_offer == offer:
            return False
        row.widget_offer = offer
        return True

    def next_ticket_number(self, tenant: str) -> int:
        self._enter("next_ticket_number")
        row = self.counters.setdefault(tenant, HubCounters(tenant))
        row.ticket_seq = int(row.ticket_seq or 0) + 1
        return int(row.ticket_seq)

    def add_history(self, entry: HistoryEntry) -> None:
        self._enter("add_history")
        self.histories[entry.subject].append(_copy(entry))

    def record_mode(self, tenant: str, mode: str, now: float, by: str, entry: HistoryEntry) -> None:
        self._enter("record_mode")
        t = self.tenants[tenant]
        t.mode, t.mode_at, t.mode_by = mode, now, by
        self.histories[entry.subject].append(_copy(entry))

    # ------------------------------------------------------------------ desk (DeskStore)
    def canned_replies(self, tenant: str) -> list[CannedReply]:
        self._enter("canned_replies")
        return [_copy(r) for (t, _), r in sorted(self.canned.items()) if t == tenant]

    def get_canned(self, tenant: str, reply_id: str) -> CannedReply | None:
        self._enter("get_canned")
        r = self.canned.get((tenant, reply_id))
        return _copy(r) if r else None

    def create_canned(self, reply: CannedReply) -> None:
        self._enter("create_canned")
        claim = (str(reply.tenant), str(reply.shortcut))
        if claim in self.shortcuts:
            raise ShortcutTaken(str(reply.shortcut))
        reply.version = 1
        self.canned[(str(reply.tenant), str(reply.reply_id))] = _copy(reply)
        self.shortcuts[claim] = str(reply.reply_id)

    def update_canned(self, reply: CannedReply, before: CannedReply) -> None:
        self._enter("update_canned")
        key = (str(reply.tenant), str(reply.reply_id))
        stored = self.canned.get(key)
        if stored is None or stored.version != reply.version:
            raise WriteConflict("version")
        tenant = str(reply.tenant)
        if reply.shortcut != before.shortcut:
            if (tenant, str(reply.shortcut)) in self.shortcuts:
                raise ShortcutTaken(str(reply.shortcut))
            self.shortcuts.pop((tenant, str(before.shortcut)), None)
            self.shortcuts[(tenant, str(reply.shortcut))] = str(reply.reply_id)
        reply.version = int(reply.version or 0) + 1
        self.canned[key] = _copy(reply)

    def delete_canned(self, reply: CannedReply) -> None:
        self._enter("delete_canned")
        key = (str(reply.tenant), str(reply.reply_id))
        stored = self.canned.get(key)
        if stored is None or stored.version != reply.version:
            raise WriteConflict("version")
        del self.canned[key]
        self.shortcuts.pop((str(reply.tenant), str(reply.shortcut)), None)

    def get_hours(self, tenant: str) -> HoursItem | None:
        self._enter("get_hours")
        h = self.hours.get(tenant)
        return _copy(h) if h else None

    def put_hours(self, item: HoursItem) -> None:
        self._enter("put_hours")
        self.hours[str(item.tenant)] = _copy(item)

    def delete_hours(self, tenant: str) -> None:
        self._enter("delete_hours")
        self.hours.pop(tenant, None)

    def get_identity_secret(self, tenant: str) -> IdentitySecret | None:
        self._enter("get_identity_secret")
        s = self.identity.get(tenant)
        return _copy(s) if s else None

    def put_identity_secret(self, item: IdentitySecret, replaces: IdentitySecret | None) -> None:
        self._enter("put_identity_secret")
        stored = self.identity.get(str(item.tenant))
        if (stored.rotated_at if stored else None) != (replaces.rotated_at if replaces else None):
            raise WriteConflict("rotated meanwhile")
        self.identity[str(item.tenant)] = _copy(item)

    def record_rating(
        self,
        tenant: str,
        conversation_id: str,
        customer_id: str,
        rating: int,
        comment: str | None,
        now: float,
        day: str,
    ) -> bool:
        self._enter("record_rating")
        meta = self.metas.get((tenant, conversation_id))
        if meta is None or meta.csat_rating is not None or meta.customer_id != customer_id:
            return False
        meta.csat_rating, meta.csat_comment, meta.csat_at = rating, comment, now
        row = self.csat.setdefault((tenant, day), CsatDay(tenant, keys.csat_day_sk(day), day=day))
        row.ratings = int(row.ratings or 0) + 1
        row.score_sum = int(row.score_sum or 0) + rating
        setattr(row, f"score_{rating}", int(getattr(row, f"score_{rating}") or 0) + 1)
        return True

    def csat_days(self, tenant: str, first_day: str, last_day: str) -> list[CsatDay]:
        self._enter("csat_days")
        return [_copy(d) for (t, day), d in sorted(self.csat.items()) if t == tenant and first_day <= day <= last_day]

    # ------------------------------------------------------------------ directory (DirectoryStore)
    def get_profile(self, tenant: str, customer_id: str) -> CustomerProfile | None:
        self._enter("get_profile")
        p = self.profiles.get((tenant, customer_id))
        return _copy(p) if p else None

    def save_profile(
        self, profile: CustomerProfile, before: CustomerProfile | None, add: list[SearchTerm], remove: list[SearchTerm]
    ) -> None:
        self._enter("save_profile")
        key = (str(profile.tenant), str(profile.customer_id))
        stored = self.profiles.get(key)
        if (stored.revision if stored else None) != (before.revision if before else None):
            raise WriteConflict("revision")
        saved = _copy(profile)
        if stored is not None:
            saved.last_conversation_id = stored.last_conversation_id  # set apart, never overwritten here
        self.profiles[key] = saved
        for term in remove:
            self.terms.pop((str(term.pk), str(term.sk)), None)
        for term in add:
            self.terms[(str(term.pk), str(term.sk))] = _copy(term)

    def set_last_conversation(self, tenant: str, customer_id: str, conversation_id: str) -> None:
        self._enter("set_last_conversation")
        p = self.profiles.get((tenant, customer_id))
        if p is not None:
            p.last_conversation_id = conversation_id

    def search_terms(self, tenant: str, field: str, prefix: str, limit: int) -> list[SearchTerm]:
        self._enter("search_terms")
        pk = keys.search_term_pk(tenant, field, prefix)
        found = [t for (k, sk), t in sorted(self.terms.items()) if k == pk and sk.startswith(prefix)]
        return [_copy(t) for t in found[:limit]]

    def customer_conversations(self, tenant: str, customer_id: str, limit: int) -> list[ConversationMeta]:
        self._enter("customer_conversations")
        key = keys.customer_key(tenant, customer_id)  # AP-V8: set once the conversation starts
        mine = [m for m in self.metas.values() if m.customer_key == key]
        return [_copy(m) for m in sorted(mine, key=lambda m: -float(m.created_at))[:limit]]

    def customer_callbacks(self, tenant: str, customer_id: str, limit: int) -> list[Callback]:
        self._enter("customer_callbacks")
        mine = [c for (t, _), c in self.callbacks.items() if t == tenant and c.customer_id == customer_id]
        return [_copy(c) for c in sorted(mine, key=lambda c: -float(c.created_at))[:limit]]

    def customer_tickets(self, tenant: str, customer_id: str, limit: int) -> list[Ticket]:
        self._enter("customer_tickets")
        mine = [k for (t, _), k in self.tickets.items() if t == tenant and k.customer_id == customer_id]
        return [_copy(k) for k in sorted(mine, key=lambda k: -float(k.created_at))[:limit]]

    def callbacks_by_phone(self, tenant: str, e164: str, limit: int) -> list[Callback]:
        self._enter("callbacks_by_phone")
        found = [c for (t, _), c in self.callbacks.items() if t == tenant and c.phone == e164]
        return [_copy(c) for c in sorted(found, key=lambda c: -float(c.created_at))[:limit]]
