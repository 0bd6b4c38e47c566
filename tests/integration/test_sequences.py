"""Sequences without contention, numbers whose writer died, the customers' own numbering, stale
views (issue 9, items 2, 3 and 5), on the real lane over moto."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import botocore.client
import pytest

from chalicelib.live.timeline import CONTENDED_SECONDS, VOID_AFTER_SECONDS, voids_for
from chalicelib.store.models import ConversationMeta, Message
from chalicelib.store.ports import Allocation, NewEntry, SequenceTaken
from tests.integration.conftest import Harness


def _entries(conv: str) -> list[Message]:
    return list(Message.query(f"T#global#C#{conv}", consistent_read=True))


@contextmanager
def _dynamodb_calls() -> Iterator[list[str]]:
    calls: list[str] = []
    original: Callable[..., Any] = botocore.client.BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original


def _sync(hub: Harness, connection_id: str, conv: str, since: int, **extra: Any) -> dict[str, Any]:
    hub.sender.take(connection_id)
    [event] = [e for e in hub.act(connection_id, action="sync", conversation_id=conv, since=since, **extra)]
    assert event["type"] == "sync", event
    return event


def _chat(hub: Harness) -> tuple[str, str, str]:
    """A started chat an agent has taken: the customer's first line is seq 1 (public 1), the
    agent's line seq 2 (public 2). Agents see a conversation once its customer wrote, and come
    in with an explicit `take`."""
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)  # seq 1 (public 1)
    agent = hub.connect_agent("ana")
    hub.act(agent, action="take", conversation_id=conv)  # seq 2 (public 2)
    hub.sender.take(customer)
    return customer, agent, conv


def _contend(conv: str, hub: Harness) -> None:
    """Marks the conversation contended, as a writer that lost the compare-and-set does."""
    ConversationMeta(f"T#global#C#{conv}", "META").update(
        actions=[ConversationMeta.contended_until.set(hub.clock.now() + CONTENDED_SECONDS)]
    )


def _stalled_writer(hub: Harness, conv: str, kind: str = "text") -> Allocation:
    """A writer that took its numbers and died before writing its entry."""
    state = hub.lane.timeline.store.load_conversation("global", conv, hub.clock.now())
    assert state is not None
    entry = NewEntry(kind, "agent", "ana", "Ana", "lost", "lost-1")
    return hub.lane.timeline.store.allocate(state, entry, hub.clock.now())


# ------------------------------------------------------------------ voids, pure
def test_voids_take_the_public_numbers_the_lost_entries_held() -> None:
    # Entries 3 and 6 exist; 4 and 5 are empty. Public count 2 at 3, and 3 just before 6.
    assert voids_for(4, 5, 2, 3) == [Allocation(4, 3, 3), Allocation(5, None, 3)]
    assert voids_for(4, 5, 2, 2) == [Allocation(4, None, 2), Allocation(5, None, 2)]  # both were notes
    assert voids_for(7, 7, 4, 5) == [Allocation(7, 5, 5)]


# ------------------------------------------------------------------ appends
@pytest.mark.usefixtures("atomic_requests")
def test_concurrent_senders_allocate_without_a_retry_storm(hub: Harness) -> None:
    customer, token = hub.connect_customer()
    conv = hub.start(customer)
    tabs = [customer]
    for i in range(7):  # the same customer in eight tabs, all writing at once
        tabs.append(f"tab{i}=")
        hub.lane.identify_and_bind(tabs[-1], {"session": token})
    per = 6

    def burst(tab: str) -> None:
        for n in range(per):
            body = {"action": "send", "conversation_id": conv, "client_id": f"{tab[:-1]}-{n}", "text": f"m{n}"}
            hub.lane.handle(tab, json.dumps(body))

    with _dynamodb_calls() as calls, ThreadPoolExecutor(len(tabs)) as pool:
        list(pool.map(burst, tabs))
    stored = _entries(conv)
    assert [int(m.seq) for m in stored] == list(range(1, len(stored) + 1))
    texts = [m.client_id for m in stored if m.kind == "text"]
    assert sorted(texts) == sorted(f"{t[:-1]}-{n}" for t in tabs for n in range(per))
    writes = sum(1 for c in calls if c in ("PutItem", "UpdateItem", "TransactWriteItems"))
    assert writes / len(texts) < 3.0  # a compare-and-set storm costs many times that
    errors = [e for _, e in hub.sender.log if e["type"] == "error"]
    assert errors == []


def test_a_resend_costs_two_calls_quiet_or_contended(hub: Harness) -> None:
    customer, _agent, conv = _chat(hub)
    hub.act(customer, action="send", conversation_id=conv, client_id="r1", text="once")
    with _dynamodb_calls() as calls:
        [again] = hub.act(customer, action="send", conversation_id=conv, client_id="r1", text="once")
    assert again["status"] == "sent-again" and again["seq"] == 3
    assert len(calls) == 2, calls
    _contend(conv, hub)
    with _dynamodb_calls() as calls:
        [again] = hub.act(customer, action="send", conversation_id=conv, client_id="r1", text="once")
    assert again["status"] == "sent-again" and again["seq"] == 3
    assert len(calls) == 2, calls
    assert [m.client_id for m in _entries(conv)].count("r1") == 1


def _contended_until(conv: str) -> float:
    return float(ConversationMeta.get(f"T#global#C#{conv}", "META", consistent_read=True).contended_until or 0)


def test_a_conversation_marked_by_one_collision_goes_back_to_one_write_once_writes_space_out(hub: Harness) -> None:
    # A collision marked it (a customer's line and the hub's "assigned" line at once). The chat
    # then runs at a line every 2 s: those writes never collide, so they do not renew the mark,
    # and 5 s after the collision a line is one compare-and-set again, not an allocation.
    customer, _agent, conv = _chat(hub)
    marked_at = hub.clock.now()
    _contend(conv, hub)
    paths = []
    for n in range(4):
        hub.clock.advance(2.0)
        with _dynamodb_calls() as calls:
            [ack] = hub.act(customer, action="send", conversation_id=conv, client_id=f"s{n}", text=f"line {n}")
        assert ack["status"] == "sent" and ack["seq"] == 3 + n
        paths.append(calls)
    allocation = ["Query", "GetItem", "UpdateItem", "TransactWriteItems"]
    compare_and_set = ["Query", "TransactWriteItems"]
    assert paths == [allocation, allocation, compare_and_set, compare_and_set]
    assert _contended_until(conv) == marked_at + CONTENDED_SECONDS  # never renewed
    assert [int(m.seq) for m in _entries(conv)] == [1, 2, 3, 4, 5, 6]


def test_a_burst_keeps_the_conversation_marked_while_it_lasts(hub: Harness) -> None:
    customer, _agent, conv = _chat(hub)
    _contend(conv, hub)
    for n in range(3):  # lines half a second apart: each allocation renews the mark
        hub.clock.advance(0.5)
        [ack] = hub.act(customer, action="send", conversation_id=conv, client_id=f"b{n}", text=f"burst {n}")
        assert ack["status"] == "sent"
        assert _contended_until(conv) == hub.clock.now() + CONTENDED_SECONDS
    last = hub.clock.now()
    hub.clock.advance(CONTENDED_SECONDS - 0.1)  # still marked: allocated, and quiet for 4.9 s: not renewed
    with _dynamodb_calls() as calls:
        hub.act(customer, action="send", conversation_id=conv, client_id="quiet", text="after a pause")
    assert "UpdateItem" in calls and _contended_until(conv) == last + CONTENDED_SECONDS
    hub.clock.advance(0.2)
    with _dynamodb_calls() as calls:
        hub.act(customer, action="send", conversation_id=conv, client_id="calm", text="calm again")
    assert calls == ["Query", "TransactWriteItems"]


def test_a_writer_that_died_leaves_a_number_readers_fill_after_a_while(hub: Harness) -> None:
    customer, agent, conv = _chat(hub)
    lost = _stalled_writer(hub, conv)  # numbers 3 (public 3), never written
    _contend(conv, hub)
    [ack] = hub.act(customer, action="send", conversation_id=conv, client_id="after", text="Hello?")
    assert ack["seq"] == 4  # public 4: its writer allocated after the lost one
    # Young: the number may still be written. Readers get what is there, up to it.
    early = _sync(hub, agent, conv, 2)
    assert early["messages"] == [] and early["through"] == 2 and early["conversation"]["last_seq"] == 4
    hub.clock.advance(VOID_AFTER_SECONDS + 1)
    late = _sync(hub, agent, conv, 2)
    assert [m["client_id"] for m in late["messages"]] == ["after"] and late["through"] == 4
    cust = _sync(hub, customer, conv, 2)
    assert [m["seq"] for m in cust["messages"]] == [4] and cust["through"] == 4
    void = next(m for m in _entries(conv) if int(m.seq) == lost.seq)
    assert void.kind == "void" and void.pseq == 3


def test_a_late_writer_finds_its_number_filled_and_takes_another(hub: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    customer, _agent, conv = _chat(hub)
    _contend(conv, hub)
    store = hub.lane.timeline.store
    real = store.write_allocated
    stalls = iter([True])

    def stalled(state: Any, entry: NewEntry, alloc: Allocation, now: float, participant: Any = None) -> Message:
        if next(stalls, False):  # the writer pauses past the limit; a reader fills its number
            hub.clock.advance(VOID_AFTER_SECONDS + 1)
            store.put_void("global", conv, alloc, hub.clock.now())
        return real(state, entry, alloc, now, participant)

    monkeypatch.setattr(store, "write_allocated", stalled)
    [ack] = hub.act(customer, action="send", conversation_id=conv, client_id="slow", text="Finally")
    assert ack["status"] == "sent" and ack["seq"] == 4  # public 3 went void with its internal number
    stored = _entries(conv)
    assert [(int(m.seq), m.kind) for m in stored] == [(1, "text"), (2, "system"), (3, "void"), (4, "text")]
    state = store.load_conversation("global", conv, hub.clock.now())
    assert state is not None
    with pytest.raises(SequenceTaken):  # the late write itself, had it come now
        real(
            state,
            NewEntry("text", "customer", "x", "X", "late", "late"),
            Allocation(3, 3, 3),
            hub.clock.now(),
        )


def test_a_lost_number_at_the_end_is_filled_for_customers_too(hub: Harness) -> None:
    customer, agent, conv = _chat(hub)
    hub.act(agent, action="note", conversation_id=conv, client_id="n1", text="internal")  # seq 3
    _stalled_writer(hub, conv)  # seq 4, public 3: lost at the end
    early = _sync(hub, customer, conv, 2)
    assert early["through"] == 2 and early["conversation"]["last_seq"] == 3
    hub.clock.advance(VOID_AFTER_SECONDS + 1)
    late = _sync(hub, customer, conv, 2)
    assert late["messages"] == [] and late["through"] == 3
    [ack] = hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    assert ack["seq"] == 4  # the customer's numbering stays gapless: 1, 2, (3 void), 4


# ------------------------------------------------------------------ two numberings
def test_receipts_are_kept_and_told_in_each_side_s_numbering(hub: Harness) -> None:
    customer, agent, conv = _chat(hub)
    hub.act(agent, action="note", conversation_id=conv, client_id="n1", text="VIP")  # seq 3
    hub.act(agent, action="send", conversation_id=conv, client_id="a1", text="Hi")  # seq 4, public 3
    [msg] = hub.sender.take(customer)
    assert (msg["seq"], msg["prev_seq"]) == (3, 2)
    hub.act(customer, action="read", conversation_id=conv, seq=3)
    [read] = [e for e in hub.sender.take(agent) if e["type"] == "read"]
    assert read["seq"] == 4  # the agent hears it in the full sequence
    hub.act(agent, action="read", conversation_id=conv, seq=3)  # the note: public floor 2
    [told] = [e for e in hub.sender.take(customer) if e["type"] == "read"]
    assert told["seq"] == 2
    sync = _sync(hub, customer, conv, 0)
    me = next(p for p in sync["conversation"]["participants"] if p["role"] == "customer")
    assert (me["read_seq"], me["delivered_seq"]) == (3, 3)
    agent_sync = _sync(hub, agent, conv, 0)
    cust = next(p for p in agent_sync["conversation"]["participants"] if p["role"] == "customer")
    assert (cust["read_seq"], cust["delivered_seq"]) == (4, 4)


# ------------------------------------------------------------------ going back in time
def test_a_reader_ahead_of_the_server_or_holding_another_entry_is_told_to_rebuild(hub: Harness) -> None:
    customer, agent, conv = _chat(hub)
    hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="one")
    ahead = _sync(hub, customer, conv, 88)
    assert ahead["reset"] is True and ahead["since"] == 0
    assert [m["seq"] for m in ahead["messages"]] == [1, 2, 3] and ahead["through"] == 3
    other = _sync(hub, agent, conv, 3, anchor="not-what-the-server-has")
    assert other["reset"] is True and [m["seq"] for m in other["messages"]] == [1, 2, 3]
    same = _sync(hub, agent, conv, 3, anchor="c1")
    assert "reset" not in same and same["messages"] == [] and same["through"] == 3
