"""Routing's pure rule (`work/routing.py`): who may get the next chat and in which order —
available agents under capacity, fewest open chats first, then whoever got a chat longest ago.
The outcomes on the store (who got which chat, the queue, vanished agents) are in
tests/integration/test_routing.py."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest

from chalicelib.live.events import ConversationReopened
from chalicelib.live.presence import PresenceRule
from chalicelib.platform.auth import Actor
from chalicelib.platform.errors import NotFound
from chalicelib.platform.observability import metrics
from chalicelib.store.keys import history_subject
from chalicelib.store.models import AgentPresence, Tenant
from chalicelib.work.routing import Candidate, candidates, capacity_of
from tests.unit.conftest import OTHER_WIDGET_KEY, WIDGET_KEY, Unit

NOW = 1_800_000_000.0


def agent(
    agent_id: str,
    open_chats: int | None = 0,
    last: float | None = None,
    capacity: int | None = None,
    status: str = "available",
    beat: float = NOW,
) -> AgentPresence:
    p = AgentPresence("global", agent_id, name=agent_id.title(), status=status, status_at=NOW - 60)
    p.heartbeat_at = beat
    p.open_chats = open_chats
    p.last_assigned_at = last
    p.capacity = capacity
    return p


def tenant(capacity: int) -> Tenant:
    t = Tenant("global", name="Global")
    t.chat_capacity = capacity
    return t


def order(presence: list[AgentPresence], t: Tenant | None = None) -> list[str]:
    return [c.agent_id for c in candidates(presence, t or tenant(3), PresenceRule(), NOW)]


def test_an_agents_own_capacity_else_the_tenants_else_three() -> None:
    assert capacity_of(agent("ana", capacity=5), tenant(2)) == 5
    assert capacity_of(agent("ana", capacity=0), tenant(2)) == 0  # their own 0 is not "unset"
    assert capacity_of(agent("ana"), tenant(2)) == 2
    assert capacity_of(agent("ana"), None) == 3


def test_fewest_open_chats_first_then_longest_since_the_last_then_by_id() -> None:
    team = [
        agent("cy", open_chats=2, last=NOW - 900),
        agent("bo", open_chats=1, last=NOW - 10),
        agent("ana", open_chats=1, last=NOW - 20),
        agent("dan", open_chats=None, last=None),  # never had a chat
        agent("eve", open_chats=1, last=NOW - 20),
    ]
    assert order(team) == ["dan", "ana", "eve", "bo", "cy"]
    [first, *_] = candidates(team, tenant(3), PresenceRule(), NOW)
    assert first == Candidate("dan", "Dan", 0, 3, 0.0)
    assert first.room == 3


def test_only_available_agents_with_room_are_candidates() -> None:
    team = [
        agent("ana", open_chats=3),  # full at the tenant's 3
        agent("bo", open_chats=2),  # one place left
        agent("cy", status="busy"),
        agent("dan", beat=NOW - 120),  # chose available but unreachable
        agent("eve", open_chats=4, capacity=5),  # her own capacity: one place left
        agent("fay", capacity=0),  # takes no chats
    ]
    assert order(team) == ["bo", "eve"]
    by_id = {c.agent_id: c for c in candidates(team, tenant(3), PresenceRule(), NOW)}
    assert (by_id["bo"].room, by_id["eve"].room) == (1, 1)
    assert order(team, tenant(10)) == ["bo", "ana", "eve"]
    assert order([]) == []


# ------------------------------------------------------------------ routing on the hub (fakes)
def places(unit: Unit, customer: str) -> list[int]:
    return [e["place"] for e in unit.sender.take(customer) if e["type"] == "queue"]


def owner(unit: Unit, conv: str) -> str | None:
    return unit.store.metas[("global", conv)].owner_id


def rewind(unit: Unit) -> None:
    """Tests that let minutes pass start in the past: PyJWT refuses a token issued in the future."""
    unit.clock.set(unit.clock.now() - 3600)


def test_waiting_customers_hear_their_place_and_it_moves_up(unit: Unit) -> None:
    rewind(unit)
    customers = [unit.connect_customer() for _ in range(3)]
    convs = []
    for c in customers:
        unit.clock.advance(1)
        conv = unit.start(c)
        unit.hub.live.handle(c, json.dumps({"action": "send", "conversation_id": conv, "client_id": "m", "text": "hi"}))
        convs.append(conv)
    assert [places(unit, c)[-1] for c in customers] == [1, 2, 3]
    assert [owner(unit, c) for c in convs] == [None, None, None]
    unit.store.tenants["global"].chat_capacity = 1
    unit.connect_agent("ana")  # available: she takes the first in line, the others move up
    assert [owner(unit, c) for c in convs] == ["sub-ana", None, None]
    assert [places(unit, c)[-1:] for c in customers[1:]] == [[1], [2]]
    assert unit.hub.live.ownership.timeline.store.queue("global", 100)[0].conversation_id == convs[1]


def test_nobody_jumps_the_queue(unit: Unit) -> None:
    waiting = unit.connect_customer()
    first = unit.started(waiting)
    unit.store.tenants["global"].chat_capacity = 1
    ana = unit.connect_agent("ana")
    assert owner(unit, first) == "sub-ana"
    unit.act(ana, action="presence", status="busy")
    second_customer = unit.connect_customer()
    second = unit.started(second_customer)  # nobody free: it waits
    unit.connect_agent("bo")  # Bo comes: the one waiting goes to him
    assert owner(unit, second) == "sub-bo"
    third = unit.started(unit.connect_customer())  # both full now: queued
    fourth = unit.started(unit.connect_customer())
    assert (owner(unit, third), owner(unit, fourth)) == (None, None)
    unit.store.tenants["global"].chat_capacity = 2
    unit.act(ana, action="presence", status="available")  # one more place each: first come first
    assert (owner(unit, third), owner(unit, fourth)) == ("sub-ana", "sub-bo")


def test_a_reopened_chat_goes_back_to_its_owner_while_they_are_here(unit: Unit) -> None:
    rewind(unit)
    unit.store.tenants["global"].chat_capacity = 2
    ana = unit.connect_agent("ana")
    customer = unit.connect_customer()
    conv = unit.started(customer)
    assert owner(unit, conv) == "sub-ana"
    unit.act(ana, action="close", conversation_id=conv)
    bo = unit.connect_agent("bo")
    unit.act(customer, action="send", conversation_id=conv, client_id="again", text="one more thing")
    assert owner(unit, conv) == "sub-ana" and unit.store.metas[("global", conv)].queued_at is None
    assert int(unit.store.presence[("global", "sub-ana")].open_chats) == 1
    unit.act(ana, action="close", conversation_id=conv)
    unit.hub.live.disconnect(ana)
    unit.clock.advance(unit.hub.routing.rule.grace + 1)  # Ana is gone now
    unit.act(bo, action="heartbeat")  # Bo is still here
    unit.act(customer, action="send", conversation_id=conv, client_id="again2", text="hello?")
    assert owner(unit, conv) == "sub-bo"
    assert int(unit.store.presence[("global", "sub-ana")].open_chats) == 0


def test_a_reopened_chat_whose_owner_left_the_directory_goes_to_someone_here(unit: Unit) -> None:
    """The owner's directory row was deleted (not just gone quiet): the chat is not held for
    them, and they are not written back into the directory."""
    rewind(unit)
    unit.store.tenants["global"].chat_capacity = 2
    ana = unit.connect_agent("ana")
    customer = unit.connect_customer()
    conv = unit.started(customer)
    assert owner(unit, conv) == "sub-ana"
    unit.act(ana, action="close", conversation_id=conv)
    unit.connect_agent("bo")
    del unit.store.presence[("global", "sub-ana")]  # an operator removed Ana; her socket is still open
    unit.act(customer, action="send", conversation_id=conv, client_id="back", text="are you there?")
    assert owner(unit, conv) == "sub-bo"
    assert ("global", "sub-ana") not in unit.store.presence
    assert int(unit.store.presence[("global", "sub-bo")].open_chats) == 1


def test_the_sweep_counts_what_it_did_and_reassign_needs_a_known_agent(unit: Unit) -> None:
    rewind(unit)
    unit.store.tenants["global"].chat_capacity = 2
    ana = unit.connect_agent("ana")
    convs = [unit.started(unit.connect_customer()) for _ in range(2)]
    unit.hub.live.disconnect(ana)
    routing = unit.hub.routing
    unit.clock.advance(routing.rule.grace + 1)
    metrics.clear_metrics()
    assert routing.sweep() == {"tenants": 2, "requeued": 2, "assigned": 0}
    assert float(sum(metrics.metric_set["ChatsRequeued"]["Value"])) == 2
    assert [owner(unit, c) for c in convs] == [None, None]
    bo = unit.connect_agent("bo")  # he takes both, first come first
    assert [owner(unit, c) for c in convs] == ["sub-bo", "sub-bo"]
    metrics.clear_metrics()
    assert routing.sweep() == {"tenants": 2, "requeued": 0, "assigned": 0}
    assert "ChatsRequeued" not in metrics.metric_set
    with pytest.raises(NotFound) as exc:
        routing.requeue_agent(Actor("global", "agent", "sub-bo", "Bo"), "sub-nobody")
    assert exc.value.message == "no agent 'sub-nobody' in this tenant"
    unit.act(bo, action="presence", status="busy")  # here, but takes no new chats
    assert routing.requeue_agent(Actor("global", "agent", "sub-ana", "Ana"), "sub-bo") == 2
    assert [owner(unit, c) for c in convs] == [None, None]  # nobody else here: they wait


def test_a_reopened_chat_nobody_owned_is_routed_and_a_vanished_owners_goes_back_to_its_place(unit: Unit) -> None:
    rewind(unit)
    first_customer, later_customer = unit.connect_customer(), unit.connect_customer()
    first = unit.started(first_customer)  # nobody has room: queued
    lobby = unit.connect_agent("bo")
    unit.act(lobby, action="close", conversation_id=first)  # closed while it waited
    unit.store.tenants["global"].chat_capacity = 1
    unit.act(first_customer, action="send", conversation_id=first, client_id="back", text="still there?")
    assert owner(unit, first) == "sub-bo"  # reopened without an owner: routed like a new chat
    # Bo vanishes; a later chat waits; when the first customer writes again after Bo is gone,
    # their chat goes back to the place it had, ahead of the later one.
    unit.act(lobby, action="close", conversation_id=first)
    unit.clock.advance(5)
    later = unit.started(later_customer)  # Bo's place is free again: he gets it
    assert owner(unit, later) == "sub-bo"
    unit.hub.live.disconnect(lobby)
    unit.clock.advance(unit.hub.routing.rule.grace + 1)
    unit.hub.routing.sweep()  # Bo's open chat (later) goes back to the queue
    assert owner(unit, later) is None
    unit.act(first_customer, action="send", conversation_id=first, client_id="again", text="hello?")
    waiting = [q.conversation_id for q in unit.hub.live.ownership.timeline.store.queue("global", 100)]
    assert waiting == [first, later]  # first started first: it waits ahead


def test_a_reopen_for_a_missing_or_closed_chat_changes_nothing(unit: Unit) -> None:
    rewind(unit)
    routing = unit.hub.routing
    routing.conversation_reopened(ConversationReopened("global", "c_nope"))  # nothing to do
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana = unit.connect_agent("ana")
    unit.act(ana, action="take", conversation_id=conv)
    unit.act(ana, action="close", conversation_id=conv)
    routing.conversation_reopened(ConversationReopened("global", conv))  # still closed: nothing
    assert (owner(unit, conv), unit.store.metas[("global", conv)].status) == ("sub-ana", "closed")


def test_the_sweep_adds_up_every_tenant_and_a_reassign_is_recorded_as_its_clicker(unit: Unit) -> None:
    rewind(unit)
    for tenant, key, name in (("global", WIDGET_KEY, "ana"), ("acme", OTHER_WIDGET_KEY, "zed")):
        unit.store.tenants[tenant].chat_capacity = 1
        agent = unit.connect_agent(name, tenant=tenant)
        unit.started(unit.connect_customer(key))
        unit.hub.live.disconnect(agent)
    unit.clock.advance(unit.hub.routing.rule.grace + 1)
    assert unit.hub.routing.sweep() == {"tenants": 2, "requeued": 2, "assigned": 0}
    bo = unit.connect_agent("bo")
    [conv] = [c for (t, c), m in unit.store.metas.items() if t == "global"]
    assert owner(unit, conv) == "sub-bo"
    unit.act(bo, action="presence", status="busy")
    moved = unit.hub.routing.requeue_agent(Actor("global", "agent", "sub-cy", "Cy"), "sub-bo")
    assert moved == 1 and owner(unit, conv) is None
    last = unit.store.histories[history_subject("global", "CONV", conv)][-1]
    assert (last.action, last.actor_id, last.actor_name) == ("requeue", "sub-cy", "Cy")


def test_a_vanished_agents_chat_goes_back_ahead_of_later_ones_and_the_sweep_drains(
    unit: Unit, caplog: pytest.LogCaptureFixture
) -> None:
    rewind(unit)
    unit.store.tenants["global"].chat_capacity = 1
    ana = unit.connect_agent("ana")
    first = unit.started(unit.connect_customer())
    unit.clock.advance(5)
    later = unit.started(unit.connect_customer())
    assert (owner(unit, first), owner(unit, later)) == ("sub-ana", None)  # she is full: it waits
    unit.hub.live.disconnect(ana)
    unit.clock.advance(unit.hub.routing.rule.grace + 1)
    metrics.clear_metrics()
    caplog.set_level(logging.INFO, logger="flow-hub")
    assert unit.hub.routing.sweep() == {"tenants": 2, "requeued": 1, "assigned": 0}
    waiting = [q.conversation_id for q in unit.hub.live.ownership.timeline.store.queue("global", 100)]
    assert waiting == [first, later]  # back at the place it had
    assert metrics.metric_set["ChatsRequeued"]["Unit"] == "Count"
    [line] = [r for r in caplog.records if r.getMessage() == "vanished agents' chats requeued"]
    assert (line.levelname, line.requeued, line.tenants) == ("INFO", 1, 2)  # type: ignore[attr-defined]
    # places that free up without an event (capacity raised by hand): the next sweep gives
    # them out, in every tenant, and says how many
    unit.store.tenants["acme"].chat_capacity = 0
    unit.connect_agent("zed", tenant="acme")
    unit.started(unit.connect_customer(OTHER_WIDGET_KEY))  # nobody has room: it waits
    unit.connect_agent("bo")  # he takes the first waiting chat at once (capacity 1)
    unit.store.tenants["global"].chat_capacity = 2
    unit.store.tenants["acme"].chat_capacity = 1
    assert unit.hub.routing.sweep() == {"tenants": 2, "requeued": 0, "assigned": 2}
    assert (owner(unit, first), owner(unit, later)) == ("sub-bo", "sub-bo")


def waiting_customers(unit: Unit, n: int) -> list[str]:
    """`n` customers whose chats wait, a second apart, with no agent online; from now on an agent
    takes 1 chat (the tenant's capacity). What they were sent so far is dropped."""
    rewind(unit)
    customers = [unit.connect_customer() for _ in range(n)]
    for c in customers:
        unit.clock.advance(1)
        conv = unit.start(c)
        unit.hub.live.handle(c, json.dumps({"action": "send", "conversation_id": conv, "client_id": "m", "text": "hi"}))
    for c in customers:
        unit.sender.take(c)
    unit.store.tenants["global"].chat_capacity = 1
    return customers


def test_each_waiting_customer_hears_their_new_place_once(unit: Unit) -> None:
    customers = waiting_customers(unit, 3)
    ana = unit.connect_agent("ana")  # takes the first: the other two move up, told once each
    assert [places(unit, c) for c in customers[1:]] == [[1], [2]]
    [first_conv] = [c for (_, c), m in unit.store.metas.items() if m.owner_id == "sub-ana"]
    unit.act(ana, action="close", conversation_id=first_conv)  # her place frees: the next is hers
    assert [places(unit, c) for c in customers[1:]] == [[], [1]]


def test_every_waiting_customers_place_is_in_flight_at_once(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> None:
    """A queue move tells each waiting customer their place. One post after another, 50 waiting
    customers took 50 posts' round trips (~0.75 s at 15 ms a post, `bench.fanout` "queue moves").
    Here each `queue` post waits until all of them are in flight: one by one, the first waits
    for the others in vain, times out and fails, and nobody hears their place."""
    customers = waiting_customers(unit, 6)
    all_in_flight = threading.Barrier(len(customers) - 1, timeout=5)
    post = unit.sender._post_bytes

    def post_when_all_are_in_flight(connection_id: str, data: bytes) -> bool:
        if json.loads(data)["type"] == "queue":
            all_in_flight.wait()
        return post(connection_id, data)

    monkeypatch.setattr(unit.sender, "_post_bytes", post_when_all_are_in_flight)
    unit.connect_agent("ana")  # takes the first: the other five move up, told all at once
    assert [places(unit, c) for c in customers[1:]] == [[1], [2], [3], [4], [5]]


def test_a_queue_move_reads_each_waiting_customers_connections_all_at_once(
    unit: Unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each waiting customer's own index entries (AP-C3), one Query each, all in flight at once:
    one after another, 49 took ~240 ms at 5 ms a call. Never every customer connection of the
    tenant, which grows with every open widget, not with the queue. A customer who is no longer
    waiting, and another tenant's customer, hear nothing."""
    customers = waiting_customers(unit, 6)
    elsewhere = unit.connect_customer(OTHER_WIDGET_KEY)
    unit.started(elsewhere)
    unit.sender.take(elsewhere)
    all_in_flight = threading.Barrier(len(customers) - 1, timeout=5)
    read: list[tuple[str, str]] = []  # (how, role) of every read of connections
    for how in ("tenant_users_online", "user_connections"):
        real = getattr(unit.store, how)

        def reading(*args: str, how: str = how, real: Any = real) -> Any:
            read.append((how, args[1]))
            if args[1] == "customer":
                all_in_flight.wait()
            return real(*args)

        monkeypatch.setattr(unit.store, how, reading)
    unit.connect_agent("ana")  # takes the first: five move up
    assert [places(unit, c) for c in customers] == [[], [1], [2], [3], [4], [5]]
    assert places(unit, elsewhere) == []
    assert [r for r in read if r[1] == "customer"] == [("user_connections", "customer")] * 5


def test_a_waiting_customer_whose_connections_cannot_be_read_does_not_keep_the_others_from_their_place(
    unit: Unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    customers = waiting_customers(unit, 6)
    unreadable = unit.store.connections[customers[3]].user_id
    real = unit.store.user_connections

    def user_connections(tenant: str, role: str, user_id: str) -> list[str]:
        if user_id == unreadable:
            raise RuntimeError("throttled")
        return real(tenant, role, user_id)

    monkeypatch.setattr(unit.store, "user_connections", user_connections)
    unit.connect_agent("ana")
    assert [places(unit, c) for c in customers] == [[], [1], [2], [], [4], [5]]


def test_a_chat_taken_meanwhile_is_not_counted_as_moved(unit: Unit) -> None:
    rewind(unit)
    unit.store.tenants["global"].chat_capacity = 2
    ana = unit.connect_agent("ana")
    convs = [unit.started(unit.connect_customer()) for _ in range(2)]
    assert [owner(unit, c) for c in convs] == ["sub-ana", "sub-ana"]
    unit.act(ana, action="presence", status="busy")
    bo = unit.connect_agent("bo")
    unit.act(bo, action="presence", status="busy")

    def bo_takes_the_first() -> None:
        unit.act(bo, action="take", conversation_id=convs[0], expect_owner="sub-ana")

    unit.store.before_next("change_owner", bo_takes_the_first)
    assert unit.hub.routing.requeue_agent(Actor("global", "agent", "sub-bo", "Bo"), "sub-ana") == 1
    assert [owner(unit, c) for c in convs] == ["sub-bo", None]


def test_a_chat_goes_straight_to_a_free_agent_but_never_past_someone_waiting(unit: Unit) -> None:
    rewind(unit)
    unit.store.tenants["global"].chat_capacity = 1
    unit.connect_agent("ana")
    metrics.clear_metrics()
    customer = unit.connect_customer()
    conv = unit.start(customer)
    heard = unit.act(customer, action="send", conversation_id=conv, client_id="m", text="hi")
    assert owner(unit, conv) == "sub-ana"
    assert [e for e in heard + unit.sender.take(customer) if e["type"] == "queue"] == []  # never waited
    assert records(unit, conv) == [("route", "routing", "Routing", "nobody → Ana (sub-ana)")]
    assert "ConversationsQueued" not in metrics.metric_set
    assert float(sum(metrics.metric_set["ConversationsAssigned"]["Value"])) == 1
    waiting = unit.started(unit.connect_customer())  # Ana is full: it waits
    unit.store.tenants["global"].chat_capacity = 2  # a place frees without an event
    unit.clock.advance(1)
    newcomer = unit.started(unit.connect_customer())  # Ana has room, but someone waits first
    assert (owner(unit, waiting), owner(unit, newcomer)) == ("sub-ana", None)
    assert unit.hub.routing.route("global", "c_nope") is None
    assert unit.hub.routing.route("global", conv) is None  # owned already: nothing to route
    before = records(unit, newcomer)
    assert unit.hub.routing.route("global", newcomer) is None  # waiting already: not queued twice
    assert records(unit, newcomer) == before and [r[0] for r in before] == ["queue"]


def records(unit: Unit, conv: str) -> list[tuple[str, str, str, str]]:
    return [
        (h.action, h.actor_id, h.actor_name, h.detail)
        for h in unit.store.histories[history_subject("global", "CONV", conv)]
    ]


def test_one_drain_shares_the_waiting_chats_out_in_turn_up_to_capacity(unit: Unit) -> None:
    rewind(unit)
    unit.connect_agent("ana")
    unit.connect_agent("bo")
    convs = []
    for _ in range(5):
        unit.clock.advance(1)
        convs.append(unit.started(unit.connect_customer()))  # nobody has room yet: all wait
    unit.store.tenants["global"].chat_capacity = 2  # places free without an event
    assert unit.hub.routing.sweep()["assigned"] == 4
    assert [owner(unit, c) for c in convs] == ["sub-ana", "sub-bo", "sub-ana", "sub-bo", None]
    loads = [int(unit.store.presence[("global", a)].open_chats) for a in ("sub-ana", "sub-bo")]
    assert loads == [2, 2]


def test_a_place_lost_to_another_router_goes_to_the_next_agent(unit: Unit) -> None:
    rewind(unit)
    unit.connect_agent("ana")
    unit.connect_agent("bo")
    conv = unit.started(unit.connect_customer())
    unit.store.tenants["global"].chat_capacity = 1

    def another_router_fills_anas_place() -> None:
        unit.store.presence[("global", "sub-ana")].open_chats = 1

    unit.store.before_next("change_owner", another_router_fills_anas_place)
    assert unit.hub.routing.sweep()["assigned"] == 1
    assert owner(unit, conv) == "sub-bo"  # Ana was first in line, but full by the time it was written
    assert int(unit.store.presence[("global", "sub-ana")].open_chats) == 1  # never over her capacity


def test_equal_loads_go_to_whoever_had_a_chat_longest_ago_within_one_drain(unit: Unit) -> None:
    rewind(unit)
    unit.store.tenants["global"].chat_capacity = 1
    ana = unit.connect_agent("ana")
    unit.started(unit.connect_customer())  # Ana's one chat, ten minutes ago
    unit.clock.advance(600)
    unit.act(ana, action="heartbeat")
    unit.connect_agent("bo")
    unit.store.tenants["global"].chat_capacity = 0  # nobody has room: these wait
    waiting = [unit.started(unit.connect_customer()) for _ in range(2)]
    unit.store.tenants["global"].chat_capacity = 2
    metrics.clear_metrics()
    assert unit.hub.routing.sweep()["assigned"] == 2
    # Bo (no chat) first; then both have one, and Ana's came longer ago: hers
    assert [owner(unit, c) for c in waiting] == ["sub-bo", "sub-ana"]
    assert metrics.metric_set["ConversationsAssigned"]["Unit"] == "Count"


def _snapshots(unit: Unit, connection: str) -> list[dict[str, object]]:
    return [e["conversation"] for e in unit.sender.take(connection) if e["type"] == "conversation"]


def _first_line(unit: Unit) -> str:
    """A customer's conversation, started by their first line (what the agents are told about)."""
    customer = unit.connect_customer()
    conv = unit.start(customer)
    unit.sender.sent.clear()
    unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hello?")
    return conv


def test_a_new_chat_routed_at_once_reaches_every_agent_once_already_assigned(unit: Unit) -> None:
    unit.store.tenants["global"].chat_capacity = 2
    ana = unit.connect_agent("ana")  # available, with room: routing gives her the chat
    bo = unit.connect_agent("bo")
    unit.act(bo, action="presence", status="busy")
    conv = _first_line(unit)
    assert owner(unit, conv) == "sub-ana"
    for agent_connection in (ana, bo):
        [snapshot] = _snapshots(unit, agent_connection)  # not unowned first and then assigned
        assert snapshot["id"] == conv and snapshot["owner"]["id"] == "sub-ana"  # type: ignore[index]


def test_a_new_chat_nobody_can_take_reaches_every_agent_once_queued(unit: Unit) -> None:
    bo = unit.connect_agent("bo")
    unit.act(bo, action="presence", status="busy")
    conv = _first_line(unit)
    assert owner(unit, conv) is None and unit.store.metas[("global", conv)].queued_at is not None
    [snapshot] = _snapshots(unit, bo)
    assert snapshot["id"] == conv and snapshot["owner"] is None


def test_a_new_chat_is_announced_even_when_routing_fails(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(tenant_id: str, conversation_id: str) -> None:
        raise RuntimeError("routing is down")

    monkeypatch.setattr(unit.hub.routing, "route", broken)
    bo = unit.connect_agent("bo")
    conv = _first_line(unit)
    [snapshot] = _snapshots(unit, bo)  # the listener failed; its starter still tells the agents
    assert snapshot["id"] == conv and snapshot["owner"] is None


def test_a_reopened_chat_nobody_can_take_is_queued_and_announced_once_from_any_thread(unit: Unit) -> None:
    """The customer writes into their closed chat; nobody has room, so routing queues it again.
    The reopen already told every agent: the queueing tells nobody a second time. It runs on a
    thread no chat ever started on, as the next invocation of a warm container may."""
    import threading

    bo = unit.connect_agent("bo")
    unit.act(bo, action="presence", status="busy")
    conv = _first_line(unit)
    customer = next(c for c in unit.store.connections if c.startswith("cust"))
    unit.act(bo, action="close", conversation_id=conv)
    unit.sender.sent.clear()
    metrics.clear_metrics()
    line = {"action": "send", "conversation_id": conv, "client_id": "c2", "text": "hi?"}
    worker = threading.Thread(target=unit.act, args=(customer,), kwargs=line)
    worker.start()
    worker.join()
    meta = unit.store.metas[("global", conv)]
    assert meta.status == "open" and meta.owner_id is None and meta.queued_at is not None
    [snapshot] = _snapshots(unit, bo)
    assert snapshot["id"] == conv and snapshot["status"] == "open"
    assert "ListenerFailures" not in metrics.metric_set
    metrics.clear_metrics()
