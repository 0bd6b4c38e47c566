"""The store contract: what each store port promises, checked on the DynamoDB stores (moto
in-process) and on the in-memory fakes the unit tier runs on, so the two cannot drift apart.

These are the tests that kill mutants of `chalicelib/store/` (`make mutation`): each asserts what
was stored, what a read returns and which write is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.store import keys
from chalicelib.store.connections import DynamoConnectionStore, ensure_agent
from chalicelib.store.conversations import DynamoConversationStore
from chalicelib.store.models import AgentPresence, Connection, ConversationMeta, Participant
from chalicelib.store.ports import (
    AgentFull,
    ClientIdTaken,
    ConnectionGone,
    ConnectionStore,
    ConversationState,
    ConversationStore,
    NewEntry,
    OwnerChange,
    OwnerConflict,
    SequenceConflict,
    WorkStore,
    WriteConflict,
)
from chalicelib.store.tables import ensure_tables
from chalicelib.store.tenants import ensure_tenant
from chalicelib.store.work import DynamoWorkStore, history_entry
from chalicelib.store.work_models import Callback, HistoryEntry, HubCounters, Ticket
from tests.unit.fakes import MemoryStore

NOW = 1_700_000_000.0
REGION = "us-east-1"


@dataclass
class Stores:
    kind: str
    connections: ConnectionStore
    conversations: ConversationStore
    work: WorkStore

    def counters(self, tenant: str) -> dict[str, int]:
        if isinstance(self.work, MemoryStore):
            row = self.work.counters.get(tenant)
        else:
            try:
                row = HubCounters.get(tenant, consistent_read=True)
            except HubCounters.DoesNotExist:
                row = None
        if row is None:
            return {}
        names = ("open_tickets", "waiting_internal", "callback_queued", "callback_overdue", "active_chats")
        return {n: int(getattr(row, n) or 0) for n in names if int(getattr(row, n) or 0)}

    def counted_at(self, tenant: str) -> float | None:
        """When the counters last changed (what a dashboard shows them "as of")."""
        if isinstance(self.work, MemoryStore):
            row = self.work.counters.get(tenant)
        else:
            row = HubCounters.get(tenant, consistent_read=True)
        return None if row is None or row.updated_at is None else float(row.updated_at)


@pytest.fixture(params=["dynamo", "memory"])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "memory":
        mem = MemoryStore()
        mem.add_tenant("global", "wk_global_x")
        yield Stores("memory", mem, mem, mem)
        return
    request.getfixturevalue("aws_env")
    ensure_tables()
    ensure_tenant("global", "Global", "wk_global_x")
    yield Stores("dynamo", DynamoConnectionStore(), DynamoConversationStore(REGION), DynamoWorkStore(REGION))


# ------------------------------------------------------------------ helpers
def connection(
    cid: str, tenant: str = "global", role: str = "agent", user: str = "ana", ttl: float = 3600
) -> Connection:
    return Connection(
        cid,
        tenant=tenant,
        role=role,
        user_id=user,
        name=user.title(),
        connected_at=NOW,
        auth_expires_at=NOW + 3600,
        expires_at=datetime.fromtimestamp(NOW + ttl, UTC),
        tenant_role=keys.tenant_role(tenant, role),
        tenant_user=keys.tenant_user(tenant, role, user),
    )


def new_conversation(s: Stores, cid: str = "c_1", tenant: str = "global", customer: str = "cu_1") -> ConversationState:
    pk = keys.conversation_pk(tenant, cid)
    meta = ConversationMeta(
        pk,
        keys.META_SK,
        tenant=tenant,
        conversation_id=cid,
        gsi_tenant=tenant,
        status="open",
        customer_id=customer,
        customer_name="Kim",
        last_seq=0,
        last_pseq=0,
        created_at=NOW,
        updated_at=NOW,
        active_tenant=tenant,
    )
    part = Participant(pk, keys.participant_sk(customer), role="customer", user_id=customer, name="Kim", joined_at=NOW)
    s.conversations.create_conversation(meta, part, NOW)
    state = s.conversations.load_conversation(tenant, cid, NOW)
    assert state is not None
    return state


def entry(
    text: str, kind: str = "text", client_id: str | None = None, role: str = "customer", author: str = "cu_1"
) -> NewEntry:
    return NewEntry(kind, role, author, author.title(), text, client_id or f"k-{text}")


def agent_participant(state: ConversationState, user: str = "ana") -> Participant:
    return Participant(
        state.meta.pk, keys.participant_sk(user), role="agent", user_id=user, name=user.title(), joined_at=NOW
    )


# ------------------------------------------------------------------ connections
def test_a_connection_is_found_until_its_expiry(stores: Stores) -> None:
    stores.connections.put_connection(connection("a=", ttl=60))
    found = stores.connections.get_connection("a=", NOW)
    assert found is not None and (found.tenant, found.role, found.user_id) == ("global", "agent", "ana")
    assert stores.connections.get_connection("a=", NOW + 59) is not None
    assert stores.connections.get_connection("a=", NOW + 60) is None  # expired counts as gone
    assert stores.connections.get_connection("nobody=", NOW) is None


def test_fan_out_lookups_are_per_tenant_role_and_user(stores: Stores) -> None:
    c = stores.connections
    c.put_connection(connection("a1=", user="ana"))
    c.put_connection(connection("a2=", user="ana"))
    c.put_connection(connection("b1=", user="bo"))
    c.put_connection(connection("x1=", tenant="acme", user="ana"))
    c.put_connection(connection("k1=", role="customer", user="cu_1"))
    assert sorted(c.tenant_connections("global", "agent")) == ["a1=", "a2=", "b1="]
    assert sorted(c.tenant_connections("acme", "agent")) == ["x1="]
    assert sorted(c.tenant_connections("global", "customer")) == ["k1="]
    assert sorted(c.tenant_users_online("global", "agent")) == [("a1=", "ana"), ("a2=", "ana"), ("b1=", "bo")]
    assert c.tenant_users_online("global", "customer") == [("k1=", "cu_1")]
    assert c.tenant_users_online("acme", "customer") == []
    assert sorted(c.user_connections("global", "agent", "ana")) == ["a1=", "a2="]
    assert c.user_connections("acme", "agent", "bo") == []


def test_deleting_a_connection_removes_its_subscriptions(stores: Stores) -> None:
    new_conversation(stores, "c_1")
    new_conversation(stores, "c_2")
    conn = connection("a=")
    stores.connections.put_connection(conn)
    stored = stores.connections.get_connection("a=", NOW)
    assert stored is not None
    stores.connections.subscribe(stored, "global", "c_1")
    stores.connections.subscribe(stored, "global", "c_2")
    for cid in ("c_1", "c_2"):
        state = stores.conversations.load_conversation("global", cid, NOW)
        assert state is not None
        assert [(s.connection_id, s.role, s.user_id) for s in state.subscriptions] == [("a=", "agent", "ana")]
    again = stores.connections.get_connection("a=", NOW)
    assert again is not None and set(again.conversations or ()) == {"c_1", "c_2"}
    stores.connections.delete_connection(again)
    assert stores.connections.get_connection("a=", NOW) is None
    for cid in ("c_1", "c_2"):
        state = stores.conversations.load_conversation("global", cid, NOW)
        assert state is not None and state.subscriptions == []


def test_expired_subscriptions_are_not_loaded(stores: Stores) -> None:
    new_conversation(stores)
    for cid, ttl in (("old=", 30), ("live=", 3600)):
        stores.connections.put_connection(connection(cid, ttl=ttl))
        conn = stores.connections.get_connection(cid, NOW)
        assert conn is not None
        stores.connections.subscribe(conn, "global", "c_1")
    state = stores.conversations.load_conversation("global", "c_1", NOW + 30)
    assert state is not None
    assert [s.connection_id for s in state.subscriptions] == ["live="]
    state = stores.conversations.load_conversation("global", "c_1", NOW + 29)
    assert state is not None and sorted(s.connection_id for s in state.subscriptions) == ["live=", "old="]


def test_presence_keeps_the_chosen_status_apart_from_heartbeats(stores: Stores) -> None:
    c = stores.connections
    before, after = c.touch_presence("global", "ana", "Ana", NOW)
    assert before is None and (after.status, after.status_at, after.heartbeat_at) == ("available", NOW, NOW)
    before, after = c.touch_presence("global", "ana", "Ana", NOW + 5, "busy")
    assert before is not None and before.status == "available"
    assert (after.status, after.status_at, after.heartbeat_at) == ("busy", NOW + 5, NOW + 5)
    before, after = c.touch_presence("global", "ana", "Ana", NOW + 60)  # a plain heartbeat
    assert (after.status, after.status_at, after.heartbeat_at) == ("busy", NOW + 5, NOW + 60)
    stored = c.get_presence("global", "ana")
    assert stored is not None and (stored.status, stored.heartbeat_at) == ("busy", NOW + 60)
    # The drop is conditioned on the heartbeat its caller saw (issue 9): a stale one (a new
    # tab has beaten since) changes nothing.
    assert c.drop_heartbeat("global", "ana", NOW + 70, NOW + 5) is None
    kept = c.get_presence("global", "ana")
    assert kept is not None and kept.heartbeat_at == NOW + 60 and kept.left_at is None
    dropped = c.drop_heartbeat("global", "ana", NOW + 70, NOW + 60)
    assert dropped is not None and dropped.status == "busy"
    stored = c.get_presence("global", "ana")
    assert stored is not None and (stored.status, int(stored.heartbeat_at)) == ("busy", 0)
    assert c.drop_heartbeat("global", "nobody", NOW + 70, 0) is None
    assert c.get_presence("acme", "ana") is None
    c.touch_presence("global", "bo", "Bo", NOW)
    c.touch_presence("acme", "cy", "Cy", NOW)
    assert sorted(p.agent_id for p in c.tenant_presence("global")) == ["ana", "bo"]


# ------------------------------------------------------------------ conversations
def test_a_conversation_is_created_once_and_counted(stores: Stores) -> None:
    state = new_conversation(stores)
    assert state.meta.status == "open" and state.meta.customer_id == "cu_1"
    assert list(state.participants) == ["cu_1"] and state.subscriptions == []
    assert stores.counters("global") == {"active_chats": 1}
    # A second create of the same (fresh) id is a retry whose first try applied (issue 9): not
    # an error, and it counts nothing again.
    new_conversation(stores)
    assert stores.conversations.load_conversation("acme", "c_1", NOW) is None  # the tenant is in the key
    assert stores.counters("global") == {"active_chats": 1}


def test_close_and_reopen_move_the_status_once(stores: Stores) -> None:
    state = new_conversation(stores)
    meta = state.meta
    assert stores.conversations.close_conversation(meta, NOW + 10) is True
    assert (meta.status, meta.closed_at) == ("closed", NOW + 10)
    assert stores.counters("global") == {} and stores.counted_at("global") == NOW + 10
    assert stores.conversations.close_conversation(meta, NOW + 11) is False
    stale = new_state_meta(stores)
    stale.status = "open"  # a copy read before the close: the store refuses it, the counter stays
    assert stores.conversations.close_conversation(stale, NOW + 12) is False
    assert stores.counters("global") == {}
    loaded = stores.conversations.load_conversation("global", "c_1", NOW)
    assert loaded is not None and loaded.meta.status == "closed" and loaded.meta.active_tenant is None
    assert stores.conversations.reopen_conversation(meta, NOW + 20) is True
    assert (meta.status, meta.active_tenant, meta.closed_at) == ("open", "global", None)
    assert stores.counters("global") == {"active_chats": 1} and stores.counted_at("global") == NOW + 20
    assert stores.conversations.reopen_conversation(meta, NOW + 21) is False
    loaded = stores.conversations.load_conversation("global", "c_1", NOW)
    assert loaded is not None and loaded.meta.status == "open" and loaded.meta.active_tenant == "global"
    assert stores.counters("global") == {"active_chats": 1}


def new_state_meta(stores: Stores) -> ConversationMeta:
    loaded = stores.conversations.load_conversation("global", "c_1", NOW)
    assert loaded is not None
    return loaded.meta


def test_append_numbers_entries_and_tracks_the_public_sequence(stores: Stores) -> None:
    """Two gapless numberings (issue 9): `seq` counts every entry, `pseq` the public ones only
    (customers' own numbering: a note takes no public number, `pfloor` is the public count at it)."""
    state = new_conversation(stores)
    conv = stores.conversations
    m1 = conv.append(state, entry("hello"), NOW + 1)
    assert (int(m1.seq), m1.pseq, int(m1.pfloor), m1.kind, m1.text) == (1, 1, 1, "text", "hello")
    assert (state.meta.last_seq, state.meta.last_pseq, state.meta.preview_text) == (1, 1, "hello")
    reloaded = conv.load_conversation("global", "c_1", NOW)
    assert reloaded is not None
    state = reloaded
    conv.append(state, entry("agent joins", kind="system", role="system", author="hub"), NOW + 2)
    note = conv.append(state, entry("secret", kind="note", role="agent", author="ana"), NOW + 3)
    assert note.pseq is None and (int(note.seq), int(note.pfloor)) == (3, 2)
    m4 = conv.append(state, entry("x" * 200, role="agent", author="ana"), NOW + 4)
    assert (int(m4.seq), m4.pseq, int(m4.pfloor)) == (4, 3, 3)
    stored = conv.load_conversation("global", "c_1", NOW)
    assert stored is not None
    meta = stored.meta
    assert (int(meta.last_seq), int(meta.last_pseq)) == (4, 3)
    assert (meta.preview_text, meta.preview_role, meta.preview_at, meta.updated_at) == (
        "x" * 140,
        "agent",
        NOW + 4,
        NOW + 4,
    )
    got = conv.get_message("global", "c_1", 3)
    assert got is not None and (got.kind, got.author_id, got.text, got.client_id) == (
        "note",
        "ana",
        "secret",
        "k-secret",
    )
    assert conv.get_message("global", "c_1", 9) is None
    assert conv.get_message("acme", "c_1", 1) is None
    everything = [(int(m.seq), m.kind) for m in conv.entries_from("global", "c_1", 1)]
    assert everything == [(1, "text"), (2, "system"), (3, "note"), (4, "text")]
    assert [int(m.seq) for m in conv.entries_from("global", "c_1", 2, 3)] == [2, 3]
    public = [(int(m.pseq or 0), int(m.seq)) for m in conv.public_from("global", "c_1", 2)]
    assert public == [(2, 2), (3, 4)]  # the note is not among them
    assert list(conv.public_from("acme", "c_1", 1)) == []


def test_the_preview_is_what_a_person_said_not_a_system_line(stores: Stores) -> None:
    state = new_conversation(stores)
    stores.conversations.append(state, entry("hi there"), NOW + 1)
    stores.conversations.append(state, entry("Callback requested", kind="system", role="system", author="hub"), NOW + 2)
    stores.conversations.append(state, entry("psst", kind="note", role="agent", author="ana"), NOW + 3)
    meta = new_state_meta(stores)
    assert (meta.preview_text, meta.preview_role, meta.preview_at) == ("hi there", "customer", NOW + 1)
    assert int(meta.last_pseq) == 2 and int(meta.last_seq) == 3


def test_a_stale_sequence_is_refused_and_stores_nothing(stores: Stores) -> None:
    state = new_conversation(stores)
    stale = stores.conversations.load_conversation("global", "c_1", NOW)
    assert stale is not None
    stores.conversations.append(state, entry("first"), NOW + 1)
    with pytest.raises(SequenceConflict):
        stores.conversations.append(stale, entry("second"), NOW + 2)
    assert [m.text for m in stores.conversations.entries_from("global", "c_1", 1)] == ["first"]
    assert stores.conversations.get_client_key("global", "c_1", "cu_1", "k-second") is None


def test_a_client_id_is_claimed_once(stores: Stores) -> None:
    state = new_conversation(stores)
    stores.conversations.append(state, entry("hello", client_id="m1"), NOW + 1)
    key = stores.conversations.get_client_key("global", "c_1", "cu_1", "m1")
    assert key is not None and int(key.seq) == 1 and key.text_hash == keys.text_hash("hello")
    fresh = stores.conversations.load_conversation("global", "c_1", NOW)
    assert fresh is not None
    with pytest.raises(ClientIdTaken):
        stores.conversations.append(fresh, entry("hello again", client_id="m1"), NOW + 2)
    assert stores.conversations.get_client_key("global", "c_1", "ana", "m1") is None  # per author
    assert [int(m.seq) for m in stores.conversations.entries_from("global", "c_1", 1)] == [1]
    assert int(new_state_meta(stores).last_seq) == 1


def test_a_join_adds_its_participant_with_its_line(stores: Stores) -> None:
    state = new_conversation(stores)
    ana = agent_participant(state)
    stores.conversations.append(state, entry("Ana joined", kind="system", role="system", author="hub"), NOW + 1, ana)
    loaded = stores.conversations.load_conversation("global", "c_1", NOW)
    assert loaded is not None
    assert sorted(loaded.participants) == ["ana", "cu_1"]
    assert loaded.meta.owner_id is None  # helping is not owning
    with pytest.raises(SequenceConflict):  # a second join from a stale read does not add her twice
        stores.conversations.append(
            state, entry("Ana joined again", kind="system", role="system", author="hub"), NOW + 2, ana
        )


# ------------------------------------------------------------------ ownership
def open_chats(stores: Stores, agent: str) -> int:
    p = stores.connections.get_presence("global", agent)
    assert p is not None
    return int(p.open_chats or 0)


def owner_record(detail: str) -> HistoryEntry:
    return history_entry(keys.history_subject("global", "CONV", "c_1"), NOW, "take", "ana", "Ana", detail)


def test_an_owner_change_moves_the_owner_the_roles_the_loads_and_is_recorded(stores: Stores) -> None:
    c = stores.conversations
    for agent in ("ana", "bo"):
        stores.connections.touch_presence("global", agent, agent.title(), NOW)
    state = new_conversation(stores)
    stale = c.load_conversation("global", "c_1", NOW)
    assert stale is not None
    c.change_owner(state, OwnerChange(("ana", "Ana"), None, 2, record=owner_record("nobody → Ana")), NOW + 1)
    assert (state.meta.owner_id, state.meta.owner_name) == ("ana", "Ana")  # the caller's copy follows
    loaded = c.load_conversation("global", "c_1", NOW)
    assert loaded is not None
    assert (loaded.meta.owner_id, loaded.meta.owner_name, float(loaded.meta.assigned_at)) == ("ana", "Ana", NOW + 1)
    assert float(loaded.meta.updated_at) == NOW + 1  # the inbox orders by it
    assert loaded.participants["ana"].agent_role == "owner" and loaded.participants["ana"].role == "agent"
    assert (open_chats(stores, "ana"), open_chats(stores, "bo")) == (1, 0)
    ana = stores.connections.get_presence("global", "ana")
    assert ana is not None and float(ana.last_assigned_at) == NOW + 1
    [record] = stores.work.history(keys.history_subject("global", "CONV", "c_1"))
    assert (record.action, record.actor_id, record.detail) == ("take", "ana", "nobody → Ana")
    with pytest.raises(OwnerConflict):  # Bo saw it unowned: Ana owns it by now
        c.change_owner(stale, OwnerChange(("bo", "Bo"), None, None), NOW + 2)
    assert (open_chats(stores, "ana"), open_chats(stores, "bo")) == (1, 0)
    c.change_owner(loaded, OwnerChange(("bo", "Bo"), "ana", None), NOW + 3)  # Bo takes it over from Ana
    after = c.load_conversation("global", "c_1", NOW)
    assert after is not None and after.meta.owner_id == "bo"
    assert (after.participants["ana"].agent_role, after.participants["bo"].agent_role) == ("helper", "owner")
    assert (open_chats(stores, "ana"), open_chats(stores, "bo")) == (0, 1)
    c.change_owner(after, OwnerChange(None, "bo", None, queue_at=NOW + 5), NOW + 5)  # back to the queue
    queued = c.load_conversation("global", "c_1", NOW)
    assert queued is not None and queued.meta.owner_id is None and queued.meta.owner_name is None
    assert queued.participants["bo"].agent_role == "helper"
    assert (open_chats(stores, "ana"), open_chats(stores, "bo")) == (0, 0)
    assert [(q.conversation_id, q.customer_id, q.queued_at) for q in c.queue("global", 10)] == [
        ("c_1", "cu_1", NOW + 5)
    ]
    assert (c.queue_place("global", NOW + 5), c.queue_place("global", NOW + 6)) == (1, 2)
    assert c.queue("acme", 10) == []
    assert float(queued.meta.updated_at) == NOW + 5
    c.change_owner(queued, OwnerChange(("ana", "Ana"), None, None), NOW + 6)  # taken from the queue
    assert c.queue("global", 10) == [] and open_chats(stores, "ana") == 1
    # Ana was a helper by then: the same participant is the owner again (no second row).
    taken = c.load_conversation("global", "c_1", NOW)
    assert taken is not None and taken.participants["ana"].agent_role == "owner"
    assert sorted(taken.participants) == ["ana", "bo", "cu_1"] and float(taken.meta.updated_at) == NOW + 6


def test_an_owner_change_needs_room_an_agent_and_an_open_conversation(stores: Stores) -> None:
    c = stores.conversations
    stores.connections.touch_presence("global", "ana", "Ana", NOW)
    first = new_conversation(stores, "c_1")
    second = new_conversation(stores, "c_2", customer="cu_2")
    c.change_owner(first, OwnerChange(("ana", "Ana"), None, 1), NOW + 1)
    with pytest.raises(AgentFull):  # her one place is taken
        c.change_owner(second, OwnerChange(("ana", "Ana"), None, 1), NOW + 2)
    fresh = c.load_conversation("global", "c_2", NOW)
    assert fresh is not None and fresh.meta.owner_id is None and "ana" not in fresh.participants
    assert open_chats(stores, "ana") == 1
    c.change_owner(fresh, OwnerChange(("ana", "Ana"), None, 2), NOW + 3)  # room for two: she gets it
    assert open_chats(stores, "ana") == 2
    third = new_conversation(stores, "c_3", customer="cu_3")
    with pytest.raises(AgentFull):  # no such agent in the tenant
        c.change_owner(third, OwnerChange(("ghost", "Ghost"), None, None), NOW + 4)
    closing = c.load_conversation("global", "c_3", NOW)
    assert closing is not None and closing.meta.owner_id is None and "ghost" not in closing.participants
    assert c.close_conversation(closing.meta, NOW + 5)
    with pytest.raises(OwnerConflict):  # a closed conversation gets no owner
        c.change_owner(third, OwnerChange(("ana", "Ana"), None, None), NOW + 6)
    assert open_chats(stores, "ana") == 2


def test_the_queue_is_read_longest_waiting_first_and_at_most_the_limit(stores: Stores) -> None:
    c = stores.conversations
    for i, cid in enumerate(("c_1", "c_2", "c_3")):
        state = new_conversation(stores, cid, customer=f"cu_{i}")
        c.change_owner(state, OwnerChange(None, None, None, queue_at=NOW + 10 - i), NOW + 10)
    assert [(q.conversation_id, q.queued_at) for q in c.queue("global", 10)] == [
        ("c_3", NOW + 8),
        ("c_2", NOW + 9),
        ("c_1", NOW + 10),
    ]
    assert [q.conversation_id for q in c.queue("global", 2)] == ["c_3", "c_2"]


def test_an_owner_change_read_before_the_agent_joined_keeps_what_her_participant_holds(stores: Stores) -> None:
    """Ana joined (and read) between the read and the change that makes her the owner: the change
    must not write her a fresh participant over the one she has (her read cursor would go back
    to 0 and her unread come back). It is refused; a retry from a fresh read promotes her."""
    c = stores.conversations
    stores.connections.touch_presence("global", "ana", "Ana", NOW)
    stale = new_conversation(stores)
    c.append(stale, entry("Hello"), NOW + 1)
    joined = c.load_conversation("global", "c_1", NOW)
    assert joined is not None
    c.append(
        joined, entry("Ana joined", kind="system", role="system", author="hub"), NOW + 2, agent_participant(joined)
    )
    mine = c.load_conversation("global", "c_1", NOW)
    assert mine is not None
    assert c.advance_cursor(mine.participants["ana"], "read_seq", 2, 1)
    with pytest.raises(OwnerConflict):
        c.change_owner(stale, OwnerChange(("ana", "Ana"), None, None), NOW + 3)
    kept = c.load_conversation("global", "c_1", NOW)
    assert kept is not None and kept.meta.owner_id is None
    assert kept.participants["ana"].agent_role != "owner" and int(kept.participants["ana"].read_seq) == 2
    assert open_chats(stores, "ana") == 0
    c.change_owner(kept, OwnerChange(("ana", "Ana"), None, None), NOW + 4)
    owner = c.load_conversation("global", "c_1", NOW)
    assert owner is not None
    assert (owner.participants["ana"].agent_role, int(owner.participants["ana"].read_seq)) == ("owner", 2)


def remove_from_directory(stores: Stores, agent: str) -> None:
    """An operator deletes the agent's directory (presence) row while they still own a chat."""
    if isinstance(stores.connections, MemoryStore):
        del stores.connections.presence[("global", agent)]
    else:
        AgentPresence("global", agent).delete()


def owned_by_a_departed_ana(stores: Stores) -> ConversationState:
    """Ana and Bo in the directory; `c_1` owned by Ana (at NOW + 1), whose row is then deleted."""
    for agent in ("ana", "bo"):
        stores.connections.touch_presence("global", agent, agent.title(), NOW)
    state = new_conversation(stores)
    stores.conversations.change_owner(state, OwnerChange(("ana", "Ana"), None, None), NOW + 1)
    remove_from_directory(stores, "ana")
    return state


def test_an_owner_gone_from_the_directory_comes_back_as_no_ghost(stores: Stores) -> None:
    """Close, reopen and an owner change still happen when the owner's directory row is gone, and
    none of them writes the row back (an ADD on a missing key would list a nameless agent)."""
    c = stores.conversations
    state = owned_by_a_departed_ana(stores)
    assert c.close_conversation(state.meta, NOW + 2) is True
    assert stores.connections.get_presence("global", "ana") is None
    assert c.reopen_conversation(state.meta, NOW + 3) is True
    assert stores.connections.get_presence("global", "ana") is None
    assert stores.counters("global") == {"active_chats": 1}
    reopened = c.load_conversation("global", "c_1", NOW)
    assert reopened is not None and (reopened.meta.status, reopened.meta.owner_id) == ("open", "ana")
    c.change_owner(reopened, OwnerChange(("bo", "Bo"), "ana", None), NOW + 4)  # Bo takes it over
    after = c.load_conversation("global", "c_1", NOW)
    assert after is not None and after.meta.owner_id == "bo" and after.participants["ana"].agent_role == "helper"
    assert stores.connections.get_presence("global", "ana") is None
    assert [p.agent_id for p in stores.connections.tenant_presence("global")] == ["bo"]
    assert open_chats(stores, "bo") == 1
    with pytest.raises(OwnerConflict):  # a stale copy is still refused, with or without the row
        c.change_owner(reopened, OwnerChange(None, "ana", None, queue_at=NOW + 5), NOW + 5)
    assert open_chats(stores, "bo") == 1


def test_cursors_only_move_forward(stores: Stores) -> None:
    state = new_conversation(stores)
    me = state.participants["cu_1"]
    # Both numberings move together (issue 9: customers' receipts are in their own numbering).
    assert stores.conversations.advance_cursor(me, "delivered", 3, 2) is True
    assert stores.conversations.advance_cursor(me, "delivered", 3, 2) is False
    assert stores.conversations.advance_cursor(me, "delivered", 2, 2) is False
    assert stores.conversations.advance_cursor(me, "read", 2, 1) is True
    stored = stores.conversations.load_conversation("global", "c_1", NOW)
    assert stored is not None
    p = stored.participants["cu_1"]
    assert (int(p.delivered_seq), int(p.read_seq)) == (3, 2)
    assert (int(p.delivered_pseq), int(p.read_pseq)) == (2, 1)


def test_typing_is_set_and_cleared(stores: Stores) -> None:
    state = new_conversation(stores)
    me = state.participants["cu_1"]
    stores.conversations.set_typing("global", me, NOW + 5)
    p = load_participant(stores)
    assert (p.typing_at, p.typing_tenant) == (NOW + 5, "global")
    stores.conversations.set_typing("global", me, None)
    cleared = load_participant(stores)
    assert cleared.typing_at is None and cleared.typing_tenant is None


def load_participant(stores: Stores) -> Participant:
    state = stores.conversations.load_conversation("global", "c_1", NOW)
    assert state is not None
    return state.participants["cu_1"]


def test_the_inbox_lists_a_tenants_conversations_by_activity(stores: Stores) -> None:
    for n, cid in enumerate(("c_a", "c_b", "c_c")):
        state = new_conversation(stores, cid)
        stores.conversations.append(state, entry(f"m{n}"), NOW + 10 * n)
    new_conversation(stores, "c_x", tenant="acme")
    assert [m.conversation_id for m in stores.conversations.list_conversations("global", 10)] == ["c_c", "c_b", "c_a"]
    assert [m.conversation_id for m in stores.conversations.list_conversations("global", 2)] == ["c_c", "c_b"]


# ------------------------------------------------------------------ callbacks and tickets
def callback(status: str = "queued", **fields: Any) -> Callback:
    base: dict[str, Any] = dict(
        status=status,
        source="widget",
        phone="+15555550100",
        customer_name="Kim",
        due_at=NOW + 900,
        max_attempts=3,
        retry_minutes=10,
        created_at=NOW,
        created_by="cu_1",
        updated_at=NOW,
        open_tenant="global" if status in ("queued", "claimed") else None,
    )
    base.update(fields)
    return Callback("global", fields.pop("callback_id", "cb_1"), **base)


def copy_of(item: Any) -> Any:
    return type(item).from_raw_data(item.serialize())


def test_commit_stores_the_change_its_counters_and_history(stores: Stores) -> None:
    cb = callback()
    entry_ = history_entry(keys.history_subject("global", "CB", "cb_1"), NOW, "requested", "cu_1", "Kim", "asked")
    stores.work.commit("global", cb, None, NOW, [entry_])
    stored = stores.work.get_callback("global", "cb_1")
    assert stored is not None and stored.status == "queued" and stored.phone == "+15555550100"
    assert stores.counters("global") == {"callback_queued": 1}
    [h] = stores.work.history(keys.history_subject("global", "CB", "cb_1"))
    assert (h.action, h.actor_id, h.actor_name, h.detail) == ("requested", "cu_1", "Kim", "asked")
    claimed = copy_of(stored)
    claimed.status, claimed.claimed_by = "claimed", "ana"
    stores.work.commit("global", claimed, stored, NOW + 1, [], expect={"status": "queued"})
    assert stores.counters("global") == {}
    now_stored = stores.work.get_callback("global", "cb_1")
    assert now_stored is not None and (now_stored.status, now_stored.claimed_by) == ("claimed", "ana")
    assert stores.work.get_callback("acme", "cb_1") is None


def test_a_commit_from_a_stale_read_is_refused(stores: Stores) -> None:
    stores.work.commit("global", callback(), None, NOW)
    read_by_ana = stores.work.get_callback("global", "cb_1")
    read_by_bo = stores.work.get_callback("global", "cb_1")
    assert read_by_ana is not None and read_by_bo is not None
    ana = copy_of(read_by_ana)
    ana.status, ana.claimed_by = "claimed", "ana"
    stores.work.commit("global", ana, read_by_ana, NOW + 1, expect={"status": "queued"})
    bo = copy_of(read_by_bo)
    bo.status, bo.claimed_by = "claimed", "bo"
    with pytest.raises(WriteConflict):  # the version moved: Bo's read is stale
        stores.work.commit("global", bo, read_by_bo, NOW + 2)
    stored = stores.work.get_callback("global", "cb_1")
    assert stored is not None and stored.claimed_by == "ana"
    assert stores.counters("global") == {}


def test_an_expectation_that_no_longer_holds_is_refused(stores: Stores) -> None:
    stores.work.commit("global", callback(status="claimed", claimed_by="ana"), None, NOW)
    current = stores.work.get_callback("global", "cb_1")
    assert current is not None
    mine = copy_of(current)
    mine.status = "completed"
    with pytest.raises(WriteConflict):
        stores.work.commit("global", mine, current, NOW + 1, expect={"claimed_by": "bo"})
    with pytest.raises(WriteConflict):
        stores.work.commit("global", mine, current, NOW + 1, expect={"claimed_by": "ana", "status": "queued"})
    stored = stores.work.get_callback("global", "cb_1")
    assert stored is not None and stored.status == "claimed"
    stores.work.commit("global", mine, current, NOW + 1, expect={"claimed_by": "ana", "status": "claimed"})
    stored = stores.work.get_callback("global", "cb_1")
    assert stored is not None and stored.status == "completed"


def test_open_callbacks_are_read_by_due_time(stores: Stores) -> None:
    stores.work.commit("global", callback(callback_id="cb_late", due_at=NOW + 50), None, NOW)
    stores.work.commit("global", callback(callback_id="cb_soon", due_at=NOW + 10), None, NOW)
    stores.work.commit("global", callback("completed", callback_id="cb_done", due_at=NOW + 1), None, NOW)
    assert [c.callback_id for c in stores.work.open_callbacks("global")] == ["cb_soon", "cb_late"]
    assert [c.callback_id for c in stores.work.open_callbacks("global", due_before=NOW + 10)] == ["cb_soon"]
    assert stores.work.open_callbacks("acme") == []


def test_an_overdue_alert_is_recorded_once(stores: Stores) -> None:
    stores.work.commit("global", callback(), None, NOW)
    first = stores.work.get_callback("global", "cb_1")
    second = stores.work.get_callback("global", "cb_1")
    assert first is not None and second is not None
    assert stores.work.mark_alerted(first, NOW + 60) is True
    assert stores.work.mark_alerted(second, NOW + 61) is False  # another run alerted meanwhile
    stored = stores.work.get_callback("global", "cb_1")
    assert stored is not None and stored.last_alert_at == NOW + 60


def ticket(ticket_id: str, status: str = "open", updated: float = NOW) -> Ticket:
    return Ticket(
        "global",
        ticket_id,
        subject="Refund",
        status=status,
        owner_id="ana",
        owner_name="Ana",
        created_by="ana",
        created_at=NOW,
        updated_at=updated,
        status_at=updated,
        open_tenant=None if status == "solved" else "global",
    )


def test_tickets_count_while_open_and_list_most_recent_first(stores: Stores) -> None:
    stores.work.commit("global", ticket("tk_1", updated=NOW + 1), None, NOW)
    stores.work.commit("global", ticket("tk_2", "waiting_internal", updated=NOW + 2), None, NOW)
    stores.work.commit("global", ticket("tk_3", "solved", updated=NOW + 3), None, NOW)
    assert stores.counters("global") == {"open_tickets": 2, "waiting_internal": 1}
    assert [t.ticket_id for t in stores.work.open_tickets("global")] == ["tk_2", "tk_1"]
    stored = stores.work.get_ticket("global", "tk_2")
    assert stored is not None and stored.status == "waiting_internal"
    assert stores.work.get_ticket("global", "tk_9") is None


def test_a_conversation_points_at_the_ticket_waiting_on_its_customer(stores: Stores) -> None:
    new_conversation(stores)
    stores.work.set_waiting_ticket("global", "c_1", "tk_1")
    meta = stores.work.conversation("global", "c_1")
    assert meta is not None and meta.waiting_ticket_id == "tk_1" and meta.customer_id == "cu_1"
    stores.work.set_waiting_ticket("global", "c_1", None)
    meta = stores.work.conversation("global", "c_1")
    assert meta is not None and meta.waiting_ticket_id is None
    assert stores.work.conversation("acme", "c_1") is None
    with pytest.raises(Exception):  # noqa: B017 - no such conversation: nothing is created
        stores.work.set_waiting_ticket("global", "c_404", "tk_1")
    assert stores.work.conversation("global", "c_404") is None


def test_history_entries_sort_by_time_and_never_collide() -> None:
    subject = keys.history_subject("global", "TK", "tk_1")
    a = history_entry(subject, NOW, "created", "ana", "Ana")
    b = history_entry(subject, NOW, "status", "ana", "Ana", "open → solved")
    c = history_entry(subject, NOW + 1, "owner", "bo", "Bo")
    assert a.subject == subject == "T#global#TK#tk_1"
    assert a.at < b.at < c.at and a.at.startswith("2023-11-14T22:13:20")
    assert (b.action, b.actor_id, b.actor_name, b.detail, a.detail) == ("status", "ana", "Ana", "open → solved", "")


def test_every_expectation_must_hold_not_just_the_last(stores: Stores) -> None:
    stores.work.commit("global", callback(status="claimed", claimed_by="ana"), None, NOW)
    current = stores.work.get_callback("global", "cb_1")
    assert current is not None
    done = copy_of(current)
    done.status = "completed"
    with pytest.raises(WriteConflict):
        stores.work.commit("global", done, current, NOW + 1, expect={"claimed_by": "bo", "status": "claimed"})
    stored = stores.work.get_callback("global", "cb_1")
    assert stored is not None and stored.status == "claimed"


def test_a_conversation_id_is_never_taken_over(stores: Stores) -> None:
    new_conversation(stores, "c_1", customer="cu_1")
    # Issue 9: a second create of an id is taken for a retry whose first try applied (ids are
    # fresh), so it is not an error, but it writes nothing: no new customer, no participant.
    new_conversation(stores, "c_1", customer="cu_2")
    meta = new_state_meta(stores)
    assert meta.customer_id == "cu_1"
    state = stores.conversations.load_conversation("global", "c_1", NOW)
    assert state is not None and sorted(state.participants) == ["cu_1"]


# ------------------------------------------------------------------ DynamoDB's own refusals
@pytest.fixture
def dynamo(aws_env: None) -> Stores:
    ensure_tables()
    ensure_tenant("global", "Global", "wk_global_x")
    return Stores("dynamo", DynamoConnectionStore(), DynamoConversationStore(REGION), DynamoWorkStore(REGION))


def fail_next_transaction(monkeypatch: pytest.MonkeyPatch, error: dict[str, Any]) -> list[str]:
    """The next TransactWriteItems fails with `error` (botocore's error response); moto never
    fails one the way DynamoDB does when transactions collide."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    original = BaseClient._make_api_call
    refused: list[str] = []

    def call(client: Any, operation: str, params: Any) -> Any:
        if operation == "TransactWriteItems" and not refused:
            refused.append(operation)
            raise ClientError(error, operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    return refused


def refuse_next_transaction(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refused as DynamoDB refuses a transaction that collides with another one in flight on the
    same item (TransactionConflictException)."""
    return fail_next_transaction(
        monkeypatch,
        {"Error": {"Code": "TransactionConflictException", "Message": "Transaction is ongoing for the item"}},
    )


def test_a_transaction_conflict_is_a_write_conflict_for_the_work_lanes(
    dynamo: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = refuse_next_transaction(monkeypatch)
    with pytest.raises(WriteConflict) as caught:
        dynamo.work.commit("global", callback(), None, NOW)
    assert refused == ["TransactWriteItems"]
    assert "TransactionConflictException" in str(caught.value)  # the log names the real cause
    assert dynamo.work.get_callback("global", "cb_1") is None
    dynamo.work.commit("global", callback(), None, NOW)  # the retry goes through
    assert dynamo.work.get_callback("global", "cb_1") is not None


def test_a_transaction_conflict_on_append_is_a_sequence_conflict(
    dynamo: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = new_conversation(dynamo)
    refused = refuse_next_transaction(monkeypatch)
    with pytest.raises(SequenceConflict):
        dynamo.conversations.append(state, entry("hello"), NOW + 1)
    assert refused == ["TransactWriteItems"]
    assert list(dynamo.conversations.entries_from("global", "c_1", 1)) == []


# ------------------------------------------------------------------ connections: the guarded writes
def set_drift(stores: Stores, agent: str, status: str) -> None:
    """The drift sweep marks an agent whose heartbeats stopped (`mark_presence_drift`)."""
    if isinstance(stores.connections, MemoryStore):
        stores.connections.presence[("global", agent)].drift_status = status
    else:
        AgentPresence("global", agent).update(actions=[AgentPresence.drift_status.set(status)])


def presence_of(stores: Stores, agent: str, tenant: str = "global") -> tuple[Any, ...]:
    p = stores.connections.get_presence(tenant, agent)
    assert p is not None
    return (p.name, p.status, float(p.status_at), float(p.heartbeat_at), p.drift_status, p.left_at)


def test_a_reachable_agents_heartbeat_is_one_write_that_keeps_the_chosen_status(stores: Stores) -> None:
    c = stores.connections
    c.put_connection(connection("a="))
    c.touch_presence("global", "ana", "Ana", NOW, "busy")
    set_drift(stores, "ana", "away")
    assert c.refresh_heartbeat("global", "ana", "Ana K", NOW + 30, "a=", reachable_after=NOW - 60) is True
    assert presence_of(stores, "ana") == ("Ana K", "busy", NOW, NOW + 30, None, None)


def test_a_heartbeat_from_an_unreachable_or_unknown_agent_writes_nothing(stores: Stores) -> None:
    c = stores.connections
    c.put_connection(connection("a="))
    c.touch_presence("global", "ana", "Ana", NOW)
    # Her last heartbeat is exactly the limit: not after it, so not reachable.
    assert c.refresh_heartbeat("global", "ana", "Ana K", NOW + 90, "a=", reachable_after=NOW) is False
    assert presence_of(stores, "ana") == ("Ana", "available", NOW, NOW, None, None)
    assert c.refresh_heartbeat("global", "bo", "Bo", NOW + 90, "a=", reachable_after=NOW) is False
    assert c.get_presence("global", "bo") is None  # no bare directory row for an unknown agent
    assert c.refresh_heartbeat("acme", "ana", "Ana", NOW + 1, "a=", reachable_after=NOW - 60) is False
    assert c.get_presence("acme", "ana") is None


def test_a_heartbeat_after_the_disconnect_is_refused_and_writes_nothing(stores: Stores) -> None:
    c = stores.connections
    c.touch_presence("global", "ana", "Ana", NOW)
    with pytest.raises(ConnectionGone):  # reachable, but her connection is gone
        c.refresh_heartbeat("global", "ana", "Ana K", NOW + 30, "gone=", reachable_after=NOW - 60)
    with pytest.raises(ConnectionGone):  # not reachable either: the gone connection is what is said
        c.refresh_heartbeat("global", "ana", "Ana K", NOW + 300, "gone=", reachable_after=NOW + 200)
    assert presence_of(stores, "ana") == ("Ana", "available", NOW, NOW, None, None)
    with pytest.raises(ConnectionGone):
        c.touch_presence("global", "ana", "Ana K", NOW + 30, "busy", connection_id="gone=")
    assert presence_of(stores, "ana") == ("Ana", "available", NOW, NOW, None, None)
    with pytest.raises(ConnectionGone):  # nor does a first heartbeat create her
        c.touch_presence("global", "bo", "Bo", NOW, connection_id="gone=")
    assert c.get_presence("global", "bo") is None


def test_a_heartbeat_on_a_live_connection_returns_what_it_stored(stores: Stores) -> None:
    c = stores.connections
    c.put_connection(connection("a="))
    before, after = c.touch_presence("global", "ana", "Ana", NOW, connection_id="a=")
    assert before is None
    assert (after.name, after.status, after.status_at, after.heartbeat_at) == ("Ana", "available", NOW, NOW)
    assert presence_of(stores, "ana") == ("Ana", "available", NOW, NOW, None, None)
    before, after = c.touch_presence("global", "ana", "Ana", NOW + 5, "busy", connection_id="a=")
    assert before is not None and (before.status, before.heartbeat_at) == ("available", NOW)
    assert (after.status, after.status_at, after.heartbeat_at) == ("busy", NOW + 5, NOW + 5)
    set_drift(stores, "ana", "away")
    before, after = c.touch_presence("global", "ana", "Ana K", NOW + 60, connection_id="a=")
    assert before is not None and before.drift_status == "away"
    expected: tuple[Any, ...] = ("Ana K", "busy", NOW + 5, NOW + 60, None, None)
    got: tuple[Any, ...] = (
        after.name,
        after.status,
        after.status_at,
        after.heartbeat_at,
        after.drift_status,
        after.left_at,
    )
    assert got == expected
    assert presence_of(stores, "ana") == expected


def test_an_agent_back_after_leaving_keeps_the_chosen_status(stores: Stores) -> None:
    """Leaving (the last tab closed) is not a first sign-in: the status she chose stays."""
    c = stores.connections
    c.put_connection(connection("a="))
    c.touch_presence("global", "ana", "Ana", NOW, "busy")
    assert c.drop_heartbeat("global", "ana", NOW + 10, NOW) is not None
    assert presence_of(stores, "ana") == ("Ana", "busy", NOW, 0.0, None, NOW + 10)
    before, after = c.touch_presence("global", "ana", "Ana", NOW + 20, connection_id="a=")
    assert before is not None and before.left_at == NOW + 10
    assert (after.status, after.status_at, after.heartbeat_at) == ("busy", NOW, NOW + 20)
    p = c.get_presence("global", "ana")
    assert p is not None and (p.status, float(p.status_at), float(p.heartbeat_at)) == ("busy", NOW, NOW + 20)


def test_an_agents_capacity_is_set_kept_at_zero_and_cleared(stores: Stores) -> None:
    c = stores.connections
    c.touch_presence("global", "ana", "Ana", NOW)
    changed = c.set_capacity("global", "ana", 2)
    assert changed is not None and changed.capacity == 2
    stored = c.get_presence("global", "ana")
    assert stored is not None and stored.capacity == 2 and stored.name == "Ana" and stored.status == "available"
    assert c.set_capacity("global", "ana", 0) is not None  # no chats: her own 0, not the default
    stored = c.get_presence("global", "ana")
    assert stored is not None and stored.capacity == 0
    cleared = c.set_capacity("global", "ana", None)
    assert cleared is not None and cleared.capacity is None
    stored = c.get_presence("global", "ana")
    assert stored is not None and stored.capacity is None
    assert c.set_capacity("global", "nobody", 3) is None
    assert c.get_presence("global", "nobody") is None  # not created by the change
    assert c.set_capacity("acme", "ana", 3) is None
    assert c.get_presence("acme", "ana") is None


def test_subscribing_a_connection_whose_disconnect_ran_first_stores_nothing(stores: Stores) -> None:
    new_conversation(stores)
    conn = connection("a=")
    stores.connections.put_connection(conn)
    stored = stores.connections.get_connection("a=", NOW)
    assert stored is not None
    stores.connections.delete_connection(stored)
    with pytest.raises(ConnectionGone):
        stores.connections.subscribe(stored, "global", "c_1")
    assert stores.connections.get_connection("a=", NOW) is None
    state = stores.conversations.load_conversation("global", "c_1", NOW)
    assert state is not None and state.subscriptions == []
    assert stored.conversations is None  # the caller's copy does not pretend it subscribed


def test_subscribing_adds_to_the_callers_copy_and_keeps_the_connection(stores: Stores) -> None:
    new_conversation(stores)
    stores.connections.put_connection(connection("a=", ttl=60))
    conn = stores.connections.get_connection("a=", NOW)
    assert conn is not None
    stores.connections.subscribe(conn, "global", "c_1")
    if stores.kind == "dynamo":  # the copy in hand says what was stored (the fake keeps its own)
        assert conn.conversations == {"c_1"}
    again = stores.connections.get_connection("a=", NOW)
    assert again is not None and (again.tenant, again.role, again.user_id) == ("global", "agent", "ana")
    assert again.expires_at is not None and again.expires_at.timestamp() == NOW + 60
    state = stores.conversations.load_conversation("global", "c_1", NOW)
    assert state is not None
    [sub] = state.subscriptions
    assert sub.expires_at is not None and sub.expires_at.timestamp() == NOW + 60  # it dies with the socket


def test_a_disconnect_removes_the_subscriptions_stored_not_the_ones_read(stores: Stores) -> None:
    """The connection was read before its last subscribe: the subscriptions removed are the ones
    recorded when it is deleted, so none outlives it."""
    new_conversation(stores, "c_1")
    new_conversation(stores, "c_2")
    stores.connections.put_connection(connection("a="))
    early = stores.connections.get_connection("a=", NOW)
    late = stores.connections.get_connection("a=", NOW)
    assert early is not None and late is not None
    stores.connections.subscribe(late, "global", "c_1")
    stores.connections.subscribe(late, "global", "c_2")
    assert early.conversations is None
    stores.connections.delete_connection(early)
    assert stores.connections.get_connection("a=", NOW) is None
    for cid in ("c_1", "c_2"):
        state = stores.conversations.load_conversation("global", cid, NOW)
        assert state is not None and state.subscriptions == []


def test_deleting_a_connection_leaves_other_connections_subscriptions(stores: Stores) -> None:
    new_conversation(stores)
    for cid in ("a=", "b="):
        stores.connections.put_connection(connection(cid))
        conn = stores.connections.get_connection(cid, NOW)
        assert conn is not None
        stores.connections.subscribe(conn, "global", "c_1")
    gone = stores.connections.get_connection("a=", NOW)
    assert gone is not None
    stores.connections.delete_connection(gone)
    state = stores.conversations.load_conversation("global", "c_1", NOW)
    assert state is not None and [s.connection_id for s in state.subscriptions] == ["b="]
    stores.connections.delete_subscription("global", "c_1", "b=")
    state = stores.conversations.load_conversation("global", "c_1", NOW)
    assert state is not None and state.subscriptions == []
    assert stores.connections.get_connection("b=", NOW) is not None  # only the subscription went


# ------------------------------------------------------------------ the admin CLI's directory entry
def test_an_agent_created_by_the_admin_cli_is_listed_offline_until_they_sign_in(dynamo: Stores) -> None:
    ensure_agent("global", "bo", "Bo", now=NOW)
    p = dynamo.connections.get_presence("global", "bo")
    assert p is not None
    assert (p.name, p.status, float(p.status_at), float(p.heartbeat_at), int(p.open_chats)) == (
        "Bo",
        "offline",
        NOW,
        0.0,
        0,
    )
    assert [a.agent_id for a in dynamo.connections.tenant_presence("global")] == ["bo"]
    assert dynamo.connections.get_presence("acme", "bo") is None
    # The local stack lists its demo agents without a time: no status time at all (0).
    ensure_agent("global", "cy", "Cy")
    cy = dynamo.connections.get_presence("global", "cy")
    assert cy is not None and (cy.status, float(cy.status_at)) == ("offline", 0.0)
    # A directory entry that never had a heartbeat starts available at the first sign-in (on a
    # frame's connection or without one).
    dynamo.connections.put_connection(connection("b=", user="bo"))
    _, after = dynamo.connections.touch_presence("global", "bo", "Bo", NOW + 100, connection_id="b=")
    assert (after.status, after.status_at) == ("available", NOW + 100)
    stored = dynamo.connections.get_presence("global", "bo")
    assert stored is not None and (stored.status, float(stored.status_at)) == ("available", NOW + 100)
    _, after = dynamo.connections.touch_presence("global", "cy", "Cy", NOW + 100)
    assert (after.status, after.status_at) == ("available", NOW + 100)


def test_creating_an_agent_again_keeps_their_presence_and_load(dynamo: Stores) -> None:
    c = dynamo.connections
    c.touch_presence("global", "ana", "Ana", NOW, "busy")
    AgentPresence("global", "ana").update(actions=[AgentPresence.open_chats.set(2)])
    ensure_agent("global", "ana", "Ana Karlsson", now=NOW + 50)
    p = c.get_presence("global", "ana")
    assert p is not None
    assert (p.name, p.status, float(p.status_at), float(p.heartbeat_at), int(p.open_chats)) == (
        "Ana Karlsson",
        "busy",
        NOW,
        NOW,
        2,
    )


# ------------------------------------------------------------------ work: numbers, indexes, history
def test_ticket_numbers_count_up_per_tenant(stores: Stores) -> None:
    assert [stores.work.next_ticket_number("global") for _ in range(3)] == [1, 2, 3]
    assert stores.work.next_ticket_number("acme") == 1
    assert stores.work.next_ticket_number("global") == 4


def test_a_ticket_number_leaves_the_counters_alone(stores: Stores) -> None:
    stores.work.commit("global", ticket("tk_1"), None, NOW)
    assert stores.work.next_ticket_number("global") == 1
    assert stores.counters("global") == {"open_tickets": 1}


def test_a_customers_callbacks_and_tickets_are_found_by_customer_and_phone(dynamo: Stores) -> None:
    """AP-B3, AP-B4, AP-K3: the index keys are written with every save, in the item's tenant."""
    dynamo.work.commit("global", callback(callback_id="cb_1", customer_id="cu_1"), None, NOW)
    dynamo.work.commit("global", callback(callback_id="cb_2"), None, NOW)  # a visitor's: no customer
    with_customer = ticket("tk_1")
    with_customer.customer_id = "cu_1"
    dynamo.work.commit("global", with_customer, None, NOW)
    dynamo.work.commit("global", ticket("tk_2"), None, NOW)
    by_customer = keys.customer_key("global", "cu_1")
    assert [c.callback_id for c in Callback.by_customer.query(by_customer)] == ["cb_1"]
    assert [t.ticket_id for t in Ticket.by_customer.query(by_customer)] == ["tk_1"]
    by_phone = keys.phone_key("global", "+15555550100")
    assert sorted(c.callback_id for c in Callback.by_phone.query(by_phone)) == ["cb_1", "cb_2"]
    visitor = dynamo.work.get_callback("global", "cb_2")
    assert visitor is not None and visitor.customer_key is None  # not in the customer index at all
    stored = dynamo.work.get_callback("global", "cb_1")
    assert stored is not None and (stored.customer_key, stored.phone_key) == (by_customer, by_phone)
    plain = dynamo.work.get_ticket("global", "tk_2")
    assert plain is not None and plain.customer_key is None


def test_a_commit_that_moves_no_counter_stores_the_item_and_every_history_entry(stores: Stores) -> None:
    stores.work.commit("global", callback(status="claimed", claimed_by="ana"), None, NOW)
    assert stores.counters("global") == {}
    current = stores.work.get_callback("global", "cb_1")
    assert current is not None
    moved = copy_of(current)
    moved.due_at = NOW + 1800
    subject = keys.history_subject("global", "CB", "cb_1")
    first = history_entry(subject, NOW + 1, "rescheduled", "ana", "Ana", "to later")
    second = history_entry(subject, NOW + 2, "note", "ana", "Ana", "customer asked")
    stores.work.commit("global", moved, current, NOW + 2, [first, second])
    stored = stores.work.get_callback("global", "cb_1")
    assert stored is not None and stored.due_at == NOW + 1800
    assert [(h.action, h.detail) for h in stores.work.history(subject)] == [
        ("rescheduled", "to later"),
        ("note", "customer asked"),
    ]
    assert stores.work.history(keys.history_subject("acme", "CB", "cb_1")) == []
    assert stores.counters("global") == {}


def test_a_write_dynamodb_refuses_for_another_reason_is_not_a_conflict(
    dynamo: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a cancelled or colliding transaction is a WriteConflict (the lanes retry or refuse
    it as a race); anything else is an error, not a race lost."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import TransactWriteError

    original = BaseClient._make_api_call

    def call(client: Any, operation: str, params: Any) -> Any:
        if operation == "TransactWriteItems":
            raise ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    with pytest.raises(TransactWriteError) as caught:
        dynamo.work.commit("global", callback(), None, NOW)
    assert not isinstance(caught.value, WriteConflict)
    monkeypatch.setattr(BaseClient, "_make_api_call", original)
    assert dynamo.work.get_callback("global", "cb_1") is None


def test_an_alert_after_an_earlier_alert_is_recorded_against_that_one(stores: Stores) -> None:
    stores.work.commit("global", callback(), None, NOW)
    cb = stores.work.get_callback("global", "cb_1")
    assert cb is not None and cb.last_alert_at == 0
    assert stores.work.mark_alerted(cb, NOW + 60) is True
    again = stores.work.get_callback("global", "cb_1")
    assert again is not None and again.last_alert_at == NOW + 60
    assert stores.work.mark_alerted(again, NOW + 120) is True  # the next escalation, from a fresh read
    stored = stores.work.get_callback("global", "cb_1")
    assert stored is not None and stored.last_alert_at == NOW + 120
    assert stored.status == "queued" and stored.phone == "+15555550100"  # only the alert time changed


def test_the_work_lanes_read_what_they_just_wrote(dynamo: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    """A callback or ticket is read to be changed (its version guards the commit), and a
    tenant's settings right after changing them: strongly consistent reads, or a stale read
    would be refused as a conflict it is not (moto itself is always consistent)."""
    dynamo.work.commit("global", callback(), None, NOW)
    dynamo.work.commit("global", ticket("tk_1"), None, NOW)
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    reads: list[Any] = []

    def call(client: Any, operation: str, params: Any) -> Any:
        if operation == "GetItem":
            reads.append(params.get("ConsistentRead"))
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    assert dynamo.work.get_tenant("global") is not None
    assert dynamo.work.get_callback("global", "cb_1") is not None
    assert dynamo.work.get_ticket("global", "tk_1") is not None
    assert reads == [True, True, True]


def test_a_second_disconnect_of_the_same_connection_is_harmless(stores: Stores) -> None:
    """API Gateway may deliver `$disconnect` twice, or after the TTL removed the item."""
    new_conversation(stores)
    stores.connections.put_connection(connection("a="))
    conn = stores.connections.get_connection("a=", NOW)
    assert conn is not None
    stores.connections.subscribe(conn, "global", "c_1")
    stores.connections.delete_connection(conn)
    stores.connections.delete_connection(conn)
    assert stores.connections.get_connection("a=", NOW) is None
    state = stores.conversations.load_conversation("global", "c_1", NOW)
    assert state is not None and state.subscriptions == []


def test_a_bare_connection_item_is_removed_with_its_subscriptions_in_the_callers_tenant(dynamo: Stores) -> None:
    """A bare item (an unconditional ADD recreated a deleted connection: no tenant) is removed
    by `forget_malformed` with the tenant the caller knows; its subscriptions go with it."""
    from chalicelib.store.models import Subscription

    new_conversation(dynamo)
    Connection("a=").update(actions=[Connection.conversations.add({"c_1"})])
    Subscription(
        keys.conversation_pk("global", "c_1"),
        keys.subscription_sk("a="),
        connection_id="a=",
        role="agent",
        user_id="ana",
    ).save()
    state = dynamo.conversations.load_conversation("global", "c_1", NOW)
    assert state is not None and [s.connection_id for s in state.subscriptions] == ["a="]
    dynamo.connections.delete_connection(Connection("a=", tenant="global"))
    state = dynamo.conversations.load_conversation("global", "c_1", NOW)
    assert state is not None and state.subscriptions == []
    with pytest.raises(Connection.DoesNotExist):
        Connection.get("a=")


def cancel_next_transaction(monkeypatch: pytest.MonkeyPatch, *codes: str) -> list[str]:
    """The next TransactWriteItems is cancelled with these reasons, one per item ("None": that
    item was fine), as DynamoDB cancels a transaction that collided with another one."""
    return fail_next_transaction(
        monkeypatch,
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
    )


def test_a_transaction_cancelled_by_a_collision_is_not_a_closed_connection(
    dynamo: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the connection's own condition failing means its `$disconnect` ran first (the agent
    is told to reconnect); a collision with another write is an error to retry, not that."""
    from pynamodb.exceptions import TransactWriteError

    new_conversation(dynamo)
    c = dynamo.connections
    c.put_connection(connection("a="))
    conn = c.get_connection("a=", NOW)
    assert conn is not None
    c.touch_presence("global", "ana", "Ana", NOW)
    attempts: list[Callable[[], object]] = [
        lambda: c.subscribe(conn, "global", "c_1"),
        lambda: c.touch_presence("global", "ana", "Ana", NOW + 5, "busy", connection_id="a="),
        lambda: c.refresh_heartbeat("global", "ana", "Ana", NOW + 5, "a=", reachable_after=NOW - 60),
    ]
    for attempt in attempts:
        refused = cancel_next_transaction(monkeypatch, "None", "TransactionConflict")
        with pytest.raises(TransactWriteError) as caught:
            attempt()
        assert refused == ["TransactWriteItems"] and not isinstance(caught.value, ConnectionGone)
    # And the condition failing on the connection is a closed connection, whatever follows it.
    for attempt in attempts:
        cancel_next_transaction(monkeypatch, "ConditionalCheckFailed", "TransactionConflict")
        with pytest.raises(ConnectionGone):
            attempt()


def test_the_stores_transactions_go_to_the_region_they_are_built_for(
    dynamo: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wiring builds the stores for the hub's region (`settings.region`); their transactions
    are sent there, not to whatever region botocore would default to. (No tables in
    eu-west-1 here: the write is refused there, which is how the test sees where it went.)"""
    from botocore.client import BaseClient
    from pynamodb.exceptions import TransactWriteError

    original = BaseClient._make_api_call
    regions: list[str] = []

    def call(client: Any, operation: str, params: Any) -> Any:
        if operation == "TransactWriteItems":
            regions.append(client.meta.region_name)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    with pytest.raises(TransactWriteError):
        DynamoWorkStore("eu-west-1").commit("global", callback(), None, NOW)
    dynamo.connections.put_connection(connection("a="))
    with pytest.raises(TransactWriteError):
        DynamoConnectionStore("eu-west-1").touch_presence("global", "ana", "Ana", NOW, connection_id="a=")
    assert regions == ["eu-west-1", "eu-west-1"]
    assert dynamo.work.get_callback("global", "cb_1") is None
    assert dynamo.connections.get_presence("global", "ana") is None


# ------------------------------------------------------------------ closing, reopening, owner races (issue 13)
def test_a_close_stores_when_it_happened_and_a_reopen_gives_the_owner_back_one_chat(stores: Stores) -> None:
    c = stores.conversations
    stores.connections.touch_presence("global", "ana", "Ana", NOW)
    state = new_conversation(stores)
    c.change_owner(state, OwnerChange(("ana", "Ana"), None, None), NOW + 1)
    assert open_chats(stores, "ana") == 1
    assert c.close_conversation(state.meta, NOW + 10) is True
    closed = new_state_meta(stores)
    assert (closed.status, closed.closed_at, closed.updated_at) == ("closed", NOW + 10, NOW + 10)
    # The caller's copy says what was stored: the close line and the snapshots are built from it.
    held: Any = state.meta  # (PynamoDB types its attributes as never None)
    assert (held.status, held.closed_at, held.updated_at) == ("closed", NOW + 10, NOW + 10)
    assert (held.active_tenant, held.queue_tenant, held.queued_at) == (None, None, None)
    assert open_chats(stores, "ana") == 0
    assert c.reopen_conversation(state.meta, NOW + 20) is True
    reopened = new_state_meta(stores)
    assert (reopened.status, reopened.owner_id) == ("open", "ana") and reopened.closed_at is None
    assert open_chats(stores, "ana") == 1
    assert stores.counters("global") == {"active_chats": 1}


def test_a_close_from_a_copy_read_before_an_owner_change_still_closes_and_frees_the_new_owner(stores: Stores) -> None:
    """An agent closes what they read while a colleague took it over: the close applies to the
    conversation as it is now, and the load it frees is the new owner's."""
    c = stores.conversations
    for agent in ("ana", "bo"):
        stores.connections.touch_presence("global", agent, agent.title(), NOW)
    state = new_conversation(stores)
    c.change_owner(state, OwnerChange(("ana", "Ana"), None, None), NOW + 1)
    seen = new_state_meta(stores)  # read with Ana as the owner
    fresh = c.load_conversation("global", "c_1", NOW)
    assert fresh is not None
    c.change_owner(fresh, OwnerChange(("bo", "Bo"), "ana", None), NOW + 2)  # Bo takes it over
    assert (open_chats(stores, "ana"), open_chats(stores, "bo")) == (0, 1)
    assert c.close_conversation(seen, NOW + 3) is True
    closed = new_state_meta(stores)
    assert (closed.status, closed.owner_id, closed.closed_at) == ("closed", "bo", NOW + 3)
    assert (open_chats(stores, "ana"), open_chats(stores, "bo")) == (0, 0)
    assert stores.counters("global") == {}


def test_a_full_agent_is_named_in_the_refusal_and_a_stale_owner_wins_over_a_full_one(stores: Stores) -> None:
    """The refusal the agent reads: a full colleague by name; when the owner also changed
    meanwhile, the conflict (re-read and decide again), not the capacity."""
    c = stores.conversations
    stores.connections.touch_presence("global", "ana", "Ana", NOW)
    c.change_owner(new_conversation(stores, "c_1"), OwnerChange(("ana", "Ana"), None, 1), NOW + 1)
    second = new_conversation(stores, "c_2", customer="cu_2")
    with pytest.raises(AgentFull) as full:
        c.change_owner(second, OwnerChange(("ana", "Ana"), None, 1), NOW + 2)
    assert str(full.value) == "Ana has no free chat place"
    with pytest.raises(OwnerConflict) as conflict:  # expects an owner c_2 never had, and Ana is full
        c.change_owner(second, OwnerChange(("ana", "Ana"), "bo", 1), NOW + 3)
    assert str(conflict.value) == "the conversation's owner changed meanwhile"
    left = c.load_conversation("global", "c_2", NOW)
    assert left is not None and left.meta.owner_id is None and open_chats(stores, "ana") == 1


def test_an_owner_change_to_the_owner_it_has_changes_nothing(stores: Stores) -> None:
    c = stores.conversations
    stores.connections.touch_presence("global", "ana", "Ana", NOW)
    state = new_conversation(stores)
    c.change_owner(state, OwnerChange(("ana", "Ana"), None, None), NOW + 1)
    c.change_owner(state, OwnerChange(("ana", "Ana"), "ana", 1), NOW + 2)  # her own chat, at capacity 1
    loaded = c.load_conversation("global", "c_1", NOW)
    assert loaded is not None and loaded.participants["ana"].agent_role == "owner"
    assert float(loaded.meta.updated_at) == NOW + 1 and open_chats(stores, "ana") == 1


def test_the_callers_copy_follows_each_owner_change(stores: Stores) -> None:
    """Routing and the snapshots read the copy the caller holds after the change."""
    c = stores.conversations
    stores.connections.touch_presence("global", "ana", "Ana", NOW)
    state = new_conversation(stores)
    c.change_owner(state, OwnerChange(None, None, None, queue_at=NOW + 1), NOW + 1)  # queued
    held: Any = state.meta  # (PynamoDB types its attributes as never None)
    assert (held.owner_id, held.queue_tenant, held.queued_at, float(held.updated_at)) == (
        None,
        "global",
        NOW + 1,
        NOW + 1,
    )
    c.change_owner(state, OwnerChange(("ana", "Ana"), None, None), NOW + 2)  # taken from the queue
    assert (held.owner_id, held.owner_name, held.assigned_at) == ("ana", "Ana", NOW + 2)
    assert (held.queue_tenant, held.queued_at) == (None, None)
    c.change_owner(state, OwnerChange(None, "ana", None), NOW + 3)  # unassigned, not queued
    assert (held.owner_id, held.owner_name, held.assigned_at) == (None, None, None)
    assert (held.queue_tenant, held.queued_at, float(held.updated_at)) == (None, None, NOW + 3)


def test_a_full_agent_is_named_when_the_old_owner_left_the_directory(stores: Stores) -> None:
    """The second try (without the departed owner's row) refuses as the first would: by name."""
    c = stores.conversations
    for agent in ("ana", "bo"):
        stores.connections.touch_presence("global", agent, agent.title(), NOW)
    c.change_owner(new_conversation(stores, "c_1"), OwnerChange(("bo", "Bo"), None, 1), NOW + 1)  # Bo is full
    second = new_conversation(stores, "c_2", customer="cu_2")
    c.change_owner(second, OwnerChange(("ana", "Ana"), None, None), NOW + 2)
    remove_from_directory(stores, "ana")
    with pytest.raises(AgentFull) as full:
        c.change_owner(second, OwnerChange(("bo", "Bo"), "ana", 1), NOW + 3)
    assert str(full.value) == "Bo has no free chat place"
    left = c.load_conversation("global", "c_2", NOW)
    assert left is not None and left.meta.owner_id == "ana" and open_chats(stores, "bo") == 1


def test_a_place_taken_between_the_two_tries_is_refused_by_name(
    dynamo: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first try fails only on the departed owner's row; before the second, the new owner's
    last place goes to another chat. The second try refuses as the first would have: by name."""
    c = dynamo.conversations
    state = owned_by_a_departed_ana(dynamo)
    tries = 0
    transact = DynamoConversationStore._transact

    def racing(store: DynamoConversationStore, puts: Any, updates: Any) -> None:
        nonlocal tries
        tries += 1
        if tries == 2:  # meanwhile Bo gets another chat: his one place is gone
            AgentPresence("global", "bo").update(actions=[AgentPresence.open_chats.add(1)])
        transact(store, puts, updates)

    monkeypatch.setattr(DynamoConversationStore, "_transact", racing)
    with pytest.raises(AgentFull) as full:
        c.change_owner(state, OwnerChange(("bo", "Bo"), "ana", 1), NOW + 2)
    assert tries == 2 and str(full.value) == "Bo has no free chat place"
    left = c.load_conversation("global", "c_1", NOW)
    assert left is not None and left.meta.owner_id == "ana" and open_chats(dynamo, "bo") == 1
