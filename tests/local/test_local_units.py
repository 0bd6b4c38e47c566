"""In-process tests of the local stack's parts: frame limits, cron, scheduler, gate, snapshot."""

from __future__ import annotations

import asyncio
import os
import struct
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import WSCloseCode
from aiohttp.http_websocket import WebSocketError

from local.cron import CronExpression, expression_string, rate_seconds
from local.frames import FrameLimiter
from local.ids import aws_id, iso_ms, request_time
from local.lambda_runtime import InvocationGate
from local.scheduler import ScheduledFunction, Scheduler, scheduled_event
from local.snapshot import _decode_value, _encode_value
from local.websocket_gateway import parse_route_selection
from tests.local.wsclient import run_async

KB = 1024


def frame(opcode: int, length: int, *, fin: bool = True) -> bytes:
    first = (0x80 if fin else 0) | opcode
    if length < 126:
        header = struct.pack("!BB", first, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, length)
    return header + os.urandom(4) + b"p" * length


class FakeParser:
    def __init__(self) -> None:
        self.fed = b""

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.fed += data
        return False, b""

    def feed_eof(self) -> None:
        pass


class FakeQueue:
    def __init__(self) -> None:
        self.error: BaseException | None = None

    def set_exception(self, exc: BaseException) -> None:
        self.error = exc


def limiter() -> tuple[FrameLimiter, FakeParser, FakeQueue]:
    parser, queue = FakeParser(), FakeQueue()
    return FrameLimiter(parser, queue, max_frame_bytes=32 * KB, max_message_bytes=128 * KB), parser, queue


def test_frames_within_quota_pass_through_byte_for_byte() -> None:
    lim, parser, queue = limiter()
    stream = frame(0x1, 32 * KB) + frame(0x9, 4) + frame(0x2, 10)
    # Fed in awkward pieces: headers split across chunks.
    for i in range(0, len(stream), 7_001):
        assert lim.feed_data(stream[i : i + 7_001]) == (False, b"")
    assert parser.fed == stream
    assert queue.error is None


def test_an_oversized_frame_fails_with_1009_and_earlier_frames_still_arrive() -> None:
    lim, parser, queue = limiter()
    good = frame(0x1, 100)
    assert lim.feed_data(good + frame(0x1, 32 * KB + 1)) == (True, b"")
    assert parser.fed == good
    assert isinstance(queue.error, WebSocketError)
    assert queue.error.code == WSCloseCode.MESSAGE_TOO_BIG
    # After the failure nothing more is parsed.
    assert lim.feed_data(good) == (True, good)
    assert parser.fed == good


def test_a_fragmented_message_is_limited_as_a_whole() -> None:
    lim, _, queue = limiter()
    fragments = frame(0x1, 32 * KB, fin=False) + frame(0x0, 32 * KB, fin=False) + frame(0x9, 0)
    fragments += frame(0x0, 32 * KB, fin=False) + frame(0x0, 32 * KB, fin=True)
    assert lim.feed_data(fragments) == (False, b"")
    assert queue.error is None
    # A new message starts from zero; one byte more than 128 KB fails.
    assert lim.feed_data(frame(0x1, 32 * KB, fin=False) + frame(0x0, 32 * KB, fin=False)) == (False, b"")
    assert lim.feed_data(frame(0x0, 32 * KB, fin=False) + frame(0x0, 32 * KB, fin=False)) == (False, b"")
    assert lim.feed_data(frame(0x0, 1)) == (True, b"")
    assert queue.error is not None


def test_route_selection_expressions() -> None:
    assert parse_route_selection("$request.body.action") == ["action"]
    assert parse_route_selection("${request.body.meta.kind}") == ["meta", "kind"]
    with pytest.raises(ValueError):
        parse_route_selection("$request.header.x")


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


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 12 * * ? *)", datetime(2024, 11, 12, 12, 0, tzinfo=UTC)),
        ("cron(0/15 * * * ? *)", datetime(2024, 11, 11, 14, 0, tzinfo=UTC)),
        ("cron(0 9 ? * MON-FRI *)", datetime(2024, 11, 12, 9, 0, tzinfo=UTC)),
        ("cron(0 0 ? * SUN *)", datetime(2024, 11, 17, 0, 0, tzinfo=UTC)),
        ("cron(30 8 1 JAN,JUL ? *)", datetime(2025, 1, 1, 8, 30, tzinfo=UTC)),
        ("cron(0 10 * * ? 2026)", datetime(2026, 1, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_cron_next_run(expression: str, expected: datetime) -> None:
    monday = datetime(2024, 11, 11, 13, 45, tzinfo=UTC)
    cron = CronExpression.parse(expression)
    assert not cron.approximate
    assert cron.next_after(monday) == expected


def test_cron_special_forms_are_approximated_hourly() -> None:
    cron = CronExpression.parse("cron(15 18 L * ? *)")
    assert cron.approximate
    assert cron.next_after(datetime(2024, 11, 11, 13, 45, tzinfo=UTC)) == datetime(2024, 11, 11, 14, 15, tzinfo=UTC)


class FakeRuntime:
    """Enough of LambdaRuntime for the scheduler: records invocations."""

    def __init__(self) -> None:
        self.app = type("App", (), {"event_sources": []})()
        self.events: list[dict[str, Any]] = []
        self.function_timeout = 5.0

    def context(self, function_name: str) -> Any:
        return type("Ctx", (), {"aws_request_id": "req"})()

    async def invoke(self, fn: Any, event: dict[str, Any], context: Any, **_: Any) -> Any:
        self.events.append(event)
        return type("Outcome", (), {"ok": True, "value": {"n": len(self.events)}, "error": None, "duration_ms": 1.0})()


def test_scheduler_runs_on_its_rate_and_can_deliver_twice() -> None:
    runtime = FakeRuntime()

    async def scenario() -> None:
        scheduler = Scheduler(runtime, enabled=True, duplicate_deliveries=True)  # type: ignore[arg-type]
        scheduler.functions["tick"] = ScheduledFunction(
            name="tick",
            expression="rate(1 minute)",
            handler_string="app.tick",
            function_name="hub-local-tick",
            fn=lambda event, context: None,
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
        with gate.shared():
            inside.set()
            time.sleep(0.3)
            order.append("invocation done")

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
