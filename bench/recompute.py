"""What the counter recompute reads, with and without a long history of closed work.

The recompute reads the sparse open-work indexes (unsolved tickets, open callbacks, active
conversations), so its reads should depend on the open items only. This fills a tenant with
200 open items, runs the recompute, then adds 100,000 closed items (solved tickets, finished
callbacks, closed conversations) and runs it again; it prints the DynamoDB calls and the items
they returned both times, counted from botocore's responses (`Count` of each Query).

    python -m bench.recompute [--closed 100000] [--open 200]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast
from unittest import mock

import botocore.client
from moto import mock_aws

from bench.report import Figure, table
from chalicelib.contract.events import Event
from chalicelib.hub.counters import Counters
from chalicelib.live.port import LivePort
from chalicelib.live.presence import PresenceRule
from chalicelib.platform.clock import ManualClock
from chalicelib.platform.config import TABLE_ENV_VARS
from chalicelib.store.hub import DynamoHubStore
from chalicelib.store.models import ConversationMeta
from chalicelib.store.tables import ensure_tables
from chalicelib.store.tenants import ensure_tenant
from chalicelib.store.work_models import Callback, Ticket

REGION = "us-east-1"
TENANT = "global"


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Counts API calls by operation and the items Query/Get returned."""
    counts: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        response = original(self, operation, params)
        counts[operation] += 1
        if operation == "Query":
            counts["items_read"] += int(response.get("Count", 0))
        elif operation == "GetItem" and "Item" in response:
            counts["items_read"] += 1
        return response

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", counted):
        yield counts


class _NoPush:
    """The live lane's port, pushing nowhere: the benchmark counts reads, not posts."""

    def push_to_agents(self, tenant: str, event: Event, only_users: set[str] | None = None) -> int:
        return 0

    def available_agents(self, tenant: str) -> set[str]:
        return set()

    def post_to_thread(self, tenant: str, conversation_id: str, text: str, key: str) -> None:
        pass

    def typing_stopped(self, tenant: str, conversation_id: str, user_id: str) -> None:
        pass


def _items(n_open: int, n_closed: int, offset: int, now: float) -> Iterator[Any]:
    """A third each of tickets, callbacks and conversations; `open` ones carry the sparse key."""
    for i in range(n_open + n_closed):
        is_open = i < n_open
        kind = i % 3
        n = offset + i
        if kind == 0:
            yield Ticket(
                TENANT,
                f"tk_{n}",
                subject="s",
                status="open" if is_open else "solved",
                owner_id="a",
                owner_name="A",
                created_by="a",
                created_at=now,
                updated_at=now,
                status_at=now,
                open_tenant=TENANT if is_open else None,
            )
        elif kind == 1:
            yield Callback(
                TENANT,
                f"cb_{n}",
                status="queued" if is_open else "completed",
                source="widget",
                phone="+46701234567",
                customer_name="c",
                due_at=now,
                max_attempts=3,
                retry_minutes=10,
                created_at=now,
                created_by="c",
                updated_at=now,
                open_tenant=TENANT if is_open else None,
            )
        else:
            yield ConversationMeta(
                f"T#{TENANT}#C#c_{n}",
                "META",
                tenant=TENANT,
                conversation_id=f"c_{n}",
                gsi_tenant=TENANT,
                status="open" if is_open else "closed",
                customer_id="cu",
                customer_name="c",
                created_at=now,
                updated_at=now + n,
                active_tenant=TENANT if is_open else None,
            )


def _load(items: Iterator[Any]) -> int:
    written = 0
    batches: dict[type, Any] = {}
    try:
        for item in items:
            model = type(item) if not isinstance(item, ConversationMeta) else ConversationMeta
            if model not in batches:
                batches[model] = model.batch_write().__enter__()
            batches[model].save(item)
            written += 1
    finally:
        for batch in batches.values():
            batch.__exit__(None, None, None)
    return written


def measure(n_open: int, n_closed: int) -> list[tuple[str, int, int, int, float]]:
    env = {var: f"bench-{kind}" for kind, var in TABLE_ENV_VARS.items()}
    env.update({"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"})
    rows = []
    with mock.patch.dict(os.environ, env), mock_aws():
        os.environ.pop("AWS_ENDPOINT_URL", None)
        ensure_tables()
        ensure_tenant(TENANT, "Bench", "wk_global_bench")
        clock = ManualClock(time.time())
        counters = Counters(DynamoHubStore(), cast(LivePort, _NoPush()), clock, PresenceRule(), pushed_by_stream=False)
        _load(_items(n_open, 0, 0, clock.now()))
        for label, closed in (("open only", 0), (f"+{n_closed:,} closed", n_closed)):
            if closed:
                t0 = time.perf_counter()
                _load(_items(0, closed, n_open, clock.now()))
                print(f"   loaded {closed:,} closed items in {time.perf_counter() - t0:.0f} s")
            with counting() as counts:
                t0 = time.perf_counter()
                stats = counters.recompute()
                elapsed = time.perf_counter() - t0
            calls = sum(v for k, v in counts.items() if k != "items_read")
            rows.append((label, calls, counts["Query"], counts["items_read"], elapsed))
            assert stats["items_read"] == n_open, stats
    return rows


def run(argv: Sequence[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m bench.recompute", description=__doc__.split("\n\n")[0])
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=200)
    args = parser.parse_args(argv)
    print("== bench.recompute: reads of the counter recompute (Counters.recompute on moto, in-process)")
    rows = measure(args.open, args.closed)
    print(
        table(
            ["history", "DynamoDB calls", "Query calls", "items read", "seconds"],
            [(r[0], r[1], r[2], r[3], f"{r[4]:.2f}") for r in rows],
        )
    )
    same = rows[0][3] == rows[1][3]
    print(f"   items read with {args.closed:,} closed items / without: {rows[1][3] / max(rows[0][3], 1):.2f}x")
    return [
        Figure("recompute", f"items read, {args.open} open", str(rows[0][3])),
        Figure(
            "recompute",
            f"items read, {args.open} open + {args.closed:,} closed",
            str(rows[1][3]),
            target="same as open only",
            met=same,
        ),
    ]


if __name__ == "__main__":
    run()
