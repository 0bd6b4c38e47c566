"""What operators see: the CloudWatch metrics (EMF) the alarms and dashboards read, and the log
lines that explain a refusal or a failure. An alarm on `RejectedActions` or `GoneConnections`
(infra) is only as good as the count behind it."""

from __future__ import annotations

import logging

import pytest

from chalicelib.live.notifier import CONNECT_GRACE_SECONDS
from chalicelib.platform.observability import metrics
from chalicelib.platform.sender import Sender
from chalicelib.store.ports import SequenceConflict, SequenceTaken
from tests.unit.conftest import Unit, counted

pytestmark = pytest.mark.usefixtures("fresh_metrics")


def log_lines(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "flow-hub" and r.getMessage() == message]


def test_a_refused_action_is_counted_and_logged_with_its_reason(unit: Unit, caplog: pytest.LogCaptureFixture) -> None:
    customer = unit.connect_customer()
    metrics.clear_metrics()
    caplog.set_level(logging.INFO, logger="flow-hub")
    unit.act(customer, action="close", conversation_id="c_1")
    assert counted() == {"RejectedActions": 1}
    [line] = log_lines(caplog, "action rejected")
    assert (line.levelname, line.code, line.reason, line.connection_id) == (  # type: ignore[attr-defined]
        "INFO",
        "forbidden",
        "'close' is for agents only",
        customer,
    )


def test_a_failed_action_is_logged_with_its_exception_not_counted_as_refused(
    unit: Unit, caplog: pytest.LogCaptureFixture
) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    metrics.clear_metrics()
    caplog.set_level(logging.INFO, logger="flow-hub")
    unit.store.fail_next("append", RuntimeError("disk on fire"))
    unit.act(customer, action="send", conversation_id=conv, client_id="m1", text="hi")
    assert "RejectedActions" not in counted()
    [line] = log_lines(caplog, "action failed")
    assert (line.levelname, line.connection_id) == ("ERROR", customer)  # type: ignore[attr-defined]
    assert line.exc_info is not None and str(line.exc_info[1]) == "disk on fire"


def test_conversations_messages_and_connections_are_counted(unit: Unit) -> None:
    customer = unit.connect_customer()
    agent = unit.connect_agent("ana")
    assert counted()["Connections"] == 2
    metrics.clear_metrics()
    conv = unit.start(customer)
    unit.act(customer, action="send", conversation_id=conv, client_id="m1", text="hi")
    unit.act(customer, action="send", conversation_id=conv, client_id="m1", text="hi")  # a resend: not stored again
    unit.act(agent, action="take", conversation_id=conv)
    unit.act(agent, action="note", conversation_id=conv, client_id="n1", text="vip")
    # the started chat queues (nobody has room: capacity 0 here), then Ana takes it
    assert counted() == {"ConversationsStarted": 1, "MessagesStored": 2, "ConversationsQueued": 1, "OwnerChanges": 2}


def test_lost_sequence_races_are_counted(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    metrics.clear_metrics()
    # Issue 9's append: a lost compare-and-set (counted as a retry) takes its number from the
    # counter; a late writer whose allocated number was taken meanwhile is counted too.
    unit.store.fail_next("append", SequenceConflict())
    unit.store.fail_next("write_allocated", SequenceTaken(0), times=2)
    [ack] = [
        e
        for e in unit.act(customer, action="send", conversation_id=conv, client_id="m1", text="hi")
        if e["type"] == "ack"
    ]
    assert ack["status"] == "sent"
    assert counted() == {
        "SequenceRetries": 1,
        "LateWriters": 2,
        "MessagesStored": 1,
        "ConversationsStarted": 1,
        "ConversationsQueued": 1,
        "OwnerChanges": 1,
    }


def test_gone_and_failed_deliveries_are_counted_apart(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    gone, broken, fine = unit.connect_agent("ana"), unit.connect_agent("bo"), unit.connect_agent("cy")
    for agent in (gone, broken, fine):
        unit.act(agent, action="join", conversation_id=conv)
    unit.clock.advance(60)
    unit.sender.gone.add(gone)
    unit.sender.broken.add(broken)
    unit.sender.sent.clear()
    metrics.clear_metrics()
    unit.act(customer, action="send", conversation_id=conv, client_id="m1", text="hi")
    seen = counted()
    # Bo's connection is broken: every event Cy received (an agent like him) failed for Bo.
    assert (seen["GoneConnections"], seen["FailedDeliveries"]) == (1, len(unit.sender.take(fine)))
    assert gone not in unit.store.connections and broken in unit.store.connections


def test_a_callback_request_is_counted(unit: Unit) -> None:
    from chalicelib.platform.auth import Actor

    unit.hub.callbacks.request(Actor("global", "agent", "sub-ana", "Ana"), "+14155550100", None, "asap", None, None)
    assert counted() == {"CallbacksRequested": 1}


def test_the_sender_counts_nothing_itself(unit: Unit) -> None:
    assert isinstance(unit.sender, Sender) and counted() == {}


def test_counter_drift_is_repaired_per_tenant_logged_and_counted(unit: Unit, caplog: pytest.LogCaptureFixture) -> None:
    """The nightly recompute sums what it read and repaired over every tenant; each repaired
    tenant leaves a warning with what the counters said before and after, and `CounterDrift`."""
    from chalicelib.platform.auth import Actor

    unit.hub.tickets.create(Actor("global", "agent", "sub-ana", "Ana"), "One", None)
    unit.hub.tickets.create(Actor("acme", "agent", "sub-zed", "Zed"), "Two", None)
    unit.hub.tickets.create(Actor("acme", "agent", "sub-zed", "Zed"), "Three", None)
    unit.store.counters["global"].open_tickets = 4  # drift 3
    unit.store.counters["acme"].open_tickets = 0  # drift 2
    metrics.clear_metrics()
    caplog.set_level(logging.INFO, logger="flow-hub")
    stats = unit.hub.counters.recompute()
    assert stats == {"tenants": 2, "drift": 5, "items_read": 3}
    assert counted() == {"CounterDrift": 5}
    lines = log_lines(caplog, "counter drift repaired")
    assert [(r.levelname, r.tenant) for r in lines] == [("WARNING", "acme"), ("WARNING", "global")]  # type: ignore[attr-defined]
    acme = lines[0]
    assert (acme.before["open_tickets"], acme.after["open_tickets"]) == (0, 2)  # type: ignore[attr-defined]


def test_a_stale_available_count_alone_is_repaired_and_pushed(unit: Unit) -> None:
    dashboard = unit.connect_agent("ana")
    unit.hub.live.handle(dashboard, '{"action": "presence", "status": "available"}')
    unit.hub.counters.recompute()
    row = unit.store.counters["global"]
    assert int(row.agents_available) == 1
    row.agents_available = 4  # what the dashboards were last told is wrong; the counts are right
    unit.sender.sent.clear()
    metrics.clear_metrics()
    stats = unit.hub.counters.recompute()
    assert stats["drift"] == 0 and int(row.agents_available) == 1
    [pushed] = [e for e in unit.sender.take(dashboard) if e["type"] == "counters"]
    assert pushed["counters"]["agents_available"] == 1
    assert counted() == {}  # no drift in the counts: no CounterDrift


def test_a_counters_push_that_fails_is_counted_logged_and_retried_and_spares_the_other_tenants(
    unit: Unit, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The counters stream's batch: a tenant whose push fails does not keep the others from theirs;
    each failure is counted (`CounterPushFailures`) and logged with its tenant, and the batch then
    raises so Lambda delivers it again."""
    counters = unit.hub.counters
    pushed: list[str] = []

    def push(tenant: str) -> None:
        if tenant.startswith("down"):
            raise RuntimeError("DynamoDB is unreachable")
        pushed.append(tenant)

    monkeypatch.setattr(counters, "push", push)

    def record(tenant: str) -> dict[str, object]:
        return {"eventName": "INSERT", "dynamodb": {"Keys": {"tenant": {"S": tenant}}}}

    batch = [record("down-1"), record("global"), record("down-2")]
    with caplog.at_level(logging.ERROR, logger="flow-hub"), pytest.raises(RuntimeError) as raised:
        counters.stream_batch(batch)
    assert str(raised.value) == "counters push failed for 2 of 3 tenants; the batch is retried"
    assert pushed == ["global"]
    assert counted()["CounterPushFailures"] == 2
    failures = log_lines(caplog, "counters push failed")
    assert sorted(str(getattr(r, "tenant", "")) for r in failures) == ["down-1", "down-2"]
    assert counters.stream_batch([record("global")]) == {"records": 1, "tenants": 1, "failed": 0}


@pytest.mark.parametrize("what", ["message", "typing", "read"])
def test_a_subscription_that_outlived_its_connection_is_removed_from_that_conversation_only(
    unit: Unit, what: str
) -> None:
    """A tab whose connection item is gone (its $disconnect ran, its subscription's delete did
    not) still gets the conversation's events, and API Gateway answers 410: the orphan
    subscription is removed from the conversation the event was for, and counted; the others stay."""
    customer = unit.connect_customer()
    conv = unit.started(customer)  # its first message: agents can see it and join
    agent, ghost = unit.connect_agent("ana"), unit.connect_agent("bo")
    for c in (agent, ghost):
        unit.act(c, action="join", conversation_id=conv)
    unit.clock.advance(60)
    del unit.store.connections[ghost]  # the item is gone, the subscriptions are not
    unit.sender.gone.add(ghost)
    metrics.clear_metrics()
    if what == "message":
        unit.act(customer, action="send", conversation_id=conv, client_id="m1", text="hi")
    elif what == "typing":
        unit.act(customer, action="typing", conversation_id=conv, state="start")
    else:
        unit.act(customer, action="read", conversation_id=conv, seq=1)
    assert ghost not in unit.store.subscriptions[("global", conv)]
    assert agent in unit.store.subscriptions[("global", conv)]
    assert counted()["OrphansRemoved"] == 1


def test_a_gone_target_is_dropped_once_its_connect_grace_is_over_to_the_second(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    young = unit.connect_agent("bo")
    unit.act(young, action="join", conversation_id=conv)
    unit.sender.gone.add(young)
    unit.clock.advance(CONNECT_GRACE_SECONDS)
    unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    assert young not in unit.store.connections
