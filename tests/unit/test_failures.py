"""Retry and error paths, driven by the fake store's injected failures (no AWS needed): lost
sequence races, throttling, conditional-check failures, failing listeners and deliveries."""

from __future__ import annotations

import pytest

from chalicelib.live.timeline import MAX_APPEND_ATTEMPTS
from chalicelib.platform.auth import Actor
from chalicelib.platform.errors import AlreadyTaken
from chalicelib.store.ports import SequenceConflict, WriteConflict
from chalicelib.work.escalation import escalate_overdue
from tests.unit.conftest import Unit
from tests.unit.fakes import Throttled


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chalicelib.live.timeline.backoff", lambda attempt: None)


def test_a_lost_sequence_race_is_retried_until_the_entry_is_stored_once(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    unit.store.fail_next("append", SequenceConflict(), times=3)
    # The first message starts the conversation: the customer also hears it started and their place.
    ack, started, queued = unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    assert ack["status"] == "sent" and ack["seq"] == 1
    assert (started["conversation"]["status"], queued["place"]) == ("open", 1)
    assert unit.store.calls.count("append") == 4 and unit.texts(conv) == ["hi"]


def test_a_race_lost_every_time_gives_up_with_an_error_and_stores_nothing(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    unit.store.fail_next("append", SequenceConflict(), times=MAX_APPEND_ATTEMPTS)
    [err] = unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    assert err["code"] == "internal" and err["client_id"] == "c1"
    assert unit.texts(conv) == []
    ack, *_ = unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    assert ack["status"] == "sent"  # the retry with the same client id goes through


def test_throttling_is_one_error_to_the_sender_and_the_connection_stays_usable(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    unit.store.fail_next("load_conversation", Throttled("ProvisionedThroughputExceededException"))
    [err] = unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    assert err["code"] == "internal" and unit.texts(conv) == []
    ack, *_ = unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    assert ack["status"] == "sent" and unit.texts(conv) == ["hi"]


def test_a_claim_that_loses_the_conditional_write_says_who_won(unit: Unit) -> None:
    customer = unit.connect_customer()
    who = unit.store.connections[customer]
    cb = unit.hub.callbacks.request(
        Actor("global", "customer", who.user_id, who.name), "+46701234567", None, "asap", None, None
    )
    ana = Actor("global", "agent", "sub-ana", "Ana")
    bo = Actor("global", "agent", "sub-bo", "Bo")
    # Bo reads the callback while it is queued; Ana's claim lands between Bo's read and write,
    # so Bo's write fails its version condition in the store.
    unit.store.before_next("commit", lambda: unit.hub.callbacks.claim(ana, cb.callback_id))
    with pytest.raises(AlreadyTaken, match="Ana already claimed"):
        unit.hub.callbacks.claim(bo, cb.callback_id)
    assert unit.store.callbacks[("global", cb.callback_id)].claimed_by == "sub-ana"


def test_escalation_that_loses_a_race_skips_the_callback_and_a_second_run_changes_nothing(unit: Unit) -> None:
    customer = unit.connect_customer()
    who = unit.store.connections[customer]
    cb = unit.hub.callbacks.request(
        Actor("global", "customer", who.user_id, who.name), "+46701234567", None, "asap", None, None
    )
    unit.clock.advance(16 * 60)
    unit.store.fail_next("commit", WriteConflict("ConditionalCheckFailed"))
    assert escalate_overdue(unit.hub.callbacks)["marked_overdue"] == 0  # another run won
    first = escalate_overdue(unit.hub.callbacks)
    second = escalate_overdue(unit.hub.callbacks)
    assert (first["marked_overdue"], second["marked_overdue"], second["alerts"]) == (1, 0, 0)
    assert unit.store.callbacks[("global", cb.callback_id)].overdue is True


def test_a_failing_listener_never_fails_the_message_that_published_the_event(unit: Unit) -> None:
    customer = unit.connect_customer()
    agent = unit.connect_agent("ana")
    conv = unit.start(customer)
    unit.store.fail_next("get_counters", Throttled("counters table throttled"))
    # The first message starts the conversation: ConversationStarted → the counters push fails.
    ack, *_ = unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    assert ack["type"] == "ack" and ack["status"] == "sent"
    assert "conversation" in [e["type"] for e in unit.sender.take(agent)]  # the lobby update arrived


def test_failed_deliveries_count_into_the_window_the_launch_check_reads(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.act(ana, action="join", conversation_id=conv)
    unit.act(bo, action="join", conversation_id=conv)
    unit.sender.broken.add(bo)
    unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    assert unit.hub.command.pressure("global").failing_deliveries >= 1
    assert bo in unit.store.connections  # a failure is not a 410: the connection stays
