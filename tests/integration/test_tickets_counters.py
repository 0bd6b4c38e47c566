"""Tickets, hub counters and their recompute, the drift sweep, mode and launch — on a manual clock."""

from __future__ import annotations

import json

import msgspec
import pytest

from chalicelib.hub.drift import TYPING_STALE_SECONDS
from chalicelib.hub.mode import LaunchBlocked
from chalicelib.platform.errors import AlreadyTaken, InvalidAction
from chalicelib.platform.observability import metrics
from chalicelib.store.work_models import Callback, HubCounters
from chalicelib.work.escalation import escalate_overdue
from tests.integration.conftest import Work

MINUTE = 60.0


def counters(work: Work) -> dict[str, int]:
    result: dict[str, int] = msgspec.to_builtins(work.counters.view("global"))
    return result


def test_ticket_from_a_conversation_moves_through_its_statuses_with_history(work: Work) -> None:
    hub = work.hub
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    _, ana = work.agent("ana")
    _, bo = work.agent("bo")
    ticket = work.tickets.create(ana, "Refund for order 1042", conv)
    assert ticket.owner_id == ana.id and ticket.customer_id is not None and ticket.conversation_id == conv
    assert counters(work)["open_tickets"] == 1

    with pytest.raises(InvalidAction, match="waiting_on"):
        work.tickets.change(ana, ticket.ticket_id, status="waiting_internal")
    work.tickets.change(ana, ticket.ticket_id, status="waiting_internal", waiting_on="Finance")
    assert counters(work)["waiting_internal"] == 1
    work.tickets.change(ana, ticket.ticket_id, owner=(bo.id, bo.name))
    work.tickets.change(bo, ticket.ticket_id, status="waiting_customer")
    assert counters(work) | {} == counters(work) and counters(work)["waiting_internal"] == 0

    # The customer's reply reopens the ticket that waits on them.
    hub.act(customer, action="send", conversation_id=conv, client_id="r1", text="Here is my receipt")
    reopened, history = work.tickets.get(ana, ticket.ticket_id)
    assert reopened.status == "open"
    assert [h.action for h in history] == ["created", "status", "waiting_on", "owner", "status", "status"]
    assert history[3].detail == "owner Ana → Bo" and "customer replied" in history[-1].detail

    work.tickets.change(bo, ticket.ticket_id, status="solved")
    assert counters(work)["open_tickets"] == 0
    assert work.store.open_tickets("global") == []


def test_a_reply_reopens_only_a_ticket_waiting_on_the_customer(work: Work) -> None:
    hub = work.hub
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    _, ana = work.agent("ana")
    ticket = work.tickets.create(ana, "Address change", conv)
    work.tickets.change(ana, ticket.ticket_id, status="waiting_internal", waiting_on="Logistics")
    hub.act(customer, action="send", conversation_id=conv, client_id="r1", text="any news?")
    assert work.tickets.get(ana, ticket.ticket_id)[0].status == "waiting_internal"


def test_standalone_ticket_and_bad_input(work: Work) -> None:
    _, ana = work.agent("ana")
    ticket = work.tickets.create(ana, "Printer on floor 3 is down", None)
    assert ticket.conversation_id is None and ticket.status == "open"
    with pytest.raises(InvalidAction):
        work.tickets.create(ana, "   ", None)
    with pytest.raises(InvalidAction):
        work.tickets.change(ana, ticket.ticket_id, status="lost")


def test_counters_match_stored_data_and_recompute_repairs_drift_idempotently(work: Work) -> None:
    hub = work.hub
    _, ana = work.agent("ana")
    for _ in range(3):
        c, _ = hub.connect_customer()
        hub.started(c)
    idle, _ = hub.connect_customer()
    hub.start(idle)  # opened the widget, said nothing: no active chat (issue 10, item 4)
    work.tickets.create(ana, "One", None)
    assert counters(work) | {"agents_available": 0} == {
        "open_tickets": 1,
        "waiting_internal": 0,
        "callback_queued": 0,
        "callback_overdue": 0,
        "active_chats": 3,
        "agents_available": 0,
    }
    # Something lost a write: the stored counters drift.
    HubCounters("global").update(actions=[HubCounters.open_tickets.set(7), HubCounters.active_chats.set(0)])
    first = work.counters.recompute()
    assert first["drift"] == 6 + 3
    assert counters(work)["open_tickets"] == 1 and counters(work)["active_chats"] == 3
    second = work.counters.recompute()
    assert second["drift"] == 0 and counters(work)["open_tickets"] == 1


def test_closing_a_chat_leaves_the_active_count(work: Work) -> None:
    hub = work.hub
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    assert counters(work)["active_chats"] == 0  # opening the widget starts nothing
    hub.act(customer, action="send", conversation_id=conv, client_id="hi", text="Hi")
    agent, _ = work.agent("ana")
    hub.act(agent, action="take", conversation_id=conv)
    assert counters(work)["active_chats"] == 1
    [snap] = [e for e in hub.act(agent, action="close", conversation_id=conv) if e["type"] == "conversation"]
    assert snap["conversation"]["status"] == "closed"
    assert counters(work)["active_chats"] == 0
    hub.act(agent, action="close", conversation_id=conv)  # closing twice changes nothing
    assert counters(work)["active_chats"] == 0
    hub.act(customer, action="send", conversation_id=conv, client_id="back", text="One more thing")
    assert counters(work)["active_chats"] == 1  # the customer's message reopens it
    state = hub.lane.timeline.store.load_conversation("global", conv, hub.clock.now())
    assert state is not None and state.meta.status == "open"


def test_drift_sweep_marks_silent_agents_and_clears_stuck_typing(work: Work) -> None:
    hub = work.hub
    ana_conn, ana = work.agent("ana")
    bo_conn, bo = work.agent("bo")
    hub.act(ana_conn, action="presence", status="available")
    hub.act(bo_conn, action="presence", status="available")
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    hub.act(ana_conn, action="take", conversation_id=conv)  # ana owns a chat when she drops off
    hub.act(bo_conn, action="join", conversation_id=conv)
    hub.act(customer, action="typing", conversation_id=conv, state="start")
    for c in (ana_conn, bo_conn):
        hub.sender.take(c)

    hub.clock.advance(2 * MINUTE)  # ana's heartbeats stopped; bo keeps sending them
    hub.act(bo_conn, action="heartbeat")
    version_before = hub.lane.connections.store.get_presence("global", ana.id).version  # type: ignore[union-attr]
    stats = work.drift.sweep()
    # Ana's tab is still open (only her heartbeats stopped): two agent tabs and one customer.
    assert stats == {
        "presence_drift": 1,
        "typing_cleared": 1,
        "tenants": 2,
        "agent_connections": 2,
        "customer_connections": 1,
    }
    presence = {p.agent_id: p for p in hub.lane.connections.store.tenant_presence("global")}
    assert presence[ana.id].drift_status == "away" and presence[ana.id].status == "available"  # choice remembered
    assert presence[bo.id].drift_status is None
    seen = hub.sender.take(bo_conn)
    [drifted] = [e for e in seen if e["type"] == "presence" and e["agent"]["id"] == ana.id]
    assert drifted["reachable"] is False
    # The sweep's write moved Ana's presence version on, and its event says so: a dashboard that
    # heard her last change (version one lower) takes this one over it.
    assert drifted["version"] == presence[ana.id].version == version_before + 1
    [stopped] = [e for e in seen if e["type"] == "typing"]
    assert stopped["state"] == "stop" and stopped["by"]["role"] == "customer"
    pressure = work.command.pressure("global")
    assert pressure.presence_drift == 1 and [a.name for a in pressure.lost_agents] == ["Ana"]
    assert pressure.agents_available == 1  # a silent agent is never counted

    again = work.drift.sweep()  # a duplicate run changes nothing and tells no one
    assert again["typing_cleared"] == 0 and hub.sender.take(bo_conn) == []

    hub.act(ana_conn, action="heartbeat")  # ana is back: reachable again, drift is history
    assert work.command.pressure("global").presence_drift == 0

    hub.clock.advance(10 * MINUTE)  # past the grace period: gone, no longer a blocker
    hub.act(bo_conn, action="heartbeat")
    work.drift.sweep()
    assert hub.lane.connections.store.get_presence("global", ana.id).drift_status == "offline"  # type: ignore[union-attr]
    assert work.command.pressure("global").presence_drift == 0


def test_typing_refreshed_recently_is_not_cleared(work: Work) -> None:
    hub = work.hub
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    hub.act(customer, action="typing", conversation_id=conv, state="start")
    hub.clock.advance(TYPING_STALE_SECONDS - 1)
    assert work.drift.sweep()["typing_cleared"] == 0


def test_go_live_needs_a_clean_launch_check_and_recovery_is_always_allowed(work: Work) -> None:
    hub = work.hub
    ana_conn, ana = work.agent("ana")
    hub.act(ana_conn, action="presence", status="away")
    with pytest.raises(LaunchBlocked) as blocked:
        work.mode.set(ana, "live")  # nobody is available
    assert [b.code for b in blocked.value.decision.blockers] == ["no_agent_available"]
    hub.act(ana_conn, action="presence", status="available")
    snap = work.command.snapshot("global")
    assert msgspec.to_builtins(snap.launch) == {"ready": True, "headline": "Ready for handoff", "blockers": []}
    live = work.mode.set(ana, "live")
    assert live.mode.mode == "live" and live.mode.by == "Ana"
    work.mode.set(ana, "recovery")
    assert [h.change for h in work.mode.history("global")] == ["ready → live", "live → recovery"]
    with pytest.raises(InvalidAction):
        work.mode.set(ana, "party")


def test_next_move_follows_the_pressure(work: Work) -> None:
    hub = work.hub
    ana_conn, ana = work.agent("ana")
    hub.act(ana_conn, action="presence", status="available")
    assert work.command.snapshot("global").next_move.lane == "live_chat"
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    hub.act(customer, action="send", conversation_id=conv, client_id="q1", text="Hello?")
    move = msgspec.to_builtins(work.command.snapshot("global").next_move)
    assert (move["lane"], move["rule"]) == ("live_chat", "unanswered_chats")
    hub.act(ana_conn, action="take", conversation_id=conv)
    hub.act(ana_conn, action="send", conversation_id=conv, client_id="a1", text="Hi!")
    cb = work.callbacks.request(work.customer_actor(customer), "+46701234567", None, "asap", None, conv)
    assert work.command.snapshot("global").next_move.rule == "queued_callbacks"
    hub.clock.advance(16 * MINUTE)
    hub.act(ana_conn, action="heartbeat")
    escalate_overdue(work.callbacks)
    move = msgspec.to_builtins(work.command.snapshot("global").next_move)
    assert (move["lane"], move["rule"]) == ("callbacks", "overdue_callbacks")
    assert "1 minute" in move["reason"]
    work.callbacks.claim(ana, cb.callback_id)
    work.callbacks.complete(ana, cb.callback_id, None)
    assert work.command.snapshot("global").next_move.lane == "live_chat"
    with pytest.raises(AlreadyTaken):
        work.callbacks.claim(ana, cb.callback_id)
    assert Callback.get("global", cb.callback_id).status == "completed"


def test_the_drift_sweep_reports_open_connections_as_a_gauge_on_call_reads(
    work: Work, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = work.hub
    work.agent("ana")
    hub.connect_customer()
    second, _ = hub.connect_customer()
    hub.lane.disconnect(second)  # the second tab closed: $disconnect
    metrics.clear_metrics()  # what earlier in-process tests added (each invocation flushes its own)
    capsys.readouterr()

    stats = work.drift.sweep()
    metrics.flush_metrics()  # the middleware does this after every invocation

    assert (stats["agent_connections"], stats["customer_connections"]) == (1, 1)
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [(m["OpenAgentConnections"], m["OpenCustomerConnections"]) for m in emitted] == [([1.0], [1.0])]
    # Emitted on every run, changes or not: the dashboard graphs a gauge, not events.
    assert work.drift.sweep()["customer_connections"] == 1
