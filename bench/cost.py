"""What running the hub costs on AWS, built from call counts measured now: `python -m bench.cost`.

Drives the real hub (`local.inprocess`, the hub wired as production wires it) on moto in-process,
the way the shipped clients use it, and counts what AWS would bill:

- every botocore call (DynamoDB by operation, and any other service), with the read and write
  request units each DynamoDB call consumes, sized from the items it read or wrote;
- every WebSocket frame in (one per client action) and out (one per `PostToConnection`, with its
  size: API Gateway bills messages in 32 KB increments);
- every Lambda invocation (one per frame in, per connect/disconnect, per REST request, per
  custom-authorizer run, per scheduled run) and its billed duration, modeled as the handler's own
  CPU time on this machine (its thread's CPU time, moto's and botocore's taken out, so a busy
  machine does not inflate it) plus a stated latency per AWS call and per post;
- REST API requests and WebSocket connection-minutes.

The counts are multiplied by the list prices in `PRICES` (one table, with the date they were read).
Nothing here is assumed about how many calls an action makes: change the hub, run this again, and
the figures follow. What *is* assumed — how often typing, receipts, heartbeats and presence
changes happen — mirrors the shipped clients (`frontend/src`) and is stated in `Typical`.

    python -m bench.cost [--agents 10,40] [--month-agents 1000] [--reply-ratio 1.0] [--receipt-share 1.0]
                         [--hub-on-screen 0.1] [--typing-seconds 10] [--queues 10,50]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import botocore.client
from moto import mock_aws

from bench.ddb_calls import agent_id_token, aws_environment, quiet_stdout
from bench.report import Figure, table
from chalicelib.live.notifier import READERS
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import ManualClock
from chalicelib.platform.sender import Sender
from chalicelib.store.tables import ensure_tables
from chalicelib.store.tenants import ensure_tenant
from chalicelib.store.work_models import HubCounters
from local import inprocess
from local.streams import InProcessStream

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
TENANT = "global"
WIDGET_KEY = "wk_global_cost"
PASSWORD = "Passw0rd!cost"


# ----------------------------------------------------------------------------- prices
@dataclass(frozen=True)
class Price:
    usd: float
    per: float  # units the price is for
    unit: str
    source: str

    @property
    def each(self) -> float:
        return self.usd / self.per


PRICES_READ_ON = "2026-12-02"
PRICES_NOTE = (
    "AWS list prices for us-east-1 as known on 2026-12-02 (DynamoDB on-demand after the 1 Nov 2024 cut); "
    "they could NOT be re-checked online from this machine (no network): check them at "
    "aws.amazon.com/api-gateway/pricing, /lambda/pricing, /dynamodb/pricing/on-demand, /cognito/pricing."
)
PRICES: dict[str, Price] = {
    "ws_messages": Price(1.00, 1e6, "WebSocket message (32 KB increments)", "API Gateway WebSocket, first 1B/month"),
    "ws_connection_minutes": Price(0.25, 1e6, "connection-minute", "API Gateway WebSocket"),
    "rest_requests": Price(3.50, 1e6, "REST API request", "API Gateway REST API, first 333M/month"),
    "lambda_requests": Price(0.20, 1e6, "Lambda request", "AWS Lambda"),
    "lambda_gb_seconds": Price(0.0000166667, 1, "GB-second (x86)", "AWS Lambda x86_64"),
    "ddb_wru": Price(0.625, 1e6, "write request unit", "DynamoDB on-demand (Nov 2024)"),
    "ddb_rru": Price(0.125, 1e6, "read request unit", "DynamoDB on-demand (Nov 2024)"),
    "cognito_mau": Price(0.0055, 1, "monthly active user", "Cognito Essentials/Lite tier, past the free MAUs"),
}
# Not in the model because they are free or not counted (said in docs/cost.md):
# - DynamoDB Streams GetRecords made by a Lambda trigger are free ($0.02 per 100k reads otherwise);
# - EventBridge scheduled rules are free; CloudWatch Logs/metrics/X-Ray are not counted.
LAMBDA_ARM_GB_SECOND = 0.0000133334
PUSHER = {  # Pusher Channels published plans, as remembered on 2026-12-02 (re-check pusher.com/channels/pricing)
    "Startup": (49.0, 500, 1_000_000),  # $/month, concurrent connections, messages/day
    "Pro": (99.0, 2_000, 4_000_000),
    "Business": (299.0, 5_000, 10_000_000),
}

# Latency charged to the Lambda per AWS call it waits on (the handler's own time is measured).
DDB_CALL_MS = 5.0  # single-digit ms inside a region
POST_MS = 15.0  # PostToConnection, as the management API stub (10-20 ms)
SENDER_POOL = 8  # chalicelib.platform.sender: fan-outs of 4 or more go through 8 threads
SENDER_PARALLEL_FROM = 4


# ----------------------------------------------------------------------------- usage
@dataclass
class Usage:
    """Billable quantities. Every field is priced by `PRICED` (a test holds that)."""

    ws_messages: float = 0.0  # frames in + frames out, each in 32 KB increments
    ws_connection_minutes: float = 0.0
    rest_requests: float = 0.0
    lambda_requests: float = 0.0
    lambda_gb_seconds: float = 0.0
    ddb_wru: float = 0.0
    ddb_rru: float = 0.0
    cognito_mau: float = 0.0
    # Informative (not billed by themselves): what the billed figures were made of.
    frames_in: float = 0.0
    posts: float = 0.0
    lambda_own_ms: float = 0.0  # the handlers' own time here, AWS calls excluded
    ddb_calls: Counter[str] = field(default_factory=Counter)
    ddb_parallel: float = 0.0  # of the DynamoDB calls, those made off the handler's thread (in flight together)
    other_calls: Counter[str] = field(default_factory=Counter)
    invocations: Counter[str] = field(default_factory=Counter)
    agent_events: Counter[str] = field(default_factory=Counter)  # posts to agent connections, by event type

    def __add__(self, other: Usage) -> Usage:
        out = Usage()
        for f in fields(Usage):
            a, b = getattr(self, f.name), getattr(other, f.name)
            setattr(out, f.name, a + b if not isinstance(a, Counter) else Counter(a) + Counter(b))
        return out

    def __mul__(self, k: float) -> Usage:
        out = Usage()
        for f in fields(Usage):
            v = getattr(self, f.name)
            setattr(out, f.name, Counter({key: n * k for key, n in v.items()}) if isinstance(v, Counter) else v * k)
        return out

    __rmul__ = __mul__

    @property
    def ddb_total(self) -> float:
        return float(sum(self.ddb_calls.values()))


PRICED: dict[str, str] = {  # Usage field -> PRICES key
    "ws_messages": "ws_messages",
    "ws_connection_minutes": "ws_connection_minutes",
    "rest_requests": "rest_requests",
    "lambda_requests": "lambda_requests",
    "lambda_gb_seconds": "lambda_gb_seconds",
    "ddb_wru": "ddb_wru",
    "ddb_rru": "ddb_rru",
    "cognito_mau": "cognito_mau",
}
INFORMATIVE = {
    "frames_in",
    "posts",
    "lambda_own_ms",
    "ddb_calls",
    "ddb_parallel",
    "other_calls",
    "invocations",
    "agent_events",
}


def dollars(usage: Usage, prices: Mapping[str, Price] = PRICES) -> dict[str, float]:
    """$ by line: each billed quantity times its price. Other AWS calls (not DynamoDB, not the
    posts) must not occur: a priced model for them does not exist, so they raise."""
    if usage.other_calls:
        raise ValueError(f"calls to other AWS APIs are not in the price table: {dict(usage.other_calls)}")
    return {name: getattr(usage, name) * prices[key].each for name, key in PRICED.items()}


def total(usage: Usage, prices: Mapping[str, Price] = PRICES) -> float:
    return sum(dollars(usage, prices).values())


# ----------------------------------------------------------------------------- DynamoDB units
def attr_size(name: str, value: Mapping[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute (name + value), after the documented rules."""
    return len(name.encode()) + value_size(value)


def value_size(value: Mapping[str, Any]) -> int:
    (kind, v), *_ = value.items()
    if kind == "S":
        return len(str(v).encode())
    if kind == "N":
        digits = len(str(v).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(v) if isinstance(v, bytes | bytearray) else len(str(v))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode()) for s in v)
    if kind == "NS":
        return sum(value_size({"N": n}) for n in v)
    if kind == "BS":
        return sum(len(b) for b in v)
    if kind == "L":
        return 3 + sum(1 + value_size(x) for x in v)
    if kind == "M":
        return 3 + sum(1 + attr_size(k, x) for k, x in v.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: Mapping[str, Any] | None) -> int:
    return sum(attr_size(k, v) for k, v in (item or {}).items())


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


ItemLookup = Callable[[str, Mapping[str, Any]], Mapping[str, Any] | None]

READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
NO_UNITS = {"DescribeTable", "ListTables", "CreateTable", "UpdateTimeToLive", "DescribeTimeToLive", "TagResource"}


def request_units(
    op: str, params: Mapping[str, Any], response: Mapping[str, Any] | None, before: Mapping[str, int], after: ItemLookup
) -> tuple[float, float]:
    """(read units, write units) of one DynamoDB call.

    Reads are sized from the items returned (an under-count when a projection drops attributes);
    writes from the larger of the item before (`before`, keyed by table/key) and after the call
    (`after`); transactional items count double; a write whose condition fails still consumes.
    """
    resp = response or {}
    consistent = bool(params.get("ConsistentRead"))
    if op == "GetItem":
        return read_units(item_size(resp.get("Item")), consistent), 0.0
    if op in ("Query", "Scan"):
        return read_units(sum(item_size(i) for i in resp.get("Items", [])), consistent), 0.0
    if op == "BatchGetItem":
        units = sum(read_units(item_size(i), consistent) for items in resp.get("Responses", {}).values() for i in items)
        return units, 0.0
    if op == "TransactGetItems":
        return sum(2 * read_units(item_size(r.get("Item")), True) for r in resp.get("Responses", [])), 0.0

    def written(table_name: str, key: Mapping[str, Any], put: Mapping[str, Any] | None = None) -> float:
        old = before.get(_item_key(table_name, key), 0)
        new = item_size(after(table_name, key)) if put is None else item_size(put)
        return write_units(max(old, new))

    if op == "PutItem":
        return 0.0, written(params["TableName"], _key_of(params["TableName"], params["Item"]), params["Item"])
    if op in ("UpdateItem", "DeleteItem"):
        return 0.0, written(params["TableName"], params["Key"])
    if op == "BatchWriteItem":
        units = 0.0
        for name, requests in params["RequestItems"].items():
            for r in requests:
                if "PutRequest" in r:
                    units += written(name, _key_of(name, r["PutRequest"]["Item"]), r["PutRequest"]["Item"])
                else:
                    units += written(name, r["DeleteRequest"]["Key"])
        return 0.0, units
    if op == "TransactWriteItems":
        units = 0.0
        for entry in params["TransactItems"]:
            (kind, spec), *_ = entry.items()
            name = spec["TableName"]
            if kind == "Put":
                units += 2 * written(name, _key_of(name, spec["Item"]), spec["Item"])
            else:  # Update, Delete, ConditionCheck (counted as a transactional write: conservative)
                units += 2 * written(name, spec["Key"])
        return 0.0, units
    if op in NO_UNITS:
        return 0.0, 0.0
    raise ValueError(f"no request-unit rule for DynamoDB {op}: add one to bench.cost.request_units")


def _item_key(table_name: str, key: Mapping[str, Any]) -> str:
    return table_name + "|" + json.dumps(key, sort_keys=True, default=str)


_KEY_NAMES: dict[str, list[str]] = {}


def _key_of(table_name: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """The key attributes of an item (the table's key schema, read once by `Meter.install`)."""
    return {n: item[n] for n in _KEY_NAMES.get(table_name, []) if n in item}


def written_keys(op: str, params: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(table, key) of every item a write touches (Put keys come from the item's key attributes)."""
    out: list[tuple[str, Mapping[str, Any]]] = []
    if op == "PutItem":
        out.append((params["TableName"], _key_of(params["TableName"], params["Item"])))
    elif op in ("UpdateItem", "DeleteItem"):
        out.append((params["TableName"], params["Key"]))
    elif op == "BatchWriteItem":
        for name, requests in params["RequestItems"].items():
            for r in requests:
                if "PutRequest" in r:
                    out.append((name, _key_of(name, r["PutRequest"]["Item"])))
                else:
                    out.append((name, r["DeleteRequest"]["Key"]))
    elif op == "TransactWriteItems":
        for entry in params["TransactItems"]:
            (kind, spec), *_ = entry.items()
            key = _key_of(spec["TableName"], spec["Item"]) if kind == "Put" else spec["Key"]
            out.append((spec["TableName"], key))
    return out


# ----------------------------------------------------------------------------- metering
class Meter:
    """Counts botocore calls (and their request units and time) and posts, while `active`."""

    def __init__(self) -> None:
        self.active = False
        self.lock = threading.Lock()
        self.usage = Usage()
        self.aws_seconds = 0.0  # CPU time the handler's thread spent inside botocore calls (moto): taken out
        self.handler_thread = 0  # the thread running the metered handler
        self.posts_bytes: list[int] = []
        self.agent_events: Counter[str] = Counter()  # event types posted to agent connections
        self._original: Callable[..., Any] = botocore.client.BaseClient._make_api_call
        self._ddb: Any = None  # a raw client for item look-ups, made before counting starts

    def lookup(self, table_name: str, key: Mapping[str, Any]) -> Mapping[str, Any] | None:
        if not key:
            return None
        try:
            out = self._original(self._ddb, "GetItem", {"TableName": table_name, "Key": dict(key)})
        except Exception:
            return None
        item = out.get("Item")
        return item if isinstance(item, dict) else None

    def install(self) -> None:
        import boto3

        self._ddb = boto3.client("dynamodb", region_name=REGION)
        for name in self._original(self._ddb, "ListTables", {}).get("TableNames", []):
            desc = self._original(self._ddb, "DescribeTable", {"TableName": name})["Table"]
            _KEY_NAMES[name] = [k["AttributeName"] for k in desc["KeySchema"]]
        meter = self

        def counted(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            if not meter.active:
                return meter._original(client, operation_name, api_params)
            service = client.meta.service_model.service_name
            before: dict[str, int] = {}
            if service == "dynamodb" and operation_name in WRITES:
                for table_name, key in written_keys(operation_name, api_params):
                    before[_item_key(table_name, key)] = item_size(meter.lookup(table_name, key))
            on_handler = threading.get_ident() == meter.handler_thread
            t0 = time.thread_time()
            response: Any = None
            try:
                response = meter._original(client, operation_name, api_params)
                return response
            finally:
                if on_handler:
                    meter.aws_seconds += time.thread_time() - t0
                meter.record(service, operation_name, api_params, response, before, on_handler)

        botocore.client.BaseClient._make_api_call = counted

    def uninstall(self) -> None:
        botocore.client.BaseClient._make_api_call = self._original

    def record(
        self,
        service: str,
        op: str,
        params: Mapping[str, Any],
        response: Any,
        before: Mapping[str, int],
        on_handler: bool = True,
    ) -> None:
        with self.lock:
            if service == "dynamodb":
                self.usage.ddb_calls[op] += 1
                if not on_handler:  # the notifier's reads, READERS in flight at once
                    self.usage.ddb_parallel += 1
                rru, wru = request_units(op, params, response, before, self.lookup)
                self.usage.ddb_rru += rru
                self.usage.ddb_wru += wru
            elif service == "cognito-idp" and op in ("InitiateAuth", "AdminCreateUser", "AdminSetUserPassword"):
                pass  # the sign-in happens before the benchmark's clients connect; Cognito is priced by MAU
            else:
                self.usage.other_calls[f"{service}:{op}"] += 1

    def post(self, data: bytes, to_agent: bool) -> None:
        with self.lock:
            if self.active:
                self.posts_bytes.append(len(data))
                if to_agent:
                    self.agent_events[str(json.loads(data).get("type"))] += 1


class MeteredSender(Sender):
    """Records posts (connection -> events) and their sizes instead of calling the management API."""

    def __init__(self, meter: Meter) -> None:
        super().__init__("http://cost.invalid", REGION)
        self.meter = meter
        self.sent: dict[str, list[dict[str, Any]]] = {}
        self.agents: set[str] = set()  # the agents' connection ids (what a dashboard receives)
        self._lock = threading.Lock()

    def _post_bytes(self, connection_id: str, data: bytes) -> bool:
        self.meter.post(data, connection_id in self.agents)
        with self._lock:
            self.sent.setdefault(connection_id, []).append(json.loads(data))
        return True

    def take(self, connection_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return self.sent.pop(connection_id, [])

    def clear(self) -> None:
        with self._lock:
            self.sent.clear()


def ws_message_units(size: int) -> int:
    return max(1, math.ceil(size / 32768))


def posts_ms(n: int) -> float:
    """Modeled wall time of n posts as `Sender.post_many` makes them (sequential below 4, else 8 threads)."""
    if n < SENDER_PARALLEL_FROM:
        return n * POST_MS
    return math.ceil(n / SENDER_POOL) * POST_MS


# ----------------------------------------------------------------------------- memory per function
def memory_mb(stage: str = "prod") -> tuple[dict[str, int], int, str]:
    """(per-function memory, default, where it came from). Per-function sizes are taken from
    infra/api.py when it declares them (a dict whose name has MEMORY in it); else the Chalice
    stage's `lambda_memory_size` applies to every function."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    default = int(config["stages"][stage].get("lambda_memory_size", config.get("lambda_memory_size", 128)))
    source = f".chalice/config.json stage {stage} lambda_memory_size (the same for every function)"
    per: dict[str, int] = {}
    api = (ROOT / "infra" / "api.py").read_text(encoding="utf-8")
    for m in re.finditer(r'"(\w+)"\s*:\s*(\d{3,5})\b', _memory_block(api)):
        per[m.group(1)] = int(m.group(2))
    if per:
        source = f"infra/api.py per function; others {default} MB from .chalice/config.json ({stage})"
    return per, default, source


def _memory_block(text: str) -> str:
    m = re.search(r"^\w*MEMORY\w*\s*(?::[^=]+)?=\s*\{(.*?)^\}", text, re.S | re.M)
    return m.group(1) if m else ""


# ----------------------------------------------------------------------------- the hub under meter
@dataclass
class Step:
    """The metered cost of one client action (or one scheduled run, one REST request)."""

    name: str
    usage: Usage
    handler_ms: float


class CostHub:
    def __init__(self, meter: Meter) -> None:
        ensure_tables()
        ensure_tenant(TENANT, "Global", WIDGET_KEY)
        self.meter = meter
        self.clock = ManualClock(start=time.time())
        self.sender = MeteredSender(meter)
        built = inprocess.build(
            self.sender,
            self.clock,
            "cost",
            signing_key="cost-signing-key-0123456789abcdef01234",
            counters_stream=True,  # as deployed: the counters reach the dashboards from their stream
        )
        self.hub = built.hub
        self.stream = InProcessStream(str(HubCounters.Meta.table_name), self.hub.counters.stream_batch)
        self.lane = built.hub.live
        self.cognito, self.pool_id, self.client_id = built.cognito, built.pool_id, built.client_id
        self.memory, self.default_memory, self.memory_source = memory_mb()
        self.rest_authorizer = rest_authorizer_is_lambda()
        self._ids = itertools.count(1)
        self._tokens: dict[str, str] = {}
        meter.install()

    def mem(self, function: str) -> int:
        return self.memory.get(function, self.default_memory)

    @contextlib.contextmanager
    def metered(self, name: str, function: str, frames_in: int, out: list[Step]) -> Iterator[None]:
        """Counts one Lambda invocation of `function` (its DynamoDB calls, posts, duration), plus
        the counters stream's function (PushCounters) when the action changed the counters: one
        invocation per action, the most it can cost (changes within its 1 s window share one)."""
        self.drain()  # what unmetered setup changed is nobody's cost
        with self._invocation(name, function, frames_in, out):
            yield
        records = self.stream.reader.read(1000)  # Lambda's own stream reads are free
        if records:
            pushed: list[Step] = []
            with self._invocation(name, "PushCounters", 0, pushed):
                self.stream.handle(records)
            step = out[-1]
            out[-1] = Step(step.name, step.usage + pushed[0].usage, step.handler_ms + pushed[0].handler_ms)

    def drain(self) -> None:
        """Delivers the counters stream unmetered (after setup steps)."""
        records = self.stream.reader.read(1000)
        if records:
            self.stream.handle(records)

    @contextlib.contextmanager
    def _invocation(self, name: str, function: str, frames_in: int, out: list[Step]) -> Iterator[None]:
        m = self.meter
        with m.lock:
            m.usage, m.aws_seconds, m.posts_bytes, m.agent_events = Usage(), 0.0, [], Counter()
            m.handler_thread = threading.get_ident()
            m.active = True
        # CPU time of this thread, not wall time: the machine may be busy with other work.
        t0 = time.thread_time()
        try:
            yield
        finally:
            wall = time.thread_time() - t0
            with m.lock:
                m.active = False
                u, aws_s, posted = m.usage, m.aws_seconds, list(m.posts_bytes)
                u.agent_events = Counter(m.agent_events)
            own_ms = max(0.0, (wall - aws_s) * 1000)
            billed_ms = math.ceil(own_ms + ddb_ms(u.ddb_total, u.ddb_parallel) + posts_ms(len(posted)))
            u.frames_in = frames_in
            u.posts = len(posted)
            u.lambda_own_ms = own_ms
            u.ws_messages = frames_in + sum(ws_message_units(n) for n in posted)
            u.lambda_requests = 1
            u.invocations[function] += 1
            u.lambda_gb_seconds = self.mem(function) / 1024 * billed_ms / 1000
            out.append(Step(name, u, billed_ms))

    # -- actors
    def agent_token(self, username: str) -> str:
        if username not in self._tokens:
            self._tokens[username] = agent_id_token(
                self.cognito, self.pool_id, self.client_id, username, TENANT, PASSWORD
            )
        return self._tokens[username]

    def connect_agent(self, username: str, out: list[Step] | None = None) -> str:
        token = self.agent_token(username)
        cid = f"agent{next(self._ids)}="
        self.sender.agents.add(cid)
        sink: list[Step] = [] if out is None else out
        with self.metered("connect (agent)", "WebsocketConnect", 0, sink):
            self.lane.identify_and_bind(cid, {"token": token})
        return cid

    def connect_customer(self) -> str:
        n = next(self._ids)
        # Each customer from their own address: the widget's sessions are limited per address.
        session = self.hub.widgets.open_session(WIDGET_KEY, None, "Kim", client=f"198.51.{n // 250 % 250}.{n % 250}")
        cid = f"cust{n}="
        self.lane.identify_and_bind(cid, {"session": session.token})
        return cid

    def actor(self, connection_id: str) -> Actor:
        conn = self.lane.connections.store.get_connection(connection_id, self.clock.now())
        if conn is None:
            raise RuntimeError(f"{connection_id} is not connected")
        return Actor(conn.tenant, conn.role, conn.user_id, conn.name)

    def act(
        self, connection_id: str, out: list[Step] | None, name: str | None = None, **action: Any
    ) -> list[dict[str, Any]]:
        """One frame in: the `$default` route's function runs the action."""
        body = json.dumps(action)
        if out is None:
            self.lane.handle(connection_id, body)
        else:
            with self.metered(name or str(action["action"]), "WebsocketMessage", 1, out):
                self.lane.handle(connection_id, body)
        events = self.sender.take(connection_id)
        for event in events:
            if event.get("type") == "error":
                raise RuntimeError(f"{action.get('action')} failed: {event}")
        return events

    def rest(self, name: str, out: list[Step], call: Callable[[], Any], authorized: bool) -> None:
        """One REST request: API Gateway, the API function, and the custom authorizer when the
        route has a Lambda authorizer (counted on every request: an upper bound, API Gateway may
        cache its answer for the token's TTL)."""
        with self.metered(name, "APIHandler", 0, out):
            call()
        out[-1].usage.rest_requests = 1
        if authorized and self.rest_authorizer:
            auth = Usage(lambda_requests=1, invocations=Counter({"AgentAuth": 1}))
            auth.lambda_gb_seconds = self.mem("AgentAuth") / 1024 * 5 / 1000  # verifies a JWT: ~5 ms
            out.append(Step(f"{name}: authorizer", auth, 5.0))

    def agent_get(self, name: str, out: list[Step], path: str, username: str) -> None:
        """One agent's GET through the deployed REST handler: app.py's Chalice app, as the API
        function runs it, given the proxy event API Gateway sends once its Cognito authorizer has
        verified the ID token (its claims in `requestContext.authorizer`; no function of ours runs
        for that)."""
        import jwt

        import app as chalice_app
        from chalicelib import wiring
        from local.rest_gateway import api_gateway_claims

        claims = api_gateway_claims(jwt.decode(self.agent_token(username), options={"verify_signature": False}))
        event = rest_get_event(path, {"claims": claims})
        answer: dict[str, Any] = {}
        built = wiring.hub
        wiring.hub = lambda: self.hub
        try:
            self.rest(name, out, lambda: answer.update(chalice_app.app(event, None)), authorized=True)
        finally:
            wiring.hub = built
        if answer.get("statusCode") != 200:
            raise RuntimeError(f"GET {path} answered {answer.get('statusCode')}: {answer.get('body')}")

    def scheduled(self, name: str, function: str, out: list[Step], call: Callable[[], Any]) -> None:
        with self.metered(name, function, 0, out):
            call()


def rest_get_event(path: str, authorizer: Mapping[str, Any]) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0) for a GET of `path` (no path parameters)."""
    headers = {"Accept": "application/json", "Host": "cost.execute-api.us-east-1.amazonaws.com"}
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "GET",
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "cost",
            "identity": {"sourceIp": "203.0.113.10"},
            "authorizer": dict(authorizer),
        },
        "body": None,
        "isBase64Encoded": False,
    }


def rest_authorizer_is_lambda() -> bool:
    """Whether app.py's agent routes use a custom (Lambda) authorizer, read from the Chalice app."""
    from chalice.app import ChaliceAuthorizer

    import app as chalice_app

    for per_method in chalice_app.app.routes.values():
        for entry in per_method.values():
            if entry.view_name == "callback_step":
                return isinstance(entry.authorizer, ChaliceAuthorizer)
    raise RuntimeError("app.py has no callback_step route")


# ----------------------------------------------------------------------------- the typical client
@dataclass(frozen=True)
class Typical:
    """How often the shipped clients do things (the assumptions; the costs of each are measured).

    The per-message receipts mirror `frontend/src/shared/chat.ts` `receipts()`: on a message
    from the other side in an open, visible thread the client sends `read` alone (it implies
    delivered), at most one a second per conversation. A test compares RECEIPTS with that source."""

    reply_ratio: float = 1.0  # agent replies per customer message
    # Share of received messages answered by a receipt of their own: chat.ts coalesces to one per
    # conversation a second, and chat messages rarely come faster, so about every message.
    receipt_share: float = 1.0
    heartbeat_s: float = 60.0  # frontend/src/shared/socket.ts: heartbeatMs ?? 60_000
    shift_hours: float = 8.0
    workdays: float = 22.0
    reconnects_per_shift: float = 4.0  # API Gateway closes a WebSocket after 2 h at most
    presence_changes_per_shift: float = 4.0  # available -> away -> available, twice
    months_agents: int = 1000
    # The agent dashboard re-reads the hub's figures (GET /hub and GET /hub/mode) every
    # `hub_poll_s`, and `hub_debounce_s` after an event of HUB_EVENTS (at most one reload pending:
    # work-lanes.ts hubSoon), but only while those figures are on screen (the command view, or the
    # lanes with no conversation selected) in a visible tab: `hub_on_screen` of the shift. The
    # dashboard before that change reloaded the whole shift: a share of 1.0.
    hub_on_screen: float = 0.1
    hub_poll_s: float = 30.0  # frontend/src/agent/workspace.ts: setInterval(loadHub, 30_000)
    hub_debounce_s: float = 0.6  # frontend/src/agent/work-lanes.ts: hubSoon's setTimeout(..., 600)
    # How long a person types each message, keys pressed throughout (the send ends the spell). A
    # guess, not a measurement: a support message of 40-60 characters at 4-6 characters a second
    # (an agent's canned reply is typed in none). Every TYPING_THROTTLE_S of it costs one more
    # `start` (a frame, the conversation Query, a post to each reader; chat.ts `userTyping`), so
    # the per-message figure depends on it: `--typing-seconds`, and the rows for TYPING_ROWS.
    # Until 2026-12-03 the model had no repeated start (as if every message took under 3 s).
    typing_s: float = 10.0


# frontend/src/shared/chat.ts TYPING_THROTTLE_MS: while keys are pressed, a `start` at most this
# often after the one that opened the spell (a test compares it).
TYPING_THROTTLE_S = 10.0


# The rows of "by how long each message is typed": from a message sent before the first repeat
# to a long one (the default is measured too).
TYPING_ROWS = (2.0, 10.0, 20.0, 30.0)


def refresh_starts(typing_s: float) -> int:
    """The `start`s chat.ts sends after the opening one while keys are pressed for `typing_s`
    seconds and the message then sent: one at each TYPING_THROTTLE_S before the send."""
    return max(0, math.ceil(typing_s / TYPING_THROTTLE_S) - 1)


RECEIPTS: tuple[str, ...] = ("read",)  # what a client sends per message received in the thread on screen
# The events after which the agent dashboard reloads the hub (frontend/src/agent/store/events.ts:
# the handlers that call hubSoon; a test compares them).
HUB_EVENTS: tuple[str, ...] = ("presence", "callback", "callback_alert", "ticket", "counters", "csat", "mode")
HUB_RELOAD: tuple[str, ...] = ("/hub", "/hub/mode")  # work-lanes.ts loadHub: both, in parallel


def typed(h: CostHub, who: str, side: str, conv: str, typing_s: float, out: list[Step]) -> None:
    """Someone typing one message for `typing_s` seconds, as chat.ts `userTyping` tells it: the
    `start` that opens the spell (`first: true`, told, not stored) at once, then a `start` every
    TYPING_THROTTLE_S while keys are pressed (the hub stores the indicator when it is missing or
    going stale); the clock moves on to the moment of the send, which is the stop
    (docs/protocol.md, "Typing": no `stop` frame)."""
    h.act(who, out, f"{side} typing start", action="typing", conversation_id=conv, state="start", first=True)
    refreshes = refresh_starts(typing_s)
    for _ in range(refreshes):
        h.clock.advance(TYPING_THROTTLE_S)
        h.act(who, out, f"{side} typing refresh", action="typing", conversation_id=conv, state="start")
    h.clock.advance(typing_s - refreshes * TYPING_THROTTLE_S)


def message_cycle(h: CostHub, customer: str, agent: str, conv: str, i: int, out: list[Step], typing_s: float) -> None:
    """A customer message and the agent's side of it, as the shipped clients make them: typing
    (`typed`), the send, and the agent's receipts."""
    typed(h, customer, "customer", conv, typing_s, out)
    h.act(customer, out, "customer send", action="send", conversation_id=conv, client_id=f"c{i}", text=f"question {i}")
    seq = last_seq(h, agent, conv)
    for kind in RECEIPTS:
        h.act(agent, out, f"agent {kind}", action=kind, conversation_id=conv, seq=seq)


def reply_cycle(h: CostHub, customer: str, agent: str, conv: str, i: int, out: list[Step], typing_s: float) -> None:
    typed(h, agent, "agent", conv, typing_s, out)
    h.act(agent, out, "agent send", action="send", conversation_id=conv, client_id=f"a{i}", text=f"answer {i}")
    seq = last_seq(h, customer, conv)
    for kind in RECEIPTS:
        h.act(customer, out, f"customer {kind}", action=kind, conversation_id=conv, seq=seq)


def last_seq(h: CostHub, connection_id: str, conv: str) -> int:
    """The seq (in the connection's own numbering) of the newest message it was sent."""
    seqs = [
        int(e["seq"])
        for e in h.sender.sent.get(connection_id, [])
        if e.get("type") == "message" and e.get("conversation_id") == conv and e.get("seq") is not None
    ]
    if not seqs:
        raise RuntimeError(f"{connection_id} got no message in {conv}")
    return max(seqs)


def summed(steps: Sequence[Step], prefix: str = "") -> Usage:
    out = Usage()
    for s in steps:
        if s.name.startswith(prefix):
            out = out + s.usage
    return out


@dataclass
class Measured:
    agents_online: int
    per_action: dict[str, Usage]  # action name -> mean usage of one
    message: Usage  # one customer message with typing and receipts, and its share of replies
    connect: Usage
    disconnect: Usage
    heartbeat: Usage
    presence: Usage
    hub_reload: dict[str, Usage]  # one dashboard reload: each GET (path -> usage of one request)
    callback: Usage
    scheduled_idle: dict[str, Usage]  # scheduled function -> one run with nothing to do
    memory_source: str
    authorizer_lambda: bool
    memory: dict[str, int]
    default_memory: int

    def mem(self, function: str) -> int:
        return self.memory.get(function, self.default_memory)


@contextlib.contextmanager
def cost_hub() -> Iterator[CostHub]:
    """A fresh hub on its own moto, metered while it lives."""
    meter = Meter()
    with aws_environment(), mock_aws(), quiet_stdout():
        h = CostHub(meter)
        try:
            yield h
        finally:
            meter.uninstall()


def measure(agents_online: int, typical: Typical, messages: int = 3) -> Measured:
    """One tenant with `agents_online` agent connections (one per agent), one conversation being
    answered by one of them, and the actions counted one by one."""
    with cost_hub() as h:
        return _measure(h, agents_online, typical, messages)


def _mean(steps: Sequence[Step]) -> Usage:
    return summed(steps) * (1 / len(steps)) if steps else Usage()


def _measure(h: CostHub, agents_online: int, typical: Typical, messages: int) -> Measured:
    connects: list[Step] = []
    agents = [h.connect_agent(f"agent{i:04d}", connects) for i in range(agents_online)]
    agent = agents[0]
    for a in agents:
        h.act(a, None, action="heartbeat")
    customer = h.connect_customer()
    started = h.act(customer, None, action="start")
    conv = next(str(e["conversation"]["id"]) for e in reversed(started) if e.get("type") == "conversation")
    h.act(customer, None, action="send", conversation_id=conv, client_id="first", text="hello")
    h.act(agent, None, action="join", conversation_id=conv)
    h.act(agent, None, action="send", conversation_id=conv, client_id="hi", text="hi")
    typing_s = typical.typing_s

    def beat() -> None:
        """Typing moves the clock: every agent stays reachable (unmetered), as its client's
        heartbeats keep it, so what follows is measured with the same agents online."""
        for a in agents:
            h.act(a, None, action="heartbeat")
        h.sender.clear()

    # Warm-up: the first of each action pays for first-use work (imports, caches); not counted.
    message_cycle(h, customer, agent, conv, -1, [], typing_s)
    beat()
    reply_cycle(h, customer, agent, conv, -1, [], typing_s)
    beat()

    steps: list[Step] = []
    for i in range(messages):
        message_cycle(h, customer, agent, conv, i, steps, typing_s)
        beat()
        reply_cycle(h, customer, agent, conv, i, steps, typing_s)
        beat()
    per_action: dict[str, Usage] = {}
    for name in dict.fromkeys(s.name for s in steps):
        per_action[name] = _mean([s for s in steps if s.name == name])
    share = typical.receipt_share
    agent_receipts = summed(steps, "agent delivered") + summed(steps, "agent read")
    customer_receipts = summed(steps, "customer delivered") + summed(steps, "customer read")
    customer_side = summed(steps, "customer typing") + summed(steps, "customer send") + agent_receipts * share
    agent_side = summed(steps, "agent typing") + summed(steps, "agent send") + customer_receipts * share
    message = (customer_side + agent_side * typical.reply_ratio) * (1 / messages)

    # An agent's connection over a month: heartbeats, presence changes, reconnects.
    beats: list[Step] = []
    for a in agents[:5]:
        h.act(a, beats, "heartbeat", action="heartbeat")
    presence: list[Step] = []
    for status in ("away", "available"):
        h.act(agents[-1], presence, f"presence {status}", action="presence", status=status)
    # One dashboard reload of the hub's figures, every agent still online: GET /hub and GET /hub/mode.
    reloads: list[Step] = []
    for path in HUB_RELOAD:
        h.agent_get(f"warm-up GET {path}", [], path, "agent0000")
    for _ in range(messages):
        for path in HUB_RELOAD:
            h.agent_get(f"GET {path}", reloads, path, "agent0000")
    h.sender.clear()
    disconnects: list[Step] = []
    last = agents[-1]
    with h.metered("disconnect (agent)", "WebsocketDisconnect", 0, disconnects):
        h.lane.disconnect(last)
    reconnect: list[Step] = []
    h.connect_agent(f"agent{agents_online - 1:04d}", reconnect)
    h.sender.clear()

    # A callback's life: the widget asks, an escalation run finds it overdue, an agent claims and completes.
    cb_steps: list[Step] = []
    who = h.actor(customer)
    created: list[Any] = []
    h.rest(
        "callback create",
        cb_steps,
        lambda: created.append(h.hub.callbacks.request(who, "+46701234567", None, "asap", "Billing", conv)),
        authorized=False,
    )
    callback_id = created[0].callback_id
    from chalicelib.work.escalation import escalate_overdue

    idle: dict[str, list[Step]] = {}
    h.clock.advance(30)
    for name, fid, run in scheduled_runs(h):
        idle[fid] = []
        h.scheduled(name, fid, idle[fid], run)
    h.clock.advance(3600)  # past the SLA: the next run marks it overdue and alerts
    h.scheduled(
        "escalation run (overdue)", "EscalateOverdueCallbacks", cb_steps, lambda: escalate_overdue(h.hub.callbacks)
    )
    agent_actor = h.actor(agent)
    h.rest("callback claim", cb_steps, lambda: h.hub.callbacks.claim(agent_actor, callback_id), authorized=True)
    h.rest("callback complete", cb_steps, lambda: h.hub.callbacks.complete(agent_actor, callback_id, "done"), True)
    h.sender.clear()

    return Measured(
        agents_online=agents_online,
        per_action=per_action,
        message=message,
        connect=_mean(connects[-1:] + reconnect),
        disconnect=_mean(disconnects),
        heartbeat=_mean(beats),
        presence=_mean(presence),
        hub_reload={path: _mean([s for s in reloads if s.name == f"GET {path}"]) for path in HUB_RELOAD},
        callback=summed(cb_steps),
        scheduled_idle={fid: _mean(s) for fid, s in idle.items()},
        memory_source=h.memory_source,
        authorizer_lambda=h.rest_authorizer,
        memory=h.memory,
        default_memory=h.default_memory,
    )


QUEUE_WAITING = (10, 50)  # chats waiting when a place frees (--queues); measured against a close with none


def measure_queue(agents_online: int, waiting: int, others: int = 0) -> Usage:
    """One queue move: every agent is full and `waiting` chats wait; an agent closes their chat,
    routing gives them the oldest waiting one and tells everyone still waiting their place. With
    0 waiting it is the same close with no queue behind it: the difference is what the queue adds
    for each chat that leaves it. `others`: more customers connected, not waiting (a widget open)."""
    with cost_hub() as h:
        return _measure_queue(h, agents_online, waiting, others)


def _measure_queue(h: CostHub, agents_online: int, waiting: int, others: int) -> Usage:
    """Setup (unmetered): the tenant's capacity goes to 0, `waiting` + 2 chats start one after
    another and wait, the mover (one of the agents) gets a capacity of 1 and the oldest. A warm-up
    move (the mover closes it and gets the next) pays for first use; the metered move then
    frees the mover's place with exactly `waiting` chats waiting."""
    agents = [h.connect_agent(f"agent{i:04d}") for i in range(agents_online)]
    for _ in range(others):
        h.connect_customer()
    mover = agents[0]
    admin = h.actor(mover)
    h.hub.team.change(admin, {"chat_capacity": 0})
    queued: list[str] = []
    for i in range(waiting + 2):
        h.clock.advance(0.01)  # first come, first served (the widget's session token is dated by this clock)
        customer = h.connect_customer()
        started = h.act(customer, None, action="start")
        conv = next(str(e["conversation"]["id"]) for e in reversed(started) if e.get("type") == "conversation")
        h.act(customer, None, action="send", conversation_id=conv, client_id=f"q-{i}", text="anyone?")
        queued.append(conv)
    h.hub.team.set_capacity(admin, admin.id, 1)
    h.hub.routing.drain(TENANT)
    steps: list[Step] = []
    for i, out in enumerate(([], steps)):
        meta = h.lane.conversation(TENANT, queued[i])
        if meta is None or meta.owner_id != admin.id:
            raise RuntimeError(f"queue move: {queued[i]} is not the mover's ({meta and meta.owner_id!r})")
        h.sender.clear()
        h.act(mover, out, "queue move", action="close", conversation_id=queued[i])
    h.sender.clear()
    return steps[0].usage


def scheduled_runs(h: CostHub) -> list[tuple[str, str, Callable[[], Any]]]:
    """app.py's scheduled functions (name, function id, what it runs) and their rates, per minute."""
    from chalicelib.work.escalation import escalate_overdue

    return [
        ("escalation run", "EscalateOverdueCallbacks", lambda: escalate_overdue(h.hub.callbacks)),
        ("counters recompute", "RecomputeCounters", h.hub.counters.recompute),
        ("drift sweep", "SweepDrift", h.hub.drift.sweep),
        ("queue routing", "RouteQueue", h.hub.routing.sweep),
    ]


RUNS_PER_MONTH = {  # app.py: Rate(1 min), Rate(5 min), Rate(1 min), Rate(1 min); 30-day month
    "EscalateOverdueCallbacks": 43_200,
    "RecomputeCounters": 8_640,
    "SweepDrift": 43_200,
    "RouteQueue": 43_200,
}


# ----------------------------------------------------------------------------- the model
def ddb_ms(calls: float, parallel: float = 0.0) -> float:
    """Modeled wall time of an invocation's DynamoDB calls: DDB_CALL_MS each, one after another,
    but those made from the notifier's reading pool (`parallel`), READERS at a time."""
    return DDB_CALL_MS * (calls - parallel) + math.ceil(parallel / READERS) * DDB_CALL_MS


def billed_gb_seconds(memory_mb: int, own_ms: float, ddb_calls: float, posts: float, parallel: float = 0.0) -> float:
    """One invocation: its own time + its DynamoDB calls (`ddb_ms`) + the posts as the Sender makes them."""
    return memory_mb / 1024 * math.ceil(own_ms + ddb_ms(ddb_calls, parallel) + posts_ms(round(posts))) / 1000


def linear(at: Mapping[int, Usage], n: int, mem: Callable[[str], int]) -> Usage:
    """Extrapolates one invocation's usage measured at two tenant sizes linearly to n agents
    online (the counts); its duration is modeled again for the extrapolated counts, with the
    larger of the two measured own times."""
    (n1, u1), (n2, u2) = sorted(at.items())[:1] + sorted(at.items())[-1:]
    if n1 == n2:
        return u1
    slope = (u2 + u1 * -1) * (1 / (n2 - n1))
    out = u1 + slope * (n - n1)
    functions = set(u1.invocations) | set(u2.invocations)
    out.lambda_own_ms = max(u1.lambda_own_ms, u2.lambda_own_ms)
    if len(functions) == 1:
        (function,) = functions
        out.lambda_gb_seconds = billed_gb_seconds(
            mem(function), out.lambda_own_ms, out.ddb_total, out.posts, out.ddb_parallel
        )
    # else (the action's function and the counters stream's): each one's billed time grows with
    # the posts it makes, and the GB-seconds extrapolated linearly above follow that.
    return out


def hub_events_per_second(at: Mapping[int, Measured], typical: Typical, size: int) -> float:
    """Events of HUB_EVENTS one agent's dashboard receives a second online, in a tenant of `size`
    agents online: every agent of the tenant connects, disconnects, beats and changes presence at
    the Typical rates, and each of those posts the events measured (extrapolated to `size`) to the
    tenant's agent connections; the tenant's total divided among its `size` dashboards is one
    agent's rate of those actions times the events one action posts."""
    shift_s = typical.shift_hours * 3600
    per_shift = {
        "connect": typical.reconnects_per_shift,
        "disconnect": typical.reconnects_per_shift,
        "heartbeat": shift_s / typical.heartbeat_s,
        "presence": typical.presence_changes_per_shift,
    }
    mem = next(iter(at.values())).mem
    events = 0.0
    for kind, n in per_shift.items():
        u = linear({k: getattr(m, kind) for k, m in at.items()}, size, mem)
        events += n * sum(u.agent_events[e] for e in HUB_EVENTS)
    return events / shift_s


def hub_reloads_per_shift(typical: Typical, on_screen: float, events_per_s: float) -> tuple[float, float]:
    """(by the timer, after events) reloads of the hub's figures by one dashboard in a shift, the
    figures on screen `on_screen` of it. The timer reloads every `hub_poll_s`. An event with no
    reload pending starts one `hub_debounce_s` later, and the events until then share it: with
    events at random times (rate r a second) that is r / (1 + r * debounce) reloads a second,
    never more than one per debounce."""
    seen_s = on_screen * typical.shift_hours * 3600
    r = events_per_s
    return seen_s / typical.hub_poll_s, seen_s * r / (1 + r * typical.hub_debounce_s)


def hub_reload(at: Mapping[int, Measured], size: int) -> Usage:
    """One dashboard reload (every GET of it) in a tenant of `size` agents online."""
    mem = next(iter(at.values())).mem
    out = Usage()
    for path in HUB_RELOAD:
        out = out + linear({k: m.hub_reload[path] for k, m in at.items()}, size, mem)
    return out


def agents_month(
    at: Mapping[int, Measured], typical: Typical, tenant_size: int | None = None, hub_on_screen: float | None = None
) -> tuple[Usage, dict[str, float]]:
    """1,000 (typical.months_agents) agents online a shift a workday for a month, all in one
    tenant, or in tenants of `tenant_size` agents (what one agent's events cost grows with the
    agents of its tenant: presence and counters go to each of them), with their dashboards
    reloading the hub's figures (GET /hub, GET /hub/mode) while those are on screen,
    `hub_on_screen` of the shift (default typical.hub_on_screen; 1.0 is the dashboard that
    reloaded all shift long)."""
    n = typical.months_agents
    size = tenant_size or n
    on_screen = typical.hub_on_screen if hub_on_screen is None else hub_on_screen
    shifts = n * typical.workdays
    minutes = shifts * typical.shift_hours * 60
    events_per_s = hub_events_per_second(at, typical, size)
    polls, after_events = hub_reloads_per_shift(typical, on_screen, events_per_s)
    count = {
        "connections": shifts * typical.reconnects_per_shift,
        "connection-minutes": minutes,
        "heartbeats": minutes * 60 / typical.heartbeat_s,
        "presence changes": shifts * typical.presence_changes_per_shift,
        "hub events to dashboards": shifts * events_per_s * typical.shift_hours * 3600,
        "hub reloads (timer)": shifts * polls,
        "hub reloads (events)": shifts * after_events,
    }
    mem = next(iter(at.values())).mem
    usage = Usage(ws_connection_minutes=minutes, cognito_mau=n)
    usage = usage + linear({k: m.connect for k, m in at.items()}, size, mem) * count["connections"]
    usage = usage + linear({k: m.disconnect for k, m in at.items()}, size, mem) * count["connections"]
    usage = usage + linear({k: m.heartbeat for k, m in at.items()}, size, mem) * count["heartbeats"]
    usage = usage + linear({k: m.presence for k, m in at.items()}, size, mem) * count["presence changes"]
    reloads = count["hub reloads (timer)"] + count["hub reloads (events)"]
    usage = usage + hub_reload(at, size) * reloads
    return usage, count


def minimum_message(recipients: int, memory_mb: int) -> Usage:
    """The physical minimum for one message: one conditional write (1 WRU), one query (0.5 RRU,
    eventually consistent, one 4 KB page), one post per recipient, one frame in, one invocation
    waiting on those calls (no own time)."""
    return Usage(
        ws_messages=1 + recipients,
        lambda_requests=1,
        lambda_gb_seconds=billed_gb_seconds(memory_mb, 0.0, 2, recipients),
        ddb_wru=1,
        ddb_rru=0.5,
        frames_in=1,
        posts=recipients,
        ddb_calls=Counter({"PutItem": 1, "Query": 1}),
    )


def fmt_usd(x: float) -> str:
    return f"${x:,.2f}" if x >= 0.995 else f"${x:,.4f}"


def usage_row(label: str, u: Usage, scale: float = 1.0) -> list[object]:
    s = u * scale
    return [
        label,
        f"{s.frames_in:,.0f}",
        f"{s.posts:,.0f}",
        f"{s.lambda_requests:,.0f}",
        f"{s.lambda_gb_seconds:,.1f}",
        f"{s.ddb_total:,.0f}",
        f"{s.ddb_rru:,.1f}",
        f"{s.ddb_wru:,.1f}",
        fmt_usd(total(s)),
    ]


USAGE_HEADERS = ["what", "frames in", "posts", "Lambda inv.", "GB-s", "DDB calls", "RRU", "WRU", "$"]


def lines_table(u: Usage) -> str:
    d = dollars(u)
    return table(
        ["line", "quantity", "price", "$"],
        [
            [k, f"{getattr(u, k):,.1f}", f"${PRICES[PRICED[k]].usd:g} per {PRICES[PRICED[k]].per:,.0f}", fmt_usd(v)]
            for k, v in d.items()
            if getattr(u, k)
        ],
    )


def pusher_for(connections: int, messages_per_day: float) -> str:
    for plan, (usd, conns, per_day) in PUSHER.items():
        if connections <= conns and messages_per_day <= per_day:
            return f"Pusher {plan} ${usd:.0f}/month ({conns:,} connections, {per_day:,} messages/day)"
    return "above Pusher's published plans (Enterprise, by quote)"


def run(argv: Sequence[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", default="10,40", help="agent connections in the measured tenant (two sizes)")
    parser.add_argument(
        "--reply-ratio", type=float, default=Typical.reply_ratio, help="agent replies per customer message"
    )
    parser.add_argument(
        "--receipt-share",
        type=float,
        default=Typical.receipt_share,
        help="share of received messages that get receipts of their own (1.0: per message, as chat.ts today)",
    )
    parser.add_argument(
        "--month-agents", type=int, default=Typical.months_agents, help="agents online for the month figure"
    )
    parser.add_argument(
        "--hub-on-screen",
        type=float,
        default=Typical.hub_on_screen,
        help="share of the shift an agent has the hub's figures on screen (command view, or lanes with no "
        "conversation selected, tab visible): the dashboard reloads GET /hub and /hub/mode only then",
    )
    parser.add_argument(
        "--typing-seconds",
        type=float,
        default=Typical.typing_s,
        help="how long each message is typed, keys pressed throughout: a typing start every "
        f"{TYPING_THROTTLE_S:g} s of it (chat.ts)",
    )
    parser.add_argument(
        "--queues",
        default=",".join(str(w) for w in QUEUE_WAITING if w),
        help="chats waiting when a place frees, for the queue's figure",
    )
    args = parser.parse_args(argv)
    typical = Typical(
        reply_ratio=args.reply_ratio,
        receipt_share=args.receipt_share,
        months_agents=args.month_agents,
        hub_on_screen=args.hub_on_screen,
        typing_s=args.typing_seconds,
    )
    sizes = sorted({int(s) for s in args.agents.split(",") if s})

    print("== bench.cost: $ from call counts measured now (the hub in-process on moto) x AWS list prices")
    print(f"   {PRICES_NOTE}")
    at = {n: measure(n, typical) for n in sizes}
    small = at[sizes[0]]
    print(f"   Lambda memory: {small.memory_source}; x86 GB-second price (arm64 would be {LAMBDA_ARM_GB_SECOND}).")
    print(
        f"   Lambda duration = the handler's own CPU time here + {DDB_CALL_MS:g} ms per DynamoDB call (one after "
        f"another; the notifier's reads of waiting customers' connections {READERS} at a time) + "
        f"{POST_MS:g} ms per post (8 at a time from 4 up), rounded up to 1 ms."
    )
    print(f"   REST agent routes authorized by a Lambda authorizer: {small.authorizer_lambda}")
    print()
    print(f"   each action, measured in a tenant with {sizes[0]} agents online (mean of the repeats):")
    print(table(USAGE_HEADERS, [usage_row(name, u) for name, u in small.per_action.items()]))
    for label, pick in (
        ("heartbeat", "heartbeat"),
        ("presence change", "presence"),
        ("agent connect", "connect"),
        ("agent disconnect", "disconnect"),
    ):
        rows = [usage_row(f"{label} ({n} agents)", getattr(m, pick)) for n, m in at.items()]
        print(table(USAGE_HEADERS, rows))
    print("   one dashboard reload of the hub's figures (REST, Cognito authorizer: no function of ours):")
    print(
        table(
            [*USAGE_HEADERS, "REST req.", "DDB calls by operation"],
            [
                [
                    *usage_row(f"GET {path} ({n} agents)", m.hub_reload[path]),
                    f"{m.hub_reload[path].rest_requests:g}",
                    ", ".join(f"{op} {k:g}" for op, k in sorted(m.hub_reload[path].ddb_calls.items())),
                ]
                for n, m in at.items()
                for path in HUB_RELOAD
            ],
        )
    )
    print()

    # 1. messages
    n_small = sizes[0]
    per_million = small.message * 1e6
    minimum = minimum_message(1, small.mem("WebsocketMessage")) * (1 + typical.reply_ratio) * 1e6
    msg_ratio = total(per_million) / total(minimum)
    print(
        f"== $ per 1M customer messages ({typical.reply_ratio:g} agent reply each; each message typed for "
        f"{typical.typing_s:g} s: the start that opens the spell and {refresh_starts(typical.typing_s)} more, "
        f"one every {TYPING_THROTTLE_S:g} s, the send its stop; {' + '.join(RECEIPTS)} by the reader for "
        f"{typical.receipt_share:.0%} of the messages)"
    )
    print(
        table(
            USAGE_HEADERS,
            [
                *(usage_row(f"the hub, measured, {n} agents online", m.message * 1e6) for n, m in at.items()),
                usage_row("physical minimum (1 write, 1 query, 1 post each)", minimum),
            ],
        )
    )
    print(f"   by how long each message is typed (--typing-seconds), measured with {n_small} agents online:")
    typed_for = {}
    for seconds in sorted({*TYPING_ROWS, typical.typing_s}):
        m = small if seconds == typical.typing_s else measure(n_small, replace(typical, typing_s=seconds))
        typed_for[seconds] = m.message * 1e6
    print(
        table(
            USAGE_HEADERS,
            [
                usage_row(f"typed for {s:g} s: {refresh_starts(s)} repeated start(s) a side", u)
                for s, u in typed_for.items()
            ],
        )
    )
    print(f"   by line, {n_small} agents online:")
    print(lines_table(per_million))
    # Pusher counts every message published and every copy delivered: the same frames in and out.
    per_day = per_million.ws_messages / 30
    print(
        f"   elsewhere: the same traffic is {per_day:,.0f} Pusher messages a day (frames in + out, / 30): "
        f"{pusher_for(0, per_day)}, a flat fee that also covers that plan's connections"
    )
    print()

    # 2. agents online
    month, counts = agents_month(at, typical)
    on = typical.hub_on_screen
    print(
        f"== $ per {typical.months_agents:,} agents online for a month ({typical.shift_hours:g} h x "
        f"{typical.workdays:g} workdays; heartbeat every {typical.heartbeat_s:g} s; "
        f"{typical.reconnects_per_shift:g} connects and {typical.presence_changes_per_shift:g} presence changes "
        f"a shift; the dashboard reloads GET {' + GET '.join(HUB_RELOAD)} every {typical.hub_poll_s:g} s and "
        f"{typical.hub_debounce_s:g} s after a {'/'.join(HUB_EVENTS)} event (one pending at most) while the "
        f"hub's figures are on screen: before, the whole shift; now --hub-on-screen {on:g} of it; "
        f"per-event costs extrapolated linearly from {', '.join(map(str, sizes))} agents)"
    )
    print("   now, one tenant: " + ", ".join(f"{k} {v:,.0f}" for k, v in counts.items()))
    before, before_counts = agents_month(at, typical, hub_on_screen=1.0)
    spread, spread_counts = agents_month(at, typical, tenant_size=n_small)
    spread_before, _ = agents_month(at, typical, tenant_size=n_small, hub_on_screen=1.0)
    for label, c in (("before, one tenant", before_counts), (f"now, tenants of {n_small}", spread_counts)):
        print(f"   {label}: " + ", ".join(f"{k} {v:,.0f}" for k, v in c.items() if k.startswith("hub")))
    print(
        table(
            [*USAGE_HEADERS, "REST req."],
            [
                [*usage_row(label, u), f"{u.rest_requests:,.0f}"]
                for label, u in (
                    (f"before: the hub, one tenant of {typical.months_agents:,} (extrapolated)", before),
                    (f"now: the hub, one tenant of {typical.months_agents:,} (extrapolated)", month),
                    (f"before: the hub, tenants of {n_small} agents (measured size)", spread_before),
                    (f"now: the hub, tenants of {n_small} agents (measured size)", spread),
                )
            ],
        )
    )
    without, _ = agents_month(at, typical, hub_on_screen=0.0)
    without_spread, _ = agents_month(at, typical, tenant_size=n_small, hub_on_screen=0.0)
    print(
        f"   of which the dashboard's hub reloads: before {fmt_usd(total(before) - total(without))}, "
        f"now {fmt_usd(total(month) - total(without))} (one tenant); before "
        f"{fmt_usd(total(spread_before) - total(without_spread))}, now "
        f"{fmt_usd(total(spread) - total(without_spread))} (tenants of {n_small}); without any: "
        f"{fmt_usd(total(without))} and {fmt_usd(total(without_spread))}"
    )
    print("   by line, one tenant, before:")
    print(lines_table(before))
    print(f"   by line, one tenant, now (hub on screen {on:g} of the shift):")
    print(lines_table(month))
    min_month = Usage(ws_connection_minutes=counts["connection-minutes"], cognito_mau=typical.months_agents)
    floor = fmt_usd(total(min_month))
    print(f"   minimum (connection-minutes and Cognito only, no heartbeat or presence traffic): {floor}")
    print(f"   elsewhere: {typical.months_agents:,} concurrent connections: {pusher_for(typical.months_agents, 0)}")
    print()

    # 3. callbacks
    per_10k = small.callback * 1e4
    print(
        "== $ per 10,000 callbacks (widget request, one escalation run that marks it overdue and alerts, "
        "claim, complete over REST)"
    )
    print(
        table(
            USAGE_HEADERS, [usage_row(f"the hub, measured, {n} agents online", m.callback * 1e4) for n, m in at.items()]
        )
    )
    print(f"   by line, {n_small} agents online:")
    print(lines_table(per_10k))
    events = sum(small.callback.agent_events[e] for e in HUB_EVENTS)
    reload = hub_reload(at, n_small)
    print(
        f"   not in this figure: a callback posts {events:g} hub events to the agents' dashboards "
        f"({n_small} agents online), each dashboard reloading the hub at most once per event while its "
        f"figures are on screen: at most {fmt_usd(total(reload) * events * typical.hub_on_screen * 1e4)} per "
        f"10,000 callbacks now (hub on screen {typical.hub_on_screen:g}), "
        f"{fmt_usd(total(reload) * events * 1e4)} with the dashboard before"
    )
    print()

    # 4. queues
    moves = {w: measure_queue(n_small, w) for w in sorted({0, *(int(w) for w in args.queues.split(",") if w)})}
    queue_10k = {w: (u + moves[0] * -1) * 1e4 for w, u in moves.items() if w}
    print(
        f"== $ per 10,000 chats that leave a queue ({n_small} agents online, all full: an agent closes a chat, "
        "routing gives them the oldest waiting one and tells everyone still waiting their place; the same "
        "close with nobody waiting is subtracted)"
    )
    print(
        table(
            [*USAGE_HEADERS, "DDB calls by operation"],
            [
                [
                    *usage_row(f"one close, {w} waiting", u),
                    ", ".join(f"{op} {k:g}" for op, k in sorted(u.ddb_calls.items())),
                ]
                for w, u in moves.items()
            ]
            + [[*usage_row(f"10,000 chats leaving a queue of {w}", u), ""] for w, u in queue_10k.items()],
        )
    )
    print(
        "   a chat that waits is told its place at every move ahead of it: the posts and the reads of a move grow "
        f"with the queue (one Query per waiting customer, {READERS} in flight at once), not with the customers "
        "connected"
    )
    print()

    # fixed
    fixed = Usage()
    for fid, u in small.scheduled_idle.items():
        fixed = fixed + u * RUNS_PER_MONTH[fid]
    print(
        "== fixed per deployment per month: the scheduled functions with nothing to do "
        f"({', '.join(f'{f} {RUNS_PER_MONTH[f]:,}' for f in RUNS_PER_MONTH)} runs)"
    )
    print(
        table(
            USAGE_HEADERS,
            [usage_row(fid, u * RUNS_PER_MONTH[fid]) for fid, u in small.scheduled_idle.items()]
            + [usage_row("total", fixed)],
        )
    )
    print()
    elsewhere_msgs = pusher_for(0, per_day)
    otherwise = ", ".join(
        f"{fmt_usd(total(u))} if typed for {s:g} s" for s, u in typed_for.items() if s != typical.typing_s
    )
    elsewhere_agents = pusher_for(typical.months_agents, 0)
    return [
        Figure(
            "cost",
            f"$ per 1M customer messages ({n_small} agents online)",
            f"{fmt_usd(total(per_million))}: {msg_ratio:.1f}x the minimum {fmt_usd(total(minimum))} (each "
            f"message typed for {typical.typing_s:g} s; {otherwise}); same traffic elsewhere: {elsewhere_msgs}",
        ),
        Figure(
            "cost",
            f"$ per {typical.months_agents:,} agents online a month",
            f"{fmt_usd(total(month))} in one tenant, {fmt_usd(total(spread))} in tenants of {n_small} "
            f"(hub on screen {on:g} of the shift; the dashboard reloading all shift: {fmt_usd(total(before))} "
            f"and {fmt_usd(total(spread_before))}): minimum {floor}; elsewhere: {elsewhere_agents}",
        ),
        Figure("cost", f"$ per 10,000 callbacks ({n_small} agents online)", fmt_usd(total(per_10k))),
        Figure(
            "cost",
            f"$ per 10,000 chats that leave a queue ({n_small} agents online)",
            ", ".join(f"{fmt_usd(total(u))} in a queue of {w}" for w, u in queue_10k.items())
            + f" (over the close that freed the place, {fmt_usd(total(moves[0]) * 1e4)} per 10,000)",
        ),
        Figure("cost", "$ fixed per month (scheduled runs)", fmt_usd(total(fixed))),
    ]


def main() -> None:
    run(__import__("sys").argv[1:])


if __name__ == "__main__":
    main()
