"""Rate limits: one client can never take the hub from the others.

Two mechanisms, each where it pays for itself (docs/protocol.md and docs/rest.md, "Limits"):

- **Token buckets in memory** (`TokenBuckets`): actions per second per connection, REST requests
  per second per agent. Free: no call to anything. On AWS every frame of a connection may run
  in another Lambda container, and each container has its own buckets, so a flood spread over N
  warm containers gets up to N times the rate; what bounds it is the function's concurrency and
  API Gateway's stage/route throttling (the global backstop, set in infra/). On the local stack
  (one process per function) a bucket sees every frame.
- **Fixed windows counted in DynamoDB** (`Windows`, one conditional `UpdateItem ADD` with a TTL):
  the things that are expensive or fan out — conversations a customer starts per hour (each one
  told to every agent of the tenant), widget sessions per tenant and client address, and an
  agent's REST writes per minute. Exact across containers, for one write unit; the work each
  prevents costs a transaction, a fan-out or a signed token.

Exceeding any limit is `RateLimited` (`rate_limited`, HTTP 429) with the seconds to wait, and the
request stores nothing. (The token bucket is hand-written: it is a dozen lines, and the
libraries that offer one bring a backend — Redis, a lock server — this hub does not have.)
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Protocol

from msgspec import Struct

from chalicelib.platform.clock import Clock
from chalicelib.platform.errors import RateLimited
from chalicelib.platform.observability import MetricUnit, metrics


class LimitSettings(Struct, frozen=True):
    """The numbers. Legitimate clients never meet them: the widget and the dashboard send a
    heartbeat a minute, typing at most every 3 s and one cumulative receipt at a time."""

    # Per WebSocket connection (in memory): a pasted burst of lines, or a dashboard resyncing 30
    # threads after a reconnect, passes; a flood does not.
    actions_per_second: float = 5.0
    action_burst: int = 30
    # ... of which writes (send, note, start, join, take, assign, close, presence): each one is a
    # transaction and a fan-out, so a connection gets fewer of them. A pasted burst beyond it is
    # answered `rate_limited` and the shipped clients send those lines again after `retry_after`.
    writes_per_second: float = 2.0
    write_burst: int = 15
    # Refused frames answered per connection: every one while a client is only a little over
    # (a pasted burst), then one a second — answering every frame of a flood would turn it into
    # as many posts back (an amplification the flooder gets for free).
    refusals_answered_per_second: float = 1.0
    refusal_answer_burst: int = 10
    # Per customer (DynamoDB): new conversations an hour.
    conversations_per_hour: int = 10
    # Per tenant and client address (DynamoDB): widget sessions a minute (a shop behind one NAT
    # still opens many; a script opening thousands does not).
    sessions_per_minute: int = 30
    # Per agent: REST requests a second (in memory), and REST writes a minute (DynamoDB).
    agent_requests_per_second: float = 10.0
    agent_request_burst: int = 30
    agent_writes_per_minute: int = 120

    @classmethod
    def from_env(cls, value: str | None) -> LimitSettings:
        """`HUB_LIMITS="actions_per_second=5,action_burst=20"` changes some numbers (a stage's
        configuration, or the local stack in a test); anything unknown fails loudly."""
        if not value:
            return cls()
        changes: dict[str, float | int] = {}
        for part in value.split(","):
            name, _, number = part.strip().partition("=")
            field_type = cls.__annotations__.get(name) if name in cls.__struct_fields__ else None
            if field_type is None or not number:
                raise ValueError(f"HUB_LIMITS: unknown or empty setting {part!r}")
            changes[name] = float(number) if field_type == "float" else int(number)
        return cls(**changes)  # type: ignore[arg-type]


class WindowStore(Protocol):
    """AP-L1: one counter per (scope, subject, window), counted under a limit."""

    def count(self, key: str, limit: int, expires_at: float) -> bool:
        """Adds one to the counter `key` if it is below `limit`; False (nothing added) when it is
        not. The counter disappears after `expires_at` (TTL)."""
        ...


class TokenBuckets:
    """Token buckets in this container's memory, one per key (least recently used dropped first)."""

    def __init__(self, rate: float, burst: int, clock: Clock, max_keys: int = 20_000) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()  # the local stack runs handlers on threads

    def take(self, key: str) -> float:
        """Takes one token: 0.0 when there was one, else the seconds until there is."""
        now = self.clock.now()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            # A clock that stepped back (NTP, a test's clock) refills nothing rather than draining.
            tokens = min(float(self.burst), tokens + max(0.0, now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait

    def forget(self, key: str) -> None:
        with self._lock:
            self._buckets.pop(key, None)


class Windows:
    """Fixed-window counters in DynamoDB: exact across containers, one write per counted event."""

    def __init__(self, store: WindowStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def hit(self, scope: str, subject: str, limit: int, window: int, what: str) -> None:
        """Counts one event of `subject` in the current window of `window` seconds; raises
        RateLimited (with the seconds left in the window) when `limit` were counted already."""
        now = self.clock.now()
        start = math.floor(now / window) * window
        key = f"{scope}#{subject}#{int(start)}"
        if not self.store.count(key, limit, start + window + 60):
            retry_after = max(1, math.ceil(start + window - now))
            metrics.add_metric(name="RateLimited", unit=MetricUnit.Count, value=1)
            raise RateLimited(f"too many {what}: at most {limit} per {_span(window)}", retry_after)


class RateLimits:
    """Every limit the hub applies, built once per container (`chalicelib.wiring`)."""

    def __init__(self, settings: LimitSettings, store: WindowStore, clock: Clock) -> None:
        self.settings = settings
        self.windows = Windows(store, clock)
        self.connections = TokenBuckets(settings.actions_per_second, settings.action_burst, clock)
        self.writes = TokenBuckets(settings.writes_per_second, settings.write_burst, clock)
        self.refusals = TokenBuckets(settings.refusals_answered_per_second, settings.refusal_answer_burst, clock)
        self.agents = TokenBuckets(settings.agent_requests_per_second, settings.agent_request_burst, clock)

    def action(self, connection_id: str) -> None:
        """One WebSocket frame of this connection (checked before anything is read)."""
        wait = self.connections.take(connection_id)
        if wait:
            metrics.add_metric(name="RateLimited", unit=MetricUnit.Count, value=1)
            per_second = self.settings.actions_per_second
            raise RateLimited(f"too many actions on this connection: at most {per_second:g} a second", wait)

    def write(self, connection_id: str) -> None:
        """One write of this connection (checked once the frame is parsed: before anything is read)."""
        wait = self.writes.take(connection_id)
        if wait:
            metrics.add_metric(name="RateLimited", unit=MetricUnit.Count, value=1)
            per_second = self.settings.writes_per_second
            raise RateLimited(f"too many messages on this connection: at most {per_second:g} a second", wait)

    def answer_refusal(self, connection_id: str) -> bool:
        """Whether this refused frame gets its `rate_limited` answer (see LimitSettings)."""
        answered = self.refusals.take(connection_id) == 0.0
        if not answered:
            metrics.add_metric(name="RefusalsUnanswered", unit=MetricUnit.Count, value=1)
        return answered

    def forget(self, connection_id: str) -> None:
        self.connections.forget(connection_id)
        self.writes.forget(connection_id)
        self.refusals.forget(connection_id)

    def conversation_started(self, tenant: str, customer_id: str) -> None:
        s = self.settings
        self.windows.hit("conv", f"{tenant}#{customer_id}", s.conversations_per_hour, 3600, "new conversations")

    def widget_session(self, tenant: str, client: str) -> None:
        s = self.settings
        self.windows.hit("session", f"{tenant}#{client}", s.sessions_per_minute, 60, "widget sessions from here")

    def agent_request(self, tenant: str, agent_id: str, writes: bool) -> None:
        """One REST request of an agent; `writes`: it changes something (counted in DynamoDB)."""
        wait = self.agents.take(f"{tenant}#{agent_id}")
        if wait:
            metrics.add_metric(name="RateLimited", unit=MetricUnit.Count, value=1)
            per_second = self.settings.agent_requests_per_second
            raise RateLimited(f"too many requests: at most {per_second:g} a second", wait)
        if writes:
            self.windows.hit("rest", f"{tenant}#{agent_id}", self.settings.agent_writes_per_minute, 60, "changes")


def _span(seconds: int) -> str:
    return {60: "minute", 3600: "hour"}.get(seconds, f"{seconds} s")
