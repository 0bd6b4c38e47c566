"""Every event the hub really sends, on moto, decodes strictly as its contract type (no missing,
unknown or mistyped field): the contract the docs and the TypeScript types are generated from."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from chalicelib.contract.events import EVENT_TYPES, Event
from chalicelib.work.escalation import escalate_overdue
from tests.integration.conftest import Harness, Work

ALL_EVENTS = {str(t.__struct_config__.tag) for t in EVENT_TYPES}


def conforms(event: dict[str, Any]) -> None:
    decoded = msgspec.json.decode(msgspec.json.encode(event), type=Event)
    assert msgspec.to_builtins(decoded) == event  # nothing dropped, nothing added


@pytest.fixture
def every_event(hub: Harness) -> list[dict[str, Any]]:
    """Drives a conversation through every event type and returns everything anyone received."""
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    agent = hub.connect_agent("ana")
    hub.act(agent, action="presence", status="available")
    hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    hub.act(agent, action="take", conversation_id=conv)
    hub.act(agent, action="note", conversation_id=conv, client_id="n1", text="note")
    hub.act(customer, action="typing", conversation_id=conv, state="start")
    hub.act(agent, action="delivered", conversation_id=conv, seq=2)
    hub.act(agent, action="read", conversation_id=conv, seq=2)
    hub.act(customer, action="sync", conversation_id=conv, since=0)
    hub.act(customer, action="explode")
    return [event for _, event in hub.sender.log]


LIVE_LANE_EVENTS = {
    "message",
    "ack",
    "delivered",
    "read",
    "typing",
    "presence",
    "conversation",
    "sync",
    "error",
    "queue",
    "availability",
}


def test_every_live_lane_event_sent_matches_its_schema(every_event: list[dict[str, Any]]) -> None:
    seen = {e["type"] for e in every_event}
    assert seen >= LIVE_LANE_EVENTS, f"not exercised: {LIVE_LANE_EVENTS - seen}"
    for event in every_event:
        conforms(event)


def test_every_work_lane_event_sent_matches_its_schema(work: Work) -> None:
    hub = work.hub
    ana_conn, ana = work.agent("ana")
    hub.act(ana_conn, action="presence", status="available")
    bo_conn, _ = work.agent("bo")
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    hub.act(bo_conn, action="assign", conversation_id=conv, agent_id=ana.id)
    cb = work.callbacks.request(work.customer_actor(customer), "+46701234567", None, "asap", None, conv)
    hub.clock.advance(16 * 60)
    hub.act(ana_conn, action="heartbeat")
    escalate_overdue(work.callbacks)
    work.callbacks.claim(ana, cb.callback_id)
    work.tickets.create(ana, "Follow up", conv)
    work.mode.set(ana, "recovery")
    sent = [event for _, event in hub.sender.log]
    assert {e["type"] for e in sent} >= ALL_EVENTS - LIVE_LANE_EVENTS
    for event in sent:
        conforms(event)
