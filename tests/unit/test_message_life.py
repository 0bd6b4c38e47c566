"""The life of a message at the minimum (issue 12, part 1), on in-memory stores: which store
writes each receipt, typing frame and heartbeat makes (none when nothing changes)."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.hub.drift import TYPING_STALE_SECONDS
from chalicelib.live.timeline import TYPING_REFRESH_SECONDS
from tests.unit.conftest import Unit

CHAT_TS = Path(__file__).resolve().parents[2] / "frontend/src/shared/chat.ts"


def client_seconds(name: str) -> float:
    """A constant of the shipped clients (frontend/src/shared/chat.ts), in seconds."""
    (value,) = re.findall(rf"export const {name} = ([\d_]+);", CHAT_TS.read_text(encoding="utf-8"))
    return int(value.replace("_", "")) / 1000


def test_someone_still_typing_is_never_swept_although_most_starts_write_nothing() -> None:
    # While keys are pressed the client repeats its start with the first key after the throttle,
    # and keys come less than the idle time apart (else it sends `stop`): the stored indicator is
    # at most refresh + throttle + idle old.
    throttle, idle = client_seconds("TYPING_THROTTLE_MS"), client_seconds("TYPING_IDLE_MS")
    assert TYPING_REFRESH_SECONDS + throttle + idle < TYPING_STALE_SECONDS
    assert throttle < TYPING_REFRESH_SECONDS  # else every repeated start would write


def writes(unit: Unit, since: int) -> list[str]:
    return [c for c in unit.store.calls[since:] if c in ("advance_cursor", "set_typing", "touch_presence")]


def test_receipts_write_only_when_a_cursor_moves_and_read_is_heard_as_one_event(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer, "Hi")
    ana = unit.connect_agent("ana")
    unit.act(ana, action="take", conversation_id=conv)
    unit.act(customer, action="send", conversation_id=conv, client_id="m1", text="parcel?")
    [msg] = [e for e in unit.sender.take(ana) if e["type"] == "message"]
    unit.sender.take(customer)
    n = len(unit.store.calls)
    assert unit.act(ana, action="read", conversation_id=conv, seq=msg["seq"]) == []  # no ack: one post less
    assert writes(unit, n) == ["advance_cursor"]
    assert [e["type"] for e in unit.sender.take(customer)] == ["read"]  # no separate `delivered`
    n = len(unit.store.calls)
    for kind in ("read", "delivered"):
        [ack] = unit.act(ana, action=kind, conversation_id=conv, seq=msg["seq"], request_id=kind)
        assert (ack["type"], ack["request_id"]) == ("ack", kind)
    assert writes(unit, n) == [] and unit.sender.take(customer) == []


def test_typing_writes_only_when_the_stored_indicator_changes(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer, "Hi")
    ana = unit.connect_agent("ana")
    unit.act(ana, action="take", conversation_id=conv)
    counted: list[int] = []
    repeat = client_seconds("TYPING_THROTTLE_MS")  # the shipped clients' cadence while keys are pressed
    for state, wait in (("start", 0), ("start", repeat), ("start", repeat), ("stop", 1), ("stop", 1)):
        unit.clock.advance(wait)
        n = len(unit.store.calls)
        unit.act(customer, action="typing", conversation_id=conv, state=state)
        counted.append(len(writes(unit, n)))
    assert counted == [1, 0, 1, 1, 0]  # the third start: two repeats after the stored one
    typing = [e["state"] for e in unit.sender.take(ana) if e["type"] == "typing"]
    assert typing == ["start"] * 3 + ["stop"] * 2


def test_a_reachable_agents_heartbeat_is_one_refresh_and_nobody_else_hears_it(unit: Unit) -> None:
    ana = unit.connect_agent("ana")
    bo = unit.connect_agent("bo")
    unit.sender.take(ana)
    unit.sender.take(bo)
    unit.clock.advance(60)
    n = len(unit.store.calls)
    [ack] = unit.act(ana, action="heartbeat")
    assert ack["type"] == "ack"
    assert [c for c in unit.store.calls[n:] if "presence" in c or "heartbeat" in c] == ["refresh_heartbeat"]
    assert [e for e in unit.sender.take(bo) if e["type"] == "presence"] == []
