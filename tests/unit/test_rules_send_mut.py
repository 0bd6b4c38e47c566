"""A customer's line and who hears of it beyond the chat's own subscribers (issue 13: mutants of
`live/actions/send.py` `_customer_wrote`). The lobby — every agent of the tenant — hears of a
chat only when it starts waiting for someone: unowned, and the customer just took their turn."""

from __future__ import annotations

from tests.unit.conftest import Unit, chat, of


def test_a_customer_answering_in_an_owned_chat_tells_only_the_chat(unit: Unit) -> None:
    customer, conv, ana = chat(unit)
    cy = unit.connect_agent("cy")  # in the tenant, not in the chat
    unit.act(ana, action="send", conversation_id=conv, client_id="a1", text="How can I help?")
    unit.sender.sent.clear()
    unit.act(customer, action="send", conversation_id=conv, client_id="c2", text="My order")
    assert [m["text"] for m in of(unit.sender.take(ana), "message")] == ["My order"]
    assert unit.sender.take(cy) == []


def test_an_unowned_chat_whose_customer_answers_a_helper_reaches_every_agent_once(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)  # nobody has room: it waits, unowned
    bo, cy = unit.connect_agent("bo"), unit.connect_agent("cy")
    unit.act(bo, action="join", conversation_id=conv)  # helping is not owning
    unit.act(bo, action="send", conversation_id=conv, client_id="b1", text="Someone will be with you")
    unit.sender.sent.clear()
    unit.act(customer, action="send", conversation_id=conv, client_id="c2", text="Thanks, still here")
    [snapshot] = of(unit.sender.take(cy), "conversation")  # waiting again: the lobby hears it
    assert snapshot["conversation"]["id"] == conv and snapshot["conversation"]["owner"] is None
    assert of(unit.sender.take(customer), "conversation") == []  # not echoed to the writer
    told_bo = unit.sender.take(bo)
    assert [m["text"] for m in of(told_bo, "message")] == ["Thanks, still here"]
    assert len(of(told_bo, "conversation")) == 1
    unit.act(customer, action="send", conversation_id=conv, client_id="c3", text="Hello?")
    assert of(unit.sender.take(cy), "conversation") == []  # already waiting: only the chat hears more
