"""Routing on the whole hub (moto in-process, a manual clock): explicit ownership, fewest-open
assignment under capacity, the queue with live places, vanished agents' chats back to the queue,
and the widgets told only when availability flips (issue 10: items 2, 4, 5 and "Assignment and
capacity"). The races run against a moto server: tests/integration/test_routing_races.py."""

from __future__ import annotations

from typing import Any

from chalicelib.live.presence import REASSIGN_GRACE_SECONDS
from chalicelib.store.keys import history_subject
from chalicelib.store.models import ConversationMeta, Message
from chalicelib.store.work_models import HistoryEntry
from tests.integration.conftest import Harness, Work


def meta(hub: Harness, conv: str) -> ConversationMeta:
    state = hub.lane.timeline.store.load_conversation("global", conv, hub.clock.now())
    assert state is not None
    return state.meta


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def lines(conv: str) -> list[tuple[str | None, str]]:
    return [(m.code, m.text) for m in Message.query(f"T#global#C#{conv}") if m.kind == "system"]


def load(work: Work, agent_id: str) -> int:
    p = work.hub.lane.connections.store.get_presence("global", agent_id)
    assert p is not None
    return int(p.open_chats)


def test_reading_changes_nothing_and_tells_the_customer_nothing(work: Work) -> None:
    hub = work.hub
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    ana, _ = work.agent("ana")
    [sync] = hub.act(ana, action="sync", conversation_id=conv, since=0)
    assert sync["conversation"]["owner"] is None and sync["conversation"]["participants"][0]["role"] == "customer"
    assert [e for e in hub.sender.take(customer) if e["type"] in ("message", "conversation")] == []
    assert meta(hub, conv).owner_id is None and lines(conv) == []


def test_opening_the_widget_starts_nothing_the_first_message_does(work: Work) -> None:
    hub = work.hub
    hub.capacity(2)
    ana_conn, ana = work.agent("ana")
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    assert of_type(hub.sender.take(ana_conn), "conversation") == []  # nobody is alerted
    assert hub.lane.timeline.store.list_conversations("global", 10) == []  # not in the inbox
    assert work.counters.view("global").active_chats == 0
    hub.act(customer, action="send", conversation_id=conv, client_id="q", text="Do you ship to Norway?")
    [assigned] = of_type(hub.sender.take(ana_conn), "assigned")
    assert assigned["agent"] == {"id": ana.id, "name": "Ana"} and assigned["reason"] == "route"
    assert work.counters.view("global").active_chats == 1
    assert [m.conversation_id for m in hub.lane.timeline.store.list_conversations("global", 10)] == [conv]


def test_fewest_open_chats_first_then_longest_since_the_last_one(work: Work) -> None:
    hub = work.hub
    hub.capacity(2)
    _, ana = work.agent("ana")
    _, bo = work.agent("bo")
    owners = []
    customers = [hub.connect_customer()[0] for _ in range(5)]  # sessions first: tokens carry real iat
    for customer in customers[:4]:
        conv = hub.started(customer)
        owners.append(meta(hub, conv).owner_name)
        hub.clock.advance(1)
    # Equal loads take turns (the first pick between two idle agents is by id); a fifth chat
    # finds both at their capacity of 2.
    assert set(owners[:2]) == {"Ana", "Bo"} and owners[2:] == owners[:2]
    assert (load(work, ana.id), load(work, bo.id)) == (2, 2)
    conv = hub.started(customers[4])
    assert meta(hub, conv).owner_id is None and meta(hub, conv).queued_at is not None


def test_everyone_full_queues_the_customer_who_hears_their_place_live(work: Work) -> None:
    hub = work.hub
    hub.capacity(1)
    ana_conn, ana = work.agent("ana")
    first, _ = hub.connect_customer()
    served = hub.started(first)
    assert meta(hub, served).owner_id == ana.id
    waiting = []
    for n, customer in enumerate([hub.connect_customer()[0] for _ in range(2)]):
        hub.clock.advance(1)
        conv = hub.start(customer)
        events = hub.act(customer, action="send", conversation_id=conv, client_id="m", text=f"waiting {n}")
        assert of_type(events, "queue") == [{"type": "queue", "conversation_id": conv, "place": n + 1}]
        waiting.append((customer, conv))
    # A reload tells the place too.
    [resumed] = hub.act(waiting[1][0], action="start", conversation_id=waiting[1][1])
    assert resumed["conversation"]["queued"] is True and resumed["conversation"]["queue_place"] == 2

    hub.act(ana_conn, action="close", conversation_id=served)  # Ana's place frees up
    assert meta(hub, waiting[0][1]).owner_id == ana.id
    assert of_type(hub.sender.take(waiting[1][0]), "queue")[-1]["place"] == 1
    assert any(
        e["conversation"]["owner"] == {"id": ana.id, "name": "Ana"}
        for e in of_type(hub.sender.take(waiting[0][0]), "conversation")
    )


def test_an_agent_becoming_available_takes_from_the_queue(work: Work) -> None:
    hub = work.hub
    hub.capacity(3)
    ana_conn, ana = work.agent("ana")
    hub.act(ana_conn, action="presence", status="away")
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    assert meta(hub, conv).queued_at is not None
    hub.act(ana_conn, action="presence", status="available")
    assert meta(hub, conv).owner_id == ana.id and meta(hub, conv).queued_at is None


def test_take_help_and_assign_are_explicit_and_recorded(work: Work) -> None:
    hub = work.hub
    ana_conn, ana = work.agent("ana")
    bo_conn, bo = work.agent("bo")
    cy_conn, _ = work.agent("cy")
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    hub.sender.take(ana_conn)  # colleagues' presence

    [snap] = [e for e in hub.act(ana_conn, action="take", conversation_id=conv) if e["type"] == "conversation"]
    assert snap["conversation"]["owner"]["id"] == ana.id and load(work, ana.id) == 1
    # Bo saw it unowned and clicks take a moment later: one owner, and Bo is told who.
    hub.sender.take(bo_conn)
    hub.sender.take(cy_conn)
    [err] = hub.act(bo_conn, action="take", conversation_id=conv)
    assert err["code"] == "conflict" and "Ana already owns" in err["message"]
    # Helping changes no owner.
    [snap] = hub.act(cy_conn, action="join", conversation_id=conv)
    assert snap["conversation"]["owner"]["id"] == ana.id
    roles = {p["name"]: p["agent_role"] for p in snap["conversation"]["participants"] if p["role"] == "agent"}
    assert roles == {"Ana": "owner", "Cy": "helper"}
    # Ana hands it to Bo; Bo's dashboards hear it is theirs.
    hub.sender.take(bo_conn)
    hub.sender.take(ana_conn)
    hub.act(ana_conn, action="assign", conversation_id=conv, agent_id=bo.id, expect_owner=ana.id)
    [assigned] = of_type(hub.sender.take(bo_conn), "assigned")
    assert assigned["agent"]["id"] == bo.id and assigned["by"]["name"] == "Ana" and assigned["reason"] == "assign"
    assert (load(work, ana.id), load(work, bo.id)) == (0, 1)
    [err] = [
        e for e in hub.act(ana_conn, action="assign", conversation_id=conv, agent_id="nobody") if e["type"] == "error"
    ]
    assert err["code"] == "not_found"
    # Taking it over means naming the owner one saw.
    hub.act(ana_conn, action="take", conversation_id=conv, expect_owner=bo.id)
    assert meta(hub, conv).owner_id == ana.id

    codes = [code for code, _ in lines(conv)]
    assert codes == ["agent_joined", "agent_joined", "agent_assigned", "agent_took_over"]
    history = list(HistoryEntry.query(history_subject("global", "CONV", conv)))
    assert [(h.action, h.actor_name) for h in history] == [
        ("queue", "Routing"),  # nobody had a free place when the customer wrote
        ("take", "Ana"),
        ("assign", "Ana"),
        ("takeover", "Ana"),
    ]
    assert history[2].detail == f"Ana ({ana.id}) → Bo ({bo.id})"


def test_a_vanished_agents_chats_go_back_to_the_queue_after_the_grace_period_once(work: Work) -> None:
    hub = work.hub
    hub.capacity(1)
    ana_conn, ana = work.agent("ana")
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    assert meta(hub, conv).owner_id == ana.id
    hub.lane.disconnect(ana_conn)  # closed the tab

    hub.clock.advance(REASSIGN_GRACE_SECONDS - 10)  # a reload would be back by now: wait
    assert work.hub.built.routing.sweep()["requeued"] == 0 and meta(hub, conv).owner_id == ana.id
    hub.clock.advance(20)
    assert work.hub.built.routing.sweep()["requeued"] == 1
    assert work.hub.built.routing.sweep()["requeued"] == 0  # scheduled events arrive twice
    back = meta(hub, conv)
    assert back.owner_id is None and back.queued_at is not None and load(work, ana.id) == 0
    assert lines(conv)[-1] == (
        "agent_left",
        "Ana is no longer available; you're back in the queue and the next free agent will answer",
    )
    assert of_type(hub.sender.take(customer), "queue")[-1]["place"] == 1
    # Bo arrives and gets it.
    _, bo = work.agent("bo")
    assert meta(hub, conv).owner_id == bo.id


def test_recovery_mode_gives_a_vanished_agents_chats_back_at_once(work: Work) -> None:
    hub = work.hub
    hub.capacity(1)
    ana_conn, ana = work.agent("ana")
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    work.mode.set(ana, "recovery")
    hub.lane.disconnect(ana_conn)
    hub.clock.advance(1)
    assert work.hub.built.routing.sweep()["requeued"] == 1 and meta(hub, conv).owner_id is None


def test_reassign_their_chats_clears_the_named_blocker(work: Work) -> None:
    hub = work.hub
    hub.capacity(2)
    ana_conn, ana = work.agent("ana")
    for _ in range(2):
        c, _ = hub.connect_customer()
        hub.started(c)
    hub.lane.disconnect(ana_conn)
    hub.clock.advance(60)
    _, bo = work.agent("bo")
    hub.act(hub.connect_agent("bo"), action="presence", status="busy")  # Bo is here but takes no chats
    [blocker] = [b for b in work.command.snapshot("global").launch.blockers if b.code == "presence_drift"]
    assert blocker.message == "Ana dropped off 1 minute ago with 2 open chats; reassign their chats."
    assert blocker.agents[0].id == ana.id and blocker.fix == "reassign"
    assert work.hub.built.routing.requeue_agent(bo, ana.id) == 2
    codes = [b.code for b in work.command.snapshot("global").launch.blockers]
    assert "presence_drift" not in codes


def test_widgets_hear_availability_only_when_it_flips(work: Work) -> None:
    hub = work.hub
    customers = [hub.connect_customer()[0] for _ in range(2)]
    ana_conn, _ = work.agent("ana")
    for c in customers:
        [flip] = of_type(hub.sender.take(c), "availability")
        assert flip == {
            "type": "availability",
            "agents_available": True,
            "offer": "chat",
            "mode": "ready",
            "open": True,  # no business hours set: open around the clock
            "next_open_at": None,
        }
    bo_conn, _ = work.agent("bo")
    hub.act(bo_conn, action="presence", status="busy")
    hub.act(bo_conn, action="presence", status="available")
    hub.lane.disconnect(ana_conn)  # Bo is still here: no flip, nobody told
    assert [of_type(hub.sender.take(c), "availability") for c in customers] == [[], []]
    hub.lane.disconnect(bo_conn)  # now nobody can answer
    for c in customers:
        assert of_type(hub.sender.take(c), "availability") == [
            {
                "type": "availability",
                "agents_available": False,
                "offer": "callback",
                "mode": "ready",
                "open": True,
                "next_open_at": None,
            }
        ]
    assert work.hub.built.availability.check("global") is False  # told once, not again


def test_heartbeats_that_silently_stop_flip_the_widgets_at_the_next_sweep(work: Work) -> None:
    hub = work.hub
    _, _ = work.agent("ana")
    customer, _ = hub.connect_customer()
    hub.sender.take(customer)
    hub.clock.advance(hub.built.rule.window + 1)  # no $disconnect: the browser froze
    work.drift.sweep()
    [flip] = of_type(hub.sender.take(customer), "availability")
    assert flip["agents_available"] is False and flip["offer"] == "callback"
