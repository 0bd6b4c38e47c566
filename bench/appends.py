"""DynamoDB write attempts per message with 1, 20 and 200 concurrent senders in one conversation.

The real `LiveLane` (built by `local.inprocess`, as `chalicelib.wiring.build` wires it) runs
in this process; DynamoDB is `local.moto_server` in a subprocess, whose conditional writes
and transactions are atomic, as on AWS (moto in-process is not). Every botocore call is
counted by operation (wrapping `BaseClient._make_api_call`, the path every client call
takes), so a lost compare-and-set, a retry and a filler entry all count.

Scenario: one customer, one conversation, N tabs (connections) of that customer; N threads
released at once by a barrier, each sending its share of messages through
`LiveLane.handle`. Afterwards the table is read back: the sequence must be 1..M with every
client id exactly once (gapless, no duplicates) — the run fails otherwise.

Target (issue 9): about one write per message, flat from 1 to 200 senders (not a retry storm).

Then one more scenario (issue 12): a conversation a collision marked contended, and a chat that
goes on at a line every 2 s (a clock of its own, so it takes no real time). Lines that far
apart never collide: the conversation must go back to the one-write compare-and-set once the
mark expires (5 s), not stay on the allocation path (counter update + key read + transaction)
for as long as the chat runs.

    python -m bench.appends [--senders 1,20,200] [--messages 50,100,200] [--lines 20]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import botocore.client

from bench.report import Figure, table
from chalicelib.live.lane import LiveLane
from chalicelib.live.timeline import CONTENDED_SECONDS
from chalicelib.platform.clock import Clock, ManualClock, SystemClock
from chalicelib.platform.config import TABLE_ENV_VARS
from chalicelib.platform.limits import LimitSettings
from chalicelib.platform.sender import Sender
from chalicelib.store.models import ConversationMeta, Message
from chalicelib.store.tables import ensure_tables
from chalicelib.store.tenants import ensure_tenant
from local import inprocess
from local.moto_server import MotoProcess

REGION = "us-east-1"
WIDGET_KEY = "wk_global_appends"
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
TARGET_WRITES_PER_MESSAGE = 2.5
LINE_EVERY_SECONDS = 2.0
# A line is 2 calls (Query + the compare-and-set transaction) once the mark expired; the lines
# inside the 5 s the mark lasts take the allocation path (4 calls).
TARGET_CALLS_AFTER_COLLISION = 2.5


class Calls:
    """Counts botocore calls by operation while `active`."""

    def __init__(self) -> None:
        self.by_op: Counter[str] = Counter()
        self.active = False
        self._lock = threading.Lock()

    def record(self, operation: str) -> None:
        if self.active:
            with self._lock:
                self.by_op[operation] += 1


@contextlib.contextmanager
def counting_calls() -> Iterator[Calls]:
    calls = Calls()
    original: Callable[..., Any] = botocore.client.BaseClient._make_api_call

    def counted(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.record(operation_name)
        return original(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original


class ErrorSender(Sender):
    """Keeps the error events and acks; posts nowhere."""

    def __init__(self) -> None:
        super().__init__("http://bench.invalid", REGION)
        self.errors: list[dict[str, Any]] = []
        self.acks = 0
        self.conversations: list[str] = []  # ids of the `conversation` answers (`start`)
        self._lock = threading.Lock()

    def _post_bytes(self, connection_id: str, data: bytes) -> bool:
        event = json.loads(data)
        with self._lock:
            if event.get("type") == "error":
                self.errors.append(event)
            elif event.get("type") == "ack":
                self.acks += 1
            elif event.get("type") == "conversation":
                self.conversations.append(str(event["conversation"]["id"]))
        return True


@contextlib.contextmanager
def moto_environment() -> Iterator[str]:
    """A `local.moto_server` subprocess and the environment pointing at it, restored afterwards."""
    moto = MotoProcess()
    url = moto.start()
    saved = dict(os.environ)
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        **{var: f"appends-{kind}" for kind, var in TABLE_ENV_VARS.items()},
    )
    try:
        yield url
    finally:
        os.environ.clear()
        os.environ.update(saved)
        moto.stop()


@dataclass
class Run:
    senders: int
    messages: int
    stored: int
    errors: int
    writes: int
    transactions: int
    calls: int
    seconds: float
    p50_ms: float
    p99_ms: float
    gapless: bool

    @property
    def writes_per_message(self) -> float:
        return self.writes / max(self.stored, 1)


@dataclass
class Chat:
    lane: LiveLane
    sender: ErrorSender
    tabs: list[str]  # connections of the one customer
    conversation_id: str
    opening: str  # the client id of the first line, written before anything is measured


def open_chat(tag: str, tabs: int, clock: Clock) -> Chat:
    """The hub as built for production on `clock`, one customer in `tabs` connections and a
    conversation they started. Opening starts nothing: the customer's first line does (routing,
    counters); that line is written here, so the figures are the appends alone."""
    ensure_tables()
    ensure_tenant("global", "Global", WIDGET_KEY)
    sender = ErrorSender()
    # The per-connection limits are not what this measures: one tab sending 50 lines in a row
    # would meet its write budget. Everything else is the hub as built for production.
    unlimited = LimitSettings(actions_per_second=1e6, action_burst=10**6, writes_per_second=1e6, write_burst=10**6)
    built = inprocess.build(
        sender, clock, f"appends-{tag}", signing_key="appends-signing-key-0123456789abcdef", limits=unlimited
    )
    lane = built.hub.live
    session = built.hub.widgets.open_session(WIDGET_KEY, None, "Kim")
    ids = [f"{tag}tab{i:03d}=" for i in range(tabs)]
    for tab in ids:
        lane.identify_and_bind(tab, {"session": session.token})
    lane.handle(ids[0], json.dumps({"action": "start"}))
    conv = sender.conversations[-1]
    opening = f"{tag}-opening"
    lane.handle(ids[0], json.dumps({"action": "send", "conversation_id": conv, "client_id": opening, "text": "Hi"}))
    return Chat(lane, sender, ids, conv, opening)


def run_once(senders: int, messages: int, tag: str) -> Run:
    chat = open_chat(tag, senders, SystemClock())
    lane, sender, tabs, conv, opening = chat.lane, chat.sender, chat.tabs, chat.conversation_id, chat.opening
    per = [messages // senders + (1 if i < messages % senders else 0) for i in range(senders)]
    barrier = threading.Barrier(senders)
    timings: list[float] = []
    lock = threading.Lock()

    def burst(i: int) -> None:
        barrier.wait()
        for n in range(per[i]):
            frame = json.dumps(
                {"action": "send", "conversation_id": conv, "client_id": f"{tabs[i][:-1]}-{n}", "text": f"m{n}"}
            )
            t0 = time.perf_counter()
            lane.handle(tabs[i], frame)
            with lock:
                timings.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=burst, args=(i,)) for i in range(senders)]
    with counting_calls() as calls:
        calls.active = True
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - t0
        calls.active = False
    stored = [
        m
        for m in Message.query(f"T#global#C#{conv}", consistent_read=True)
        if m.kind != "void" and m.client_id != opening
    ]
    seqs = sorted(int(m.seq) for m in Message.query(f"T#global#C#{conv}", consistent_read=True))
    client_ids = [m.client_id for m in stored]
    expected_ids = {f"{tabs[i][:-1]}-{n}" for i in range(senders) for n in range(per[i])}
    gapless = seqs == list(range(1, len(seqs) + 1)) and len(client_ids) == len(set(client_ids))
    gapless = gapless and set(client_ids) <= expected_ids
    ms = sorted(x * 1000 for x in timings)
    return Run(
        senders=senders,
        messages=messages,
        stored=len(stored),
        errors=len(sender.errors),
        writes=sum(n for op, n in calls.by_op.items() if op in WRITES),
        transactions=calls.by_op["TransactWriteItems"],
        calls=sum(calls.by_op.values()),
        seconds=seconds,
        p50_ms=statistics.median(ms) if ms else 0.0,
        p99_ms=ms[min(len(ms) - 1, int(len(ms) * 0.99))] if ms else 0.0,
        gapless=gapless,
    )


@dataclass
class Calm:
    lines: int
    stored: int
    errors: int
    calls: int
    allocations: int  # lines that took the allocation path (an UpdateItem each)

    @property
    def calls_per_line(self) -> float:
        return self.calls / max(self.stored, 1)


def run_after_collision(lines: int, tag: str = "calm") -> Calm:
    """One conversation marked contended the way a writer that lost the compare-and-set marks
    it, then `lines` lines one every LINE_EVERY_SECONDS on a manual clock."""
    clock = ManualClock(start=time.time())
    chat = open_chat(tag, 1, clock)
    lane, [tab], conv = chat.lane, chat.tabs, chat.conversation_id
    ConversationMeta(f"T#global#C#{conv}", "META").update(
        actions=[ConversationMeta.contended_until.set(clock.now() + CONTENDED_SECONDS)]
    )
    with counting_calls() as calls:
        calls.active = True
        for n in range(1, lines + 1):
            clock.advance(LINE_EVERY_SECONDS)
            lane.handle(
                tab,
                json.dumps({"action": "send", "conversation_id": conv, "client_id": f"{tag}-{n}", "text": f"line {n}"}),
            )
        calls.active = False
    stored = [
        m
        for m in Message.query(f"T#global#C#{conv}", consistent_read=True)
        if m.kind == "text" and m.client_id != chat.opening
    ]
    return Calm(
        lines=lines,
        stored=len(stored),
        errors=len(chat.sender.errors),
        calls=sum(calls.by_op.values()),  # DynamoDB only: ErrorSender posts nowhere
        allocations=calls.by_op["UpdateItem"],
    )


def run(argv: Sequence[str] = ()) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m bench.appends", description=__doc__.split("\n\n")[0])
    parser.add_argument("--senders", default="1,20,200", help="comma list of concurrent senders")
    parser.add_argument("--messages", default="50,100,200", help="messages per run, one per --senders entry")
    parser.add_argument("--lines", type=int, default=20, help="lines of the chat after a collision (0: skip it)")
    args = parser.parse_args(list(argv))
    senders = [int(x) for x in args.senders.split(",")]
    messages = [int(x) for x in args.messages.split(",")]
    if len(messages) != len(senders):
        parser.error("--messages needs one entry per --senders entry")

    print(
        f"# bench.appends: write attempts per message, concurrent senders in one conversation ({os.cpu_count()} cores)"
    )
    runs: list[Run] = []
    # The hub logs every rejected or failed action; the table below is what this prints.
    logging.getLogger("flow-hub").setLevel(logging.CRITICAL)
    with moto_environment(), contextlib.redirect_stdout(io.StringIO()):
        for n, m in zip(senders, messages, strict=True):
            runs.append(run_once(n, m, f"s{n}"))
        calm = run_after_collision(args.lines) if args.lines else None
    print(
        table(
            [
                "senders",
                "messages",
                "stored",
                "errors",
                "write calls",
                "writes/msg",
                "transactions",
                "all calls/msg",
                "p50 ms",
                "p99 ms",
                "seconds",
                "gapless",
            ],
            [
                (
                    r.senders,
                    r.messages,
                    r.stored,
                    r.errors,
                    r.writes,
                    f"{r.writes_per_message:.2f}",
                    r.transactions,
                    f"{r.calls / max(r.stored, 1):.2f}",
                    f"{r.p50_ms:.0f}",
                    f"{r.p99_ms:.0f}",
                    f"{r.seconds:.1f}",
                    "yes" if r.gapless else "NO",
                )
                for r in runs
            ],
        )
    )
    if calm is not None:
        print(
            f"\nafter one collision, a line every {LINE_EVERY_SECONDS:.0f} s: "
            f"{calm.stored} of {calm.lines} lines stored, {calm.errors} errors, "
            f"{calm.calls_per_line:.2f} DynamoDB calls per line, "
            f"{calm.allocations} took the allocation path (target <= {TARGET_CALLS_AFTER_COLLISION} calls per line)"
        )
    bad = [r for r in runs if not r.gapless]
    if bad:
        raise AssertionError(f"gaps or duplicates with {', '.join(str(r.senders) for r in bad)} senders")
    return [
        Figure(
            "appends",
            f"write calls per message, {r.senders} sender(s)",
            f"{r.writes_per_message:.2f} ({r.errors} errors)",
            f"<= {TARGET_WRITES_PER_MESSAGE}, no errors",
            r.writes_per_message <= TARGET_WRITES_PER_MESSAGE and r.errors == 0,
        )
        for r in runs
    ] + (
        [
            Figure(
                "appends",
                f"DynamoDB calls per line after one collision, a line every {LINE_EVERY_SECONDS:.0f} s",
                f"{calm.calls_per_line:.2f} ({calm.allocations} of {calm.lines} allocated, {calm.errors} errors)",
                f"<= {TARGET_CALLS_AFTER_COLLISION}, no errors",
                calm.calls_per_line <= TARGET_CALLS_AFTER_COLLISION and calm.errors == 0 and calm.stored == calm.lines,
            )
        ]
        if calm is not None
        else []
    )


if __name__ == "__main__":
    run(sys.argv[1:])
