"""The life of a message at the minimum (issue 12, part 1): what each step stores and how many
DynamoDB calls it makes, on the whole hub in-process on moto.

Every call through botocore is counted (a call DynamoDB refuses, such as a failed condition,
counts too), so "writes nothing" means no write was even attempted.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import botocore.client
import pytest

from chalicelib.live.timeline import CONTENDED_SECONDS, TYPING_REFRESH_SECONDS
from chalicelib.store.models import AgentPresence, ConversationMeta, Participant
from tests.integration.conftest import Harness

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


class Calls:
    def __init__(self) -> None:
        self.ops: Counter[str] = Counter()

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.ops.items() if op in WRITES)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Callable[[], contextlib.AbstractContextManager[Calls]]:
    original: Callable[..., Any] = botocore.client.BaseClient._make_api_call
    active: list[Calls] = []

    def counted(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if active and self.meta.service_model.service_name == "dynamodb":
            active[-1].ops[operation] += 1
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)

    @contextlib.contextmanager
    def count() -> Iterator[Calls]:
        calls = Calls()
        active.append(calls)
        try:
            yield calls
        finally:
            active.remove(calls)

    return count


def chat(hub: Harness) -> tuple[str, str, str]:
    """A customer and the agent who took their chat; both have sent a frame (warm), inboxes empty."""
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    ana = hub.connect_agent("ana")
    hub.act(ana, action="take", conversation_id=conv)
    hub.act(customer, action="heartbeat")
    hub.sender.take(customer)
    return customer, ana, conv


def participant(hub: Harness, conv: str, user_id: str) -> Participant:
    state = hub.lane.timeline.store.load_conversation("global", conv, hub.clock.now())
    assert state is not None
    return state.participants[user_id]


def agent_id(hub: Harness, ana: str) -> str:
    conn = hub.lane.connections.stored(ana)
    assert conn is not None
    return str(conn.user_id)


def test_a_message_and_its_read_cost_four_calls_and_read_moves_delivered_in_the_same_write(
    hub: Harness, counting: Callable[[], contextlib.AbstractContextManager[Calls]]
) -> None:
    customer, ana, conv = chat(hub)
    with counting() as send:
        [ack] = hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="where is it?")
    [message] = hub.sender.take(ana)
    with counting() as read:
        [read_ack] = hub.act(ana, action="read", conversation_id=conv, seq=message["seq"], request_id="r1")
    assert send.ops == {"Query": 1, "TransactWriteItems": 1}
    assert read.ops == {"Query": 1, "UpdateItem": 1}  # one write moves both cursors
    assert (read_ack["type"], read_ack["action"], read_ack["request_id"]) == ("ack", "read", "r1")
    # The customer hears one `read` (their clients take it as delivered too), in their numbering.
    [event] = hub.sender.take(customer)
    assert (event["type"], event["seq"], event["by"]["role"]) == ("read", ack["seq"], "agent")
    me = participant(hub, conv, agent_id(hub, ana))
    assert (int(me.delivered_seq), int(me.read_seq)) == (message["seq"], message["seq"])
    assert (int(me.delivered_pseq), int(me.read_pseq)) == (ack["seq"], ack["seq"])


def test_a_receipt_that_moves_no_cursor_writes_nothing_and_is_still_acked(
    hub: Harness, counting: Callable[[], contextlib.AbstractContextManager[Calls]]
) -> None:
    customer, ana, conv = chat(hub)
    hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="hello?")
    [message] = hub.sender.take(ana)
    seq = message["seq"]
    hub.act(ana, action="read", conversation_id=conv, seq=seq)
    hub.sender.take(customer)
    before = participant(hub, conv, agent_id(hub, ana)).serialize()
    for kind, at in (("read", seq), ("delivered", seq), ("read", seq - 1), ("delivered", 1)):
        with counting() as calls:
            [ack] = hub.act(ana, action=kind, conversation_id=conv, seq=at, request_id=f"{kind}{at}")
        assert (ack["type"], ack["request_id"]) == ("ack", f"{kind}{at}")
        assert calls.ops == {"Query": 1}, (kind, at, calls.ops)
    assert hub.sender.take(customer) == []  # nobody is told about nothing
    assert participant(hub, conv, agent_id(hub, ana)).serialize() == before


def test_a_customers_read_of_the_last_entry_needs_one_query_and_covers_the_notes_before_it(
    hub: Harness, counting: Callable[[], contextlib.AbstractContextManager[Calls]]
) -> None:
    customer, ana, conv = chat(hub)
    [reply] = hub.act(ana, action="send", conversation_id=conv, client_id="a1", text="checking")
    hub.act(ana, action="note", conversation_id=conv, client_id="n1", text="courier is late")
    [seen] = hub.sender.take(customer)
    hub.sender.take(ana)
    with counting() as calls:
        hub.act(customer, action="read", conversation_id=conv, seq=seen["seq"])
    assert calls.ops == {"Query": 1, "UpdateItem": 1}
    [heard] = hub.sender.take(ana)
    last = reply["seq"] + 1  # the note: the customer read everything they can see up to it
    assert (heard["type"], heard["seq"]) == ("read", last)
    me = participant(hub, conv, hub.lane.connections.stored(customer).user_id)  # type: ignore[union-attr]
    assert (int(me.read_seq), int(me.delivered_seq), int(me.read_pseq), int(me.delivered_pseq)) == (
        last,
        last,
        seen["seq"],
        seen["seq"],
    )


def test_read_never_moves_delivered_back_when_a_delivered_overtook_it(hub: Harness) -> None:
    customer, ana, conv = chat(hub)
    for n in range(3):
        hub.act(customer, action="send", conversation_id=conv, client_id=f"c{n}", text=f"line {n}")
    store = hub.lane.timeline.store
    stale = participant(hub, conv, agent_id(hub, ana))  # read before the delivered below landed
    assert store.advance_cursor(participant(hub, conv, agent_id(hub, ana)), "delivered", 5, 5) is True
    assert store.advance_cursor(stale, "read", 4, 4) is True  # read moves; delivered stays at 5
    me = participant(hub, conv, agent_id(hub, ana))
    assert (int(me.read_seq), int(me.delivered_seq)) == (4, 5)
    assert (int(me.read_pseq), int(me.delivered_pseq)) == (4, 5)


def test_typing_writes_only_when_the_indicator_changes_and_the_other_side_hears_every_frame(
    hub: Harness, counting: Callable[[], contextlib.AbstractContextManager[Calls]]
) -> None:
    customer, ana, conv = chat(hub)
    writes: list[int] = []
    stored: list[float | None] = []
    me = hub.lane.connections.stored(customer).user_id  # type: ignore[union-attr]
    steps = [("start", 0.0), ("start", 3.0), ("start", 3.0), ("start", TYPING_REFRESH_SECONDS), ("stop", 1.0)]
    for state, wait in [*steps, ("stop", 1.0)]:
        hub.clock.advance(wait)
        with counting() as calls:
            hub.act(customer, action="typing", conversation_id=conv, state=state)
        writes.append(calls.writes)
        assert calls.ops["Query"] == 1
        stored.append(participant(hub, conv, me).typing_at)
    assert writes == [1, 0, 0, 1, 1, 0]
    start = hub.clock.now() - 1.0 - 1.0 - TYPING_REFRESH_SECONDS - 6.0
    refreshed = start + 6.0 + TYPING_REFRESH_SECONDS
    assert stored == [start, start, start, refreshed, None, None]
    assert [e["state"] for e in hub.sender.take(ana) if e["type"] == "typing"] == [
        "start",
        "start",
        "start",
        "start",
        "stop",
        "stop",
    ]


def test_a_resend_of_a_stored_message_costs_two_calls_and_answers_the_stored_ack(
    hub: Harness, counting: Callable[[], contextlib.AbstractContextManager[Calls]]
) -> None:
    customer, _, conv = chat(hub)
    [first] = hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="are you there?")
    with counting() as calls:
        [again] = hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="are you there?")
    assert sum(calls.ops.values()) <= 2, calls.ops
    assert (again["status"], again["seq"], again["created_at"]) == ("sent-again", first["seq"], first["created_at"])
    stored = list(hub.lane.timeline.store.entries_from("global", conv, 1))
    assert [m.client_id for m in stored].count("c1") == 1


def test_a_reachable_agents_heartbeat_is_one_write_and_a_returning_agent_is_announced(
    hub: Harness, counting: Callable[[], contextlib.AbstractContextManager[Calls]]
) -> None:
    _, ana, _ = chat(hub)
    bo = hub.connect_agent("bo")
    hub.sender.take(ana)
    hub.clock.advance(60)
    with counting() as calls:
        [ack] = hub.act(ana, action="heartbeat")
    assert ack["type"] == "ack" and calls.ops == {"TransactWriteItems": 1}
    assert float(AgentPresence.get("global", agent_id(hub, ana)).heartbeat_at) == hub.clock.now()
    assert [e for e in hub.sender.take(bo) if e["type"] == "presence"] == []  # nothing changed for others
    hub.clock.advance(hub.lane.settings.presence_window + 30)  # silent: unreachable now
    hub.sender.take(bo)
    hub.act(ana, action="heartbeat")
    [back] = [e for e in hub.sender.take(bo) if e["type"] == "presence"]
    assert back["reachable"] is True
    assert float(AgentPresence.get("global", agent_id(hub, ana)).heartbeat_at) == hub.clock.now()


def test_a_heartbeat_after_its_disconnect_writes_nothing(hub: Harness) -> None:
    _, ana, _ = chat(hub)
    seen = float(AgentPresence.get("global", agent_id(hub, ana)).heartbeat_at)
    conn = hub.lane.connections.stored(ana)
    assert conn is not None
    who = str(conn.user_id)
    hub.lane.connections.store.delete_connection(conn)  # `$disconnect` overtook the frame
    hub.clock.advance(10)
    [err] = hub.act(ana, action="heartbeat")
    assert err["code"] == "session_expired"
    assert float(AgentPresence.get("global", who).heartbeat_at) == seen


@pytest.mark.parametrize("contended", [False, True], ids=["compare-and-set", "contended"])
def test_a_send_switches_its_authors_typing_off_in_its_own_transaction(
    hub: Harness, counting: Callable[[], contextlib.AbstractContextManager[Calls]], contended: bool
) -> None:
    """Sending stops typing (docs/protocol.md, "Typing"): the shipped clients send no `stop`
    with a message, so the send's own transaction switches the stored indicator off. Nothing
    is left for the drift sweep to clear, and nobody hears a late `stop` 15 s on."""
    customer, ana, conv = chat(hub)
    me = hub.lane.connections.stored(customer).user_id  # type: ignore[union-attr]
    hub.act(customer, action="typing", conversation_id=conv, state="start")
    assert participant(hub, conv, me).typing_at is not None
    if contended:
        ConversationMeta(f"T#global#C#{conv}", "META").update(
            actions=[ConversationMeta.contended_until.set(hub.clock.now() + CONTENDED_SECONDS)]
        )
    hub.sender.take(ana)
    with counting() as calls:
        [ack] = hub.act(customer, action="send", conversation_id=conv, client_id="t1", text="here it is")
    assert ack["status"] == "sent"
    # No call of its own: the usual send is still Query + TransactWriteItems; a contended one
    # adds only its key read and counter update, as before.
    expected = {"Query": 1, "TransactWriteItems": 1} | ({"GetItem": 1, "UpdateItem": 1} if contended else {})
    assert dict(calls.ops) == expected
    stored = participant(hub, conv, me)
    assert stored.typing_at is None and stored.typing_tenant is None
    assert [m.text for m in hub.lane.timeline.store.entries_from("global", conv, 1)][-1] == "here it is"
    assert [e["type"] for e in hub.sender.take(ana)] == ["message"]  # the message is the stop

    hub.clock.advance(60.0)
    assert hub.built.drift.sweep()["typing_cleared"] == 0
    assert [e for e in hub.sender.take(ana) if e["type"] == "typing"] == []


@contextlib.contextmanager
def transaction_sizes() -> Iterator[list[int]]:
    """The number of items of each TransactWriteItems made inside the block, as sent to DynamoDB."""
    sizes: list[int] = []
    original: Callable[..., Any] = botocore.client.BaseClient._make_api_call

    def items_of(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems":
            sizes.append(len(params["TransactItems"]))
        return original(self, operation, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", items_of)
        yield sizes


def test_a_send_without_typing_writes_nothing_more_and_a_note_stops_a_note_being_typed(
    hub: Harness, counting: Callable[[], contextlib.AbstractContextManager[Calls]]
) -> None:
    customer, ana, conv = chat(hub)
    with transaction_sizes() as sizes:
        hub.act(customer, action="send", conversation_id=conv, client_id="n1", text="no typing first")
        hub.act(ana, action="typing", conversation_id=conv, state="start", note=True)
        hub.act(ana, action="note", conversation_id=conv, client_id="n2", text="checked the order")
    assert sizes == [3, 4]  # META, message, key; and the indicator switched off with the note
    assert participant(hub, conv, agent_id(hub, ana)).typing_at is None


def test_the_start_that_opens_a_spell_is_told_not_stored_and_a_message_sent_before_the_next_costs_no_typing_item(
    hub: Harness, counting: Callable[[], contextlib.AbstractContextManager[Calls]]
) -> None:
    """docs/protocol.md, "Typing": a `start` with `first: true` reaches the other side and
    writes nothing; the next `start` (the client's, 3 s on) stores the indicator; a message sent
    before it finds no indicator to switch off, so its transaction stays at three items."""
    customer, ana, conv = chat(hub)
    me = hub.lane.connections.stored(customer).user_id  # type: ignore[union-attr]
    hub.sender.take(ana)
    with transaction_sizes() as sizes:
        # A quick message: the opening start is told, not stored, and the send has nothing to switch off.
        with counting() as calls:
            hub.act(customer, action="typing", conversation_id=conv, state="start", first=True)
        assert dict(calls.ops) == {"Query": 1}
        assert participant(hub, conv, me).typing_at is None
        hub.clock.advance(2.0)
        hub.act(customer, action="send", conversation_id=conv, client_id="q1", text="quick one")
        assert sizes == [3]
        assert [e["type"] for e in hub.sender.take(ana)] == ["typing", "message"]

        # A longer one: the client's next start, 3 s on, stores it; the send switches it off.
        hub.clock.advance(5.0)
        hub.act(customer, action="typing", conversation_id=conv, state="start", first=True)
        hub.clock.advance(3.0)
        with counting() as calls:
            hub.act(customer, action="typing", conversation_id=conv, state="start")
        assert calls.writes == 1 and participant(hub, conv, me).typing_at == hub.clock.now()
        hub.clock.advance(2.0)
        hub.act(customer, action="send", conversation_id=conv, client_id="q2", text="a longer one")
        assert sizes == [3, 4] and participant(hub, conv, me).typing_at is None

        # A spell whose client went away in its first seconds: nothing stored, nothing to sweep.
        hub.act(customer, action="typing", conversation_id=conv, state="start", first=True)
    hub.sender.take(ana)
    hub.clock.advance(60.0)
    assert hub.built.drift.sweep()["typing_cleared"] == 0
    assert participant(hub, conv, me).typing_at is None
    # A `stop` after an opening start only is told, and has nothing to write.
    with counting() as calls:
        hub.act(customer, action="typing", conversation_id=conv, state="stop")
    assert calls.writes == 0
    assert [e["state"] for e in hub.sender.take(ana) if e["type"] == "typing"] == ["stop"]
