# PynamoDB types a nullable attribute as its value type: comparing a record with None is meant.
# mypy: disable-error-code="comparison-overlap"
"""The work lanes' rules on the in-memory stores: callbacks (exactly one agent works each), tickets
(every change recorded, a customer's reply reopens) and the hub counters they move. Asserted as
users meet them: what was stored, what the dashboards and the customer's thread were told, what
was refused and how it was worded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from chalicelib.live.events import CustomerReplied
from chalicelib.platform.auth import Actor
from chalicelib.platform.errors import AlreadyTaken, Forbidden, InvalidAction, NotFound
from chalicelib.store.keys import history_subject
from chalicelib.store.work_models import Callback, Ticket
from chalicelib.work.escalation import escalate_overdue
from tests.unit.conftest import Unit, of

ANA = Actor("global", "agent", "sub-ana", "Ana")
BO = Actor("global", "agent", "sub-bo", "Bo")
PHONE = "+1 415 555 0100"
E164 = "+14155550100"


def customer_chat(unit: Unit) -> tuple[str, str, Actor]:
    cid = unit.connect_customer()
    conv = unit.start(cid)
    conn = unit.store.connections[cid]
    return cid, conv, Actor("global", "customer", conn.user_id, conn.name)


def history(unit: Unit, kind: str, item_id: str) -> list[tuple[str, str, str]]:
    return [(h.action, h.actor_name, h.detail) for h in unit.store.histories[history_subject("global", kind, item_id)]]


def stored_cb(unit: Unit, cb: Callback) -> Callback:
    return unit.store.callbacks[("global", cb.callback_id)]


def counters(unit: Unit) -> dict[str, int]:
    row = unit.store.counters.get("global")
    names = ("open_tickets", "waiting_internal", "callback_queued", "callback_overdue", "active_chats")
    return {n: int(getattr(row, n) or 0) for n in names} if row else {}


# ================================================================== callbacks
def test_a_customer_asks_for_a_callback_from_their_chat(unit: Unit) -> None:
    dashboard = unit.connect_agent("ana")
    cid, conv, kim = customer_chat(unit)
    unit.sender.sent.clear()
    now = unit.clock.now()
    cb = unit.hub.callbacks.request(kim, PHONE, None, "asap", "my order", conv)
    stored = stored_cb(unit, cb)
    assert (stored.status, stored.phone, stored.window, stored.reason, stored.source) == (
        "queued",
        E164,
        "asap",
        "my order",
        "widget",
    )
    assert (stored.customer_id, stored.customer_name, stored.conversation_id) == (kim.id, "Kim", conv)
    assert (float(stored.due_at), int(stored.attempts), int(stored.max_attempts), float(stored.retry_minutes)) == (
        now + 15 * 60,
        0,
        3,
        10,
    )
    assert stored.open_tenant == "global" and stored.created_by == kim.id and stored.overdue is False
    assert history(unit, "CB", cb.callback_id) == [("requested", "Kim", "Kim requested")]
    [told] = of(unit.sender.take(dashboard), "callback")
    assert (told["action"], told["callback"]["phone"], told["callback"]["due_in_seconds"]) == ("requested", E164, 900)
    assert unit.texts(conv)[-1] == "Callback requested (asap). We'll call you back."  # never the number
    [line] = of(unit.sender.take(cid), "message")
    assert line["kind"] == "system" and line["text"].startswith("Callback requested")
    assert counters(unit)["callback_queued"] == 1


def test_the_tenants_callback_settings_set_the_promise(unit: Unit) -> None:
    t = unit.store.tenants["global"]
    t.callback_sla_minutes, t.callback_max_attempts, t.callback_retry_minutes = 5, 2, 30
    cb = unit.hub.callbacks.request(ANA, "415 555 0100", "us", "asap", None, None, "Mo", source="missed_call")
    stored = stored_cb(unit, cb)
    assert (float(stored.due_at), int(stored.max_attempts), float(stored.retry_minutes)) == (
        unit.clock.now() + 300,
        2,
        30,
    )
    assert (stored.phone, stored.source, stored.customer_name, stored.customer_id) == (E164, "missed_call", "Mo", None)
    assert stored.reason is None
    assert history(unit, "CB", cb.callback_id) == [("missed_call", "Ana", "Ana logged a missed call")]


def test_an_agent_logged_call_without_a_name_is_the_caller(unit: Unit) -> None:
    cb = unit.hub.callbacks.request(ANA, PHONE, None, "asap", "", None)
    assert stored_cb(unit, cb).customer_name == "Caller" and stored_cb(unit, cb).reason is None
    kim = Actor("global", "customer", "cu_9", "Kim" * 40)
    cb = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, None)
    stored = stored_cb(unit, cb)
    assert stored.customer_name == ("Kim" * 40)[:80] and stored.customer_id == "cu_9"


@pytest.mark.parametrize(
    ("phone", "region", "window", "reason", "message"),
    [
        (PHONE, None, "tonight", None, "window: expected one of asap, morning, afternoon, evening"),
        (PHONE, None, "asap", "x" * 501, "reason: at most 500 characters"),
        ("555 0100", None, "asap", None, "phone: "),
        ("+1 415 555", None, "asap", None, "phone: "),
        ("not a number", "us", "asap", None, "phone: "),
    ],
)
def test_a_callback_request_with_bad_details_is_refused_and_stores_nothing(
    unit: Unit, phone: str, region: str | None, window: str, reason: str | None, message: str
) -> None:
    with pytest.raises(InvalidAction) as caught:
        unit.hub.callbacks.request(ANA, phone, region, window, reason, None)
    assert caught.value.message.startswith(message)
    assert unit.store.callbacks == {} and counters(unit) == {}


def test_a_reason_of_exactly_the_limit_is_accepted(unit: Unit) -> None:
    cb = unit.hub.callbacks.request(ANA, PHONE, None, "asap", "x" * 500, None)
    assert stored_cb(unit, cb).reason == "x" * 500


def test_a_customer_cannot_attach_a_callback_to_someone_elses_chat(unit: Unit) -> None:
    _, conv, _ = customer_chat(unit)
    mallory = Actor("global", "customer", "cu_mallory", "Mal")
    with pytest.raises(NotFound):
        unit.hub.callbacks.request(mallory, PHONE, None, "asap", None, conv)
    with pytest.raises(NotFound):
        unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, "c_nope")
    assert unit.store.callbacks == {}
    cb = unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, conv)  # an agent may, for the customer
    stored = stored_cb(unit, cb)
    assert stored.customer_name == "Kim" and stored.customer_id == unit.store.metas[("global", conv)].customer_id


def test_claiming_takes_a_callback_out_of_the_queue_and_tells_the_customer(unit: Unit) -> None:
    _, conv, kim = customer_chat(unit)
    cb = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, conv)
    dashboard = unit.connect_agent("bo")
    unit.sender.sent.clear()
    unit.clock.advance(5)
    claimed = unit.hub.callbacks.claim(ANA, cb.callback_id)
    stored = stored_cb(unit, cb)
    assert (stored.status, stored.claimed_by, stored.claimed_by_name) == ("claimed", "sub-ana", "Ana")
    assert float(stored.claimed_at) == unit.clock.now() == float(stored.updated_at)
    assert claimed.status == "claimed"
    assert counters(unit)["callback_queued"] == 0
    [told] = of(unit.sender.take(dashboard), "callback")
    assert told["action"] == "claimed" and told["callback"]["claimed_by"] == {"id": "sub-ana", "name": "Ana"}
    assert unit.texts(conv)[-1] == "Ana is calling you back now."
    assert history(unit, "CB", cb.callback_id)[-1] == ("claimed", "Ana", "Ana is calling")
    with pytest.raises(AlreadyTaken) as caught:
        unit.hub.callbacks.claim(BO, cb.callback_id)
    assert caught.value.message == "Ana already claimed this callback"
    assert stored_cb(unit, cb).claimed_by == "sub-ana"


def test_a_claim_that_loses_the_race_names_the_winner(unit: Unit) -> None:
    """Named survivor: the claim's guards. Bo reads the callback as queued; Ana's claim lands
    before his write. His conditional write is refused, he is told who has it, nothing of his
    is stored, and the queue counter moves once."""
    cb = unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, None)
    unit.store.before_next("commit", lambda: unit.hub.callbacks.claim(ANA, cb.callback_id))
    with pytest.raises(AlreadyTaken) as caught:
        unit.hub.callbacks.claim(BO, cb.callback_id)
    assert caught.value.message == "Ana already claimed this callback"
    assert stored_cb(unit, cb).claimed_by == "sub-ana"
    assert [a for a, _, _ in history(unit, "CB", cb.callback_id)] == ["requested", "claimed"]
    assert counters(unit)["callback_queued"] == 0


def test_a_lost_race_against_a_cancel_says_what_happened(unit: Unit) -> None:
    kim = Actor("global", "customer", "cu_1", "Kim")
    cb = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, None)
    unit.store.before_next("commit", lambda: unit.hub.callbacks.cancel(kim, cb.callback_id, None))
    with pytest.raises(AlreadyTaken) as caught:
        unit.hub.callbacks.claim(BO, cb.callback_id)
    assert caught.value.message == "callback is already cancelled"


def test_only_the_claiming_agent_works_the_callback(unit: Unit) -> None:
    cb = unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, None)
    with pytest.raises(AlreadyTaken) as caught:
        unit.hub.callbacks.complete(ANA, cb.callback_id, None)
    assert caught.value.message == "you have not claimed this callback"
    unit.hub.callbacks.claim(ANA, cb.callback_id)
    attempts: list[Callable[[], object]] = [
        lambda: unit.hub.callbacks.complete(BO, cb.callback_id, None),
        lambda: unit.hub.callbacks.release(BO, cb.callback_id),
        lambda: unit.hub.callbacks.no_answer(BO, cb.callback_id, None),
    ]
    for work in attempts:
        with pytest.raises(AlreadyTaken) as caught:
            work()
        assert caught.value.message == "Ana already claimed this callback"
    kim = Actor("global", "customer", "cu_1", "Kim")
    with pytest.raises(Forbidden) as forbidden:
        unit.hub.callbacks.complete(kim, cb.callback_id, None)
    assert forbidden.value.message == "only agents work callbacks"
    assert stored_cb(unit, cb).status == "claimed"
    with pytest.raises(NotFound):
        unit.hub.callbacks.claim(ANA, "cb_nope")


def test_releasing_puts_it_back_in_the_queue(unit: Unit) -> None:
    cb = unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, None)
    unit.hub.callbacks.claim(ANA, cb.callback_id)
    unit.clock.advance(3)
    unit.hub.callbacks.release(ANA, cb.callback_id)
    stored = stored_cb(unit, cb)
    assert (stored.status, stored.claimed_by, stored.claimed_by_name, stored.claimed_at) == ("queued", None, None, None)
    assert float(stored.updated_at) == unit.clock.now()
    assert history(unit, "CB", cb.callback_id)[-1] == ("released", "Ana", "Ana put it back in the queue")
    assert counters(unit)["callback_queued"] == 1
    unit.hub.callbacks.claim(BO, cb.callback_id)
    assert stored_cb(unit, cb).claimed_by == "sub-bo"


def test_completing_closes_it_and_counts_the_attempt(unit: Unit) -> None:
    _, conv, kim = customer_chat(unit)
    cb = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, conv)
    unit.hub.callbacks.claim(ANA, cb.callback_id)
    unit.clock.advance(60)
    unit.hub.callbacks.complete(ANA, cb.callback_id, None)
    stored = stored_cb(unit, cb)
    assert (stored.status, int(stored.attempts), stored.open_tenant) == ("completed", 1, None)
    assert float(stored.closed_at) == unit.clock.now() == float(stored.updated_at)
    assert history(unit, "CB", cb.callback_id)[-1] == ("completed", "Ana", "Reached the customer")
    assert unit.texts(conv)[-1] == "Callback completed."
    assert counters(unit)["callback_queued"] == 0 and unit.hub.callbacks.queue("global") == []
    other = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, None)
    unit.hub.callbacks.claim(ANA, other.callback_id)
    unit.hub.callbacks.complete(ANA, other.callback_id, "left a voicemail")
    assert history(unit, "CB", other.callback_id)[-1][2] == "left a voicemail"


def test_no_answer_retries_after_the_delay_then_fails_after_the_last_attempt(unit: Unit) -> None:
    unit.store.tenants["global"].callback_max_attempts = 2
    _, conv, kim = customer_chat(unit)
    cb = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, conv)
    unit.hub.callbacks.claim(ANA, cb.callback_id)
    stored_cb(unit, cb).overdue, stored_cb(unit, cb).priority = True, "high"
    unit.hub.callbacks.no_answer(ANA, cb.callback_id, "busy tone")
    stored = stored_cb(unit, cb)
    assert (stored.status, int(stored.attempts), stored.claimed_by, stored.overdue, stored.priority) == (
        "queued",
        1,
        None,
        False,
        "normal",
    )
    assert float(stored.due_at) == unit.clock.now() + 600
    action, _, detail = history(unit, "CB", cb.callback_id)[-1]
    assert action == "no_answer" and detail.startswith("busy tone — No answer (attempt 1 of 2); retry at ")
    assert unit.texts(conv)[-1] == "We tried to call you but couldn't get through. We'll try again in 10 minutes."
    assert counters(unit)["callback_queued"] == 1
    unit.hub.callbacks.claim(BO, cb.callback_id)
    unit.hub.callbacks.no_answer(BO, cb.callback_id, None)
    stored = stored_cb(unit, cb)
    assert (stored.status, int(stored.attempts), stored.open_tenant) == ("failed", 2, None)
    assert float(stored.closed_at) == unit.clock.now()
    assert history(unit, "CB", cb.callback_id)[-1][2] == "No answer (attempt 2 of 2); closed as failed"
    assert unit.texts(conv)[-1] == "We could not reach you by phone. Reply here and we'll pick it up."
    assert counters(unit)["callback_queued"] == 0
    assert unit.texts(conv).count("Bo is calling you back now.") == 1


def test_a_customer_cancels_only_their_own_open_callback(unit: Unit) -> None:
    _, conv, kim = customer_chat(unit)
    cb = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, conv)
    with pytest.raises(NotFound):
        unit.hub.callbacks.cancel(Actor("global", "customer", "cu_other", "Oz"), cb.callback_id, None)
    unit.hub.callbacks.cancel(kim, cb.callback_id, None)
    stored = stored_cb(unit, cb)
    assert (stored.status, stored.open_tenant, float(stored.closed_at)) == ("cancelled", None, unit.clock.now())
    assert history(unit, "CB", cb.callback_id)[-1] == ("cancelled", "Kim", "Cancelled by Kim")
    assert unit.texts(conv)[-1] == "Callback cancelled."
    with pytest.raises(AlreadyTaken) as caught:
        unit.hub.callbacks.cancel(kim, cb.callback_id, None)
    assert caught.value.message == "callback is already cancelled"
    with pytest.raises(AlreadyTaken) as caught:
        unit.hub.callbacks.claim(ANA, cb.callback_id)
    assert caught.value.message == "callback is already cancelled"
    claimed = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, None)
    unit.hub.callbacks.claim(ANA, claimed.callback_id)
    unit.hub.callbacks.cancel(ANA, claimed.callback_id, "duplicate")
    assert history(unit, "CB", claimed.callback_id)[-1] == ("cancelled", "Ana", "duplicate")
    assert counters(unit)["callback_queued"] == 0


def test_the_queue_and_a_callbacks_history(unit: Unit) -> None:
    first = unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, None)
    unit.clock.advance(60)
    second = unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, None)
    assert [c.callback_id for c in unit.hub.callbacks.queue("global")] == [first.callback_id, second.callback_id]
    unit.hub.callbacks.claim(BO, first.callback_id)
    cb, items = unit.hub.callbacks.get(ANA, first.callback_id)
    assert cb.status == "claimed"
    assert [(i.action, i.by.name) for i in items] == [("requested", "Ana"), ("claimed", "Bo")]
    with pytest.raises(NotFound):
        unit.hub.callbacks.get(Actor("acme", "agent", "sub-zed", "Zed"), first.callback_id)


# ================================================================== tickets
def test_a_ticket_from_a_chat_keeps_its_customer_and_tells_the_thread(unit: Unit) -> None:
    dashboard = unit.connect_agent("bo")
    _, conv, kim = customer_chat(unit)
    unit.sender.sent.clear()
    t = unit.hub.tickets.create(ANA, "  Refund for order 42  ", conv)
    stored = unit.store.tickets[("global", t.ticket_id)]
    assert (stored.subject, stored.status, stored.owner_id, stored.owner_name) == (
        "Refund for order 42",
        "open",
        "sub-ana",
        "Ana",
    )
    assert (stored.customer_id, stored.customer_name, stored.conversation_id) == (kim.id, "Kim", conv)
    assert stored.open_tenant == "global" and stored.created_by == "sub-ana"
    assert history(unit, "TK", t.ticket_id) == [("created", "Ana", "Ana created the ticket; owner Ana")]
    assert unit.texts(conv)[-1] == "We've opened ticket #1 for your request; we'll follow up here."
    [told] = of(unit.sender.take(dashboard), "ticket")
    assert told["ticket"]["id"] == t.ticket_id and told["ticket"]["customer"]["name"] == "Kim"
    assert counters(unit)["open_tickets"] == 1
    assert of(unit.sender.take(dashboard), "counters") == []  # already taken above, in order
    standalone = unit.hub.tickets.create(ANA, "Printer", None, owner=("sub-bo", "Bo"))
    assert (standalone.owner_id, standalone.owner_name, standalone.customer_id) == ("sub-bo", "Bo", None)
    assert history(unit, "TK", standalone.ticket_id)[0][2] == "Ana created the ticket; owner Bo"


@pytest.mark.parametrize("subject", ["", "   ", "x" * 201])
def test_a_ticket_needs_a_subject_of_reasonable_length(unit: Unit, subject: str) -> None:
    with pytest.raises(InvalidAction) as caught:
        unit.hub.tickets.create(ANA, subject, None)
    assert caught.value.message == "subject: 1 to 200 characters"
    assert unit.store.tickets == {}


def test_a_ticket_for_a_missing_conversation_is_refused(unit: Unit) -> None:
    with pytest.raises(NotFound):
        unit.hub.tickets.create(ANA, "Refund", "c_nope")
    assert unit.store.tickets == {}
    assert unit.hub.tickets.create(ANA, "x" * 200, None).subject == "x" * 200


def test_status_changes_are_recorded_and_counted(unit: Unit) -> None:
    t = unit.hub.tickets.create(ANA, "Refund", None)
    unit.clock.advance(10)
    with pytest.raises(InvalidAction) as caught:
        unit.hub.tickets.change(ANA, t.ticket_id, status="waiting_internal")
    assert caught.value.message == "waiting_on: say which team or person the ticket waits on"
    with pytest.raises(InvalidAction) as caught:
        unit.hub.tickets.change(ANA, t.ticket_id, status="pending")
    assert caught.value.message == "status: expected one of open, waiting_internal, waiting_customer, solved"
    changed = unit.hub.tickets.change(ANA, t.ticket_id, status="waiting_internal", waiting_on="  Billing team  ")
    stored = unit.store.tickets[("global", t.ticket_id)]
    assert (stored.status, stored.waiting_on, float(stored.status_at)) == (
        "waiting_internal",
        "Billing team",
        unit.clock.now(),
    )
    assert changed.waiting_on == "Billing team"
    assert history(unit, "TK", t.ticket_id)[1:] == [
        ("status", "Ana", "open → waiting internal"),
        ("waiting_on", "Ana", "waits on Billing team"),
    ]
    assert (counters(unit)["open_tickets"], counters(unit)["waiting_internal"]) == (1, 1)
    unit.hub.tickets.change(ANA, t.ticket_id, waiting_on="Legal")
    assert unit.store.tickets[("global", t.ticket_id)].waiting_on == "Legal"
    unit.hub.tickets.change(ANA, t.ticket_id, status="solved")
    stored = unit.store.tickets[("global", t.ticket_id)]
    assert (stored.status, stored.waiting_on, stored.open_tenant) == ("solved", None, None)
    assert history(unit, "TK", t.ticket_id)[-1] == ("status", "Ana", "waiting internal → solved")
    assert counters(unit)["open_tickets"] == 0 and counters(unit)["waiting_internal"] == 0
    assert unit.hub.tickets.open("global") == []
    unit.hub.tickets.change(BO, t.ticket_id, status="open")
    assert unit.store.tickets[("global", t.ticket_id)].open_tenant == "global"
    assert history(unit, "TK", t.ticket_id)[-1] == ("status", "Bo", "solved → open")


def test_a_change_that_changes_nothing_writes_nothing(unit: Unit) -> None:
    t = unit.hub.tickets.create(ANA, "Refund", None)
    dashboard = unit.connect_agent("bo")
    commits = unit.store.calls.count("commit")
    same = unit.hub.tickets.change(ANA, t.ticket_id, status="open", owner=("sub-ana", "Ana"))
    assert same.version == t.version and unit.store.calls.count("commit") == commits
    assert unit.hub.tickets.change(ANA, t.ticket_id, waiting_on="Billing").waiting_on is None  # not waiting internal
    assert of(unit.sender.take(dashboard), "ticket") == []
    assert len(history(unit, "TK", t.ticket_id)) == 1


def test_an_owner_change_is_recorded(unit: Unit) -> None:
    t = unit.hub.tickets.create(ANA, "Refund", None)
    unit.hub.tickets.change(ANA, t.ticket_id, owner=("sub-bo", "Bo"))
    stored = unit.store.tickets[("global", t.ticket_id)]
    assert (stored.owner_id, stored.owner_name) == ("sub-bo", "Bo")
    assert history(unit, "TK", t.ticket_id)[-1] == ("owner", "Ana", "owner Ana → Bo")


def test_a_customer_reply_reopens_the_ticket_waiting_on_them(unit: Unit) -> None:
    cid, conv, _ = customer_chat(unit)
    t = unit.hub.tickets.create(ANA, "Refund", conv)
    unit.hub.tickets.change(ANA, t.ticket_id, status="waiting_customer")
    assert unit.store.metas[("global", conv)].waiting_ticket_id == t.ticket_id
    unit.clock.advance(30)
    unit.act(cid, action="send", conversation_id=conv, client_id="r1", text="here is my receipt")
    stored = unit.store.tickets[("global", t.ticket_id)]
    assert (stored.status, float(stored.status_at)) == ("open", unit.clock.now())
    assert history(unit, "TK", t.ticket_id)[-1] == (
        "status",
        "Kim",
        "waiting on customer → open (the customer replied)",
    )
    [*_, by_customer] = unit.store.histories[history_subject("global", "TK", t.ticket_id)]
    assert by_customer.actor_id == unit.store.connections[cid].user_id  # who, not only their name
    assert unit.store.metas[("global", conv)].waiting_ticket_id is None
    assert counters(unit)["open_tickets"] == 1  # still the one open ticket, not counted again
    unit.act(cid, action="send", conversation_id=conv, client_id="r2", text="and another")
    assert len(history(unit, "TK", t.ticket_id)) == 3  # created, status, status: a second reply changes nothing


def test_a_reply_changes_nothing_when_the_ticket_no_longer_waits(unit: Unit) -> None:
    _, conv, kim = customer_chat(unit)
    t = unit.hub.tickets.create(ANA, "Refund", conv)
    event = CustomerReplied("global", conv, kim.id, kim.name, t.ticket_id)
    assert unit.hub.tickets.customer_replied(event) is None
    assert unit.hub.tickets.customer_replied(CustomerReplied("global", conv, kim.id, kim.name, None)) is None
    assert unit.hub.tickets.customer_replied(CustomerReplied("global", conv, kim.id, kim.name, "tk_gone")) is None
    unit.hub.tickets.change(ANA, t.ticket_id, status="waiting_customer")
    unit.store.before_next("commit", lambda: unit.hub.tickets.change(ANA, t.ticket_id, status="solved"))
    assert unit.hub.tickets.customer_replied(event) is None  # solved meanwhile: that change stands
    assert unit.store.tickets[("global", t.ticket_id)].status == "solved"
    assert unit.store.metas[("global", conv)].waiting_ticket_id is None


def test_leaving_waiting_customer_unhooks_the_conversation(unit: Unit) -> None:
    _, conv, _ = customer_chat(unit)
    t = unit.hub.tickets.create(ANA, "Refund", conv)
    unit.hub.tickets.change(ANA, t.ticket_id, status="waiting_customer")
    unit.hub.tickets.change(ANA, t.ticket_id, status="waiting_internal", waiting_on="Billing")
    assert unit.store.metas[("global", conv)].waiting_ticket_id is None
    unit.hub.tickets.change(ANA, t.ticket_id, status="waiting_customer")
    unit.hub.tickets.change(ANA, t.ticket_id, owner=("sub-bo", "Bo"))  # not a status change: still hooked
    assert unit.store.metas[("global", conv)].waiting_ticket_id == t.ticket_id


def test_a_concurrent_ticket_change_is_refused_not_lost(unit: Unit) -> None:
    t = unit.hub.tickets.create(ANA, "Refund", None)
    unit.store.before_next("commit", lambda: unit.hub.tickets.change(BO, t.ticket_id, owner=("sub-bo", "Bo")))
    with pytest.raises(AlreadyTaken) as caught:
        unit.hub.tickets.change(ANA, t.ticket_id, status="solved")
    assert caught.value.message == "the ticket changed meanwhile; reload it"
    stored: Ticket = unit.store.tickets[("global", t.ticket_id)]
    assert (stored.status, stored.owner_id) == ("open", "sub-bo")


def test_a_tickets_history_and_strangers(unit: Unit) -> None:
    t = unit.hub.tickets.create(ANA, "Refund", None)
    unit.hub.tickets.change(BO, t.ticket_id, status="solved")
    ticket, items = unit.hub.tickets.get(ANA, t.ticket_id)
    assert ticket.status == "solved"
    assert [(i.action, i.by.id, i.detail) for i in items] == [
        ("created", "sub-ana", "Ana created the ticket; owner Ana"),
        ("status", "sub-bo", "open → solved"),
    ]
    with pytest.raises(NotFound):
        unit.hub.tickets.get(Actor("acme", "agent", "sub-zed", "Zed"), t.ticket_id)
    with pytest.raises(NotFound):
        unit.hub.tickets.change(ANA, "tk_nope", status="solved")


# ================================================================== hub counters
def test_counters_are_pushed_with_the_agents_available(unit: Unit) -> None:
    ana = unit.connect_agent("ana")
    bo = unit.connect_agent("bo")
    unit.act(bo, action="presence", status="busy")
    unit.sender.sent.clear()
    unit.hub.tickets.create(ANA, "Refund", None)
    [pushed] = of(unit.sender.take(ana), "counters")
    assert pushed["counters"] == {
        "open_tickets": 1,
        "waiting_internal": 0,
        "callback_queued": 0,
        "callback_overdue": 0,
        "active_chats": 0,
        "agents_available": 1,
    }
    view = unit.hub.counters.view("acme")
    assert (view.open_tickets, view.agents_available) == (0, 0)


def test_delivery_failures_count_within_a_five_minute_window(unit: Unit) -> None:
    c = unit.hub.counters
    c.record_delivery_failures("global", 2)
    c.record_delivery_failures("global", 3)
    row = unit.store.counters["global"]
    assert int(row.delivery_failures) == 5
    start = float(row.delivery_window_at)
    unit.clock.advance(300)
    c.record_delivery_failures("global", 1)
    assert int(row.delivery_failures) == 6 and float(row.delivery_window_at) == start
    unit.clock.advance(1)
    c.record_delivery_failures("global", 4)
    assert int(row.delivery_failures) == 4 and float(row.delivery_window_at) == unit.clock.now()


def test_the_recompute_repairs_drift_once_and_is_idempotent(unit: Unit) -> None:
    dashboard = unit.connect_agent("ana")
    unit.hub.tickets.create(ANA, "One", None)
    t2 = unit.hub.tickets.create(ANA, "Two", None)
    unit.hub.tickets.change(ANA, t2.ticket_id, status="waiting_internal", waiting_on="Billing")
    cb = unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, None)
    stored_cb(unit, cb).overdue = True
    customer = unit.connect_customer()
    unit.started(customer)
    row = unit.store.counters["global"]
    row.open_tickets, row.callback_overdue = 7, 0  # a lost write left them wrong
    unit.sender.sent.clear()
    stats = unit.hub.counters.recompute()
    assert stats["drift"] == 6 and stats["items_read"] == 4 and stats["tenants"] == 2
    assert {n: int(getattr(row, n)) for n in ("open_tickets", "waiting_internal", "callback_queued")} == {
        "open_tickets": 2,
        "waiting_internal": 1,
        "callback_queued": 1,
    }
    assert (int(row.callback_overdue), int(row.active_chats), int(row.last_drift)) == (1, 1, 6)
    assert float(row.recomputed_at) == unit.clock.now()
    [pushed] = of(unit.sender.take(dashboard), "counters")
    assert pushed["counters"]["open_tickets"] == 2
    again = unit.hub.counters.recompute()
    assert again["drift"] == 0 and int(row.last_drift) == 0
    assert of(unit.sender.take(dashboard), "counters") == []  # nothing changed: nothing pushed


def test_tickets_are_numbered_per_tenant_and_found_only_in_their_tenant(unit: Unit) -> None:
    zed = Actor("acme", "agent", "sub-zed", "Zed")
    first, second = unit.hub.tickets.create(ANA, "One", None), unit.hub.tickets.create(ANA, "Two", None)
    theirs = unit.hub.tickets.create(zed, "Theirs", None)
    assert (int(first.number), int(second.number), int(theirs.number)) == (1, 2, 1)
    for t in (first, second, theirs):  # ids as the REST routes and the dashboard link them
        assert re.fullmatch(r"tk_[A-Za-z0-9_-]{12}", t.ticket_id), t.ticket_id
    assert len({first.ticket_id, second.ticket_id, theirs.ticket_id}) == 3
    with pytest.raises(NotFound) as exc:
        unit.hub.tickets.get(ANA, theirs.ticket_id)
    assert exc.value.message == f"no ticket {theirs.ticket_id!r}"
    with pytest.raises(NotFound):
        unit.hub.tickets.change(ANA, theirs.ticket_id, status="solved")
    assert unit.store.tickets[("acme", theirs.ticket_id)].status == "open"


def test_a_ticket_waiting_internal_keeps_whom_it_waits_on_until_it_stops_waiting(unit: Unit) -> None:
    t = unit.hub.tickets.create(ANA, "Refund", None)
    unit.hub.tickets.change(ANA, t.ticket_id, status="waiting_internal", waiting_on="  " + "B" * 100 + "  ")
    stored = unit.store.tickets[("global", t.ticket_id)]
    assert stored.waiting_on == "B" * 80  # trimmed, at most 80 characters on the dashboard
    unit.hub.tickets.change(ANA, t.ticket_id, status="waiting_internal", owner=("sub-bo", "Bo"))
    stored = unit.store.tickets[("global", t.ticket_id)]
    assert (stored.status, stored.waiting_on, stored.owner_id) == ("waiting_internal", "B" * 80, "sub-bo")
    unit.hub.tickets.change(ANA, t.ticket_id, status="open")
    stored = unit.store.tickets[("global", t.ticket_id)]
    assert (stored.status, stored.waiting_on) == ("open", None)


def test_a_ticket_without_a_chat_can_wait_on_its_customer(unit: Unit) -> None:
    t = unit.hub.tickets.create(ANA, "Printer", None)
    unit.hub.tickets.change(ANA, t.ticket_id, status="waiting_customer")
    assert unit.store.tickets[("global", t.ticket_id)].status == "waiting_customer"
    unit.hub.tickets.change(ANA, t.ticket_id, status="open")
    assert unit.store.tickets[("global", t.ticket_id)].status == "open"


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_a_windowed_callback_is_due_inside_the_window_in_the_tenants_time_zone(unit: Unit) -> None:
    """Stockholm is UTC+1 in December: its morning (08 to 12) is 07 to 11 UTC."""
    unit.store.tenants["global"].time_zone = "Europe/Stockholm"
    unit.clock.set(utc("2026-12-01T06:00:00"))  # 07:00 in Stockholm: before the window opens
    early = unit.hub.callbacks.request(ANA, PHONE, None, "morning", None, None, "Mo", source="missed_call")
    stored = stored_cb(unit, early)
    assert (float(stored.not_before), float(stored.due_at)) == (utc("2026-12-01T07:00:00"), utc("2026-12-01T07:15:00"))
    unit.clock.set(utc("2026-12-01T10:55:00"))  # 11:55: inside, five minutes before it closes
    late = unit.hub.callbacks.request(ANA, PHONE, None, "morning", None, None, "Lo", source="missed_call")
    stored = stored_cb(unit, late)
    assert (float(stored.not_before), float(stored.due_at)) == (utc("2026-12-01T10:55:00"), utc("2026-12-01T11:00:00"))
    unit.hub.callbacks.claim(ANA, late.callback_id)
    unit.clock.advance(60)
    unit.hub.callbacks.no_answer(ANA, late.callback_id, None)  # the retry (10 min) falls after 12:00
    stored = stored_cb(unit, late)
    tomorrow = utc("2026-12-02T07:00:00")
    assert (stored.status, float(stored.not_before), float(stored.due_at)) == ("queued", tomorrow, tomorrow)
    retry = "No answer (attempt 1 of 3); retry at 2026-12-02T07:00:00.000Z"
    assert history(unit, "CB", late.callback_id)[-1][2] == retry
    unit.clock.set(utc("2026-12-01T19:30:00"))  # 20:30 in Stockholm: the evening window has closed
    evening = unit.hub.callbacks.request(ANA, PHONE, None, "evening", None, None, "Eve", source="missed_call")
    stored = stored_cb(unit, evening)
    assert (float(stored.not_before), float(stored.due_at)) == (utc("2026-12-02T16:00:00"), utc("2026-12-02T16:15:00"))
    with pytest.raises(InvalidAction) as exc:
        unit.hub.callbacks.request(ANA, PHONE, None, "night", None, None)
    assert exc.value.message == "window: expected one of asap, morning, afternoon, evening"


def test_a_callback_asked_for_in_an_opened_chat_starts_it(unit: Unit) -> None:
    lobby = unit.connect_agent("ana")
    cid, conv, kim = customer_chat(unit)  # opened, nothing written yet: agents do not see it
    assert unit.store.metas[("global", conv)].status == "new"
    unit.sender.sent.clear()
    cb = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, conv)
    assert re.fullmatch(r"cb_[A-Za-z0-9_-]{12}", cb.callback_id), cb.callback_id
    assert unit.store.metas[("global", conv)].status == "open"  # asking for a callback starts it
    to_lobby = unit.sender.take(lobby)
    assert conv in [e["conversation"]["id"] for e in of(to_lobby, "conversation")]
    [requested] = of(to_lobby, "callback")
    assert (requested["action"], requested["callback"]["priority"]) == ("requested", "normal")
    [told] = of(unit.sender.take(cid), "message")  # the customer's thread: the line, keyed per step
    assert (told["code"], told["client_id"]) == ("callback_requested", f"{cb.callback_id}-requested")
    with pytest.raises(NotFound) as exc:  # another customer's conversation is not theirs
        unit.hub.callbacks.request(Actor("global", "customer", "cu_other", "Mo"), PHONE, None, "asap", None, conv)
    assert exc.value.message == f"no conversation {conv!r} for you"


def test_each_step_of_a_callback_tells_the_thread_once_under_its_own_key(unit: Unit) -> None:
    cid, conv, kim = customer_chat(unit)
    done = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, conv)
    dropped = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, conv)
    unit.sender.take(cid)
    unit.hub.callbacks.claim(ANA, done.callback_id)
    unit.hub.callbacks.complete(ANA, done.callback_id, None)
    unit.hub.callbacks.cancel(kim, dropped.callback_id, None)
    lines = [(e["code"], e["client_id"]) for e in of(unit.sender.take(cid), "message")]
    assert lines == [
        ("callback_calling", f"{done.callback_id}-claimed-0"),
        ("callback_completed", f"{done.callback_id}-completed"),
        ("callback_cancelled", f"{dropped.callback_id}-cancelled"),
    ]
    other = unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, None, "Mo", source="missed_call")
    with pytest.raises(NotFound) as exc:  # a customer cancels only their own
        unit.hub.callbacks.cancel(kim, other.callback_id, None)
    assert exc.value.message == f"no callback {other.callback_id!r} for you"


def test_an_overdue_callback_leaves_the_overdue_count_whatever_its_claimer_does(unit: Unit) -> None:
    def overdue_and_claimed() -> str:
        for open_cb in [c for c in unit.store.callbacks.values() if c.open_tenant]:
            unit.hub.callbacks.cancel(ANA, open_cb.callback_id, None)
        assert counters(unit).get("callback_overdue", 0) == 0
        cb = unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, None, "Mo", source="missed_call")
        unit.clock.advance(16 * 60)
        escalate_overdue(unit.hub.callbacks)
        assert stored_cb(unit, cb).overdue is True and counters(unit)["callback_overdue"] == 1
        unit.hub.callbacks.claim(ANA, cb.callback_id)
        assert counters(unit)["callback_overdue"] == 1  # claimed, still overdue
        return cb.callback_id

    unit.hub.callbacks.release(ANA, overdue_and_claimed())  # back in the queue, still overdue
    assert (counters(unit)["callback_overdue"], counters(unit)["callback_queued"]) == (1, 1)
    unit.hub.callbacks.no_answer(ANA, overdue_and_claimed(), None)  # requeued: due again, not overdue
    assert (counters(unit)["callback_overdue"], counters(unit)["callback_queued"]) == (0, 1)
    unit.hub.callbacks.complete(ANA, overdue_and_claimed(), None)
    assert counters(unit)["callback_overdue"] == 0


def test_the_customer_follows_only_their_own_widget_request(unit: Unit) -> None:
    dashboard = unit.connect_agent("bo")
    cid, conv, kim = customer_chat(unit)
    unit.sender.sent.clear()
    asked = unit.hub.callbacks.request(kim, PHONE, None, "asap", None, conv)
    unit.hub.callbacks.claim(ANA, asked.callback_id)
    statuses = [e["callback"]["status"] for e in of(unit.sender.take(cid), "callback_status")]
    assert statuses == ["queued", "calling"]  # in the words the widget shows
    assert of(unit.sender.take(dashboard), "counters")  # the dashboards' counters follow
    logged = unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, conv, source="missed_call")
    assert stored_cb(unit, logged).customer_id == kim.id
    unit.hub.callbacks.claim(ANA, logged.callback_id)
    assert of(unit.sender.take(cid), "callback_status") == []  # an agent-logged call is not shown to them
    assert unit.hub.callbacks.customer_status(kim, asked.callback_id).callback_id == asked.callback_id
    for who, which in (
        (kim, logged.callback_id),
        (Actor("global", "customer", "cu_other", "Mo"), asked.callback_id),
        (kim, "cb_nope"),
    ):
        with pytest.raises(NotFound) as exc:
            unit.hub.callbacks.customer_status(who, which)
        assert exc.value.message == f"no callback {which!r} for you"


def test_a_callback_changed_meanwhile_is_refused_in_words(unit: Unit) -> None:
    cb = unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, None, "Mo", source="missed_call")
    unit.store.before_next("commit", lambda: unit.hub.callbacks.claim(BO, cb.callback_id))
    with pytest.raises(AlreadyTaken) as exc:
        unit.hub.callbacks.cancel(ANA, cb.callback_id, None)
    assert exc.value.message == "the callback changed meanwhile; reload it"
    assert stored_cb(unit, cb).status == "claimed"
    with pytest.raises(NotFound) as missing:
        unit.hub.callbacks.claim(ANA, "cb_nope")
    assert missing.value.message == "no callback 'cb_nope'"
    with pytest.raises(NotFound) as nowhere:
        unit.hub.callbacks.request(Actor("nowhere", "agent", "sub-x", "X"), PHONE, None, "asap", None, None)
    assert nowhere.value.message == "no tenant 'nowhere'"


def test_the_dashboards_counters_follow_a_callback_without_a_chat(unit: Unit) -> None:
    dashboard = unit.connect_agent("bo")
    unit.sender.take(dashboard)
    unit.hub.callbacks.request(ANA, PHONE, None, "asap", None, None, "Mo", source="missed_call")
    [pushed] = of(unit.sender.take(dashboard), "counters")
    assert pushed["counters"]["callback_queued"] == 1
