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
    ClientIdTaken,
    ConversationState,
    NewEntry,
    OwnerChange,
    OwnerConflict,
    QueuedConversation,
    SequenceConflict,
    TypingIndicator,
    WriteConflict,
)
from chalicelib.store.work_models import Callback, HistoryEntry, HubCounters, Ticket

M = TypeVar("M")


class Throttled(Exception):
    """What DynamoDB's ProvisionedThroughputExceeded / ThrottlingException look like to a lane:
    an error from the store it did not ask for."""


def _copy(item: M) -> M:
    return type(item).from_raw_data(item.serialize())  # type: ignore[attr-defined, no-any-return]


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
        self.calls: list[str] = []
        self._failures: dict[str, list[BaseException]] = defaultdict(list)
        self._effects: dict[str, list[Callable[[], object]]] = defaultdict(list)

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
        stored = self.connections.pop(conn.connection_id, None)
        for conversation_id in (stored.conversations if stored else None) or ():
            self.subscriptions[(conn.tenant, conversation_id)].pop(conn.connection_id, None)

    def _live(self, tenant: str, role: str) -> list[Connection]:
        # Read through the index key, as the GSI `by_tenant_role` is: a key that lost its tenant
        # would mix tenants here too.
        key = keys.tenant_role(tenant, role)
        return [c for c in self.connections.values() if c.tenant_role == key]

    def tenant_connections(self, tenant: str, role: str) -> list[str]:
        self._enter("tenant_connections")
        return [c.connection_id for c in self._live(tenant, role)]

    def tenant_agents_online(self, tenant: str) -> list[tuple[str, str]]:
        self._enter("tenant_agents_online")
        return [(c.connection_id, c.user_id) for c in self._live(tenant, "agent")]

    def user_connections(self, tenant: str, role: str, user_id: str) -> list[str]:
        self._enter("user_connections")
        key = keys.tenant_user(tenant, role, user_id)  # the GSI `by_user`
        return [c.connection_id for c in self.connections.values() if c.tenant_user == key]

    def subscribe(self, conn: Connection, tenant: str, conversation_id: str) -> None:
        self._enter("subscribe")
        self.subscriptions[(tenant, conversation_id)][conn.connection_id] = Subscription(
            keys.conversation_pk(tenant, conversation_id),
            keys.subscription_sk(conn.connection_id),
            connection_id=conn.connection_id,
            role=conn.role,
            user_id=conn.user_id,
            expires_at=conn.expires_at,
        )
        stored = self.connections.get(conn.connection_id)
        if stored is not None:
            stored.conversations = {*(stored.conversations or ()), conversation_id}

    # ------------------------------------------------------------------ presence
    def get_presence(self, tenant: str, agent_id: str) -> AgentPresence | None:
        self._enter("get_presence")
        p = self.presence.get((tenant, agent_id))
        return _copy(p) if p else None

    def tenant_presence(self, tenant: str) -> list[AgentPresence]:
        self._enter("tenant_presence")
        return [_copy(p) for (t, _), p in sorted(self.presence.items()) if t == tenant]

    def touch_presence(
        self, tenant: str, agent_id: str, name: str, now: float, status: str | None = None
    ) -> tuple[AgentPresence | None, AgentPresence]:
        self._enter("touch_presence")
        before = self.presence.get((tenant, agent_id))
        first = before is None or (not before.heartbeat_at and not before.left_at)
        stored = self.presence.setdefault((tenant, agent_id), AgentPresence(tenant, agent_id, status_at=now))
        kept = _copy(before) if before else None
        stored.name, stored.heartbeat_at, stored.drift_status = name, now, None
        stored.status = status or ("available" if first else str(stored.status))
        if status or first:
            stored.status_at = now
        return kept, _copy(stored)

    def drop_heartbeat(self, tenant: str, agent_id: str, now: float) -> AgentPresence | None:
        self._enter("drop_heartbeat")
        p = self.presence.get((tenant, agent_id))
        if p is None:
            return None
        p.heartbeat_at, p.left_at = 0, now
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
        if key in self.metas:
            raise WriteConflict("conversation exists")
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
        if stored.owner_id and expected != "new":  # the owner's load follows, in the same write
            self._load(meta.tenant, str(stored.owner_id), 1 if status == "open" else -1)
        self._count(meta.tenant, counters.delta(before, stored), now)
        meta.status, meta.active_tenant, meta.closed_at = stored.status, stored.active_tenant, stored.closed_at
        meta.gsi_tenant, meta.started_at = stored.gsi_tenant, stored.started_at
        meta.queue_tenant, meta.queued_at = stored.queue_tenant, stored.queued_at
        return True

    def _load(self, tenant: str, agent_id: str, change: int) -> None:
        p = self.presence.setdefault((tenant, agent_id), AgentPresence(tenant, agent_id))
        p.open_chats = int(p.open_chats or 0) + change

    def start_conversation(self, meta: ConversationMeta, now: float) -> bool:
        self._enter("start_conversation")
        return meta.status == "new" and self._set_status(meta, now, "open", "new")

    def change_owner(self, state: ConversationState, change: OwnerChange, now: float) -> None:
        """The DynamoDB store's transaction, as one step under the same conditions."""
        self._enter("change_owner")
        meta = state.meta
        key = (meta.tenant, meta.conversation_id)
        stored = self.metas.get(key)
        if stored is None or stored.status != "open" or (stored.owner_id or None) != change.expect_owner:
            raise OwnerConflict("the conversation's owner changed meanwhile")
        if change.to is not None:
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
        if previous and (change.to is None or change.to[0] != previous):
            if previous in parts:
                parts[previous].agent_role = "helper"
            self._load(meta.tenant, previous, -1)
        if change.record is not None:
            self.histories[change.record.subject].append(_copy(change.record))
        stored.updated_at = now
        meta.owner_id, meta.owner_name, meta.assigned_at = stored.owner_id, stored.owner_name, stored.assigned_at
        meta.queue_tenant, meta.queued_at, meta.updated_at = stored.queue_tenant, stored.queued_at, now

    def queue(self, tenant: str, limit: int = 100) -> list[QueuedConversation]:
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
        self._enter("append")
        meta, key = state.meta, (state.tenant, state.conversation_id)
        stored = self.metas[key]
        ck = (*key, entry.author_id, entry.client_id)
        if ck in self.client_keys:
            raise ClientIdTaken()
        if int(stored.last_seq) != int(meta.last_seq) or (
            new_participant is not None and new_participant.user_id in self.participants[key]
        ):
            raise SequenceConflict()
        state.spoke_last_before = stored.preview_role
        seq = int(stored.last_seq) + 1
        message = Message(
            meta.pk,
            seq,
            conversation_id=state.conversation_id,
            kind=entry.kind,
            author_role=entry.author_role,
            author_id=entry.author_id,
            author_name=entry.author_name,
            text=entry.text,
            client_id=entry.client_id,
            created_at=now,
            prev_public_seq=int(stored.last_public_seq),
        )
        if entry.code is not None:
            message.code, message.params = entry.code, entry.params
        self.messages[key][seq] = _copy(message)
        self.client_keys[ck] = ClientKey(
            meta.pk, keys.client_key_sk(*ck[2:]), seq=seq, text_hash=keys.text_hash(entry.text)
        )
        for target in (stored, meta):
            target.last_seq, target.updated_at = seq, now
            if entry.public:
                target.last_public_seq = seq
            if entry.kind == "text":
                target.preview_text, target.preview_role, target.preview_at = entry.text[:140], entry.author_role, now
        if new_participant is not None:
            self.participants[key][new_participant.user_id] = _copy(new_participant)
        return message

    def get_message(self, tenant: str, conversation_id: str, seq: int) -> Message | None:
        self._enter("get_message")
        msg = self.messages[(tenant, conversation_id)].get(seq)
        return _copy(msg) if msg else None

    def messages_since(self, tenant: str, conversation_id: str, since: int, include_notes: bool) -> Iterator[Message]:
        self._enter("messages_since")
        for seq, msg in sorted(self.messages[(tenant, conversation_id)].items()):
            if seq > since and (include_notes or msg.kind != "note"):
                yield _copy(msg)

    def _participant(self, p: Participant) -> Participant:
        return self.participants[(p.pk.split("#")[1], keys.conversation_id_from_pk(p.pk))][p.user_id]

    def advance_cursor(self, participant: Participant, field_name: str, seq: int) -> bool:
        self._enter("advance_cursor")
        stored = self._participant(participant)
        attr = "delivered_seq" if field_name == "delivered" else "read_seq"
        if int(getattr(stored, attr)) >= seq:
            return False
        setattr(stored, attr, seq)
        setattr(participant, attr, seq)
        return True

    def set_typing(self, tenant: str, participant: Participant, at: float | None) -> None:
        self._enter("set_typing")
        stored = self._participant(participant)
        stored.typing_at, stored.typing_tenant = at, (tenant if at is not None else None)

    def stale_typing(self, tenant: str, older_than: float) -> list[TypingIndicator]:
        self._enter("stale_typing")
        return [
            TypingIndicator(t, conversation_id, user, float(p.typing_at))
            for (t, conversation_id), people in self.participants.items()
            for user, p in people.items()
            if t == tenant and p.typing_at is not None and float(p.typing_at) < older_than
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
