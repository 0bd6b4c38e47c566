"""A customer's line and who hears of it beyond the chat's own subscribers (issue 13: mutants of
`live/actions/send.py` `_customer_wrote`). The lobby — every agent of the tenant — hears of a
chat only when it starts waiting for someone: unowned, and the customer just took their turn."""

from __future__ import annotations

import logging
from typing import Any

import pytest

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


def test_a_customers_ack_numbers_their_line_in_their_own_numbering(unit: Unit) -> None:
    """Notes take no public number: after one, the customer's ack says the seq they will see."""
    customer, conv, ana = chat(unit)
    unit.act(ana, action="note", conversation_id=conv, client_id="n1", text="VIP")
    [ack] = of(unit.act(customer, action="send", conversation_id=conv, client_id="c2", text="Hi"), "ack")
    [seen_by_ana] = of(unit.sender.take(ana), "message")
    assert seen_by_ana["seq"] == ack["seq"] + 1  # the agents' numbering counts the note
    [page] = unit.act(customer, action="sync", conversation_id=conv, since=0)
    assert page["messages"][-1]["seq"] == ack["seq"]


def test_a_failure_telling_the_others_leaves_the_line_sent_and_is_logged_against_it(
    unit: Unit, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer, conv, _ = chat(unit)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("fan-out down")

    monkeypatch.setattr(unit.hub.live.notifier, "message", broken)
    caplog.set_level(logging.INFO, logger="flow-hub")
    [ack] = of(unit.act(customer, action="send", conversation_id=conv, client_id="c2", text="Hi"), "ack")
    assert ack["status"] == "sent" and unit.texts(conv)[-1] == "Hi"
    [record] = [r for r in caplog.records if r.getMessage() == "work after the reply failed"]
    assert (record.action, record.connection_id) == ("send", customer)  # type: ignore[attr-defined]
