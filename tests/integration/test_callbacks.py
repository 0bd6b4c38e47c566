"""Callbacks on a manual clock: due, overdue, retry delay; the atomic claim; idempotent escalation."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.platform.errors import AlreadyTaken, InvalidAction, NotFound
from chalicelib.store.models import Message
from chalicelib.work.escalation import escalate_overdue
from tests.integration.conftest import Work

MINUTE = 60.0


def thread_lines(conv: str) -> list[str]:
    return [m.text for m in Message.query(f"T#global#C#{conv}") if m.kind == "system"]


def widget_request(work: Work, phone: str = "+46 70 123 45 67") -> tuple[str, str, Any]:
    hub = work.hub
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    cb = work.callbacks.request(work.customer_actor(customer), phone, None, "asap", "Billing question", conv)
    return customer, conv, cb


def test_widget_request_is_validated_normalized_due_by_sla_and_shown_in_the_thread(work: Work) -> None:
    watcher, _ = work.agent("ana")
    work.hub.sender.take(watcher)
    _, conv, cb = widget_request(work, "+46 70 123 45 67")
    assert cb.phone == "+46701234567" and cb.status == "queued"
    assert float(cb.due_at) == pytest.approx(float(cb.created_at) + 15 * MINUTE)  # the tenant's default SLA
    # The thread says what happened, never the number: a thread is read by its customer.
    assert thread_lines(conv)[-1] == "Callback requested (asap). We'll call you back."
    pushed = [e["type"] for e in work.hub.sender.take(watcher)]
    assert "callback" in pushed and "counters" in pushed
    assert work.counters.view("global").callback_queued == 1


@pytest.mark.parametrize(
    ("phone", "region", "ok"),
    [
        ("0701234567", "SE", "+46701234567"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("+1 202-555-0143", None, "+12025550143"),
        ("0701234567", None, None),  # national number without a region
        ("+46 12", None, None),
        ("hello", "SE", None),
    ],
)
def test_phone_numbers_are_validated_with_phonenumbers(
    work: Work, phone: str, region: str | None, ok: str | None
) -> None:
    customer, _ = work.hub.connect_customer()
    who = work.customer_actor(customer)
    if ok is None:
        with pytest.raises(InvalidAction):
            work.callbacks.request(who, phone, region, "asap", None, None)
    else:
        assert work.callbacks.request(who, phone, region, "asap", None, None).phone == ok


def test_customer_cannot_attach_a_callback_to_someone_elses_conversation(work: Work) -> None:
    owner, _ = work.hub.connect_customer()
    conv = work.hub.start(owner)
    intruder, _ = work.hub.connect_customer()
    with pytest.raises(NotFound):
        work.callbacks.request(work.customer_actor(intruder), "+46701234567", None, "asap", None, conv)


def test_claim_complete_and_only_the_claimer_may_finish(work: Work) -> None:
    _, ana = work.agent("ana")
    _, bo = work.agent("bo")
    _, conv, cb = widget_request(work)
    work.callbacks.claim(ana, cb.callback_id)
    with pytest.raises(AlreadyTaken, match="Ana already claimed"):
        work.callbacks.claim(bo, cb.callback_id)
    with pytest.raises(AlreadyTaken):
        work.callbacks.complete(bo, cb.callback_id, None)
    done = work.callbacks.complete(ana, cb.callback_id, "Sorted the invoice")
    assert done.status == "completed" and int(done.attempts) == 1
    assert thread_lines(conv)[-2:] == ["Ana is calling you back now.", "Callback completed."]
    _, history = work.callbacks.get(ana, cb.callback_id)
    assert [h.action for h in history] == ["requested", "claimed", "completed"]
    assert work.counters.view("global").callback_queued == 0


def test_no_answer_requeues_after_retry_delay_then_fails_after_max_attempts(work: Work) -> None:
    _, ana = work.agent("ana")
    _, conv, cb = widget_request(work)
    for attempt in (1, 2):
        work.callbacks.claim(ana, cb.callback_id)
        again = work.callbacks.no_answer(ana, cb.callback_id, "voicemail")
        assert again.status == "queued" and int(again.attempts) == attempt
        assert float(again.due_at) == pytest.approx(work.hub.clock.now() + 10 * MINUTE)
        work.hub.clock.advance(10 * MINUTE)
    work.callbacks.claim(ana, cb.callback_id)
    failed = work.callbacks.no_answer(ana, cb.callback_id, None)
    assert failed.status == "failed" and int(failed.attempts) == 3
    assert work.store.open_callbacks("global") == []
    assert "could not reach you" in thread_lines(conv)[-1]


def test_release_puts_it_back_and_cancel_closes(work: Work) -> None:
    _, ana = work.agent("ana")
    customer, _, cb = widget_request(work)
    work.callbacks.claim(ana, cb.callback_id)
    assert work.callbacks.release(ana, cb.callback_id).status == "queued"
    assert work.counters.view("global").callback_queued == 1
    cancelled = work.callbacks.cancel(work.customer_actor(customer), cb.callback_id, "Solved it myself")
    assert cancelled.status == "cancelled" and work.counters.view("global").callback_queued == 0
    with pytest.raises(AlreadyTaken):
        work.callbacks.claim(ana, cb.callback_id)


@pytest.mark.usefixtures("atomic_requests")
def test_when_agents_race_exactly_one_claim_wins(work: Work) -> None:
    agents = [work.agent(f"racer{i}")[1] for i in range(8)]
    _, _, cb = widget_request(work)

    def try_claim(actor: Any) -> str:
        try:
            work.callbacks.claim(actor, cb.callback_id)
        except AlreadyTaken:
            return "lost"
        return "won"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(try_claim, agents))
    assert outcomes.count("won") == 1
    stored = work.store.get_callback("global", cb.callback_id)
    assert stored is not None and stored.claimed_by == agents[outcomes.index("won")].id


def test_overdue_escalation_marks_once_alerts_available_agents_and_repeats_until_claimed(work: Work) -> None:
    hub = work.hub
    ana_conn, ana = work.agent("ana")
    bo_conn, _ = work.agent("bo")
    hub.act(ana_conn, action="presence", status="available")
    hub.act(bo_conn, action="presence", status="busy")
    _, _, cb = widget_request(work)
    for c in (ana_conn, bo_conn):
        hub.sender.take(c)

    hub.clock.advance(14 * MINUTE)
    assert escalate_overdue(work.callbacks)["marked_overdue"] == 0  # not due yet
    hub.clock.advance(2 * MINUTE)
    hub.act(ana_conn, action="heartbeat")
    first = escalate_overdue(work.callbacks)
    assert first["marked_overdue"] == 1 and first["alerts"] == 1
    stored = work.store.get_callback("global", cb.callback_id)
    assert stored is not None and stored.overdue and stored.priority == "high"
    assert [e["type"] for e in hub.sender.take(ana_conn)].count("callback_alert") == 1
    assert "callback_alert" not in [e["type"] for e in hub.sender.take(bo_conn)]  # busy agents are not paged

    again = escalate_overdue(work.callbacks)  # a duplicate invocation in the same minute
    assert again["marked_overdue"] == 0 and again["alerts"] == 0
    assert work.counters.view("global").callback_overdue == 1

    hub.clock.advance(MINUTE)
    hub.act(ana_conn, action="heartbeat")
    assert escalate_overdue(work.callbacks)["alerts"] == 1  # repeats while nobody claims it
    work.callbacks.claim(ana, cb.callback_id)
    hub.clock.advance(MINUTE)
    assert escalate_overdue(work.callbacks)["alerts"] == 0
    assert work.counters.view("global").callback_overdue == 1  # claimed but still overdue


@pytest.mark.usefixtures("atomic_requests")
def test_two_escalation_copies_at_once_act_like_one(work: Work) -> None:
    ana_conn, _ = work.agent("ana")
    work.hub.act(ana_conn, action="presence", status="available")
    for _ in range(3):
        widget_request(work)
    work.hub.clock.advance(16 * MINUTE)
    work.hub.act(ana_conn, action="heartbeat")
    work.hub.sender.take(ana_conn)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: escalate_overdue(work.callbacks), range(2)))
    assert sum(r["marked_overdue"] for r in results) == 3
    assert sum(r["alerts"] for r in results) == 3
    assert [e["type"] for e in work.hub.sender.take(ana_conn)].count("callback_alert") == 3
    assert work.counters.view("global").callback_overdue == 3


def test_a_missed_call_linked_by_the_agent_never_shows_its_number_or_state_to_the_customer(work: Work) -> None:
    """Issue 10, item 1: a missed call is its own record; linked to a thread only when the agent
    names it, and even then the customer's thread and widget never see the number."""
    _, ana = work.agent("ana")
    customer, _ = work.hub.connect_customer()
    conv = work.hub.started(customer)
    work.hub.sender.take(customer)
    loose = work.callbacks.request(ana, "+46812345678", None, "asap", None, None, source="missed_call")
    assert loose.conversation_id is None and thread_lines(conv) == []
    linked = work.callbacks.request(ana, "+46812345679", None, "asap", None, conv, source="missed_call")
    assert linked.conversation_id == conv
    assert all("812345679" not in line for line in thread_lines(conv))
    seen = work.hub.sender.take(customer)
    assert not any(e["type"] == "callback_status" for e in seen)
    assert not any("812345679" in json.dumps(e) for e in seen)


def test_the_due_time_falls_in_the_chosen_window_in_the_tenants_time_zone(work: Work) -> None:
    """Issue 10, item 8 (the service; the pure rule is tests/unit/test_callback_window.py)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    work.hub.built.team.store.update_tenant("global", {"time_zone": "America/New_York", "phone_region": "US"})
    customer, _ = work.hub.connect_customer()
    conv = work.hub.started(customer)
    cb = work.callbacks.request(work.customer_actor(customer), "(202) 555-0143", None, "evening", None, conv)
    assert cb.phone == "+12025550143"  # read in the tenant's default region
    tz = ZoneInfo("America/New_York")
    start, due = datetime.fromtimestamp(float(cb.not_before), tz), datetime.fromtimestamp(float(cb.due_at), tz)
    assert 17 <= start.hour < 20 and start.date() == due.date() and (due.hour, due.minute) <= (20, 0)
