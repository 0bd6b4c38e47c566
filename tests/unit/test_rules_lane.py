"""The live lane's own rules (`live/lane.py`): the `$default` route's answers, and the port the
work lanes push through (`LivePort`: who is available, starting a conversation, the queue, the
drift sweep's typing stop). Written to kill the mutants `make mutation` left alive in
`live.lane`."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.live.events import Listeners
from chalicelib.live.lane import LiveLane
from tests.unit.conftest import WIDGET_KEY, Unit, chat, of


# ================================================================== the port: who is available
def test_the_port_names_the_available_agents_of_that_tenant_only(unit: Unit) -> None:
    unit.connect_agent("ana")
    unit.connect_agent("zed", tenant="acme")
    assert unit.hub.live.available_agents("global") == {"sub-ana"}
    assert unit.hub.live.available_agents("acme") == {"sub-zed"}


# ================================================================== the port: starting a conversation (a callback)
def test_the_port_starts_only_a_new_conversation_and_says_whether_it_did(unit: Unit) -> None:
    agent = unit.connect_agent("ana")
    customer = unit.connect_customer()
    conv = unit.start(customer)  # opened, nothing said: agents do not see it yet
    assert of(unit.sender.take(agent), "conversation") == []
    assert unit.hub.live.start_conversation("global", "c_missing") is False
    assert unit.hub.live.start_conversation("global", conv) is True
    [seen] = of(unit.sender.take(agent), "conversation")
    assert (seen["conversation"]["id"], seen["conversation"]["status"]) == (conv, "open")
    assert unit.hub.live.start_conversation("global", conv) is False  # started already: nobody told again
    assert of(unit.sender.take(agent), "conversation") == []
    assert unit.hub.live.conversation("global", conv) is not None
    assert unit.hub.live.conversation("global", "c_missing") is None


# ================================================================== the port: the queue
def test_the_port_answers_a_waiting_customers_place_in_the_queue(unit: Unit) -> None:
    unit.connect_agent("ana")  # available, but routing gives no chat here (capacity 0): both wait
    first, second = unit.connect_customer(), unit.connect_customer()
    conv1 = unit.started(first)
    unit.clock.advance(5)
    conv2 = unit.started(second)
    queue = unit.hub.live.queue("global", 10)
    assert [q.conversation_id for q in queue] == [conv1, conv2]
    assert [q.conversation_id for q in unit.hub.live.queue("global", 1)] == [conv1]  # the longest waiting first
    places = [unit.hub.live.queue_place("global", float(q.queued_at)) for q in queue]
    assert places == [1, 2]
    assert unit.hub.live.queue_place("acme", float(queue[1].queued_at)) == 1  # another tenant's queue is empty


# ================================================================== the port: the drift sweep's typing stop
def test_a_typing_stop_from_the_sweep_that_cannot_be_delivered_is_counted_for_its_tenant(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    unit.act(customer, action="typing", conversation_id=conv, state="start")
    unit.sender.sent.clear()
    unit.sender.broken.add(agent)
    before = int(unit.store.counters["global"].delivery_failures or 0)
    unit.hub.live.typing_stopped("global", conv, unit.store.connections[customer].user_id)
    assert int(unit.store.counters["global"].delivery_failures) == before + 1
    assert unit.sender.take(customer) == []


# ================================================================== a lane the hub has not handed its availability
def test_without_the_hubs_availability_a_widget_is_offered_chat_exactly_when_an_agent_is_available(
    unit: Unit,
) -> None:
    live = unit.hub.live
    lane = LiveLane(
        unit.store,
        unit.store,
        unit.sender,
        unit.clock,
        unit.hub.settings,
        live.connections.agents,
        live.connections.widgets,
        Listeners(),
        live.limits,
    )
    session = unit.hub.widgets.open_session(WIDGET_KEY, None, "Kim")
    lane.identify_and_bind("kim=", {"session": session.token})

    def offered() -> tuple[Any, ...]:
        lane.handle("kim=", '{"action": "start"}')
        [event] = of(unit.sender.take("kim="), "conversation")
        return event["agents_available"], event["offer"], event["mode"]

    assert offered() == (False, "callback", "ready")
    lane.identify_and_bind("ana=", {"token": unit.agent_token("ana")})
    assert offered() == (True, "chat", "ready")


# ================================================================== $disconnect, and the answers of $default
@pytest.mark.parametrize("item", ["still stored", "removed by another container"])
def test_a_frame_handled_after_its_connections_disconnect_is_refused(unit: Unit, item: str) -> None:
    """A frame whose handler runs after the connection's `$disconnect` in the same warm container
    (which had the connection cached) must not act: the connection is gone. Its item may already
    have been removed by another container (a 410 there), so `$disconnect` finds nothing to forget."""
    customer, conv, agent = chat(unit)
    if item != "still stored":
        del unit.store.connections[customer]
    unit.hub.live.disconnect(customer)
    [err] = unit.act(customer, action="send", conversation_id=conv, client_id="late", text="still here?")
    assert (err["type"], err["code"]) == ("error", "session_expired")
    assert unit.texts(conv) == ["Hello", "Ana joined the conversation"]
    assert unit.sender.take(agent) == []


def test_an_error_echoes_every_correlation_field_it_can_read(unit: Unit) -> None:
    """A field the hub cannot read back (a number out of range) is left out; the others after
    it are still echoed. Strings up to 64 characters are echoed, longer ones are not."""
    customer = unit.connect_customer()
    [err] = unit.raw(customer, '{"request_id": 1e400, "action": "nope", "client_id": "c9", "conversation_id": "c_1"}')
    assert err["type"] == "error"
    assert (err.get("request_id"), err["action"], err["client_id"], err["conversation_id"]) == (
        None,
        "nope",
        "c9",
        "c_1",
    )
    longest, too_long = "r" * 64, "r" * 65
    [err] = unit.raw(customer, f'{{"request_id": "{longest}", "action": "nope"}}')
    assert err["request_id"] == longest
    [err] = unit.raw(customer, f'{{"request_id": "{too_long}", "action": "nope"}}')
    assert "request_id" not in err and err["action"] == "nope"
