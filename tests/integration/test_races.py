"""Races run for real: concurrent clients, each in its own hub (as in its own Lambda container),
against a moto *server* on loopback whose conditional writes are atomic (one request at a time,
as DynamoDB applies each one). In the cluster tests nothing is mocked in-process: every read and write goes over
HTTP to the server, so a missing condition lets two clients both "win".

Each race is forced into its worst interleaving rather than left to luck: the clients all read
before any of them writes (a barrier at the store port), or a `$disconnect` lands between a
handler's writes (a hold at the wire). docs/testing.md records that each test fails when its
guard is removed.

The first part (issue 9, item 1) runs in one in-process hub (moto in-process): a connection that
closes while its handlers run, orphans, and failures after the answer.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jwt
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ReadTimeoutError
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from pynamodb.exceptions import TransactWriteError
from werkzeug.serving import make_server

from chalicelib.platform.auth import Actor, AgentVerifier, WidgetTokens
from chalicelib.platform.clock import ManualClock
from chalicelib.platform.config import TABLE_ENV_VARS, Settings
from chalicelib.platform.errors import AlreadyTaken, SessionExpired
from chalicelib.platform.sender import Sender
from chalicelib.store import keys
from chalicelib.store.dynamo_errors import error_code
from chalicelib.store.models import AgentPresence, Connection, ConversationItem, Message, Subscription, Tenant
from chalicelib.store.tables import ensure_tables
from chalicelib.store.tenants import ensure_tenant
from chalicelib.store.work_models import HistoryEntry, HubCounters
from chalicelib.wiring import Hub, Stores, build
from local.moto_server import SerializedApp
from tests.integration.conftest import Harness

REGION = "us-east-1"
POOL = "us-east-1_racepool"
CLIENT = "race-client"
WIDGET_KEY = "wk_global_race"
SIGNING_KEY = "race-widget-signing-key-0123456789abcdef"
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


class AtomicMotoServer(ThreadedMotoServer):
    """moto's ThreadedMotoServer, one request at a time (`local.moto_server.SerializedApp`): moto's
    backends have no locks, DynamoDB applies each request atomically."""

    def _server_entry(self) -> None:
        app = SerializedApp(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    server = AtomicMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@cache
def _agent_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class RecordingSender(Sender):
    """What each connection was sent, shared by every container; `gone` connections answer 410."""

    def __init__(self) -> None:
        super().__init__("http://recording.invalid", REGION)
        self.lock = threading.Lock()
        self.sent: dict[str, list[dict[str, Any]]] = {}
        self.gone: set[str] = set()

    def _post_bytes(self, connection_id: str, data: bytes) -> bool:
        with self.lock:
            if connection_id in self.gone:
                return False
            self.sent.setdefault(connection_id, []).append(json.loads(data))
            return True

    def events(self, connection_id: str, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.sent.get(connection_id, []) if e["type"] == kind]


@dataclass
class Cluster:
    """Hubs sharing one moto server, one sender and one clock: each hub is a Lambda container."""

    settings: Settings
    clock: ManualClock
    sender: RecordingSender
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def container(self) -> Hub:
        public = _agent_key().public_key()
        return build(
            self.settings,
            self.clock,
            self.sender,
            AgentVerifier(self.settings, self.clock, keys=lambda token: public),
            WidgetTokens(self.settings, self.clock, key=SIGNING_KEY),
            Stores.dynamo(REGION),
        )

    def agent(self, hub: Hub, username: str) -> tuple[str, Actor]:
        now = self.clock.now()
        claims = {
            "sub": f"sub-{username}",
            "name": username.title(),
            "custom:tenant": "global",
            "token_use": "id",
            "aud": CLIENT,
            "iss": self.settings.issuer,
            "iat": int(now),
            "exp": int(now + 3600),
        }
        cid = f"{username}-{next(self._ids)}="
        who = hub.live.identify_and_bind(cid, {"token": jwt.encode(claims, _agent_key(), algorithm="RS256")})
        return cid, Actor(who.tenant, who.role, who.user_id, who.name)

    def customer(self, hub: Hub, previous: str | None = None) -> tuple[str, str]:
        session = hub.widgets.open_session(WIDGET_KEY, previous, "Kim")
        cid = f"cust-{next(self._ids)}="
        hub.live.identify_and_bind(cid, {"session": session.token})
        return cid, session.token

    def act(self, hub: Hub, connection_id: str, **action: Any) -> None:
        hub.live.handle(connection_id, json.dumps(action))


@pytest.fixture
def cluster(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    for var, value in (
        ("AWS_DEFAULT_REGION", REGION),
        ("AWS_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ):
        monkeypatch.setenv(var, value)
    run = uuid.uuid4().hex[:8]  # fresh tables per test: the server outlives it
    for kind, var in TABLE_ENV_VARS.items():
        monkeypatch.setenv(var, f"race-{run}-{kind}")
    ensure_tables()
    ensure_tenant("global", "Global", WIDGET_KEY)
    # Routing gives nobody a chat here (capacity 0): agents take and help by hand, as in the
    # other integration tests; routing's own races are in test_routing_races.py.
    Tenant("global").update(actions=[Tenant.chat_capacity.set(0)])
    settings = Settings(REGION, "race", POOL, CLIENT, "unused", "unused", None)
    return Cluster(settings, ManualClock(start=time.time()), RecordingSender())


class Barrier:
    """Wraps a store so that the first call of `method` in each of `parties` threads waits until
    all of them have made it: every client reads before any client writes."""

    def __init__(self, store: Any, method: str, barrier: threading.Barrier) -> None:
        self._store, self._method, self._barrier = store, method, barrier
        self._waited = threading.local()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if name != self._method:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if not getattr(self._waited, "done", False):
                self._waited.done = True
                self._barrier.wait(timeout=30)
            return result

        return call


# ================================================================== a connection closing mid-handler (in-process)
def test_error_code_survives_a_dropped_connection() -> None:
    # botocore's HTTPClientError carries `response = None`: PynamoDB's own property breaks on it.
    exc = TransactWriteError("Failed to write transaction items", ReadTimeoutError(endpoint_url="http://x"))
    with pytest.raises(AttributeError):
        _ = exc.cause_response_code
    assert error_code(exc) is None


def test_subscribing_a_connection_whose_disconnect_ran_first_writes_nothing(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    conn = hub.lane.connections.bound(customer, hub.clock.now())
    assert conn is not None
    hub.lane.disconnect(customer)  # $disconnect overtakes a `sync` already past its identity check
    state = hub.lane.timeline.store.load_conversation("global", conv, hub.clock.now())
    assert state is not None and state.subscriptions == []
    with pytest.raises(SessionExpired):
        hub.lane.connections.subscribe(conn, state)
    with pytest.raises(Connection.DoesNotExist):
        Connection.get(customer)  # not recreated
    assert list(Subscription.query(f"T#global#C#{conv}", Subscription.sk.startswith("S#"))) == []


def test_a_presence_change_whose_disconnect_ran_first_leaves_the_agent_gone(hub: Harness) -> None:
    """Teamlane's availability flips (and heartbeats) under the same rule as subscribing: the
    write is conditioned on the connection item, so a late `presence: available` after the
    last tab's `$disconnect` never makes a gone agent reachable (routing would hand them chats)."""
    agent = hub.connect_agent("ana")
    hub.act(agent, action="presence", status="busy")
    conn = hub.lane.connections.bound(agent, hub.clock.now())
    assert conn is not None
    hub.clock.advance(1)
    hub.lane.disconnect(agent)  # $disconnect overtakes a `presence` already past its identity check
    with pytest.raises(SessionExpired):
        hub.lane.connections.heartbeat(conn, "available")
    stored = AgentPresence.get("global", conn.user_id, consistent_read=True)
    assert (stored.status, int(stored.heartbeat_at)) == ("busy", 0) and stored.left_at is not None
    assert hub.lane.connections.available_agents("global") == set()
    with pytest.raises(Connection.DoesNotExist):
        Connection.get(agent)  # not recreated
    # A live connection's flip goes through, and its answer is the item as stored.
    again = hub.connect_agent("ana")
    answered = hub.act(again, action="presence", status="available")
    assert [e["type"] for e in answered if e["type"] in ("ack", "error")] == ["ack"]
    stored = AgentPresence.get("global", conn.user_id, consistent_read=True)
    assert stored.status == "available" and float(stored.heartbeat_at) == hub.clock.now()
    assert hub.lane.connections.available_agents("global") == {conn.user_id}


def test_disconnect_removes_a_subscription_added_after_the_connection_was_read(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    first = hub.start(customer)
    stale = hub.lane.connections.stored(customer)  # what $disconnect read before the next `start`
    second = hub.start(customer)
    assert stale is not None and stale.conversations == {first}
    hub.lane.connections.store.delete_connection(stale)
    for conv in (first, second):
        assert list(Subscription.query(f"T#global#C#{conv}", Subscription.sk.startswith("S#"))) == []


def _leave_orphans(conv: str) -> None:
    """A subscription without its connection item, and a bare connection item (no tenant, no
    TTL, no connected_at: only what an unconditional ADD wrote)."""
    pk = f"T#global#C#{conv}"
    for dead in ("AAAAnoItem0000=", "AAABbareItem00="):
        Subscription(pk, f"S#{dead}", connection_id=dead, role="customer", user_id="ghost").save()
    Connection("AAABbareItem00=").update(actions=[Connection.conversations.add({conv})])  # the old subscribe


def test_orphans_never_stop_the_fanout_and_are_removed(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)  # agents see a chat once its customer wrote
    agent = hub.connect_agent("ana")
    hub.act(agent, action="take", conversation_id=conv)
    hub.sender.take(customer)
    _leave_orphans(conv)
    hub.sender.gone |= {"AAAAnoItem0000=", "AAABbareItem00="}
    events = hub.act(customer, action="send", conversation_id=conv, client_id="m1", text="Hello?")
    assert [e["type"] for e in events] == ["ack"]
    assert [e["text"] for e in hub.sender.take(agent) if e["type"] == "message"] == ["Hello?"]
    subs = {s.connection_id for s in Subscription.query(f"T#global#C#{conv}", Subscription.sk.startswith("S#"))}
    assert subs == {customer, agent}
    with pytest.raises(Connection.DoesNotExist):
        Connection.get("AAABbareItem00=")


def test_a_failure_after_the_ack_never_becomes_an_error_for_the_sender(
    hub: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)  # agents see a chat once its customer wrote
    agent = hub.connect_agent("ana")
    hub.act(agent, action="take", conversation_id=conv)
    hub.act(agent, action="close", conversation_id=conv)
    hub.sender.take(customer)
    hub.sender.take(agent)

    def broken(*_: object) -> bool:
        raise RuntimeError("DynamoDB went away after the message was stored")

    monkeypatch.setattr(hub.lane.timeline.store, "reopen_conversation", broken)
    events = hub.act(customer, action="send", conversation_id=conv, client_id="late", text="One more thing")
    assert [(e["type"], e.get("status")) for e in events] == [("ack", "sent")]
    assert [e["text"] for e in hub.sender.take(agent) if e["type"] == "message"] == ["One more thing"]


def test_a_retried_create_whose_first_try_was_applied_is_one_conversation(hub: Harness) -> None:
    """The SDK retries a transaction whose answer was lost (the connection dropped after DynamoDB
    applied it): the conversation is there once, and the retry is not an error."""
    from chalicelib.store.models import ConversationMeta, Participant
    from chalicelib.store.work_models import HubCounters

    def counted() -> int:
        try:
            return int(HubCounters.get("global", consistent_read=True).active_chats or 0)
        except HubCounters.DoesNotExist:
            return 0

    customer, _ = hub.connect_customer()
    conv = hub.start(customer)  # created `new`: it counts nowhere until its customer writes
    store = hub.lane.timeline.store
    state = store.load_conversation("global", conv, hub.clock.now())
    assert state is not None
    before = counted()
    me = next(iter(state.participants.values()))
    store.create_conversation(state.meta, me, hub.clock.now())  # the retry: no error
    assert counted() == before  # counted once
    # It starts once, too: its first line counts it in the active chats exactly once.
    hub.act(customer, action="send", conversation_id=conv, client_id="first", text="Hello")
    assert counted() == before + 1
    assert len(list(ConversationMeta.query(f"T#global#C#{conv}", ConversationMeta.sk == "META"))) == 1
    assert isinstance(me, Participant)


# ================================================================== the callback claim
AGENTS = 8


def test_exactly_one_of_eight_agents_claims_a_callback(cluster: Cluster) -> None:
    """Eight agents, eight containers, all reading the callback as queued before any writes.
    The claim is conditioned (status still queued, and the version read): exactly one wins."""
    desk = cluster.container()
    caller = Actor("global", "customer", "cu_caller", "Kim")
    cb = desk.callbacks.request(caller, "+1 415 555 0100", None, "asap", "about my order", None)
    barrier = threading.Barrier(AGENTS)
    crews = []
    for n in range(AGENTS):
        hub = cluster.container()
        cid, actor = cluster.agent(hub, f"agent{n}")
        hub.callbacks.store = Barrier(hub.callbacks.store, "get_callback", barrier)
        crews.append((hub, cid, actor))
    for _, cid, _ in crews:
        with cluster.sender.lock:
            cluster.sender.sent.pop(cid, None)

    def claim(crew: tuple[Hub, str, Actor]) -> str:
        hub, _, actor = crew
        try:
            hub.callbacks.claim(actor, cb.callback_id)
        except AlreadyTaken as exc:
            return f"taken: {exc.message}"
        return "won"

    with ThreadPoolExecutor(AGENTS) as pool:
        outcomes = list(pool.map(claim, crews))

    winners = [actor for (_, _, actor), outcome in zip(crews, outcomes, strict=True) if outcome == "won"]
    assert len(winners) == 1, outcomes
    [winner] = winners
    assert sorted(o for o in outcomes if o != "won") == [f"taken: {winner.name} already claimed this callback"] * (
        AGENTS - 1
    )
    stored = desk.callbacks.store.get_callback("global", cb.callback_id)
    assert stored is not None and (stored.status, stored.claimed_by) == ("claimed", winner.id)
    history = list(HistoryEntry.query(keys.history_subject("global", "CB", cb.callback_id)))
    assert [h.action for h in history] == ["requested", "claimed"]
    assert history[1].actor_id == winner.id
    counters = HubCounters.get("global", consistent_read=True)
    assert int(counters.callback_queued) == 0  # one claim took it out of the queue, once
    for _, cid, _ in crews:  # every dashboard heard of one claim, by the winner
        claims = [e for e in cluster.sender.events(cid, "callback") if e["action"] == "claimed"]
        assert [e["callback"]["claimed_by"]["id"] for e in claims] == [winner.id]


def test_a_stale_completion_after_a_requeue_and_reclaim_is_refused(cluster: Cluster) -> None:
    """The version guard on its own: Ana's first tab completes from a read taken before her
    other tab logged a missed attempt and claimed again. `claimed_by` still says Ana, so only the
    version tells the read is stale; without it the attempt count would go back."""
    hub = cluster.container()
    _, ana = cluster.agent(hub, "ana")
    cb = hub.callbacks.request(Actor("global", "customer", "cu_1", "Kim"), "+1 415 555 0100", None, "asap", None, None)
    hub.callbacks.claim(ana, cb.callback_id)
    stale_tab = cluster.container()
    held = threading.Event()
    go_on = threading.Event()

    class HoldAfterRead:
        def __init__(self, store: Any) -> None:
            self._store = store

        def __getattr__(self, name: str) -> Any:
            attr = getattr(self._store, name)
            if name != "get_callback":
                return attr

            def read(*args: Any) -> Any:
                result = attr(*args)
                if not held.is_set():
                    held.set()
                    assert go_on.wait(30)
                return result

            return read

    stale_tab.callbacks.store = HoldAfterRead(stale_tab.callbacks.store)
    with ThreadPoolExecutor(1) as pool:
        completing = pool.submit(stale_tab.callbacks.complete, ana, cb.callback_id, "reached her")
        assert held.wait(30)
        other_tab = cluster.container()
        other_tab.callbacks.no_answer(ana, cb.callback_id, None)
        other_tab.callbacks.claim(ana, cb.callback_id)
        go_on.set()
        with pytest.raises(AlreadyTaken):
            completing.result(30)
    stored = hub.callbacks.store.get_callback("global", cb.callback_id)
    assert stored is not None and (stored.status, int(stored.attempts), stored.claimed_by) == ("claimed", 1, ana.id)


# ================================================================== concurrent appends
SENDERS = 6
PER_SENDER = 8


def test_concurrent_senders_get_distinct_gapless_sequences_and_nothing_twice(cluster: Cluster) -> None:
    """Six senders in six containers all read the conversation before any of them writes its
    first message; then they keep sending, each message also resent once from a second tab."""
    desk = cluster.container()
    customer, _ = cluster.customer(desk)
    cluster.act(desk, customer, action="start")
    [started] = cluster.sender.events(customer, "conversation")
    conv = started["conversation"]["id"]
    cluster.act(desk, customer, action="send", conversation_id=conv, client_id="opening", text="Hello")  # starts it
    senders: list[tuple[Hub, str]] = [(desk, customer)]
    for n in range(SENDERS - 1):
        hub = cluster.container()
        cid, _ = cluster.agent(hub, f"agent{n}")
        cluster.act(hub, cid, action="join", conversation_id=conv)
        senders.append((hub, cid))
    joined = 1 + SENDERS - 1  # the opening message, then one system line per join
    watcher_hub = cluster.container()
    watcher, _ = cluster.agent(watcher_hub, "watcher")
    cluster.act(watcher_hub, watcher, action="sync", conversation_id=conv, since=0)
    barrier = threading.Barrier(SENDERS)
    for hub, _ in senders:
        hub.live.timeline.store = Barrier(hub.live.timeline.store, "load_conversation", barrier)

    def burst(sender: tuple[Hub, str]) -> None:
        hub, cid = sender
        second_tab = cluster.container()  # the same connection's frames land in two containers
        for n in range(PER_SENDER):
            frame = {"action": "send", "conversation_id": conv, "client_id": f"{cid[:-1]}-{n}", "text": f"m{n} {cid}"}
            cluster.act(hub, cid, **frame)
            cluster.act(second_tab, cid, **frame)

    with ThreadPoolExecutor(SENDERS) as pool:
        list(pool.map(burst, senders))

    stored = list(Message.query(keys.conversation_pk("global", conv), consistent_read=True))
    total = joined + SENDERS * PER_SENDER
    assert [int(m.seq) for m in stored] == list(range(1, total + 1))
    texts = sorted(m.client_id for m in stored if m.kind == "text")
    assert texts == sorted(["opening"] + [f"{cid[:-1]}-{n}" for _, cid in senders for n in range(PER_SENDER)])
    for _, cid in senders:
        acks = [
            a for a in cluster.sender.events(cid, "ack") if a.get("action") == "send" and a["client_id"] != "opening"
        ]
        assert len(acks) == 2 * PER_SENDER
        by_client: dict[str, set[int]] = {}
        for ack in acks:
            by_client.setdefault(ack["client_id"], set()).add(ack["seq"])
        assert all(len(seqs) == 1 for seqs in by_client.values()), by_client  # a resend gets the first seq
        assert sorted(a["status"] for a in acks) == ["sent"] * PER_SENDER + ["sent-again"] * PER_SENDER
        stored_seq = {m.client_id: int(m.seq) for m in stored if m.kind == "text"}
        expected = {f"{cid[:-1]}-{n}": stored_seq[f"{cid[:-1]}-{n}"] for n in range(PER_SENDER)}
        assert {c: s.pop() for c, s in by_client.items()} == expected
    seen = {e["seq"] for e in cluster.sender.events(watcher, "message")}
    assert seen == set(range(joined + 1, total + 1))  # the watcher heard every message
    meta = watcher_hub.live.timeline.store.load_conversation("global", conv, cluster.clock.now())
    assert meta is not None and int(meta.meta.last_seq) == total


# ================================================================== a tab closes while it subscribes
class HoldWrites:
    """Runs `interrupt` (in another thread, to its end) just before the `n`-th DynamoDB write
    made by the thread that arms it: a `$disconnect` overtaking a running handler.

    From then on, before each further call that thread makes, it looks (consistently, on the
    server) for an item of the `watched` connection: `ghosts` counts the times one existed.
    A closed tab's item must never come back, not even until some later cleanup removes it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.armed: threading.Thread | None = None
        self.n = 0
        self.count = 0
        self.interrupt: Callable[[], None] = lambda: None
        self.fired = False
        self.watched = ""
        self.ghosts = 0
        self._probing = threading.local()
        original = BaseClient._make_api_call
        hold = self

        def call(client: Any, operation: str, params: Any) -> Any:
            if threading.current_thread() is hold.armed and not getattr(hold._probing, "on", False):
                if hold.fired:
                    hold._probe(client)
                if operation in WRITES:
                    hold.count += 1
                    if hold.count == hold.n:
                        hold.fired = True
                        other = threading.Thread(target=hold.interrupt)
                        other.start()
                        other.join(30)
            return original(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", call)

    def _probe(self, client: Any) -> None:
        if client.meta.service_model.service_name != "dynamodb":
            return
        self._probing.on = True
        try:
            item = client.get_item(
                TableName=Connection.Meta.table_name,
                Key={"connection_id": {"S": self.watched}},
                ConsistentRead=True,
            ).get("Item")
        finally:
            self._probing.on = False
        if item is not None:
            self.ghosts += 1

    def arm(self, n: int, interrupt: Callable[[], None], watched: str) -> None:
        self.armed, self.n, self.count, self.interrupt, self.fired = threading.current_thread(), n, 0, interrupt, False
        self.watched, self.ghosts = watched, 0


@pytest.mark.parametrize("action", ["start", "sync"])
@pytest.mark.parametrize("nth_write", [1, 2, 3, 4])
def test_a_tab_closing_while_it_subscribes_never_breaks_the_conversation(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch, action: str, nth_write: int
) -> None:
    """A customer's tab sends `start` (or `sync`) and closes; its `$disconnect` runs in another
    container and lands before the handler's 1st, 2nd, 3rd or 4th write. Whatever the order:
    no connection item comes back to life, and the conversation keeps working for everyone.
    (Every interleaving passes since issue 9's guard: a subscription is written only while the
    connection item exists.)"""
    hold = HoldWrites(monkeypatch)
    lobby_hub = cluster.container()
    agent, _ = cluster.agent(lobby_hub, "ana")
    desk = cluster.container()
    first_tab, token = cluster.customer(desk)
    conv = None
    if action == "sync":
        cluster.act(desk, first_tab, action="start")
        [started] = cluster.sender.events(first_tab, "conversation")
        conv = started["conversation"]["id"]
        cluster.act(desk, first_tab, action="send", conversation_id=conv, client_id="opening", text="Hello")
        cluster.act(lobby_hub, agent, action="join", conversation_id=conv)
    closing_hub = cluster.container()
    closing, _ = cluster.customer(closing_hub, previous=token)  # the customer's second tab

    def tab_closes() -> None:
        cluster.sender.gone.add(closing)
        cluster.container().live.disconnect(closing)

    hold.arm(nth_write, tab_closes, watched=closing)
    if action == "start":
        cluster.act(closing_hub, closing, action="start")
    else:
        cluster.act(closing_hub, closing, action="sync", conversation_id=conv, since=0)
    hold.armed = None
    if not hold.fired:  # the handler made fewer writes: the close comes after it
        tab_closes()
    assert hold.ghosts == 0, "the closed tab's connection item came back while its handler ran"

    # No connection item for the closed tab, not even a partial one an update recreated.
    with pytest.raises(Connection.DoesNotExist):
        Connection.get(closing, consistent_read=True)
    if conv is None:
        started_now = cluster.sender.events(closing, "conversation")
        conv = started_now[0]["conversation"]["id"] if started_now else None
    if conv is None:  # the tab closed before its conversation existed: start one from the live tab
        cluster.act(desk, first_tab, action="start")
        conv = cluster.sender.events(first_tab, "conversation")[-1]["conversation"]["id"]
    if action == "start":  # the customer's first message starts it; then the agent can help
        cluster.act(desk, first_tab, action="send", conversation_id=conv, client_id="opening", text="Hello")
        cluster.act(lobby_hub, agent, action="join", conversation_id=conv)
        cluster.act(desk, first_tab, action="sync", conversation_id=conv, since=0)

    # The conversation works for everyone: the live tab writes, the agent hears it, the sender
    # gets its ack and no error.
    cluster.clock.advance(60)  # past the grace period in which a 410 is not trusted
    cluster.act(desk, first_tab, action="send", conversation_id=conv, client_id="after", text="still there?")
    acks = [e for e in cluster.sender.events(first_tab, "ack") if e.get("client_id") == "after"]
    assert [a["status"] for a in acks] == ["sent"]
    assert cluster.sender.events(first_tab, "error") == []
    heard = [e["text"] for e in cluster.sender.events(agent, "message")]
    assert "still there?" in heard, cluster.sender.events(agent, "message")
    cluster.act(lobby_hub, agent, action="send", conversation_id=conv, client_id="reply", text="yes")
    assert "yes" in [e["text"] for e in cluster.sender.events(first_tab, "message")]
    assert cluster.sender.events(agent, "error") == []
    # Nothing of the closed tab is left subscribed once the conversation has been written to.
    pk = keys.conversation_pk("global", conv)
    subs = [i for i in ConversationItem.query(pk, consistent_read=True) if isinstance(i, Subscription)]
    assert closing not in [s.connection_id for s in subs]
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")  # it ran against the server
