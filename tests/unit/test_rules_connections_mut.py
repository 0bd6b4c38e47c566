"""The connection cache's `subscribe` (`live/connections.py`): the conversation in hand lists the
new subscriber as stored, once, so an event fanned out from it in the same invocation reaches it
in its own role (mutation testing found nothing checked that bookkeeping)."""

from __future__ import annotations

import pytest
from msgspec import UNSET

from chalicelib.contract.common import Person
from chalicelib.contract.events import TypingEvent
from chalicelib.platform.errors import SessionExpired
from chalicelib.store.models import Connection, Subscription
from chalicelib.store.ports import ConversationState
from tests.unit.conftest import Unit


def ana_beside_a_chat(unit: Unit) -> tuple[str, str, str, Connection, ConversationState]:
    """A customer's started chat and Ana's connection (not subscribed to it), as a frame has them."""
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana = unit.connect_agent("ana")
    conn = unit.hub.live.connections.bound(ana, unit.clock.now())
    assert conn is not None
    state = unit.store.load_conversation("global", conv, unit.clock.now())
    assert state is not None and ana not in {s.connection_id for s in state.subscriptions}
    return customer, conv, ana, conn, state


def test_the_conversation_in_hand_lists_the_new_subscriber_once_as_stored(unit: Unit) -> None:
    customer, conv, ana, conn, state = ana_beside_a_chat(unit)
    conns = unit.hub.live.connections

    unit.store.calls.clear()
    conns.subscribe(conn, state)
    conns.subscribe(conn, state)  # idempotent: nothing written or listed twice
    mine = [s for s in state.subscriptions if s.connection_id == ana]
    assert [(s.connection_id, s.role, s.user_id) for s in mine] == [(ana, "agent", "sub-ana")]
    stored: Subscription = unit.store.subscriptions[("global", conv)][ana]
    assert (stored.role, stored.user_id) == (mine[0].role, mine[0].user_id)
    assert unit.store.calls == ["subscribe"]

    # What the lane tells from this state reaches the new subscriber as the agent it is: a
    # colleague's note typing reaches it; its own typing does not come back to it.
    unit.sender.sent.clear()
    notifier = unit.hub.live.notifier
    notifier.typing("global", state.subscriptions, "sub-bo", _typing(conv, "sub-bo", note=True))
    assert [(e["type"], e["by"]["id"]) for e in unit.sender.take(ana)] == [("typing", "sub-bo")]
    assert unit.sender.take(customer) == []  # a note's typing is for agents only
    notifier.typing("global", state.subscriptions, "sub-ana", _typing(conv, "sub-ana"))
    assert unit.sender.take(ana) == []


def _typing(conv: str, who: str, note: bool = False) -> TypingEvent:
    return TypingEvent(conversation_id=conv, by=Person("agent", who, who), state="start", note=True if note else UNSET)


def test_subscribing_a_closed_connection_that_this_container_forgot_says_reconnect(unit: Unit) -> None:
    """A `$disconnect` in this very process (the local gateway runs frames in threads) dropped
    the cached connection between this frame's look and its subscribe."""
    _, conv, ana, conn, state = ana_beside_a_chat(unit)
    unit.hub.live.connections.forget_cached(ana)
    del unit.store.connections[ana]
    with pytest.raises(SessionExpired, match="this connection has closed; reconnect"):
        unit.hub.live.connections.subscribe(conn, state)
    assert ana not in unit.store.subscriptions[("global", conv)]
