"""The cost model's arithmetic (bench/cost.py): dollars are the counted quantities times the list
prices, nothing counted is left out of the bill, DynamoDB request units follow the documented
sizing rules, and the assumed client behaviour is the shipped clients'."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from bench import cost, latency
from bench.cost import PRICED, PRICES, Usage, dollars, request_units, total

ROOT = Path(__file__).resolve().parents[2]


def test_dollars_are_the_counts_times_the_list_prices() -> None:
    usage = Usage(
        ws_messages=3e6,
        ws_connection_minutes=4e6,
        rest_requests=2e6,
        lambda_requests=5e6,
        lambda_gb_seconds=60_000,
        ddb_wru=8e6,
        ddb_rru=16e6,
        cognito_mau=100,
    )
    by_line = dollars(usage)
    assert by_line["ws_messages"] == pytest.approx(3.00)  # $1.00 per million messages
    assert by_line["ws_connection_minutes"] == pytest.approx(1.00)  # $0.25 per million minutes
    assert by_line["rest_requests"] == pytest.approx(7.00)  # $3.50 per million
    assert by_line["lambda_requests"] == pytest.approx(1.00)  # $0.20 per million
    assert by_line["lambda_gb_seconds"] == pytest.approx(1.000002)  # $0.0000166667 per GB-s
    assert by_line["ddb_wru"] == pytest.approx(5.00)  # $0.625 per million WRU
    assert by_line["ddb_rru"] == pytest.approx(2.00)  # $0.125 per million RRU
    assert by_line["cognito_mau"] == pytest.approx(0.55)
    assert total(usage) == pytest.approx(20.550002)
    # Scaling a usage scales its bill: the per-million figures are one measured action times a million.
    assert total(usage * 3) == pytest.approx(3 * total(usage))
    assert total(usage + usage) == pytest.approx(2 * total(usage))


@pytest.mark.parametrize("name", [f.name for f in fields(Usage) if f.name not in cost.INFORMATIVE])
def test_every_counted_quantity_is_in_the_bill(name: str) -> None:
    """Dropping a billed quantity from PRICED (or adding a counted one without a price) fails here."""
    assert name in PRICED and PRICED[name] in PRICES
    usage = Usage()
    setattr(usage, name, 1e6)
    assert total(usage) > 0


def test_the_bill_has_no_line_that_nothing_counts() -> None:
    billed = {f.name for f in fields(Usage)} - cost.INFORMATIVE
    assert set(PRICED) == billed


def test_a_call_to_an_aws_api_without_a_price_is_not_silently_free() -> None:
    with pytest.raises(ValueError, match="not in the price table"):
        dollars(Usage(other_calls=Counter({"sqs:SendMessage": 1})))


def _item(size: int) -> dict[str, dict[str, str]]:
    """An item of exactly `size` bytes: a 2-byte name and a string value."""
    return {"pk": {"S": "x" * (size - 2)}}


def test_reads_are_sized_in_4_kb_units_and_halved_when_eventually_consistent() -> None:
    def get(size: int, consistent: bool) -> float:
        rru, wru = request_units("GetItem", {"ConsistentRead": consistent}, {"Item": _item(size)}, {}, lambda *_: None)
        assert wru == 0
        return rru

    assert get(100, False) == 0.5
    assert get(4096, True) == 1.0
    assert get(4097, True) == 2.0
    assert get(5000, False) == 1.0
    # A query is sized by everything it returned together, and costs at least one unit.
    items = {"Items": [_item(3000), _item(3000)]}
    assert request_units("Query", {}, items, {}, lambda *_: None) == (1.0, 0.0)
    assert request_units("Query", {}, {"Items": []}, {}, lambda *_: None) == (0.5, 0.0)


def test_writes_are_sized_in_1_kb_units_from_the_larger_of_before_and_after_and_transactions_count_double() -> None:
    cost._KEY_NAMES["t"] = ["pk"]
    stored = {"a": _item(2048), "b": _item(100)}

    def after(table: str, key: Mapping[str, Any]) -> Mapping[str, Any] | None:
        return stored.get(key["pk"]["S"])

    put = {"TableName": "t", "Item": {"pk": {"S": "n"}, "v": {"S": "y" * 1500}}}
    assert request_units("PutItem", put, {}, {}, after) == (0.0, 2.0)
    update = {"TableName": "t", "Key": {"pk": {"S": "a"}}}
    assert request_units("UpdateItem", update, {}, {}, after) == (0.0, 2.0)
    # An item that shrank is charged at its size before the write.
    shrunk = {"TableName": "t", "Key": {"pk": {"S": "b"}}}
    assert request_units("UpdateItem", shrunk, {}, {cost._item_key("t", {"pk": {"S": "b"}}): 3000}, after) == (0, 3)
    transaction = {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "n"}}}},
            {"Update": {"TableName": "t", "Key": {"pk": {"S": "a"}}}},
            {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "b"}}}},
        ]
    }
    assert request_units("TransactWriteItems", transaction, {}, {}, after) == (0.0, 2 * 1 + 2 * 2 + 2 * 1)


def test_a_dynamodb_operation_without_a_unit_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="no request-unit rule"):
        request_units("ExecuteStatement", {}, {}, {}, lambda *_: None)


def test_websocket_messages_are_billed_in_32_kb_increments() -> None:
    assert [cost.ws_message_units(n) for n in (1, 32768, 32769, 70000)] == [1, 1, 2, 3]


def test_the_typical_client_is_the_shipped_client() -> None:
    """RECEIPTS, the heartbeat interval and the latency bench's receipts mirror frontend/src:
    when a client change alters them, this fails until the benchmarks follow."""
    chat = (ROOT / "frontend/src/shared/chat.ts").read_text(encoding="utf-8")
    body = chat[chat.index("  receipts(t: Thread): void {") :]
    body = body[: body.index("\n  }\n")]
    mark = chat[chat.index("  markRead(t: Thread): void {") :]
    mark = mark[: mark.index("\n  }\n")]
    # On screen: markRead sends `read` alone (it implies delivered); `delivered` goes only from
    # the coalescing timer, for a thread that is not on screen.
    assert "this.markRead(t)" in body and 'action: "delivered"' not in body and 'action: "read"' in mark
    assert 'action: "delivered"' in chat[chat.index("  private receiptLater(") :]
    assert cost.RECEIPTS == ("read",)
    assert set(latency.CLIENT_RECEIPTS) == {"delivered", "read"}
    (interval_ms,) = re.findall(r"RECEIPT_INTERVAL_MS = ([\d_]+)", chat)
    interval = int(interval_ms.replace("_", "")) / 1000
    assert interval == latency.RECEIPT_INTERVAL_S == latency.Behaviour().receipt_interval

    socket = (ROOT / "frontend/src/shared/socket.ts").read_text(encoding="utf-8")
    (interval,) = re.findall(r"heartbeatMs \?\? ([\d_]+)", socket)
    assert int(interval.replace("_", "")) / 1000 == cost.Typical().heartbeat_s
    (throttle,) = re.findall(r"TYPING_THROTTLE_MS = ([\d_]+)", chat)
    assert int(throttle.replace("_", "")) / 1000 == cost.TYPING_THROTTLE_S


def test_a_start_is_repeated_each_throttle_interval_before_the_send() -> None:
    t = cost.TYPING_THROTTLE_S
    assert [cost.refresh_starts(s) for s in (0.0, t - 0.1, t, t + 0.1, 3 * t + 1, 10 * t)] == [0, 0, 0, 1, 3, 9]


def test_the_latency_bench_times_each_conversations_receipt_as_chat_ts_does() -> None:
    """On screen a `read` at once, then at most one an interval; elsewhere a `delivered` an
    interval after the message. Per conversation: one thread's receipt never waits for another's."""
    agent = latency.AgentSocket(ws=None, open_thread="c-open")  # type: ignore[arg-type]
    behaviour = latency.Behaviour()
    every = behaviour.receipt_interval
    assert latency.receipt_delay(agent, behaviour, "c-open", now=100.0) == 0.0
    agent.read_at["c-open"] = 100.0
    assert latency.receipt_delay(agent, behaviour, "c-open", now=100.25) == pytest.approx(every - 0.25)
    assert latency.receipt_delay(agent, behaviour, "c-open", now=100.0 + every) == 0.0
    assert latency.receipt_delay(agent, behaviour, "c-other", now=100.25) == every
    only_delivered = latency.Behaviour(receipts=("delivered",))
    assert latency.receipt_delay(agent, only_delivered, "c-open", now=100.25) == every


# ----------------------------------------------------------------------------- the dashboard's hub reloads
def _measured(agents: int, reload: Usage) -> cost.Measured:
    """A tenant of `agents` where each connect, disconnect and presence change posts one `presence`
    event to every agent connection, and one dashboard reload costs `reload` per GET."""
    action = Usage(posts=agents, ws_messages=agents + 1, lambda_requests=1, agent_events=Counter(presence=agents))
    return cost.Measured(
        agents_online=agents,
        per_action={},
        message=Usage(),
        connect=action,
        disconnect=action,
        heartbeat=Usage(ws_messages=2, lambda_requests=1, ddb_wru=4),
        presence=action,
        hub_reload={path: reload for path in cost.HUB_RELOAD},
        callback=Usage(),
        scheduled_idle={},
        memory_source="test",
        authorizer_lambda=False,
        memory={},
        default_memory=1024,
    )


RELOAD = Usage(rest_requests=1, lambda_requests=1, lambda_gb_seconds=0.05, ddb_rru=8, ddb_calls=Counter(Query=6))


def _month(
    reload: Usage = RELOAD, on_screen: float | None = None, size: int | None = None
) -> tuple[Usage, dict[str, float]]:
    at = {10: _measured(10, reload), 40: _measured(40, reload)}
    return cost.agents_month(at, cost.Typical(), tenant_size=size, hub_on_screen=on_screen)


def test_the_agents_month_pays_for_the_dashboards_hub_reloads() -> None:
    """Leaving the reloads out of the agent-month (or pricing them at nothing) fails here."""
    with_reloads, counts = _month()
    free, _ = _month(reload=Usage())
    reloads = counts["hub reloads (timer)"] + counts["hub reloads (events)"]
    typical = cost.Typical()
    # At least the timer's: every hub_poll_s while the figures are on screen, every agent, every shift.
    shifts = typical.months_agents * typical.workdays
    assert counts["hub reloads (timer)"] == pytest.approx(
        shifts * typical.hub_on_screen * typical.shift_hours * 3600 / typical.hub_poll_s
    )
    assert counts["hub reloads (events)"] > 0  # presence events reach every dashboard
    # Each reload is every GET of loadHub, each one REST request, priced as counted.
    assert with_reloads.rest_requests == pytest.approx(reloads * len(cost.HUB_RELOAD))
    assert total(with_reloads) - total(free) == pytest.approx(reloads * len(cost.HUB_RELOAD) * total(RELOAD))
    assert free.rest_requests == 0


def test_the_on_screen_share_scales_the_reloads() -> None:
    """Only while the hub's figures are on screen: the reloads' bill is proportional to the share."""
    none, _ = _month(on_screen=0.0)
    assert none.rest_requests == 0
    tenth, _ = _month(on_screen=0.1)
    fifth, _ = _month(on_screen=0.2)
    whole, _ = _month(on_screen=1.0)  # the dashboard before: reloading the whole shift
    part = total(tenth) - total(none)
    assert part > 0
    assert total(fifth) - total(none) == pytest.approx(2 * part)
    assert total(whole) - total(none) == pytest.approx(10 * part)
    assert _month()[0].rest_requests == pytest.approx(tenth.rest_requests)  # 0.1 is the default


def test_reloads_after_events_grow_with_the_tenant_and_the_debounce_caps_them() -> None:
    _, small = _month(size=10)
    _, big = _month(size=1000)
    assert big["hub events to dashboards"] > 50 * small["hub events to dashboards"]
    assert big["hub reloads (events)"] > small["hub reloads (events)"]
    # ... but fewer reloads than events: events within one debounce share a reload.
    assert big["hub reloads (events)"] < big["hub events to dashboards"] * cost.Typical().hub_on_screen
    typical = cost.Typical()
    seen = typical.shift_hours * 3600
    _, flood = cost.hub_reloads_per_shift(typical, 1.0, 1e6)
    assert flood <= seen / typical.hub_debounce_s
    assert flood == pytest.approx(seen / typical.hub_debounce_s, rel=1e-3)


def test_the_hub_reloads_are_the_shipped_dashboards() -> None:
    """HUB_EVENTS are the events after which events.ts calls hubSoon, HUB_RELOAD the GETs of
    loadHub: a dashboard change that alters them fails here until the model follows."""
    events = (ROOT / "frontend/src/agent/store/events.ts").read_text(encoding="utf-8")
    handlers = re.split(r"\n  (\w+)\(ws, ev\) \{", events)
    reloading = {name for name, body in zip(handlers[1::2], handlers[2::2], strict=True) if "hubSoon()" in body}
    assert reloading == set(cost.HUB_EVENTS)
    lanes = (ROOT / "frontend/src/agent/work-lanes.ts").read_text(encoding="utf-8")
    load = lanes[lanes.index("  async loadHub(") :]
    load = load[: load.index("\n  }\n")]
    assert re.findall(r'api<[^(]*\("(/[\w/]+)"', load) == list(cost.HUB_RELOAD)


def test_the_latency_bench_counts_the_stacks_cpu_by_role_for_its_processes_only() -> None:
    """`bench.latency` prints the stack's CPU per message from /proc: each process below the
    stack's root, by role (moto, a function's worker, the gateway), and nothing else."""
    assert latency._role(["python", "-m", "local.moto_server", "-p", "1"]) == "moto"
    assert (
        latency._role(["python", "-m", "local.worker", "--app", "app:app", "--handler", "app.ws_message"])
        == "ws_message"
    )
    assert latency._role(["python", "-m", "local.worker", "--app", "app:app", "--handler", "--stage", "dev"]) == "api"
    assert latency._role(["python", "-m", "local.run", "--port", "0"]) == "gateway"
    # A stack of its own (a root that starts a "moto" that burns 0.3 s of CPU), beside a
    # "worker" that burns too but is not below that root: only the root's tree is counted.
    # (This test process may hold other stacks' processes, started by earlier tests.)
    burn = "import sys, time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\ntime.sleep(30)"
    root_code = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {burn!r}, 'local.moto_server'])\n"
        "time.sleep(30)"
    )
    root = subprocess.Popen([sys.executable, "-c", root_code], start_new_session=True)
    stranger = subprocess.Popen(
        [sys.executable, "-c", burn, "local.worker", "--handler", "app.ws_message"], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 20
        while latency.stack_cpu_s(root.pid).get("moto", 0.0) < 0.25 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # the stranger has burned its 0.3 s by now too
        used = latency.stack_cpu_s(root.pid)
        assert set(used) == {"gateway", "moto"}  # the root itself, and its child; not the stranger
        assert 0.25 <= used["moto"] < 1.0 and used["gateway"] < 0.25
        assert latency.stack_cpu_s(stranger.pid)["ws_message"] >= 0.25
    finally:
        for p in (root, stranger):
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _rate_run(rate: int, delivered: dict[str, float], sent_at: dict[str, float]) -> latency.RateRun:
    probe = latency.Probe(get_item_ms=1.0, query_ms=1.0, transact_ms=1.0, post_ms=1.0, items=0)
    outcome = latency.Outcome(
        sent=len(sent_at),
        delivered=list(delivered.values()),
        acked=[],
        errors=[],
        gateway_errors=[],
        delivered_in_window=len(delivered),
        worst_second_ms=latency.worst_second_median(sent_at, delivered),
        duplicates=0,
        late_sends=0,
        setup_s=0.0,
    )
    return latency.RateRun(rate, outcome, probe, probe, seconds=len(sent_at) // rate)


def test_a_rate_that_builds_a_backlog_is_not_sustained_though_its_throughput_keeps_up() -> None:
    """Delivered at the rate while sending and none lost, but the messages of the middle seconds
    waited 1.2 s (a queue that drained later): not sustained. The same throughput with every
    second's median under the limit is."""
    rate, seconds = 10, 6
    sent_at = {f"m{s}-{i}": 100.0 + s + i / rate for s in range(seconds) for i in range(rate)}
    calm = {cid: 40.0 for cid in sent_at}
    backlog = {cid: (1200.0 if 2 <= int(at - 100.0) <= 3 else 40.0) for cid, at in sent_at.items()}
    assert latency.worst_second_median(sent_at, calm) == 40.0
    assert latency.worst_second_median(sent_at, backlog) == 1200.0
    assert _rate_run(rate, calm, sent_at).follows
    assert not _rate_run(rate, backlog, sent_at).follows
    # A message never delivered makes its second infinitely late (and the run lost one).
    lost = {cid: ms for cid, ms in calm.items() if cid != "m0-0"}
    assert latency.worst_second_median({"m0-0": 1.0}, {}) == float("inf")
    assert not _rate_run(rate, lost, sent_at).follows
    assert latency.worst_second_median({}, {}) == 0.0


def test_each_rate_prints_how_fast_the_machine_ran(capsys: pytest.CaptureFixture[str]) -> None:
    """The same commit's CPU per message moved 56-83 ms within an hour on one VM: each rate says
    how fast the machine was while it ran (a reference round's median) and just before it."""
    sent_at = {f"m{i}": 100.0 + i / 10 for i in range(20)}
    run = _rate_run(10, {cid: 40.0 for cid in sent_at}, sent_at)
    samples = [20.0, 18.0, 25.0]
    outcome = dataclasses.replace(run.outcome, cpu_s={"moto": 0.6, "ws_message": 0.8}, speed_samples=samples)
    run = dataclasses.replace(run, outcome=outcome, speed=latency.MachineSpeed.of(14.4, samples))
    assert run.speed.during_ms == 20.0 and run.speed.factor == pytest.approx(0.72)
    latency.print_rate(run, agents=2)
    out = capsys.readouterr().out
    assert "the stack's CPU per message, ms: 70.0 (ws_message 40.0, moto 30.0)" in out
    assert "a reference round took 20.0 ms during the run (the median of 3), 14.4 ms at best just before (0.72x)" in out
    # The sampler measures its own thread's CPU, in rounds of the same fixed work.
    sampler = latency.SpeedSampler(every=0.01).start()
    time.sleep(0.2)
    assert (measured := sampler.stop()) and all(ms > 0 for ms in measured)
    assert math.isnan(latency.MachineSpeed.of(10.0, []).factor)  # no samples: unknown, not 1.0
