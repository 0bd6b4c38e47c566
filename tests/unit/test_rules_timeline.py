"""The timeline's rules for receipts and typing (`live/timeline.py`), as the people in a
conversation meet them: which cursor moves, in whose numbering the other side hears it, what is
refused, and when nothing is written. Written to kill the mutants `make mutation` left alive in
`live.timeline`.

The thread every test here starts from (`chat`), in both numberings:

    seq  pseq  pfloor  entry
    1    1     1       Kim: "Hello"
    2    2     2       "Ana joined the conversation"
    3    -     2       Ana's note (agents only)
    4    3     3       Ana: "Hi Kim"
"""

from __future__ import annotations

from typing import Any

from chalicelib.live.timeline import TYPING_REFRESH_SECONDS
from chalicelib.store.models import Participant
from chalicelib.store.ports import NewEntry
from tests.unit.conftest import Unit
from tests.unit.fakes import Throttled


def chat(unit: Unit) -> tuple[str, str, str]:
    """Kim's conversation taken by Ana, with a note and a reply (the thread above); inboxes emptied."""
    customer = unit.connect_customer()
    conv = unit.started(customer)
    agent = unit.connect_agent("ana")
    unit.act(agent, action="take", conversation_id=conv)
    unit.act(agent, action="note", conversation_id=conv, client_id="n1", text="VIP")
    unit.act(agent, action="send", conversation_id=conv, client_id="a1", text="Hi Kim")
    unit.sender.sent.clear()
    return customer, conv, agent


def receipts(events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(e["type"], e["seq"]) for e in events if e["type"] in ("delivered", "read")]


def stored(unit: Unit, conv: str, connection_id: str) -> Participant:
    return unit.store.participants[("global", conv)][unit.store.connections[connection_id].user_id]


def cursors(p: Participant) -> tuple[int, int, int, int]:
    """(delivered, read) as stored, each in both numberings: (seq, pseq, seq, pseq)."""
    return int(p.delivered_seq), int(p.delivered_pseq), int(p.read_seq), int(p.read_pseq)


def in_flight(unit: Unit, conv: str, *texts: str) -> None:
    """Another writer took the next numbers (the atomic counter of a contended conversation)
    and has not written its entries yet."""
    for i, text in enumerate(texts):
        state = unit.store.load_conversation("global", conv, unit.clock.now())
        assert state is not None
        entry = NewEntry("text", "agent", "sub-bo", "Bo", text, f"late{i}")
        unit.store.allocate(state, entry, unit.clock.now())


# ================================================================== an agent's receipts, in the customer's numbering
def test_an_agents_receipt_below_the_last_entry_reaches_the_customer_as_their_public_count(unit: Unit) -> None:
    """Ana has seen up to her note (seq 3) and, before that, Kim's first message (seq 1): Kim
    hears each in her own numbering — the public entries up to there (2, then 1)."""
    customer, conv, agent = chat(unit)
    assert unit.act(agent, action="delivered", conversation_id=conv, seq=1) == []  # unasked: no ack
    assert receipts(unit.sender.take(customer)) == [("delivered", 1)]
    assert cursors(stored(unit, conv, agent)) == (1, 1, 0, 0)
    unit.act(agent, action="read", conversation_id=conv, seq=3)
    assert receipts(unit.sender.take(customer)) == [("read", 2)]  # the note is not in Kim's numbering
    assert cursors(stored(unit, conv, agent)) == (3, 2, 3, 2)
    unit.act(agent, action="read", conversation_id=conv, seq=4)  # the last entry
    assert receipts(unit.sender.take(customer)) == [("read", 3)]


def test_an_agents_receipt_for_a_number_not_written_yet_is_refused(unit: Unit) -> None:
    """A number another writer took but has not written: nothing to acknowledge yet."""
    customer, conv, agent = chat(unit)
    in_flight(unit, conv, "on its way")  # seq 5
    unit.act(agent, action="send", conversation_id=conv, client_id="a2", text="and this")  # seq 6
    unit.sender.sent.clear()
    [err] = unit.act(agent, action="read", conversation_id=conv, seq=5)
    assert (err["type"], err["code"], err["message"]) == ("error", "invalid_action", "no entry 5 yet")
    assert cursors(stored(unit, conv, agent))[2] == 0
    assert unit.sender.take(customer) == []


def test_an_agents_receipt_over_notes_before_any_public_entry_is_zero_for_the_customer(unit: Unit) -> None:
    """A conversation started by a callback request has no entry yet; Ana takes it, and the line
    of her taking is not written (the store failed after the owner change: she is told to
    retry). Her notes come first: whatever of them she reads, Kim has read nothing public."""
    customer = unit.connect_customer()
    conv = unit.start(customer)
    assert unit.hub.live.start_conversation("global", conv)  # what a callback request does
    agent = unit.connect_agent("ana")
    unit.store.fail_next("append", Throttled())
    [err] = unit.act(agent, action="take", conversation_id=conv)
    assert err["code"] == "internal" and unit.store.metas[("global", conv)].owner_id == "sub-ana"
    unit.act(agent, action="note", conversation_id=conv, client_id="n1", text="calling back")
    unit.act(agent, action="note", conversation_id=conv, client_id="n2", text="no answer")
    unit.sender.sent.clear()
    unit.act(agent, action="read", conversation_id=conv, seq=1)
    unit.act(agent, action="read", conversation_id=conv, seq=2)  # the last entry
    assert receipts(unit.sender.take(customer)) == [("read", 0), ("read", 0)]
    assert cursors(stored(unit, conv, agent)) == (2, 0, 2, 0)


# ================================================================== a customer's receipts, in the agents' numbering
def test_a_customers_receipt_below_the_last_public_entry_reaches_agents_in_their_numbering(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    unit.act(customer, action="read", conversation_id=conv, seq=2)  # "Ana joined": seq 2 for agents
    assert receipts(unit.sender.take(agent)) == [("read", 2)]
    assert cursors(stored(unit, conv, customer)) == (2, 2, 2, 2)
    unit.act(customer, action="read", conversation_id=conv, seq=3)  # the last public entry: seq 4
    assert receipts(unit.sender.take(agent)) == [("read", 4)]


def test_a_customers_receipt_for_a_public_number_not_written_yet_is_refused(unit: Unit) -> None:
    """Kim's numbering reaches 5 (two of Bo's messages are on their way): 4 is not there yet,
    whether a later entry is already written or none is."""
    customer, conv, agent = chat(unit)
    in_flight(unit, conv, "first", "second")  # pseq 4 and 5, neither written
    [err] = unit.act(customer, action="read", conversation_id=conv, seq=4)
    assert (err["type"], err["code"], err["message"]) == ("error", "invalid_action", "no entry 4 yet")
    unit.act(agent, action="send", conversation_id=conv, client_id="a2", text="written")  # pseq 6
    unit.sender.sent.clear()
    for seq in (4, 5):  # a later entry exists (6), but not these
        [err] = unit.act(customer, action="delivered", conversation_id=conv, seq=seq)
        assert (err["code"], err["message"]) == ("invalid_action", f"no entry {seq} yet")
    assert cursors(stored(unit, conv, customer)) == (0, 0, 0, 0)
    assert unit.sender.take(agent) == []
    unit.act(customer, action="read", conversation_id=conv, seq=6)
    assert receipts(unit.sender.take(agent)) == [("read", 7)]


def test_a_customer_cannot_acknowledge_anything_before_the_first_public_entry(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)  # opened, nothing said
    [err] = unit.act(customer, action="delivered", conversation_id=conv, seq=1)
    beyond = "delivered: seq 1 is beyond the conversation's last entry (0)"
    assert (err["code"], err["message"]) == ("invalid_action", beyond)
    [ack] = unit.act(customer, action="read", conversation_id=conv, seq=0, request_id="r0")  # nothing to move or refuse
    assert (ack["type"], ack["seq"]) == ("ack", 0)


# ================================================================== cursors only move forward; read and delivered
def test_reading_below_the_delivered_cursor_still_moves_the_read_cursor(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    unit.act(customer, action="delivered", conversation_id=conv, seq=3)
    assert receipts(unit.sender.take(agent)) == [("delivered", 4)]
    unit.act(customer, action="read", conversation_id=conv, seq=2)
    assert receipts(unit.sender.take(agent)) == [("read", 2)]
    assert cursors(stored(unit, conv, customer)) == (4, 3, 2, 2)


def test_a_receipt_at_or_below_either_cursor_writes_nothing_and_tells_nobody(unit: Unit) -> None:
    """A delivered receipt is below the cursor when it is at or below what was read *or*
    delivered; a read receipt only against what was read. Each side's own numbering."""
    customer, conv, agent = chat(unit)
    unit.act(agent, action="delivered", conversation_id=conv, seq=4)
    unit.act(agent, action="read", conversation_id=conv, seq=1)  # Ana's first read
    assert receipts(unit.sender.take(customer)) == [("delivered", 3), ("read", 1)]
    unit.store.calls.clear()
    for kind, seq in [("delivered", 4), ("delivered", 3), ("read", 1)]:
        [ack] = unit.act(agent, action=kind, conversation_id=conv, seq=seq, request_id=f"{kind}{seq}")
        assert (ack["type"], ack["action"], ack["seq"], ack["request_id"]) == ("ack", kind, seq, f"{kind}{seq}")
    assert "advance_cursor" not in unit.store.calls
    assert unit.sender.take(customer) == []
    assert cursors(stored(unit, conv, agent)) == (4, 3, 1, 1)
    unit.act(customer, action="delivered", conversation_id=conv, seq=1)  # Kim's first receipt
    unit.act(customer, action="delivered", conversation_id=conv, seq=3)
    unit.act(customer, action="delivered", conversation_id=conv, seq=2)  # below what was delivered
    unit.act(customer, action="read", conversation_id=conv, seq=3)
    unit.act(customer, action="delivered", conversation_id=conv, seq=1)  # below what was read
    unit.act(customer, action="read", conversation_id=conv, seq=3)
    assert receipts(unit.sender.take(agent)) == [("delivered", 1), ("delivered", 4), ("read", 4)]
    assert unit.store.calls.count("advance_cursor") == 3


def test_a_customers_cursor_is_compared_in_their_own_numbering(unit: Unit) -> None:
    """Kim read everything public (3, which is seq 4 for agents); Ana's next reply is Kim's 4 and
    seq 5: Kim's read of 4 moves her cursor, though 4 is where it stood in the agents' numbering."""
    customer, conv, agent = chat(unit)
    unit.act(customer, action="read", conversation_id=conv, seq=3)
    unit.act(agent, action="send", conversation_id=conv, client_id="a2", text="Anything else?")
    unit.sender.sent.clear()
    unit.act(customer, action="read", conversation_id=conv, seq=4)
    assert receipts(unit.sender.take(agent)) == [("read", 5)]
    assert cursors(stored(unit, conv, customer)) == (5, 4, 5, 4)


# ================================================================== typing
def test_a_typing_start_is_written_again_once_the_stored_one_is_as_old_as_the_refresh_age(unit: Unit) -> None:
    """The clients repeat `start` every few seconds: it is written again only when the stored
    indicator is TYPING_REFRESH_SECONDS old (so the drift sweep never takes a typist for stale)."""
    customer, conv, agent = chat(unit)
    unit.clock.set(float(int(unit.clock.now()) + 1))  # whole seconds: the ages below are exact
    t0 = unit.clock.now()
    unit.act(customer, action="typing", conversation_id=conv, state="start")
    assert stored(unit, conv, customer).typing_at == t0
    unit.clock.advance(TYPING_REFRESH_SECONDS - 0.5)
    unit.act(customer, action="typing", conversation_id=conv, state="start")
    assert stored(unit, conv, customer).typing_at == t0  # still fresh: nothing written
    unit.clock.set(t0 + TYPING_REFRESH_SECONDS)
    unit.act(customer, action="typing", conversation_id=conv, state="start")
    assert stored(unit, conv, customer).typing_at == t0 + TYPING_REFRESH_SECONDS
    assert [e["state"] for e in unit.sender.take(agent) if e["type"] == "typing"] == ["start"] * 3


def test_typing_answers_whether_it_changed_anything_and_keeps_the_participant_in_step(unit: Unit) -> None:
    """`Timeline.typing` on one participant, as a caller holding it sees it: a start, the same
    start again (fresh: nothing), a stop, the same stop again (already off: nothing). Only the
    two changes are written."""
    customer, conv, _ = chat(unit)
    state = unit.store.load_conversation("global", conv, unit.clock.now())
    assert state is not None
    kim = state.participants[unit.store.connections[customer].user_id]
    timeline = unit.hub.live.timeline
    unit.store.calls.clear()
    assert timeline.typing("global", kim, True) is True
    assert kim.typing_at == unit.clock.now()
    unit.clock.advance(1)
    assert timeline.typing("global", kim, True) is False
    assert timeline.typing("global", kim, False) is True
    assert kim.typing_at is None
    assert timeline.typing("global", kim, False) is False
    assert unit.store.calls.count("set_typing") == 2
    assert stored(unit, conv, customer).typing_at is None
