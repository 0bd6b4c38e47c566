"""`start` (issue 13: mutants of `live/actions/start.py` that survived the full run): the
customer's own view on resume, a flip of the offer between the two reads, and whose limit a new
conversation counts against."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from chalicelib.contract.rest.widget import Availability as Offered
from tests.unit.conftest import Unit, chat, of


def test_a_customer_resuming_sees_their_own_numbering_not_the_agents(unit: Unit) -> None:
    customer, conv, ana = chat(unit)
    unit.act(ana, action="note", conversation_id=conv, client_id="n1", text="VIP")  # agents only
    [snap] = of(unit.act(customer, action="start", conversation_id=conv), "conversation")
    stored = unit.store.metas[("global", conv)]
    assert int(stored.last_seq) == int(stored.last_pseq) + 1  # the note
    assert snap["conversation"]["last_seq"] == int(stored.last_pseq)  # the customer never learns of it


def live_with_offers(unit: Unit, monkeypatch: pytest.MonkeyPatch, *offers: Offered) -> None:
    """The hub's offer as read at each call, in turn: a flip between `start`'s two reads."""
    live = unit.hub.live.live
    queue = list(offers)
    monkeypatch.setattr(live, "availability", lambda tenant: queue.pop(0) if len(queue) > 1 else queue[0])


def test_an_offer_that_flips_during_the_start_reaches_that_widget(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> None:
    customer = unit.connect_customer()
    chat_now = Offered(agents_available=True, offer="chat", mode="ready")
    # The team closed by the clock in between: the widget hears that too, and when it opens.
    opens = "2027-01-04T08:00:00.000Z"
    callback_now = Offered(agents_available=False, offer="callback", mode="ready", open=False, next_open_at=opens)
    live_with_offers(unit, monkeypatch, chat_now, callback_now)
    answer = unit.act(customer, action="start")
    [snap] = of(answer, "conversation")
    assert (snap["offer"], snap["agents_available"]) == ("chat", True)  # what was true when it was read
    [flip] = of(answer, "availability")
    assert (flip["offer"], flip["agents_available"], flip["mode"]) == ("callback", False, "ready")
    assert (flip["open"], flip["next_open_at"]) == (False, opens)


def test_a_failed_second_read_leaves_the_start_answered_and_is_logged_against_it(
    unit: Unit, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    customer = unit.connect_customer()
    reads: list[str] = []

    def offer(tenant: str) -> Any:
        reads.append(tenant)
        if len(reads) > 1:
            raise RuntimeError("hub unreachable")
        return Offered(agents_available=True, offer="chat", mode="ready")

    monkeypatch.setattr(unit.hub.live.live, "availability", offer)
    caplog.set_level(logging.INFO, logger="flow-hub")
    [snap] = unit.act(customer, action="start")
    assert snap["type"] == "conversation" and reads == ["global", "global"]
    [record] = [r for r in caplog.records if r.getMessage() == "work after the reply failed"]
    assert (record.action, record.connection_id) == ("start", customer)  # type: ignore[attr-defined]


def test_the_new_conversation_limit_is_each_customers_own(unit: Unit) -> None:
    first, second = unit.connect_customer(), unit.connect_customer()
    limit = unit.hub.limits.settings.conversations_per_hour
    for _ in range(limit):
        assert of(unit.act(first, action="start", request_id="s"), "conversation")
    [refused] = unit.act(first, action="start")
    assert refused["code"] == "rate_limited"
    assert of(unit.act(second, action="start"), "conversation")  # another customer of the tenant


def test_a_new_conversation_s_start_reply_lists_its_customer_as_its_participant(unit: Unit) -> None:
    customer = unit.connect_customer()
    [snap] = of(unit.act(customer, action="start"), "conversation")
    conn = unit.hub.live.connections.bound(customer, unit.clock.now())
    assert conn is not None
    assert [(p["role"], p["id"], p["name"]) for p in snap["conversation"]["participants"]] == [
        ("customer", conn.user_id, "Kim")
    ]
