"""Fan-out per action with 10, 100 and 1,000 agent connections in one tenant, plus customers.

Drives the whole hub in-process on moto (`local.inprocess.build`, wired as production wires
it). Posts go to a management-API stub that answers each post after 10-20 ms (uniform), as
API Gateway's PostToConnection does from a Lambda in the same region, so the handler time
includes the fan-out. DynamoDB calls are counted on botocore (`bench.ddb_calls`); moto
answers them in-process, so handler time is the fan-out plus moto's own (small) time.

For each kind of action it prints the posts made (and to how many connections), the
DynamoDB calls and the handler time:

- send, owned chat: a customer writes in a chat an agent has joined;
- new chat: a customer starts a chat and writes its first message (routing assigns it);
- presence: an agent connection switches between away and available;
- callback: an agent claims a queued callback;
- ticket: an agent creates a ticket;
- counters burst: 20 ticket changes back to back; the figure is the `counters` events each
  agent connection received (the target: about one per second however fast changes come);
- queue moves: every agent is full and chats wait (5, and 50 with 1,000 agent connections); an
  agent closes a chat, routing gives them the oldest waiting one and tells every customer still
  waiting their new place (`queue_moves`). Added in the twelfth round: it took 1.40 s of handler
  time without moto's at 1,000 agents and 50 waiting, as each waiting customer's place was
  posted after the one before; 0.65 s once they were posted all at once. Their connections are
  read with one Query per waiting customer (68 DynamoDB calls in all); since the thirteenth
  round those Queries are in flight together (the "ms -moto" column takes out all DynamoDB time,
  so it does not show the ~240 ms of round trips this saves).

When the hub pushes counters from the counters table's DynamoDB stream, the stream's batch
(`chalicelib/handlers/streams.py`, as Lambda would call it after its 1 s batching window)
is run after each action and its posts, calls and time are shown in their own columns.

Targets (issue 12): each agent connection gets at most about one `counters` event per second;
recipients are only the connections that need the event; the posts for 1,000 agents finish in
under 1 s of handler time.

    python -m bench.fanout [--sizes 10,100,1000] [--repeat 3]

BEFORE (the code before issue 12: every change pushed the counters at once, 8 posting threads),
`python -m bench.fanout --sizes 10,100,1000 --repeat 3` on the shared 2-core machine (load ~10,
so times are inflated; posts and calls are exact):

    action            agents  posts  ddb  ms p50   counters/conn
    send, owned chat    1000      2    2     206   0
    new chat            1000   3025   35   30186   1
    presence            1000   2001   13   18238   1
    callback            1000   2001    9   19929   1
    ticket              1000   2000    8   19137   1
    counters burst      1000  40000  160   12736   20   (20 ticket changes; ms per change)
    (10 agents: new chat 36 posts, presence 21, callback 21, ticket 20, burst 400 and 20 counters
    per connection; 100 agents: 307, 201, 201, 200, 4000 and 20.)
    Without moto's in-process DynamoDB time (column "ms -moto", added later, same code, 1,000
    agents): new chat 6350 ms, presence 4233, callback 4089, ticket 4332, burst 4293 per change.

AFTER (counters from the stream, 64 posting threads), `python -m bench.fanout --sizes 1000`:

    action            agents  posts  ddb  ms p50  ms -moto  stream posts/ddb/ms -moto  counters/conn
    send, owned chat    1000      2    2      55        31     0 /  0 /   6             0
    new chat            1000   2025   30    2033       647  1000 /  5 / 280             1
    presence            1000   1001   10     997       297  1000 /  5 / 294             1
    callback            1000   1001    4     824       288  1000 /  5 / 286             1
    ticket              1000   1000    3     792       271  1000 /  5 / 291             1
    counters burst      1000  20000   60     861       272  1000 /  5 / 345             1
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import itertools
import json
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import botocore.client
from moto import mock_aws

from bench.ddb_calls import REGION, TENANT, CallCounter, aws_environment, count_aws_calls, quiet_stdout
from bench.ddb_calls import Hub as BenchHub
from bench.report import Figure, table
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import ManualClock
from chalicelib.platform.limits import LimitSettings
from chalicelib.platform.sender import Sender
from chalicelib.store.tables import ensure_tables
from chalicelib.store.tenants import ensure_tenant
from chalicelib.store.work_models import HubCounters
from chalicelib.wiring import Hub
from local import inprocess

POST_SECONDS = (0.010, 0.020)  # the management API stub answers each post in 10-20 ms
AGENT_USERS_MAX = 50  # agent connections are spread over at most this many agents
BURST = 20  # ticket changes back to back in the counters burst
TARGET_HANDLER_SECONDS = 1.0
TARGET_COUNTERS_PER_CONNECTION = 1


class DynamoClock:
    """Wall time during which at least one DynamoDB call was in flight (moto answers them
    in-process, on our CPU), so the handler time can be shown with and without it. Calls in
    flight together (the notifier's reads of waiting customers' connections) count once: summed
    per call, their times overlap and would take out more than the handler waited."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._in_flight = 0
        self._since = 0.0

    @contextlib.contextmanager
    def installed(self) -> Iterator[DynamoClock]:
        original: Callable[..., Any] = botocore.client.BaseClient._make_api_call

        def timed(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb":
                return original(client, operation, params)
            with self._lock:
                if self._in_flight == 0:
                    self._since = time.perf_counter()
                self._in_flight += 1
            try:
                return original(client, operation, params)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    if self._in_flight == 0:
                        self.seconds += time.perf_counter() - self._since

        botocore.client.BaseClient._make_api_call = timed
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = original

    def take(self) -> float:
        with self._lock:
            seconds, self.seconds = self.seconds, 0.0
        return seconds


class StubSender(Sender):
    """The management API as seen from a Lambda: every post takes 10-20 ms; counts posts."""

    def __init__(self) -> None:
        super().__init__("http://management.stub.invalid", REGION)
        self.posts: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.per_kind: dict[str, Counter[str]] = {}
        self.last: dict[str, dict[str, Any]] = {}
        self.latency = True
        self._rng = random.Random(12)
        self._stats_lock = threading.Lock()

    def _post_bytes(self, connection_id: str, data: bytes) -> bool:
        if self.latency:
            with self._stats_lock:
                delay = self._rng.uniform(*POST_SECONDS)
            time.sleep(delay)
        event = json.loads(data)
        kind = str(event.get("type"))
        with self._stats_lock:
            self.posts[connection_id] += 1
            self.kinds[kind] += 1
            self.per_kind.setdefault(kind, Counter())[connection_id] += 1
            self.last[connection_id] = event
        return True

    def reset(self) -> None:
        with self._stats_lock:
            self.posts.clear()
            self.kinds.clear()
            self.per_kind.clear()
            self.last.clear()


@dataclass
class Stream:
    """The counters stream as Lambda would deliver it, when the hub has one (after issue 12)."""

    run: Callable[[], None] | None

    @classmethod
    def find(cls, hub: Hub) -> Stream:
        """The counters stream when the hub pushes from it; none for a hub that pushes at once."""
        if not getattr(hub.counters, "pushed_by_stream", False):
            return cls(None)
        from local.streams import InProcessStream

        stream = InProcessStream(str(HubCounters.Meta.table_name), hub.counters.stream_batch)
        return cls(lambda: _ignore(stream.deliver()))


@dataclass(frozen=True)
class Measured:
    action: str
    agents: int
    posts: int
    recipients: int
    by_type: dict[str, int]
    ddb: int
    seconds: float
    stream_posts: int = 0
    stream_ddb: int = 0
    stream_seconds: float = 0.0
    counters_max: int = 0  # counters events the busiest agent connection received
    moto_seconds: float = 0.0  # of `seconds`, spent in DynamoDB calls (moto, in-process)
    stream_moto_seconds: float = 0.0

    @property
    def fanout_seconds(self) -> float:
        """The handler's time without moto's: what the posts and the hub's own code took."""
        return max(0.0, self.seconds - self.moto_seconds)

    @property
    def stream_fanout_seconds(self) -> float:
        return max(0.0, self.stream_seconds - self.stream_moto_seconds)


@dataclass
class Bench:
    hub: BenchHub
    sender: StubSender
    counter: CallCounter
    stream: Stream
    dynamo: DynamoClock
    agents: list[str] = field(default_factory=list)
    _n: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def measure(self, action: str, run: Callable[[], object], handlers: int = 1) -> Measured:
        """Runs `handlers` handler invocations (`run`); the time shown is per invocation."""
        self.sender.reset()
        self.dynamo.take()
        with self.counter.counting():
            t0 = time.perf_counter()
            run()
            seconds = (time.perf_counter() - t0) / handlers
        moto_seconds = self.dynamo.take() / handlers
        posts, kinds = sum(self.sender.posts.values()), dict(self.sender.kinds)
        recipients, ddb = len(self.sender.posts), sum(n for (s, _), n in self.counter.calls.items() if s == "dynamodb")
        counters_max = max(self.sender.per_kind.get("counters", Counter()).values(), default=0)
        stream_posts = stream_ddb = 0
        stream_seconds = stream_moto_seconds = 0.0
        if self.stream.run is not None:
            self.sender.reset()
            with self.counter.counting():
                t0 = time.perf_counter()
                self.stream.run()
                stream_seconds = time.perf_counter() - t0
            stream_moto_seconds = self.dynamo.take()
            stream_posts = sum(self.sender.posts.values())
            stream_ddb = sum(n for (s, _), n in self.counter.calls.items() if s == "dynamodb")
            for kind, n in self.sender.kinds.items():
                kinds[kind] = kinds.get(kind, 0) + n
            counters_max += max(self.sender.per_kind.get("counters", Counter()).values(), default=0)
        by_type = dict(sorted(kinds.items()))
        return Measured(
            action,
            len(self.agents),
            posts,
            recipients,
            by_type,
            ddb,
            seconds,
            stream_posts,
            stream_ddb,
            stream_seconds,
            counters_max,
            moto_seconds,
            stream_moto_seconds,
        )

    def quiet(self) -> None:
        """Setup work is not measured: drain the stream without counting."""
        if self.stream.run is not None:
            self.stream.run()


@contextlib.contextmanager
def no_latency(sender: StubSender) -> Iterator[None]:
    sender.latency = False
    try:
        yield
    finally:
        sender.latency = True


def create_hub() -> tuple[BenchHub, StubSender, Hub]:
    ensure_tables()
    ensure_tenant(TENANT, "Global", "wk_global_bench")
    clock = ManualClock(start=time.time())
    sender = StubSender()
    options: dict[str, Any] = {}
    if "counters_stream" in inspect.signature(inprocess.build).parameters:  # as deployed (issue 12)
        options["counters_stream"] = True
    # One client address opens every widget session here: its per-address limit is lifted.
    limits = LimitSettings(sessions_per_minute=1_000_000)
    built = inprocess.build(
        sender, clock, "bench", signing_key="bench-signing-key-0123456789abcdef0123", limits=limits, **options
    )
    h = built.hub
    hub = BenchHub(h.live, sender, built.cognito, built.pool_id, built.client_id, h.widgets, clock)  # type: ignore[arg-type]
    return hub, sender, h


def run_size(n_agents: int, repeat: int) -> tuple[list[Measured], str]:
    results: list[Measured] = []
    with (
        aws_environment(),
        mock_aws(),
        count_aws_calls() as counter,
        DynamoClock().installed() as dynamo,
        quiet_stdout(),
    ):
        hub, sender, work = create_hub()
        bench = Bench(hub, sender, counter, Stream.find(work), dynamo)
        t0 = time.perf_counter()
        with no_latency(sender):
            users = [f"agent{i:03d}" for i in range(min(AGENT_USERS_MAX, n_agents))]
            bench.agents = [hub.connect_agent(users[i % len(users)]) for i in range(n_agents)]
            n_customers = max(5, n_agents // 5)
            customers = [hub.connect_customer() for _ in range(n_customers)]
            owner = bench.agents[0]
            owned_customer = customers[0]
            owned = hub.start(owned_customer)
            hub.act(owned_customer, action="send", conversation_id=owned, client_id="c-0", text="hello")
            hub.act(owner, action="join", conversation_id=owned)
            callbacks = [
                work.callbacks.request(_customer_actor(hub, c), "+46 70 123 45 67", None, "asap", "Billing", None)
                for c in customers[1 : 1 + repeat]
            ]
            bench.quiet()
        setup = time.perf_counter() - t0
        agent_actor = _agent_actor(hub, owner)
        for i in range(repeat):
            results.append(
                bench.measure(
                    "send, owned chat",
                    partial(_act, hub, owned_customer, "send", conversation_id=owned, client_id=f"s-{i}", text="q"),
                )
            )
        fresh = customers[1 + repeat :] or [hub.connect_customer() for _ in range(repeat)]
        for i in range(repeat):
            customer = fresh[i % len(fresh)]

            def new_chat(customer: str = customer, i: int = i) -> None:
                conv = hub.start(customer)
                _act(hub, customer, "send", conversation_id=conv, client_id=f"n-{i}", text="hi")

            results.append(bench.measure("new chat", new_chat))
        presence_agent = bench.agents[-1]
        for i in range(repeat):
            status = "away" if i % 2 == 0 else "available"
            results.append(bench.measure("presence", partial(_act, hub, presence_agent, "presence", status=status)))
        for cb in callbacks:
            results.append(bench.measure("callback", partial(work.callbacks.claim, agent_actor, cb.callback_id)))
        for i in range(repeat):
            results.append(bench.measure("ticket", partial(work.tickets.create, agent_actor, f"Ticket {i}", None)))

        def burst() -> None:
            for i in range(BURST):
                work.tickets.create(agent_actor, f"Burst {i}", None)

        results.append(bench.measure(f"counters burst ({BURST} changes)", burst, handlers=BURST))
        waiting, moves = queue_moves(bench, work, agent_actor, repeat)
        results += moves
    note = (
        f"{n_agents} agent connections (over {len(users)} agents), {n_customers} customers, "
        f"{waiting} chats waiting for the queue moves; set up in {setup:.0f} s"
    )
    return results, note


def queue_waiting(n_agents: int) -> int:
    """Chats waiting in the queue for the queue moves: 5, and 50 with 1,000 agent connections."""
    return max(5, min(50, n_agents // 20))


def queue_moves(bench: Bench, work: Hub, admin: Actor, repeat: int) -> tuple[int, list[Measured]]:
    """The queue moves: an agent closes a chat and routing gives them the oldest waiting one,
    then tells every customer still waiting their new place (`queue`, one per customer).

    Setup (not measured): the tenant's capacity goes to 0, so every agent is full and new chats
    wait; `queue_waiting` + `repeat` chats start, a clock tick apart (first come, first served);
    one agent ("mover") gets a capacity of 1 and the oldest. Each measured run, the mover closes
    the chat they hold and gets the next. Returns how many chats waited at the first run, and
    the runs (shown with the size's agent connections; the mover is one more)."""
    hub, sender = bench.hub, bench.sender
    waiting = queue_waiting(len(bench.agents))
    with no_latency(sender):
        work.team.change(admin, {"chat_capacity": 0})
        mover = hub.connect_agent("mover")
        queued: list[str] = []
        for i in range(waiting + repeat):
            hub.clock.advance(0.01)
            customer = hub.connect_customer()
            conversation = hub.start(customer)
            _act(hub, customer, "send", conversation_id=conversation, client_id=f"w-{i}", text="anyone?")
            queued.append(conversation)
        work.team.set_capacity(admin, _agent_actor(hub, mover).id, 1)
        work.routing.drain(TENANT)
        bench.quiet()
    mover_id = _agent_actor(hub, mover).id
    runs: list[Measured] = []
    for i in range(repeat):
        held, following = queued[i], queued[i + 1]
        _owned_by(work, held, mover_id)
        runs.append(bench.measure("queue moves", partial(_act, hub, mover, "close", conversation_id=held)))
        _owned_by(work, following, mover_id)  # the close gave them the next one: the queue moved
    return waiting, runs


def _owned_by(work: Hub, conversation_id: str, agent_id: str) -> None:
    meta = work.live.conversation(TENANT, conversation_id)
    owner = meta.owner_id if meta is not None else None
    if owner != agent_id:
        raise RuntimeError(f"queue moves: {conversation_id} is owned by {owner!r}, expected the mover {agent_id!r}")


def _ignore(_: object) -> None:
    return None


def _act(hub: BenchHub, connection_id: str, action: str, **fields: Any) -> None:
    hub.lane.handle(connection_id, json.dumps({"action": action, **fields}))


def _agent_actor(hub: BenchHub, connection_id: str) -> Actor:
    conn = hub.lane.connections.stored(connection_id)
    assert conn is not None
    return Actor(TENANT, "agent", str(conn.user_id), str(conn.name))


def _customer_actor(hub: BenchHub, connection_id: str) -> Actor:
    conn = hub.lane.connections.stored(connection_id)
    assert conn is not None
    return Actor(TENANT, "customer", str(conn.user_id), str(conn.name))


def summarize(results: list[Measured]) -> list[list[object]]:
    rows: list[list[object]] = []
    keyed: dict[tuple[str, int], list[Measured]] = {}
    for r in results:
        keyed.setdefault((r.action, r.agents), []).append(r)
    for (action, agents), group in keyed.items():
        last = group[-1]
        rows.append(
            [
                action,
                agents,
                max(r.posts for r in group),
                max(r.recipients for r in group),
                max(r.ddb for r in group),
                round(1000 * statistics.median(r.seconds for r in group)),
                round(1000 * max(r.seconds for r in group)),
                round(1000 * statistics.median(r.fanout_seconds for r in group)),
                max(r.stream_posts for r in group),
                max(r.stream_ddb for r in group),
                round(1000 * max(r.stream_seconds for r in group)),
                round(1000 * max(r.stream_fanout_seconds for r in group)),
                max(r.counters_max for r in group),
                ", ".join(f"{k} {v}" for k, v in last.by_type.items()) or "-",
            ]
        )
    return rows


def figures(results: list[Measured], sizes: Sequence[int]) -> list[Figure]:
    out: list[Figure] = []
    biggest = max(sizes)
    worst = [r for r in results if r.agents == biggest]
    slowest = max(worst, key=lambda r: max(r.fanout_seconds, r.stream_fanout_seconds))
    seconds = max(slowest.fanout_seconds, slowest.stream_fanout_seconds)
    whole = max(slowest.seconds, slowest.stream_seconds)
    out.append(
        Figure(
            "fanout",
            f"slowest handler without moto's time, {biggest} agents",
            f"{seconds * 1000:.0f} ms ({slowest.action}; {whole * 1000:.0f} ms with moto's)",
            f"< {TARGET_HANDLER_SECONDS * 1000:.0f} ms",
            seconds < TARGET_HANDLER_SECONDS,
        )
    )
    bursts = [r for r in results if r.action.startswith("counters burst")]
    most = max((r.counters_max for r in bursts), default=0)
    out.append(
        Figure(
            "fanout",
            f"counters events per agent connection, {BURST} changes in a burst",
            str(most),
            f"<= {TARGET_COUNTERS_PER_CONNECTION}",
            most <= TARGET_COUNTERS_PER_CONNECTION,
        )
    )
    for action in ("presence", "ticket", "new chat"):
        per = {r.agents: r.posts + r.stream_posts for r in results if r.action == action}
        value = " / ".join(f"{p} posts ({n} agents)" for n, p in sorted(per.items()))
        out.append(Figure("fanout", f"posts per {action}", value))
    return out


def run(argv: Sequence[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000", help="agent connections in the tenant (comma list)")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs of each action")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print("== bench.fanout: posts, DynamoDB calls and handler time per action (hub on moto, 10-20 ms posts)")
    results: list[Measured] = []
    for size in sizes:
        got, note = run_size(size, args.repeat)
        print(f"   {note}")
        results += got
    print()
    print(
        table(
            [
                "action",
                "agents",
                "posts",
                "to conns",
                "ddb",
                "ms p50",
                "ms max",
                "ms -moto",
                "stream posts",
                "stream ddb",
                "stream ms",
                "stream -moto",
                "counters/conn",
                "posts by event",
            ],
            summarize(results),
        )
    )
    print()
    print("   posts/ddb = the action's own handler(s), max over the runs; ms p50/max = its wall time per handler")
    print(f"   invocation (the burst: {BURST} ticket creations, its posts and calls in total, its time per creation).")
    print("   ms -moto = the same without the time spent in DynamoDB calls, which moto answers in-process on")
    print("   this machine's CPU (a Query of 1,000 connection items takes moto seconds, DynamoDB milliseconds).")
    print("   stream = the counters stream's batch after the action (none before issue 12).")
    print("   counters/conn = `counters` events the busiest agent connection received for the action.")
    found = figures(results, sizes)
    for f in found:
        print(f"   {f.name}: {f.value} [{f.target or 'no target'}: {f.verdict or 'n/a'}]")
    return found


def main() -> None:
    run(sys.argv[1:])


if __name__ == "__main__":
    main()
