"""Who owns a conversation (`live/ownership.py`), as the agents and the customer meet it: the
refusals and their words, the thread's line for each kind of change, who hears `assigned`,
what the history records and what is published for routing."""

from __future__ import annotations

import re

import pytest

from chalicelib.live.events import OwnerChanged
from chalicelib.platform.errors import AlreadyTaken, AtCapacity, NotFound
from chalicelib.platform.observability import metrics
from chalicelib.store.keys import history_subject
from tests.unit.conftest import Unit, of


def records(unit: Unit, conv: str) -> list[tuple[str, str, str, str]]:
    return [
        (h.action, h.actor_id, h.actor_name, h.detail)
        for h in unit.store.histories[history_subject("global", "CONV", conv)]
    ]


def system_lines(unit: Unit, conv: str) -> list[tuple[str | None, str]]:
    msgs = sorted(unit.store.messages[("global", conv)].items())
    return [(m.code, m.text) for _, m in msgs if m.kind == "system"]


@pytest.fixture
def published(unit: Unit) -> list[OwnerChanged]:
    seen: list[OwnerChanged] = []
    unit.hub.live.listeners.subscribe(OwnerChanged, seen.append)
    return seen


def test_each_kind_of_change_writes_its_line_and_its_record(unit: Unit, published: list[OwnerChanged]) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.act(ana, action="take", conversation_id=conv)
    unit.act(ana, action="assign", conversation_id=conv, agent_id="sub-bo", expect_owner="sub-ana")
    unit.act(ana, action="take", conversation_id=conv, expect_owner="sub-bo")
    assert system_lines(unit, conv) == [
        ("agent_joined", "Ana joined the conversation"),
        ("agent_assigned", "Bo is now handling your conversation"),
        ("agent_took_over", "Ana took over the conversation"),
    ]
    assert records(unit, conv)[1:] == [  # the first: the started chat queued (nobody had room)
        ("take", "sub-ana", "Ana", "nobody → Ana (sub-ana)"),
        ("assign", "sub-ana", "Ana", "Ana (sub-ana) → Bo (sub-bo)"),
        ("takeover", "sub-ana", "Ana", "Bo (sub-bo) → Ana (sub-ana)"),
    ]
    assert records(unit, conv)[0] == ("queue", "routing", "Routing", "nobody → the queue")
    assert [(e.previous, e.to, e.reason) for e in published] == [
        (None, None, "queue"),
        (None, "sub-ana", "take"),
        ("sub-ana", "sub-bo", "assign"),
        ("sub-bo", "sub-ana", "takeover"),
    ]
    assert {(e.tenant, e.conversation_id) for e in published} == {("global", conv)}
    del bo


def test_assigned_reaches_the_new_owners_other_dashboards_only(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana, ana_tab2, bo, cy = (unit.connect_agent(n) for n in ("ana", "ana", "bo", "cy"))
    for c in (ana, ana_tab2, bo, cy):
        unit.sender.take(c)
    unit.act(ana, action="take", conversation_id=conv)
    [assigned] = of(unit.sender.take(ana_tab2), "assigned")
    assert (assigned["conversation_id"], assigned["agent"], assigned["by"], assigned["reason"]) == (
        conv,
        {"id": "sub-ana", "name": "Ana"},
        {"id": "sub-ana", "name": "Ana"},
        "take",
    )
    assert assigned["conversation"]["owner"] == {"id": "sub-ana", "name": "Ana"} and assigned["at"]
    assert of(unit.sender.take(bo), "assigned") == [] and of(unit.sender.take(cy), "assigned") == []
    unit.act(ana, action="assign", conversation_id=conv, agent_id="sub-bo", expect_owner="sub-ana")
    [to_bo] = of(unit.sender.take(bo), "assigned")
    assert (to_bo["agent"]["id"], to_bo["by"]["name"], to_bo["reason"]) == ("sub-bo", "Ana", "assign")
    to_cy = unit.sender.take(cy)
    assert of(unit.sender.take(ana_tab2), "assigned") == [] and of(to_cy, "assigned") == []
    # everyone of the tenant sees the new owner on the conversation
    [seen] = [e for e in of(to_cy, "conversation") if e["conversation"]["id"] == conv]
    assert seen["conversation"]["owner"]["id"] == "sub-bo"


def test_refusals_say_who_owns_it_or_what_changed(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    [err] = of(unit.act(bo, action="take", conversation_id=conv, expect_owner="sub-ana"), "error")
    assert (err["code"], err["message"]) == ("conflict", "the conversation's owner changed meanwhile; reload it")
    unit.act(ana, action="take", conversation_id=conv)
    [err] = of(unit.act(bo, action="take", conversation_id=conv), "error")
    assert (err["code"], err["message"]) == ("conflict", "Ana already owns this conversation")
    [err] = of(unit.act(bo, action="assign", conversation_id=conv, agent_id="sub-zed", expect_owner="sub-ana"), "error")
    assert (err["code"], err["message"]) == ("not_found", "no agent 'sub-zed' in this tenant")
    lines_before = system_lines(unit, conv)
    [snap] = of(unit.act(ana, action="take", conversation_id=conv), "conversation")  # already hers: no conflict
    assert snap["conversation"]["owner"]["id"] == "sub-ana" and system_lines(unit, conv) == lines_before
    unit.act(ana, action="close", conversation_id=conv)
    [err] = of(unit.act(bo, action="take", conversation_id=conv, expect_owner="sub-ana"), "error")
    assert (err["code"], err["message"]) == ("conflict", "the conversation is closed")
    assert unit.store.metas[("global", conv)].owner_id == "sub-ana"


def test_routing_the_change_directly(unit: Unit) -> None:
    """The calls routing makes (through the live port): capacity, an unknown or unstarted
    conversation, the queue and back, an owner that changed under the read."""
    own = unit.hub.live.ownership
    customer = unit.connect_customer()
    conv = unit.started(customer)
    unit.connect_agent("ana")
    unit.connect_agent("bo")
    with pytest.raises(NotFound) as missing:
        own.change("global", "c_nope", ("sub-ana", "Ana"), None, ("routing", "Routing"), "route")
    assert missing.value.message == "no conversation 'c_nope'"
    fresh = unit.start(unit.connect_customer())  # opened, never written in
    with pytest.raises(NotFound):
        own.change("global", fresh, ("sub-ana", "Ana"), None, ("routing", "Routing"), "route")
    with pytest.raises(NotFound) as nobody:
        own.change("global", conv, ("sub-ghost", "Ghost"), None, ("routing", "Routing"), "route")
    assert nobody.value.message == "no agent 'sub-ghost' in this tenant"
    with pytest.raises(AtCapacity) as full:
        own.change("global", conv, ("sub-ana", "Ana"), None, ("routing", "Routing"), "route", capacity=0)
    assert full.value.message == "Ana has no free chat place"
    assert unit.store.metas[("global", conv)].owner_id is None
    metrics.clear_metrics()
    state = own.change("global", conv, ("sub-ana", "Ana"), None, ("routing", "Routing"), "route", capacity=1)
    assert state.meta.owner_id == "sub-ana" and int(unit.store.presence[("global", "sub-ana")].open_chats) == 1
    assert float(sum(metrics.metric_set["OwnerChanges"]["Value"])) == 1
    assert system_lines(unit, conv)[-1] == ("agent_assigned", "Ana is now handling your conversation")

    # the owner changes between the read and the write: the refusal names the one who has it
    def bo_took_it() -> None:
        meta = unit.store.metas[("global", conv)]
        meta.owner_id, meta.owner_name = "sub-bo", "Bo"
        unit.store.presence[("global", "sub-ana")].open_chats = 0
        unit.store.presence[("global", "sub-bo")].open_chats = 1

    unit.store.before_next("change_owner", bo_took_it)
    with pytest.raises(AlreadyTaken) as lost:
        own.change("global", conv, ("sub-bo", "Bo"), "sub-ana", ("sub-bo", "Bo"), "takeover")
    assert lost.value.message == "Bo already owns this conversation"
    queued_at = unit.clock.now() - 30
    state = own.change("global", conv, None, "sub-bo", ("routing", "Routing"), "requeue", queue_at=queued_at)
    assert state.meta.owner_id is None and float(unit.store.metas[("global", conv)].queued_at) == queued_at
    assert system_lines(unit, conv)[-1] == (
        "agent_left",
        "Bo is no longer available; you're back in the queue and the next free agent will answer",
    )
    assert records(unit, conv)[-1][3] == "Bo (sub-bo) → the queue"
    unit.act(unit.connect_agent("ana"), action="take", conversation_id=conv)
    lines_before = system_lines(unit, conv)
    own.change("global", conv, None, "sub-ana", ("sub-ana", "Ana"), "release")  # a release says nothing
    assert system_lines(unit, conv) == lines_before
    assert unit.store.metas[("global", conv)].queued_at is None  # no place given: not queued


def test_a_chat_closed_between_the_read_and_the_write_is_refused_as_closed(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.act(ana, action="take", conversation_id=conv)
    unit.store.before_next("change_owner", lambda: unit.act(ana, action="close", conversation_id=conv))
    [err] = of(unit.act(bo, action="take", conversation_id=conv, expect_owner="sub-ana"), "error")
    assert (err["code"], err["message"]) == ("conflict", "the conversation is closed")
    assert unit.store.metas[("global", conv)].owner_id == "sub-ana"


def test_the_line_of_a_change_reaches_the_customer_keyed_by_its_record(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana = unit.connect_agent("ana")
    unit.act(ana, action="take", conversation_id=conv)
    [line] = of(unit.sender.take(customer), "message")
    assert (line["code"], line["kind"]) == ("agent_joined", "system")
    record = unit.store.histories[history_subject("global", "CONV", conv)][-1]
    assert line["client_id"] == "owner-" + record.at.rsplit("#", 1)[-1]
    assert re.fullmatch(r"owner-\d{20}[0-9a-f]{4}", line["client_id"]), line["client_id"]
