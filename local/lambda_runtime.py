"""Runs the app's Lambda entry points the way Lambda would: concurrently, in a thread pool.

Every invocation (WebSocket route, REST request, scheduled function) goes through
`LambdaRuntime.invoke`, which
- runs the handler on a worker thread, never on the event loop (Lambda concurrency),
- gives it a Lambda context (function name, request id, remaining time),
- holds the shared side of the `InvocationGate`, so a DynamoDB snapshot can wait for a
  moment when no handler is half-way through a multi-table write,
- reports the function timeout like Lambda ("Task timed out after 10.00 seconds"); the
  thread itself cannot be killed and finishes in the background.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from chalice.app import Chalice
from chalice.local import LambdaContext, LocalChalice

log = logging.getLogger("local.lambda")

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


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

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._writer_active or self._writers_waiting:
                self._cond.wait()
            self._active += 1
        try:
            yield
        finally:
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


class _ThreadLocalChalice(LocalChalice):
    """`current_request` (from LocalChalice) and `lambda_context` per thread: REST requests
    run concurrently on the pool and must not see each other's request."""

    _CONTEXT = threading.local()

    @property
    def lambda_context(self) -> Any:
        return getattr(self._CONTEXT, "value", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._CONTEXT.value = value


def make_thread_safe(app: Chalice) -> None:
    """What `chalice local` does to the app object, on a private subclass (idempotent)."""
    if isinstance(app, _ThreadLocalChalice):
        return
    app.__class__ = type("LocalHubChalice", (_ThreadLocalChalice, app.__class__), {})


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


class LambdaRuntime:
    def __init__(
        self,
        app: Chalice,
        app_module: ModuleType,
        *,
        stage: str,
        concurrency: int,
        function_timeout: float,
        memory_size: int,
    ) -> None:
        make_thread_safe(app)
        self.app = app
        self.app_module = app_module
        self.stage = stage
        self.function_timeout = function_timeout
        self.memory_size = memory_size
        self.gate = InvocationGate()
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="lambda")
        self._closed = False

    # ------------------------------------------------------------------ resolution
    def resolve(self, handler_string: str, name: str | None = None) -> Callable[[Any, Any], Any]:
        """The Lambda entry point named by a Chalice `handler_string` ("app.handle_message").

        Chalice writes "app." for handlers defined in the app module whatever its real
        module name is, so "app" means the module the app object came from."""
        module_name, _, attr = handler_string.rpartition(".")
        module: ModuleType
        if module_name in ("app", self.app_module.__name__):
            module = self.app_module
        else:
            module = importlib.import_module(module_name)
        fn = getattr(module, attr, None)
        if fn is None and name is not None:
            fn = self.app.handler_map.get(name)
        if fn is None or not callable(fn):
            raise LookupError(f"no Lambda entry point {handler_string!r}")
        return fn  # type: ignore[no-any-return]

    def function_name(self, name: str) -> str:
        return f"{self.app.app_name}-{self.stage}-{name}"

    def context(self, function_name: str) -> LambdaContext:
        ctx = LambdaContext(
            function_name=function_name,
            memory_size=self.memory_size,
            max_runtime_ms=int(self.function_timeout * 1000),
        )
        ctx.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
        ctx.log_group_name = f"/aws/lambda/{function_name}"
        return ctx

    # ------------------------------------------------------------------ invocation
    async def invoke(self, fn: Callable[..., Any], *args: Any, label: str, request_id: str = "") -> Outcome:
        """Runs `fn(*args)` on the pool; never raises for handler errors, returns them."""
        if self._closed:
            return Outcome(error="the local stack is shutting down", request_id=request_id)
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        future = loop.run_in_executor(self.pool, self._run, fn, args, label)
        # A timed-out invocation finishes later; its error is logged by `_run`, not lost.
        future.add_done_callback(_consume)
        try:
            value = await asyncio.wait_for(asyncio.shield(future), timeout=self.function_timeout)
        except TimeoutError:
            log.error(
                "%s: Task timed out after %.2f seconds (the thread keeps running in the background)",
                label,
                self.function_timeout,
            )
            return Outcome(
                error=f"Task timed out after {self.function_timeout:.2f} seconds",
                timed_out=True,
                duration_ms=(time.perf_counter() - started) * 1000,
                request_id=request_id,
            )
        except _HandlerError as exc:
            return Outcome(error=exc.text, duration_ms=(time.perf_counter() - started) * 1000, request_id=request_id)
        return Outcome(value=value, duration_ms=(time.perf_counter() - started) * 1000, request_id=request_id)

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], label: str) -> Any:
        try:
            with self.gate.shared():
                return fn(*args)
        except Exception as exc:
            text = "".join(traceback.format_exception(exc))
            log.error("%s raised:\n%s", label, text)
            raise _HandlerError(f"{type(exc).__name__}: {exc}") from exc

    def close(self, wait: bool = True) -> None:
        self._closed = True
        self.pool.shutdown(wait=wait, cancel_futures=not wait)


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class _HandlerError(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text
