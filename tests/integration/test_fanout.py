"""Fan-out that stays flat (issue 12): the counters come from the counters table's stream,
coalesced per batch; stream records that arrive twice or out of order are harmless; the right
connections hear each event; concurrent posts still clean up gone connections and count failures.

The hub here is wired as deployed (`counters_stream=True`); `InProcessStream` hands moto's
stream records to the stream function's logic (`Counters.stream_batch`) the way Lambda's event
source mapping does after its batching window."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.live.notifier import CONNECT_GRACE_SECONDS
from chalicelib.platform.clock import ManualClock
from chalicelib.store.models import Connection, Tenant
from chalicelib.store.tables import ensure_tables
from chalicelib.store.tenants import ensure_tenant
from chalicelib.store.work_models import HubCounters
from local import inprocess
from local.streams import InProcessStream
from tests.integration.conftest import OTHER_WIDGET_KEY, WIDGET_KEY, Harness, RecordingSender, Work


class FlakySender(RecordingSender):
    """A recording sender whose posts to `broken` connections fail (not a 410: an error)."""

    def __init__(self) -> None:
        super().__init__()
        self.broken: set[str] = set()

    def _post_bytes(self, connection_id: str, data: bytes) -> bool:
        if connection_id in self.broken:
            raise RuntimeError("API Gateway answered 500")
        return super()._post_bytes(connection_id, data)


class Streamed(Work):
    """The work lanes with the counters stream, delivered when a test says so."""

    def __init__(self, hub: Harness) -> None:
        super().__init__(hub)
        self.stream = InProcessStream(str(HubCounters.Meta.table_name), hub.built.counters.stream_batch)

    def deliver(self) -> int:
        """What Lambda hands the stream function after its batching window: every new record."""
        return self.stream.deliver()


@pytest.fixture
def streamed(aws_env: None) -> Streamed:
    ensure_tables()
    ensure_tenant("global", "Global", WIDGET_KEY)
    ensure_tenant("acme", "Acme", OTHER_WIDGET_KEY)
    for tenant in ("global", "acme"):
        Tenant(tenant).update(actions=[Tenant.chat_capacity.set(0)])
    clock = ManualClock(start=time.time())
    sender = FlakySender()
    built = inprocess.build(sender, clock, "unit", "unit-test-signing-key-0123456789abcdef", counters_stream=True)
    h = built.hub
    harness = Harness(h, h.live, sender, clock, built.cognito, built.pool_id, built.client_id, h.widgets)
    work = Streamed(harness)
    work.deliver()  # the setup's own records (tenants, capacity) are not what the tests look at
    return work


def counters_events(sender: RecordingSender, connection_id: str) -> list[dict[str, Any]]:
    return [e["counters"] for e in sender.take(connection_id) if e["type"] == "counters"]


def take_all(sender: RecordingSender, connections: list[str]) -> None:
    for c in connections:
        sender.take(c)


def test_a_burst_of_changes_reaches_each_agent_connection_as_one_counters_event_with_the_final_values(
    streamed: Streamed,
) -> None:
    hub = streamed.hub
    ana_tab1, ana = streamed.agent("ana")
    ana_tab2, _ = streamed.agent("ana")
    bo_tab, _ = streamed.agent("bo")
    customer, _ = hub.connect_customer()
    agents = [ana_tab1, ana_tab2, bo_tab]
    streamed.deliver()
    take_all(hub.sender, [*agents, customer])

    for i in range(12):  # a burst, far faster than one a second
        streamed.tickets.create(ana, f"Ticket {i}", None)
    first = streamed.tickets.create(ana, "Solved soon", None)
    streamed.tickets.change(ana, first.ticket_id, status="solved")
    streamed.callbacks.request(streamed.customer_actor(customer), "+46 70 123 45 67", None, "asap", "Billing", None)
    # The changes themselves push no counters: every one of them is in the stream.
    assert all(counters_events(hub.sender, c) == [] for c in agents)

    assert streamed.deliver() > 13  # one batch (Lambda's ~1 s window) with every record of the burst
    for c in agents:
        [pushed] = counters_events(hub.sender, c)
        assert pushed["open_tickets"] == 12 and pushed["callback_queued"] == 1, c
    assert counters_events(hub.sender, customer) == []  # counters are for the dashboards only
    assert streamed.deliver() == 0 and all(counters_events(hub.sender, c) == [] for c in agents)


def ana_opens_a_ticket(streamed: Streamed) -> tuple[str, Any]:
    """Ana's dashboard, quiet, and then a ticket she opens (its stream records not yet delivered):
    (her connection, her actor)."""
    tab, ana = streamed.agent("ana")
    streamed.deliver()
    streamed.hub.sender.take(tab)
    streamed.tickets.create(ana, "First", None)
    return tab, ana


def test_stream_records_delivered_twice_or_out_of_order_push_the_current_state(streamed: Streamed) -> None:
    hub = streamed.hub
    tab, ana = ana_opens_a_ticket(streamed)
    streamed.deliver()
    [batch] = streamed.stream.delivered[-1:]
    assert counters_events(hub.sender, tab)[-1]["open_tickets"] == 1

    streamed.tickets.create(ana, "Second", None)
    streamed.deliver()
    assert counters_events(hub.sender, tab)[-1]["open_tickets"] == 2
    # The first batch again, and reversed (a retry, a late duplicate): the stored state goes out,
    # never the stale one the records describe, and nothing is counted twice.
    result = streamed.counters.stream_batch(batch + list(reversed(batch)))
    assert result == {"records": 2 * len(batch), "tenants": 1, "failed": 0}
    [again] = counters_events(hub.sender, tab)  # one push per tenant per batch, however many records
    assert again["open_tickets"] == 2
    assert streamed.counters.view("global").open_tickets == 2


def test_a_record_without_a_tenant_key_is_skipped_and_the_rest_of_its_batch_still_pushed(streamed: Streamed) -> None:
    hub = streamed.hub
    tab, _ = ana_opens_a_ticket(streamed)
    batch = streamed.stream.reader.read(1000)  # read, not yet delivered
    assert batch
    keyless = {"eventName": "MODIFY", "dynamodb": {"Keys": {}}}
    result = streamed.counters.stream_batch([keyless, *batch])
    assert result == {"records": len(batch) + 1, "tenants": 1, "failed": 0}
    [pushed] = counters_events(hub.sender, tab)
    assert pushed["open_tickets"] == 1


def test_a_change_that_shows_nothing_pushes_nothing(streamed: Streamed) -> None:
    hub = streamed.hub
    tab, _ = streamed.agent("ana")
    streamed.deliver()
    hub.sender.take(tab)
    # Written to the counters item, shown on no dashboard: the failure window, the drift figures.
    streamed.counters.record_delivery_failures("global", 2)
    HubCounters("global").update(actions=[HubCounters.presence_drift.set(3)])
    assert streamed.deliver() >= 2
    assert counters_events(hub.sender, tab) == []


def test_a_recompute_that_repairs_drift_reaches_each_dashboard_once(streamed: Streamed) -> None:
    """The scheduled recompute writes the repaired counters; the stream pushes them. It pushes
    nothing itself (that was a second, identical `counters` event to every agent connection),
    and a second run that finds no drift writes nothing the dashboards would hear of."""
    hub = streamed.hub
    tab, ana = streamed.agent("ana")
    streamed.tickets.create(ana, "Open", None)
    streamed.deliver()
    hub.sender.take(tab)
    HubCounters("global").update(actions=[HubCounters.open_tickets.set(7)])  # drift
    streamed.deliver()
    assert counters_events(hub.sender, tab)[-1]["open_tickets"] == 7

    assert streamed.counters.recompute()["drift"] >= 6
    assert counters_events(hub.sender, tab) == []  # nothing straight from the recompute
    streamed.deliver()
    [repaired] = counters_events(hub.sender, tab)
    assert repaired["open_tickets"] == 1

    assert streamed.counters.recompute()["drift"] == 0  # an event that arrives twice
    streamed.deliver()
    assert counters_events(hub.sender, tab) == []


def watcher_and_bo(streamed: Streamed, bo_status: str) -> tuple[tuple[str, Any], str]:
    """A watching agent (away) and Bo (`bo_status`), everything so far delivered and read:
    ((watcher's connection, watcher's actor), Bo's connection)."""
    hub = streamed.hub
    watcher = streamed.agent("watcher")
    bo_tab, _ = streamed.agent("bo")
    hub.act(watcher[0], action="presence", status="away")
    hub.act(bo_tab, action="presence", status=bo_status)
    streamed.deliver()
    take_all(hub.sender, [watcher[0], bo_tab])
    return watcher, bo_tab


def test_a_presence_change_carries_the_number_of_agents_available_and_pushes_no_counters(
    streamed: Streamed,
) -> None:
    """One post per agent connection for a change of presence, not two: the `presence` event
    says how many agents can answer now; the number is stored (the snapshot and the recompute
    read it), and the counters stream pushes nothing for it."""
    hub = streamed.hub
    (watcher, watcher_actor), bo_tab = watcher_and_bo(streamed, "available")

    hub.act(bo_tab, action="presence", status="busy")  # available → busy: one fewer can answer
    [told] = [e for e in hub.sender.take(watcher) if e["type"] == "presence"]
    assert told["status"] == "busy" and told["agents_available"] == 0
    assert HubCounters.get("global", consistent_read=True).agents_available == 0
    assert streamed.deliver() >= 1  # the stored number is in the stream ...
    assert counters_events(hub.sender, watcher) == []  # ... which pushes no counters for it

    hub.act(bo_tab, action="presence", status="available")
    assert [e["agents_available"] for e in hub.sender.take(watcher) if e["type"] == "presence"] == [1]
    assert HubCounters.get("global", consistent_read=True).agents_available == 1  # the number told, stored
    # A ticket in the same batch as a presence change: one counters event, with both numbers.
    hub.act(bo_tab, action="presence", status="away")
    streamed.tickets.create(watcher_actor, "Open", None)
    streamed.deliver()
    [pushed] = counters_events(hub.sender, watcher)
    assert pushed["agents_available"] == 0 and pushed["open_tickets"] == 1


def test_a_presence_change_that_leaves_the_number_available_as_it_was_writes_nothing_and_fails_nothing(
    streamed: Streamed,
) -> None:
    """Busy → away: still nobody can answer. The colleagues hear the new status; the stored number
    is not written again (no stream record, so no stream invocation), and that skipped write is no
    failure: nothing is logged or counted as one."""
    from chalicelib.platform.observability import metrics

    hub = streamed.hub
    (watcher, _), bo_tab = watcher_and_bo(streamed, "busy")
    stored = HubCounters.get("global", consistent_read=True)
    assert stored.agents_available == 0
    metrics.clear_metrics()
    answer = hub.act(bo_tab, action="presence", status="away")
    assert [e["type"] for e in answer if e["type"] == "error"] == []
    [told] = [e for e in hub.sender.take(watcher) if e["type"] == "presence"]
    assert (told["status"], told["agents_available"]) == ("away", 0)
    assert streamed.deliver() == 0
    assert HubCounters.get("global", consistent_read=True).agents_available == 0
    assert not {"ListenerFailures", "PostReplyFailures", "FanoutFailures"} & set(metrics.metric_set)
    metrics.clear_metrics()


def test_a_recompute_that_finds_a_new_number_of_agents_available_pushes_it(streamed: Streamed) -> None:
    """No presence event told it (a stale stored number): the recompute pushes the counters."""
    hub = streamed.hub
    watcher, _ = streamed.agent("watcher")
    hub.act(watcher, action="presence", status="available")
    streamed.deliver()
    hub.sender.take(watcher)
    HubCounters("global").update(actions=[HubCounters.agents_available.set(5)])
    streamed.deliver()
    assert counters_events(hub.sender, watcher) == []
    streamed.counters.recompute()
    [pushed] = counters_events(hub.sender, watcher)
    assert pushed["agents_available"] == 1
    streamed.deliver()
    assert counters_events(hub.sender, watcher) == []


def test_each_event_reaches_exactly_the_connections_that_need_it(streamed: Streamed) -> None:
    hub = streamed.hub
    ana_tab, ana = streamed.agent("ana")
    bo_tab, _ = streamed.agent("bo")
    other_tenant, _ = streamed.agent("zed", tenant="acme")
    customer, _ = hub.connect_customer()
    everyone = [ana_tab, bo_tab, other_tenant, customer]
    streamed.deliver()
    take_all(hub.sender, everyone)

    def heard(run: Callable[[], object]) -> dict[str, list[str]]:
        run()
        streamed.deliver()
        return {c: [e["type"] for e in hub.sender.take(c)] for c in everyone}

    # A ticket: every agent connection of the tenant (the list), counters from the stream; nobody else.
    assert heard(lambda: streamed.tickets.create(ana, "Printer", None)) == {
        ana_tab: ["ticket", "counters"],
        bo_tab: ["ticket", "counters"],
        other_tenant: [],
        customer: [],
    }
    # A callback: the queue on every agent dashboard, the customer's own status; counters once.
    got = heard(
        lambda: streamed.callbacks.request(streamed.customer_actor(customer), "+46701234567", None, "asap", "x", None)
    )
    assert got[ana_tab] == got[bo_tab] == ["callback", "counters"]
    assert got[other_tenant] == [] and "counters" not in got[customer]
    # An agent's presence: the other agents' team lists, with the number available (no counters
    # event follows it); never customers.
    got = heard(lambda: hub.act(bo_tab, action="presence", status="away"))
    assert got[ana_tab] == ["presence"] and got[other_tenant] == [] and got[customer] == []


def test_concurrent_posts_clean_up_gone_connections_and_count_failures(streamed: Streamed) -> None:
    hub = streamed.hub
    sender = hub.sender
    assert isinstance(sender, FlakySender)
    tabs = [streamed.agent(f"agent{i % 5}")[0] for i in range(40)]
    _, ana = streamed.agent("ana")
    streamed.deliver()
    take_all(sender, tabs)
    hub.clock.advance(CONNECT_GRACE_SECONDS + 1)  # a 410 now proves they left
    gone, broken = set(tabs[:10]), set(tabs[10:13])
    sender.gone |= gone
    sender.broken |= broken

    ticket = streamed.tickets.create(ana, "Fan-out", None)  # 41 targets: posted from the pool
    for c in tabs[13:]:
        assert [e["ticket"]["id"] for e in sender.take(c) if e["type"] == "ticket"] == [ticket.ticket_id]
    for c in gone:
        assert Connection.count(c) == 0, "a gone connection is forgotten"
        assert sender.take(c) == []
    for c in broken:
        assert Connection.count(c) == 1, "a failed post is not a gone connection"
    failures = HubCounters.get("global", consistent_read=True).delivery_failures
    assert failures == len(broken)

    streamed.deliver()  # the counters reach the connections that are still here
    assert all(counters_events(sender, c) for c in tabs[13:])


def test_a_reply_that_fails_is_counted(streamed: Streamed, monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[tuple[str, float]] = []
    from chalicelib.platform import observability

    monkeypatch.setattr(observability.metrics, "add_metric", lambda name, unit, value: counted.append((name, value)))
    customer, _ = streamed.hub.connect_customer()
    sender = streamed.hub.sender
    assert isinstance(sender, FlakySender)
    sender.broken.add(customer)
    streamed.hub.act(customer, action="heartbeat")  # its ack cannot be delivered
    assert ("FailedDeliveries", 1) in counted
