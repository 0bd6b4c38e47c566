"""Work-lane and connection rules at their edges: a frame from a connection the hub found gone,
a thread that gets a line for every ticket opened from it, and a callback asked for in a
conversation that has already started."""

from __future__ import annotations

import json

from chalicelib.platform.auth import Actor
from tests.unit.conftest import Unit, chat, of

ANA = Actor("global", "agent", "sub-ana", "Ana")


def test_a_late_frame_from_a_connection_found_gone_is_refused_not_served_from_the_cache(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    unit.clock.advance(60)  # past the connect grace: a 410 now means the socket is gone
    unit.sender.gone.add(customer)
    unit.act(agent, action="send", conversation_id=conv, client_id="a1", text="Still there?")
    assert customer not in unit.store.connections  # the bounce removed it
    thread = unit.texts(conv)

    # A frame it sent before it went reaches this same warm container afterwards.
    unit.hub.live.handle(
        customer, json.dumps({"action": "send", "conversation_id": conv, "client_id": "c9", "text": "late"})
    )

    assert unit.texts(conv) == thread and "late" not in thread
    assert of(unit.sender.take(agent), "message") == []


def test_every_ticket_opened_from_one_conversation_gets_its_own_line_in_the_thread(unit: Unit) -> None:
    customer, conv, _ = chat(unit)

    first = unit.hub.tickets.create(ANA, "Refund", conv)
    second = unit.hub.tickets.create(ANA, "Replacement", conv)

    assert (int(first.number or 0), int(second.number or 0)) == (1, 2)
    opened = [t for t in unit.texts(conv) if t.startswith("We've opened ticket")]
    assert opened == [
        "We've opened ticket #1 for your request; we'll follow up here.",
        "We've opened ticket #2 for your request; we'll follow up here.",
    ]
    told = [m["text"] for m in of(unit.sender.take(customer), "message")]
    assert told == opened


def test_a_callback_asked_for_in_a_started_conversation_reads_that_conversation_only_for_its_line(
    unit: Unit,
) -> None:
    customer, conv, _ = chat(unit)
    kim = Actor("global", "customer", unit.store.metas[("global", conv)].customer_id, "Kim")
    status = unit.store.metas[("global", conv)].status
    unit.store.calls.clear()

    unit.hub.callbacks.request(kim, "+1 415 555 0100", None, "asap", None, conv)

    # One read of the conversation's state, for the thread's "callback requested" line; a
    # started conversation is not started again (no second read to find that out).
    assert unit.store.calls.count("load_conversation") == 1
    assert status != "new" and unit.store.metas[("global", conv)].status == status
    assert unit.texts(conv)[-1] == "Callback requested (asap). We'll call you back."
    assert "Callback requested (asap). We'll call you back." in [
        m["text"] for m in of(unit.sender.take(customer), "message")
    ]
