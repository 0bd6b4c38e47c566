"""Lambda for the local stack: every function of the app in a process of its own.

Chalice deploys one Lambda function per WebSocket route (`websocket_connect`,
`websocket_message`, `websocket_disconnect`), one for the REST API (`api_handler`, with
its authorizers) and one per schedule. Each runs here as a `local.worker` process with only
the environment that function gets on AWS (`local.bootstrap.function_environment`), so a
function can never use state another function left in memory or in `os.environ`: REST and
scheduled pushes have to find the management endpoint in their own configuration, as on AWS.

`LambdaRuntime.invoke`
- sends the event to the function's process and waits for its answer (a worker runs the
  invocations of one function concurrently on threads, as concurrent Lambda containers do),
- reports the function timeout like Lambda ("Task timed out after 10.00 seconds"); the
  handler itself cannot be stopped and finishes in the background,
- restarts a function whose process died (a cold start), failing the invocations it held,
- holds the shared side of the `InvocationGate` until the function has answered, so a
  DynamoDB snapshot waits for a moment when no handler is half-way through a write.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalice.app import Chalice, DynamoDBEventConfig, ScheduledEventConfig

log = logging.getLogger("local.lambda")

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
API_HANDLER = "api_handler"
# The function chalice deploys for each WebSocket route; a custom route key (only the
# fake test app declares one) gets a function of its own, named after its handler.
WEBSOCKET_FUNCTIONS = {
    "$connect": "websocket_connect",
    "$default": "websocket_message",
    "$disconnect": "websocket_disconnect",
}
_START_TIMEOUT = 60.0
_LINE_LIMIT = 64 * 1024 * 1024  # REST bodies go up to 10 MB, base64 in JSON


class InvocationGate:
    """A writer-preferring readers/writer lock between handler invocations (shared) and the
    snapshotter (exclusive): a snapshot is taken between invocations, never during one, so
    it never holds half of a multi-table write."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._writers_waiting = 0
        self._writer_active = False
        self._completed = 0

    @property
    def completed(self) -> int:
        """How many invocations have finished (the snapshotter's "something may have changed")."""
        with self._cond:
            return self._completed

    def try_enter(self) -> bool:
        with self._cond:
            if self._writer_active or self._writers_waiting:
                return False
            self._active += 1
            return True

    def enter(self) -> None:
        with self._cond:
            while self._writer_active or self._writers_waiting:
                self._cond.wait()
            self._active += 1

    def leave(self) -> None:
        with self._cond:
            self._active -= 1
            self._completed += 1
            if self._active == 0:
                self._cond.notify_all()

    def acquire_exclusive(self, timeout: float | None) -> bool:
        """Waits (at most `timeout` s) until no invocation runs, then blocks new ones."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer_active or self._active:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._cond.wait(remaining)
                self._writer_active = True
                return True
            finally:
                self._writers_waiting -= 1
                if not self._writer_active:
                    self._cond.notify_all()

    def release_exclusive(self) -> None:
        with self._cond:
            self._writer_active = False
            self._cond.notify_all()


@dataclass(frozen=True)
class Outcome:
    """What an invocation produced: a value, or an error (exception text or timeout)."""

    value: Any = None
    error: str | None = None
    timed_out: bool = False
    duration_ms: float = 0.0
    request_id: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # chalice's name for it: api_handler, websocket_message, <schedule name>, ...
    handler: str  # the entry point ("app.ws_message"); "" for the REST API
    function_name: str  # the deployed name, <app>-<stage>-<name>
    timeout: float
    memory_size: int
    environment: dict[str, str] = field(repr=False)


class FunctionProcess:
    """One function's `local.worker` process and the invocations waiting for it."""

    def __init__(self, spec: FunctionSpec, *, app_spec: str, stage: str, concurrency: int, root: Path) -> None:
        self.spec = spec
        self._argv = [
            sys.executable,
            "-m",
            "local.worker",
            "--app",
            app_spec,
            "--handler",
            spec.handler,
            "--stage",
            stage,
            "--concurrency",
            str(concurrency),
            "--timeout",
            str(spec.timeout),
        ]
        self._root = root
        self._process: subprocess.Popen[bytes] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._start_lock = asyncio.Lock()
        self._reader_task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self._writer is not None

    async def start(self) -> None:
        parent, child = socket.socketpair()
        with child:
            self._process = subprocess.Popen(
                [*self._argv, "--fd", str(child.fileno())],
                pass_fds=(child.fileno(),),
                env=self.spec.environment,
                cwd=self._root,
                # Not in the terminal's process group: Ctrl-C reaches the hub, which finishes
                # the invocations still running before it stops the functions.
                start_new_session=True,
            )
        reader, writer = await asyncio.open_unix_connection(sock=parent, limit=_LINE_LIMIT)
        try:
            ready = await asyncio.wait_for(reader.readline(), _START_TIMEOUT)
        except TimeoutError:
            ready = b""
        if not ready:
            writer.close()
            self._process.kill()
            raise RuntimeError(f"{self.spec.function_name} did not start (its error is in the log above)")
        self._writer = writer
        self._reader_task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            answer: dict[str, Any] = json.loads(line)
            future = self._pending.pop(str(answer["id"]), None)
            if future is not None and not future.done():
                future.set_result(answer)
        # The process is gone: what it held fails, the next invocation starts a new one.
        self._writer = None
        status = await asyncio.to_thread(self._process.wait) if self._process else None
        if self._pending:
            log.error("%s exited (status %s) with %d invocations", self.spec.function_name, status, len(self._pending))
        for future in self._pending.values():
            if not future.done():
                future.set_result({"error": f"Runtime exited with error: exit status {status}"})
        self._pending.clear()

    async def call(self, message: dict[str, Any]) -> dict[str, Any]:
        async with self._start_lock:
            if not self.alive:
                log.warning("%s: starting a new process (cold start)", self.spec.function_name)
                await self.start()
        assert self._writer is not None
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[str(message["id"])] = future
        try:
            self._writer.write(json.dumps(message).encode("utf-8") + b"\n")
            await self._writer.drain()
        except ConnectionError:
            self._pending.pop(str(message["id"]), None)
            raise
        return await future

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.close()  # the worker exits when its socket closes
        if self._reader_task is not None:
            await asyncio.wait([self._reader_task], timeout=5)
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            await asyncio.to_thread(self._process.wait)


def function_specs(app: Chalice) -> list[tuple[str, str]]:
    """(name, handler) of every Lambda function chalice would deploy for `app`."""
    specs: list[tuple[str, str]] = []
    if app.routes:
        specs.append((API_HANDLER, ""))
    for route_key, config in app.websocket_handlers.items():
        specs.append((WEBSOCKET_FUNCTIONS.get(route_key, config.name), config.handler_string))
    for source in app.event_sources:
        if isinstance(source, ScheduledEventConfig | DynamoDBEventConfig):  # schedules, stream functions
            specs.append((source.name, source.handler_string))
    return specs


class LambdaRuntime:
    def __init__(
        self,
        app: Chalice,
        functions: list[FunctionSpec],
        *,
        app_spec: str,
        stage: str,
        concurrency: int,
        root: Path,
    ) -> None:
        self.app = app
        self.gate = InvocationGate()
        self.functions = {spec.name: spec for spec in functions}
        self._processes = {
            spec.name: FunctionProcess(spec, app_spec=app_spec, stage=stage, concurrency=concurrency, root=root)
            for spec in functions
        }
        self._closed = False

    @property
    def longest_timeout(self) -> float:
        return max((spec.timeout for spec in self.functions.values()), default=10.0)

    async def start(self) -> None:
        """Starts every function at once (they import the app in parallel)."""
        await asyncio.gather(*(process.start() for process in self._processes.values()))

    async def invoke(self, name: str, payload: dict[str, Any], *, label: str) -> Outcome:
        """Runs function `name` with `payload` (`{"event": ...}`, or `{"rest": ...}` for the
        REST API); never raises for handler errors, returns them."""
        request_id = str(uuid.uuid4())
        if self._closed:
            return Outcome(error="the local stack is shutting down", request_id=request_id)
        spec, process = self.functions[name], self._processes[name]
        if not self.gate.try_enter():
            await asyncio.to_thread(self.gate.enter)
        started = time.perf_counter()
        call = asyncio.ensure_future(process.call({"id": request_id, **payload}))
        call.add_done_callback(self._finished)
        try:
            answer = await asyncio.wait_for(asyncio.shield(call), timeout=spec.timeout)
        except TimeoutError:
            log.error(
                "%s: Task timed out after %.2f seconds (the handler runs on in the background)", label, spec.timeout
            )
            answer = {"error": f"Task timed out after {spec.timeout:.2f} seconds", "timedOut": True}
        except Exception as exc:  # the function's process could not be started
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        duration = (time.perf_counter() - started) * 1000
        if "error" in answer:
            return Outcome(
                error=str(answer["error"]),
                timed_out=bool(answer.get("timedOut")),
                duration_ms=duration,
                request_id=request_id,
            )
        return Outcome(value=answer.get("value"), duration_ms=duration, request_id=request_id)

    def _finished(self, call: asyncio.Future[dict[str, Any]]) -> None:
        """When the function answered (even after its timeout), or could not be reached."""
        self.gate.leave()
        if not call.cancelled():
            call.exception()  # retrieved: reported through the Outcome, not as "never retrieved"

    async def close(self) -> None:
        self._closed = True
        await asyncio.gather(*(process.stop() for process in self._processes.values()))
