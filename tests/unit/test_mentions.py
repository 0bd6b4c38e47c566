"""Mentions, parsed on the server against the tenant's agents: a note's `@Name` reaches the named
agent on every connection, also when they do not follow the conversation; nobody else hears it."""

from __future__ import annotations

import pytest

from chalicelib.work.mentions import mentioned
from tests.unit.conftest import Unit

AGENTS = {"a1": "Demo Agent", "a2": "Demo Agent 2", "b": "Bo", "o": "Åsa Öberg"}


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("@Bo can you look?", {"b"}),
        ("ping @bo.", {"b"}),
        ("@Demo Agent 2 and @Demo Agent", {"a1", "a2"}),
        ("@Demo Agent 2 please", {"a2"}),
        ("write to bo@example.com", set()),
        ("@Bob is not Bo", set()),
        ("@åsa öberg hej", {"o"}),
        ("@ nobody", set()),
        ("(@Bo)", {"b"}),
    ],
)
def test_who_a_note_mentions(text: str, ids: set[str]) -> None:
    assert mentioned(text, AGENTS) == ids


def test_a_mention_reaches_the_named_agent_wherever_they_are(unit: Unit) -> None:
    customer = unit.connect_customer()
    conversation = unit.started(customer)  # agents see a chat once its customer wrote
    ana = unit.connect_agent("ana")
    bo_desk, bo_phone = unit.connect_agent("bo"), unit.connect_agent("bo")  # two tabs, neither in the chat
    cy = unit.connect_agent("cy")
    unit.act(ana, action="take", conversation_id=conversation)  # ownership is explicit (routing)
    for cid in (bo_desk, bo_phone, cy, customer):
        unit.sender.take(cid)
    [ack] = unit.act(ana, action="note", conversation_id=conversation, client_id="n1", text="@Bo can you call them?")
    assert ack["type"] == "ack"
    for tab in (bo_desk, bo_phone):
        [mention] = [e for e in unit.sender.take(tab) if e["type"] == "mention"]
        assert mention == {
            "type": "mention",
            "conversation_id": conversation,
            "seq": ack["seq"],
            "by": {"id": "sub-ana", "name": "Ana"},
            "text": "@Bo can you call them?",
            "created_at": ack["created_at"],
        }
    assert [e for e in unit.sender.take(cy) if e["type"] == "mention"] == []
    assert unit.sender.take(customer) == []  # a note never reaches the customer
    # Mentioning yourself, or a resend of the same note, tells nobody again.
    unit.act(ana, action="note", conversation_id=conversation, client_id="n2", text="note to @Ana self")
    unit.act(ana, action="note", conversation_id=conversation, client_id="n1", text="@Bo can you call them?")
    assert [e for e in unit.sender.take(bo_desk) if e["type"] == "mention"] == []
    assert [e for e in unit.sender.take(ana) if e["type"] == "mention"] == []
