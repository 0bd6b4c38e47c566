"""The notifier's rules (`live/notifier.py`) as the people and operators meet them: who receives
which frame, which connections a 410 removes (and what of them), what is counted. Written to
kill the mutants `make mutation` left alive in `live.notifier`."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from chalicelib.contract.events import ModeEvent, QueueEvent
from chalicelib.platform.observability import metrics
from chalicelib.store.models import Connection
from tests.unit.conftest import WIDGET_KEY, Unit, chat, counted, of
from tests.unit.fakes import Throttled

pytestmark = pytest.mark.usefixtures("fresh_metrics")


def bare(connection_id: str, *conversations: str) -> Connection:
    """A connection item no `$connect` wrote: a late subscription update recreated it after its
    `$disconnect` deleted it, holding only the conversations it recorded."""
    return Connection(connection_id, conversations=set(conversations) or None)


# ================================================================== a bare (malformed) connection item that is gone
def test_a_bare_item_behind_a_gone_subscriber_is_removed_with_its_subscription_and_counted(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    bo = unit.connect_agent("bo")
    unit.act(bo, action="join", conversation_id=conv)
    unit.clock.advance(60)
    unit.store.connections[bo] = bare(bo, conv)  # its item, recreated bare; its subscription stays
    unit.sender.gone.add(bo)
    unit.sender.sent.clear()
    metrics.clear_metrics()
    unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="anyone?")
    assert bo not in unit.store.connections
    assert bo not in unit.store.subscriptions[("global", conv)]
    assert agent in unit.store.subscriptions[("global", conv)] and agent in unit.store.connections
    assert [m["text"] for m in of(unit.sender.take(agent), "message")] == ["anyone?"]
    assert counted() == {"MessagesStored": 1, "OrphansRemoved": 1}


def test_a_bare_item_whose_own_frame_bounces_is_removed_and_counted(unit: Unit) -> None:
    """A frame from a connection whose item is bare is refused (it must reconnect); the refusal
    bounces (410): the bare item goes, with no conversation to look in."""
    customer, _, _ = chat(unit)
    ghost = "ghost="
    unit.store.connections[ghost] = bare(ghost)
    unit.sender.gone.add(ghost)
    metrics.clear_metrics()
    unit.hub.live.handle(ghost, '{"action": "heartbeat"}')
    assert ghost not in unit.store.connections
    assert counted() == {"RejectedActions": 1, "OrphansRemoved": 1}
    assert customer in unit.store.connections


# ================================================================== the subscriptions' conversation
def test_a_customer_typing_alone_in_their_conversation_is_told_nothing(unit: Unit) -> None:
    """Nobody else is subscribed yet: the typist's own tab is the only subscription, and no one
    hears anything (no error either)."""
    customer = unit.connect_customer()
    conv = unit.start(customer)
    assert list(unit.store.subscriptions[("global", conv)]) == [customer]
    assert unit.act(customer, action="typing", conversation_id=conv, state="start") == []
    assert unit.act(customer, action="typing", conversation_id=conv, state="stop") == []


def test_typing_into_a_conversation_nobody_is_subscribed_to_is_told_to_nobody(unit: Unit) -> None:
    """Kim's tab closed (its subscription went with it); her next tab types before it has opened
    the conversation again: there is nobody to tell, and nothing fails."""
    session = unit.hub.widgets.open_session(WIDGET_KEY, None, "Kim")
    unit.hub.live.identify_and_bind("tab1=", {"session": session.token})
    conv = unit.start("tab1=")
    unit.hub.live.disconnect("tab1=")
    assert dict(unit.store.subscriptions[("global", conv)]) == {}
    unit.hub.live.identify_and_bind("tab2=", {"session": session.token})
    assert unit.act("tab2=", action="typing", conversation_id=conv, state="start") == []


# ================================================================== a change when the lobby is unreadable
def test_a_failed_lobby_lookup_still_tells_the_conversations_own_subscribers(
    unit: Unit, caplog: pytest.LogCaptureFixture
) -> None:
    """Closing tells the conversation's subscribers and the tenant's agents (the lobby). When the
    lobby cannot be read, the subscribers — agents among them — are still told, and the failure
    is counted."""
    customer, conv, ana = chat(unit)
    bo = unit.connect_agent("bo")
    unit.act(bo, action="join", conversation_id=conv)
    cy = unit.connect_agent("cy")  # not subscribed: only the lobby would reach Cy
    unit.sender.sent.clear()
    metrics.clear_metrics()
    unit.store.fail_next("tenant_connections", Throttled())
    unit.act(ana, action="close", conversation_id=conv)
    assert [e["conversation"]["status"] for e in of(unit.sender.take(bo), "conversation")] == ["closed"]
    assert [e["conversation"]["status"] for e in of(unit.sender.take(customer), "conversation")] == ["closed"]
    assert of(unit.sender.take(cy), "conversation") == []
    assert counted()["FanoutFailures"] == 1
    [line] = log_lines(caplog, "lobby lookup failed")
    assert (line.levelname, line.tenant) == ("ERROR", "global")  # type: ignore[attr-defined]


def closes_after_one_frame(unit: Unit, closing: str) -> None:
    """`closing`'s socket closes just after the next frame reaches it (later posts answer 410);
    inboxes and metrics start empty."""
    unit.sender.sent.clear()
    post = unit.sender._post_bytes

    def post_then_close(connection_id: str, data: bytes) -> bool:
        ok = post(connection_id, data)
        if connection_id == closing:
            unit.sender.gone.add(closing)
        return ok

    unit.sender._post_bytes = post_then_close  # type: ignore[method-assign]
    metrics.clear_metrics()


def test_a_conversation_change_removes_a_subscription_that_outlived_its_connection(unit: Unit) -> None:
    """Bo's connection item is gone (its `$disconnect` ran, the delete of his subscription did
    not), and his socket closes just after the closing line reached it: the closing snapshot
    bounces (410) and that subscription is removed from this conversation; the others stay."""
    customer, conv, ana = chat(unit)
    bo = unit.connect_agent("bo")
    unit.act(bo, action="join", conversation_id=conv)
    unit.clock.advance(60)
    del unit.store.connections[bo]
    closes_after_one_frame(unit, bo)
    unit.act(ana, action="close", conversation_id=conv)
    assert [e["type"] for e in unit.sender.take(bo)] == ["message"]  # the line; the snapshot bounced
    assert set(unit.store.subscriptions[("global", conv)]) == {customer, ana}
    assert counted()["OrphansRemoved"] == 1


def test_a_conversation_change_removes_a_customer_tab_that_outlived_its_connection(unit: Unit) -> None:
    """The same for the customer's side: Kim's second tab closed (its item is gone, its
    subscription is not) just after the closing line reached it; the closing snapshot bounces and
    that subscription is removed, Kim's first tab stays subscribed."""
    session = unit.hub.widgets.open_session(WIDGET_KEY, None, "Kim")
    tab1, tab2 = "kim1=", "kim2="
    for tab in (tab1, tab2):
        unit.hub.live.identify_and_bind(tab, {"session": session.token})
    conv = unit.started(tab1)
    unit.act(tab2, action="start", conversation_id=conv)
    ana = unit.connect_agent("ana")
    unit.act(ana, action="take", conversation_id=conv)
    unit.clock.advance(60)
    del unit.store.connections[tab2]
    closes_after_one_frame(unit, tab2)
    unit.act(ana, action="close", conversation_id=conv)
    assert [e["type"] for e in unit.sender.take(tab2)] == ["message"]
    assert set(unit.store.subscriptions[("global", conv)]) == {tab1, ana}
    assert counted()["OrphansRemoved"] == 1


def test_a_conversation_snapshot_is_in_each_sides_own_numbering(unit: Unit) -> None:
    """Closing after a note: Bo (a helper) hears the thread's last entry in the agents' numbering
    (the closing line is 4), Kim in hers (3): her snapshot never counts the note."""
    customer, conv, ana = chat(unit)
    bo = unit.connect_agent("bo")
    unit.act(bo, action="join", conversation_id=conv)  # "Bo joined": seq 3, Kim's 3
    unit.act(ana, action="note", conversation_id=conv, client_id="n1", text="refund approved")  # seq 4
    unit.sender.sent.clear()
    unit.act(ana, action="close", conversation_id=conv)  # the closing line: seq 5, Kim's 4
    [to_bo] = of(unit.sender.take(bo), "conversation")
    [to_kim] = of(unit.sender.take(customer), "conversation")
    assert (to_bo["conversation"]["last_seq"], to_kim["conversation"]["last_seq"]) == (5, 4)


# ================================================================== failures are counted and logged, never raised
def log_lines(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "flow-hub" and r.getMessage() == message]


def test_an_answer_that_cannot_be_delivered_is_counted_and_logged(unit: Unit, caplog: pytest.LogCaptureFixture) -> None:
    """Kim's tab cannot be reached (not a 410): her message is still stored and delivered; the
    lost ack is counted with the failed deliveries and logged with her connection."""
    customer, conv, agent = chat(unit)
    unit.sender.broken.add(customer)
    metrics.clear_metrics()
    unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="are you there?")
    assert [m["text"] for m in of(unit.sender.take(agent), "message")] == ["are you there?"]
    assert counted() == {"MessagesStored": 1, "FailedDeliveries": 1}
    [line] = log_lines(caplog, "reply failed")
    assert (line.levelname, line.connection_id) == ("ERROR", customer)  # type: ignore[attr-defined]
    assert customer in unit.store.connections


def test_a_fan_out_that_fails_as_a_whole_is_counted_and_logged(
    unit: Unit, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The management API fails for the whole batch: the sender still has its ack, the message
    is stored, and the failed fan-out is counted and logged with the event and its target count."""
    customer, conv, _ = chat(unit)
    bo = unit.connect_agent("bo")
    unit.act(bo, action="join", conversation_id=conv)
    unit.sender.sent.clear()

    def unavailable(targets: Any, event: Any) -> Any:
        raise RuntimeError("management API unavailable")

    monkeypatch.setattr(unit.sender, "post_many", unavailable)
    metrics.clear_metrics()
    [ack] = unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hello?")
    assert (ack["type"], ack["status"]) == ("ack", "sent")
    assert unit.texts(conv)[-1] == "hello?"
    assert counted() == {"MessagesStored": 1, "FanoutFailures": 1}
    [line] = log_lines(caplog, "fan-out failed")
    assert (line.levelname, line.event, line.targets) == ("ERROR", "MessageEvent", 2)  # type: ignore[attr-defined]


def test_a_gone_target_that_cannot_be_looked_up_spares_the_others(
    unit: Unit, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bo and Cy are both gone (410); Bo's item cannot be read (throttled): Cy is still removed,
    Bo stays for the next try, and the failure is counted and logged with Bo's connection."""
    customer, conv, _ = chat(unit)
    bo, cy = unit.connect_agent("bo"), unit.connect_agent("cy")
    for c in (bo, cy):
        unit.act(c, action="join", conversation_id=conv)
    unit.clock.advance(60)
    unit.sender.gone |= {bo, cy}
    read = unit.store.get_connection

    def throttled_for_bo(connection_id: str, now: float) -> Connection | None:
        if connection_id == bo:
            raise Throttled()
        return read(connection_id, now)

    monkeypatch.setattr(unit.store, "get_connection", throttled_for_bo)
    metrics.clear_metrics()
    unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi all")
    assert bo in unit.store.connections and cy not in unit.store.connections
    lines = log_lines(caplog, "could not remove a gone connection")  # once per event that bounced
    assert lines and {(r.levelname, r.target) for r in lines} == {("ERROR", bo)}  # type: ignore[attr-defined]
    assert (counted()["FanoutFailures"], counted()["GoneConnections"]) == (len(lines), 1)


# ================================================================== pushes to some agents (AP-C3)
def test_a_push_to_a_few_agents_reaches_each_of_their_tabs_read_agent_by_agent(unit: Unit) -> None:
    """Up to three agents: their own connections are read one agent at a time; more than that:
    the tenant's agent connections once. The same tabs either way, never the excluded one, never
    another tenant's or another agent's."""
    tabs = {name: [unit.connect_agent(name), unit.connect_agent(name)] for name in ("ana", "bo", "cy", "dee", "eve")}
    unit.connect_agent("ana", tenant="acme")
    unit.sender.sent.clear()
    notifier = unit.hub.live.notifier
    event = ModeEvent("ready", "Ana", "2026-12-02T09:00:00.000Z")

    def reached() -> set[str]:
        got = {c for c, events in unit.sender.sent.items() if of(events, "mode")}
        unit.sender.sent.clear()
        return got

    few = {"sub-ana", "sub-bo", "sub-cy"}
    unit.store.calls.clear()
    assert notifier.agents("global", event, few, exclude=tabs["ana"][0]) == 5
    assert reached() == {*tabs["ana"][1:], *tabs["bo"], *tabs["cy"]}
    assert (unit.store.calls.count("user_connections"), unit.store.calls.count("tenant_users_online")) == (3, 0)
    many = few | {"sub-dee"}
    unit.store.calls.clear()
    assert notifier.agents("global", event, many, exclude=tabs["dee"][1]) == 7
    assert reached() == {*tabs["ana"], *tabs["bo"], *tabs["cy"], tabs["dee"][0]}
    assert (unit.store.calls.count("user_connections"), unit.store.calls.count("tenant_users_online")) == (0, 1)
    assert notifier.agents("global", event) == 10
    assert reached() == {c for pair in tabs.values() for c in pair}


def test_a_push_to_one_customer_that_cannot_be_delivered_is_counted_for_their_tenant(unit: Unit) -> None:
    """Kim's place in the queue cannot reach her tab (not a 410): the failed delivery counts in
    her tenant's window, which the launch check and the dashboard read."""
    customer = unit.connect_customer()
    conv = unit.started(customer)
    kim = unit.store.connections[customer].user_id
    unit.sender.broken.add(customer)
    before = int(unit.store.counters["global"].delivery_failures or 0)
    assert unit.hub.live.push_to_customer("global", kim, QueueEvent(conv, 1)) == 1
    assert int(unit.store.counters["global"].delivery_failures) == before + 1
    assert customer in unit.store.connections


def test_an_agent_coming_online_is_not_told_of_their_own_arrival(unit: Unit) -> None:
    """Presence goes to the tenant's agent connections but the one that just connected."""
    bo = unit.connect_agent("bo")
    unit.hub.live.identify_and_bind("ana1=", {"token": unit.agent_token("ana")})
    assert of(unit.sender.take("ana1="), "presence") == []
    assert [e["agent"]["name"] for e in of(unit.sender.take(bo), "presence")] == ["Ana"]


def test_a_presence_change_that_cannot_be_delivered_is_counted_for_its_tenant(
    unit: Unit, caplog: pytest.LogCaptureFixture
) -> None:
    """Bo's tab cannot be reached while Ana comes online: every post that failed for Bo (her
    presence among them) counts in the tenant's window."""
    bo = unit.connect_agent("bo")
    unit.sender.broken.add(bo)
    before = int(unit.store.counters["global"].delivery_failures or 0)
    caplog.clear()
    unit.connect_agent("ana")
    failed = [r for r in log_lines(caplog, "post_to_connection failed") if r.target == bo]  # type: ignore[attr-defined]
    assert len(failed) >= 1
    assert int(unit.store.counters["global"].delivery_failures) == before + len(failed)
