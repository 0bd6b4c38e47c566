"""In-process tests of the local stack's parts: ids, rates, scheduler, gate, snapshot."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import Any

from local.ids import aws_id, iso_ms, request_time
from local.lambda_runtime import InvocationGate, Outcome
from local.scheduler import ScheduledFunction, Scheduler, expression_string, rate_seconds, scheduled_event
from local.snapshot import _decode_value, _encode_value
from tests.local.wsclient import run_async

KB = 1024


def test_ids_and_times_have_aws_shapes() -> None:
    ids = {aws_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 16 and i.endswith("=") for i in ids)
    at = int(datetime(2024, 11, 11, 13, 45, 46, 123000, tzinfo=UTC).timestamp() * 1000)
    assert request_time(at) == "11/Nov/2024:13:45:46 +0000"
    assert iso_ms(at) == "2024-11-11T13:45:46.123Z"


def test_rate_expressions() -> None:
    assert rate_seconds("rate(5 minutes)") == 300
    assert rate_seconds("rate(1 hour)") == 3600
    assert rate_seconds("rate(2 days)") == 172800
    assert rate_seconds("cron(0 12 * * ? *)") is None

    class FakeRate:
        def to_string(self) -> str:
            return "rate(1 minute)"

    assert expression_string(FakeRate()) == "rate(1 minute)"


class FakeRuntime:
    """Enough of LambdaRuntime for the scheduler: records invocations."""

    def __init__(self) -> None:
        self.app = type("App", (), {"event_sources": []})()
        self.events: list[dict[str, Any]] = []

    async def invoke(self, name: str, payload: dict[str, Any], **_: Any) -> Outcome:
        self.events.append(payload["event"])
        return Outcome(value={"n": len(self.events)}, duration_ms=1.0, request_id=f"req-{len(self.events)}")


def test_scheduler_runs_on_its_rate_and_can_deliver_twice() -> None:
    runtime = FakeRuntime()

    async def scenario() -> None:
        scheduler = Scheduler(runtime, enabled=True, duplicate_deliveries=True)  # type: ignore[arg-type]
        scheduler.functions["tick"] = ScheduledFunction(
            name="tick",
            expression="rate(1 minute)",
            handler_string="app.tick",
            function_name="hub-local-tick",
            interval=1,
        )
        scheduler.functions["tick"].interval = 1
        scheduler.start()
        scheduler.functions["tick"].next_run = time.time() + 0.1
        await asyncio.sleep(0.5)
        await scheduler.stop(1.0)

    run_async(scenario())
    assert len(runtime.events) == 2
    assert runtime.events[0]["id"] != runtime.events[1]["id"]
    assert runtime.events[0]["detail-type"] == "Scheduled Event"


def test_scheduled_event_shape() -> None:
    event = scheduled_event("flow-hub-local-escalate", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp())
    assert event["time"] == "2024-01-02T03:04:05Z"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/flow-hub-local-escalate"]
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}


def test_invocation_gate_waits_for_running_invocations() -> None:
    gate = InvocationGate()
    order: list[str] = []
    inside = threading.Event()

    def invocation() -> None:
        assert gate.try_enter()
        inside.set()
        time.sleep(0.3)
        order.append("invocation done")
        gate.leave()

    worker = threading.Thread(target=invocation)
    worker.start()
    inside.wait()
    assert gate.acquire_exclusive(0.05) is False  # still running: a periodic snapshot gives up
    assert gate.acquire_exclusive(None) is True
    order.append("snapshot")
    gate.release_exclusive()
    worker.join()
    assert order == ["invocation done", "snapshot"]
    assert gate.completed == 1


def test_snapshot_values_round_trip_binary() -> None:
    value = {"M": {"b": {"B": b"\x00\xff"}, "bs": {"BS": [b"a", b"b"]}, "l": {"L": [{"S": "x"}, {"N": "1"}]}}}
    encoded = _encode_value(value)
    assert encoded["M"]["b"] == {"B": "AP8="}
    assert _decode_value(encoded) == value


def test_the_workers_invocation_threads_share_one_botocore_session() -> None:
    """PynamoDB's per-thread sessions each loaded botocore's data again (65-140 ms of CPU a
    thread); in a worker the threads share the process's one session, as a Lambda container does."""
    import threading

    from pynamodb.connection import base
    from pynamodb.connection.base import Connection

    from local.worker import share_botocore_session

    original = base.get_session  # type: ignore[attr-defined]
    try:
        share_botocore_session()
        conn = Connection(region="us-east-1")
        seen: list[object] = []
        threads = [threading.Thread(target=lambda: seen.append(conn.session)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(seen) == 4 and len({id(s) for s in seen}) == 1
    finally:
        base.get_session = original  # type: ignore[attr-defined]
