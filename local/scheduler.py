"""EventBridge for the app's `@app.schedule(...)` functions.

Each `rate(...)` schedule runs on its rate (the first run one period after the hub starts,
as a new EventBridge rule does), with an EventBridge "Scheduled Event". The app declares
no `cron(...)` schedule, so none is evaluated here: such a function only runs on request.
Runs may overlap, as asynchronous Lambda invocations do; `duplicate_deliveries` invokes
every tick twice to exercise the idempotency that at-least-once delivery requires.
`run_now` serves `POST /_local/schedules/<name>/run`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from chalice.app import ScheduledEventConfig

from local.ids import iso_seconds
from local.lambda_runtime import ACCOUNT_ID, REGION, LambdaRuntime

log = logging.getLogger("local.schedule")

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def expression_string(expression: Any) -> str:
    """A chalice `Rate`/`Cron` object or an expression string, as EventBridge's string."""
    if isinstance(expression, str):
        return expression.strip()
    return str(expression.to_string())


def rate_seconds(expression: str) -> int | None:
    """Seconds between runs of a `rate(...)` expression; None for anything else."""
    match = _RATE.match(expression.strip())
    if not match:
        return None
    value, unit = int(match.group(1)), match.group(2).lower().rstrip("s")
    if value <= 0:
        raise ValueError(f"rate must be positive: {expression!r}")
    return value * _UNIT_SECONDS[unit]


@dataclass
class ScheduledFunction:
    name: str
    expression: str
    handler_string: str
    function_name: str
    interval: int | None = None
    next_run: float | None = None
    last_run: dict[str, Any] | None = None
    runs: int = 0

    def schedule_next(self, now: float) -> None:
        self.next_run = None if self.interval is None else now + self.interval

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expression": self.expression,
            "handler": self.handler_string,
            "functionName": self.function_name,
            "automatic": self.interval is not None,
            "nextRunAt": iso_seconds(self.next_run) if self.next_run else None,
            "runs": self.runs,
            "lastRun": self.last_run,
        }


def scheduled_event(function_name: str, at: float) -> dict[str, Any]:
    """The event EventBridge sends a Lambda for a schedule rule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": iso_seconds(at),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{function_name}"],
        "detail": {},
    }


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class Scheduler:
    def __init__(self, runtime: LambdaRuntime, *, enabled: bool = True, duplicate_deliveries: bool = False) -> None:
        self.runtime = runtime
        self.enabled = enabled
        self.duplicate_deliveries = duplicate_deliveries
        self.functions: dict[str, ScheduledFunction] = {}
        for source in runtime.app.event_sources:
            if not isinstance(source, ScheduledEventConfig):
                continue
            expression = expression_string(source.schedule_expression)
            function = ScheduledFunction(
                name=source.name,
                expression=expression,
                handler_string=source.handler_string,
                function_name=runtime.functions[source.name].function_name,
            )
            function.interval = rate_seconds(expression)
            if function.interval is None:
                log.warning(
                    "schedule %s: %s is not emulated; run it with POST /_local/schedules/%s/run",
                    source.name,
                    expression,
                    source.name,
                )
            self.functions[source.name] = function
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []

    def start(self) -> None:
        now = time.time()
        for function in self.functions.values():
            function.schedule_next(now)
            if self.enabled:
                self._loops.append(asyncio.create_task(self._loop(function)))

    async def _loop(self, function: ScheduledFunction) -> None:
        while function.next_run is not None:
            await asyncio.sleep(max(0.0, function.next_run - time.time()))
            fired_at = time.time()
            function.schedule_next(fired_at)
            for _ in range(2 if self.duplicate_deliveries else 1):
                task = asyncio.create_task(self.invoke(function, trigger="schedule"))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def invoke(self, function: ScheduledFunction, *, trigger: str) -> dict[str, Any]:
        at = time.time()
        event = scheduled_event(function.function_name, at)
        outcome = await self.runtime.invoke(function.name, {"event": event}, label=f"schedule {function.name}")
        result = {
            "name": function.name,
            "trigger": trigger,
            "ok": outcome.ok,
            "result": _json_safe(outcome.value) if outcome.ok else None,
            "error": outcome.error,
            "startedAt": iso_seconds(at),
            "durationMs": round(outcome.duration_ms, 1),
            "requestId": outcome.request_id,
        }
        function.runs += 1
        function.last_run = result
        log.info(
            "schedule %s (%s): %s in %.0f ms",
            function.name,
            trigger,
            "ok" if outcome.ok else outcome.error,
            outcome.duration_ms,
        )
        return result

    async def run_now(self, name: str) -> dict[str, Any]:
        function = self.functions.get(name)
        if function is None:
            raise KeyError(name)
        return await self.invoke(function, trigger="manual")

    def describe(self) -> list[dict[str, Any]]:
        return [function.describe() for function in self.functions.values()]

    async def stop(self, timeout: float) -> None:
        for loop in self._loops:
            loop.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
