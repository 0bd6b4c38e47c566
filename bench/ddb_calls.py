"""DynamoDB calls and PostToConnection calls per message send, with 10 and 1,000 other connections.

Drives the real `LiveLane` in-process on moto (`moto.mock_aws`): call counts do not
depend on the backend. Every AWS API call made through botocore — PynamoDB's client
and any boto3 client — is counted by wrapping `botocore.client.BaseClient._make_api_call`;
posts are counted by a `Sender` whose `_post_bytes` records instead of calling AWS.

Scenario: one customer and one agent in a conversation the agent owns, in a tenant that also has
N other open connections (agents and customers bound through `identify_and_bind`, about
half of the customers in conversations of their own, some agents joined to those). After
one warm-up send each, the customer and the agent each send several messages and every
send is counted on its own.

Target (issue): at most 3 DynamoDB calls plus one post per recipient connection per send,
the same with 10 and 1,000 other connections.

Then the "life of a message" section (`bench/message_life.py`): one customer message in a
one-to-one chat and everything around it — send, delivered, read, read implying delivered, a
no-op receipt, typing start/stop and repeated, a resend, heartbeats — in DynamoDB calls by
operation, invocations and frames, next to issue 12's targets. Before (2026-12-02, d57a4d7):
send + delivered + read 6 calls in 3 invocations (7 frames: 3 in, 4 out); a no-op receipt 2
(a write whose condition failed); a customer's read 3; typing start, repeated start, stop and
repeated stop 2 each (a write every time); a resend 2; an agent's heartbeat 2 (GetItem +
TransactWriteItems). Targets: send + read ≤ 4 calls in ≤ 2 invocations; no-op receipt and
unchanged typing 0 writes; a resend ≤ 2 calls; a heartbeat 1 call.

    python -m bench.ddb_calls [--sizes 10,1000] [--sends 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import botocore.client
from moto import mock_aws

from bench.report import Figure, table
from chalicelib.live.lane import LiveLane
from chalicelib.live.widgets import Widgets
from chalicelib.platform.clock import ManualClock
from chalicelib.platform.config import TABLE_ENV_VARS
from chalicelib.platform.sender import Sender
from chalicelib.store.tables import ensure_tables
from chalicelib.store.tenants import ensure_tenant
from local import inprocess

REGION = "us-east-1"
TENANT = "global"
WIDGET_KEY = "wk_global_bench"
PASSWORD = "Passw0rd!bench"
AGENT_SHARE = 0.3  # of the other connections, this share are agent connections
AGENT_USERS_MAX = 20  # other agent connections are spread over at most this many agent users
TARGET_DDB_CALLS = 3
OWNER_USERNAME, OWNER_NAME = "ana", "Ana"  # the agent of the measured chat (Cognito `name`: username.title())
UNANSWERED = {"typing", "delivered", "read"}  # the sender hears back only on an error (docs/protocol.md)

Call = tuple[str, str]  # (service, operation)


# ----------------------------------------------------------------------------- counting
class CallCounter:
    """Counts every botocore API call by (service, operation) while `active`."""

    def __init__(self) -> None:
        self.calls: Counter[Call] = Counter()
        self.items: Counter[Call] = Counter()  # items returned by Query/Scan/BatchGet
        self.active = False
        self._lock = threading.Lock()

    def record(self, service: str, operation: str, response: Any) -> None:
        if not self.active:
            return
        with self._lock:
            self.calls[(service, operation)] += 1
            if isinstance(response, dict) and "Count" in response:
                self.items[(service, operation)] += int(response["Count"])

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.items.clear()

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        self.reset()
        self.active = True
        try:
            yield
        finally:
            self.active = False


@contextlib.contextmanager
def count_aws_calls() -> Iterator[CallCounter]:
    """Wraps `BaseClient._make_api_call`, the one path every botocore client call takes
    (PynamoDB calls it directly; boto3's generated methods call it too)."""
    counter = CallCounter()
    original: Callable[..., Any] = botocore.client.BaseClient._make_api_call

    def counted(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        response: Any = None
        try:
            response = original(self, operation_name, api_params)
        finally:  # a call DynamoDB refused (a failed condition, a cancelled transaction) is a call
            counter.record(self.meta.service_model.service_name, operation_name, response)
        return response

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield counter
    finally:
        botocore.client.BaseClient._make_api_call = original


class CountingSender(Sender):
    """Counts posts per target connection instead of calling the management API."""

    def __init__(self) -> None:
        super().__init__("http://counting.invalid", REGION)
        self.posts: Counter[str] = Counter()  # connection id -> posts
        self.kinds: Counter[str] = Counter()  # event type -> posts to connections other than the actor
        self.last: dict[str, dict[str, Any]] = {}
        self.seen: dict[tuple[str, str], dict[str, Any]] = {}  # (connection, event type) -> last one; kept
        self._lock = threading.Lock()

    def _post_bytes(self, connection_id: str, data: bytes) -> bool:
        with self._lock:
            self.posts[connection_id] += 1
            event = json.loads(data)
            self.last[connection_id] = event
            self.seen[(connection_id, str(event.get("type")))] = event
            self.kinds[str(event.get("type"))] += 1
        return True

    def last_seen(self, connection_id: str, event_type: str) -> dict[str, Any]:
        return self.seen[(connection_id, event_type)]

    def reset(self) -> None:
        with self._lock:
            self.posts.clear()
            self.kinds.clear()
            self.last.clear()


# ----------------------------------------------------------------------------- harness
@contextlib.contextmanager
def aws_environment() -> Iterator[None]:
    """Fake credentials, table names and no endpoint override, restored afterwards."""
    saved = dict(os.environ)
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        os.environ.pop(var, None)
    os.environ.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        **{var: f"bench-{kind}" for kind, var in TABLE_ENV_VARS.items()},
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Powertools Metrics prints an EMF blob every 100 values of a metric; keep it off our output."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def agent_id_token(cognito: Any, pool_id: str, client_id: str, username: str, tenant: str, password: str) -> str:
    """A new agent of `tenant` in moto's user pool, signed in: their real RS256 ID token."""
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": "custom:tenant", "Value": tenant}, {"Name": "name", "Value": username.title()}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    out = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return str(out["AuthenticationResult"]["IdToken"])


@dataclass
class Hub:
    lane: LiveLane
    sender: CountingSender
    cognito: Any
    pool_id: str
    client_id: str
    widgets: Widgets
    clock: ManualClock
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls) -> Hub:
        ensure_tables()
        ensure_tenant(TENANT, "Global", WIDGET_KEY)
        clock = ManualClock(start=time.time())
        sender = CountingSender()
        # The whole hub as `chalicelib.wiring.build` wires it: the work lanes listen to the live lane.
        built = inprocess.build(sender, clock, "bench", signing_key="bench-signing-key-0123456789abcdef0123")
        h = built.hub
        return cls(h.live, sender, built.cognito, built.pool_id, built.client_id, h.widgets, clock)

    def agent_token(self, username: str) -> str:
        if username not in self._tokens:
            self._tokens[username] = agent_id_token(
                self.cognito, self.pool_id, self.client_id, username, TENANT, PASSWORD
            )
        return self._tokens[username]

    def connect_agent(self, username: str) -> str:
        cid = f"agent{next(self._ids)}="
        self.lane.identify_and_bind(cid, {"token": self.agent_token(username)})
        return cid

    def connect_customer(self) -> str:
        # Each customer comes from an address of its own, as on the web: the hub allows 30 widget
        # sessions a minute per tenant and address, and the bench's clock stands still.
        n = next(self._ids)
        session = self.widgets.open_session(WIDGET_KEY, None, "Kim", client=f"198.51.{n // 250 % 250}.{n % 250}")
        cid = f"cust{n}="
        self.lane.identify_and_bind(cid, {"session": session.token})
        return cid

    def act(self, connection_id: str, **action: Any) -> dict[str, Any]:
        """Runs one action; returns the last event the acting connection was sent (`{}` for a
        receipt or typing without a `request_id`: the hub answers those only with an error)."""
        self.sender.last.pop(connection_id, None)
        self.lane.handle(connection_id, json.dumps(action))
        reply = self.sender.last.get(connection_id)
        if reply is None and action.get("action") in UNANSWERED and "request_id" not in action:
            return {}
        if reply is None or reply.get("type") == "error":
            raise RuntimeError(f"{action.get('action')} failed: {reply}")
        return reply

    def start(self, customer: str) -> str:
        """A `new` conversation: agents cannot see or join it until its customer says something."""
        return str(self.act(customer, action="start")["conversation"]["id"])

    def open(self, customer: str, text: str = "hello") -> str:
        """A conversation its customer has written in (open: agents may join it now)."""
        conversation = self.start(customer)
        self.act(customer, action="send", conversation_id=conversation, client_id=f"first-{conversation}", text=text)
        return conversation


def owned_chat(hub: Hub) -> tuple[str, str, str]:
    """(customer, agent, conversation): a chat the agent owns, each side's first send made (the
    warm-up, not counted: the customer's opens the chat; an agent can join only an open one).

    The agent takes the chat it joined unless routing gave it to them already. Routing gives a
    new chat to an available agent under capacity, else queues it, and whom it reaches depended
    on a tie: with 1,000 connections all 20 agents are full, and every queued chat carries the
    same `queued_at` (the bench's clock stands still), so the agent coming online was given this
    chat in some runs and another queued one in others. Left unowned, each customer line after
    an agent's reply goes to every agent's lobby (301 posts), by design, and the "owned chat"
    rows measured that instead in some runs."""
    customer = hub.connect_customer()
    conversation = hub.open(customer)
    agent = hub.connect_agent(OWNER_USERNAME)
    joined = hub.act(agent, action="join", conversation_id=conversation)["conversation"]
    owner = joined.get("owner")
    if owner is None or owner.get("name") != OWNER_NAME:  # the bench's only agent of that name
        expect = owner.get("id") if owner else None
        hub.act(agent, action="take", conversation_id=conversation, expect_owner=expect, request_id="take")
    hub.act(agent, action="send", conversation_id=conversation, client_id="warm-a", text="hi")
    return customer, agent, conversation


def populate(hub: Hub, others: int) -> tuple[int, int, int, int]:
    """Binds `others` connections of the tenant, some of them subscribed to other conversations.

    Returns (agent connections, customer connections, conversations, subscribed agent connections).
    The order keeps setup short on moto, whose TransactWriteItems deep-copies every table:
    the customers who start a conversation connect first, while the tables are small; most
    agent connections subscribe through `sync` (no transaction), a few through `join`.
    """
    n_agents = max(1, round(others * AGENT_SHARE))
    n_customers = others - n_agents
    n_starters = (n_customers + 3) // 4  # a quarter of the customers are in a conversation of their own
    conversations = [hub.open(hub.connect_customer()) for _ in range(n_starters)]
    for _ in range(n_customers - n_starters):
        hub.connect_customer()
    users = [f"agent{i:02d}" for i in range(min(AGENT_USERS_MAX, n_agents))]
    agents = [hub.connect_agent(users[i % len(users)]) for i in range(n_agents)]
    subscribed = agents[::3] if conversations else []  # a third of the agent connections watch one
    for i, agent in enumerate(subscribed):
        action = "join" if i < len(users) else "sync"  # each agent user joins one; other tabs sync
        extra = {"since": 0} if action == "sync" else {}
        hub.act(agent, action=action, conversation_id=conversations[i % len(conversations)], **extra)
    return n_agents, n_customers, len(conversations), len(subscribed)


# ----------------------------------------------------------------------------- measuring
@dataclass(frozen=True)
class SendCount:
    scenario: str
    others: int
    ddb: dict[str, int]  # operation -> calls
    items: dict[str, int]  # operation -> items returned (Query)
    other_aws: dict[str, int]  # "service:operation" -> calls, anything but DynamoDB
    posts_to_sender: int
    posts_to_others: int
    recipients: int
    by_type: dict[str, int]  # event type -> posts, the actor's own included

    @property
    def ddb_total(self) -> int:
        return sum(self.ddb.values())


def measure_send(hub: Hub, counter: CallCounter, scenario: str, others: int, conn: str, **action: Any) -> SendCount:
    hub.sender.reset()
    with counter.counting():
        hub.act(conn, action="send", **action)
    ddb = {op: n for (svc, op), n in sorted(counter.calls.items()) if svc == "dynamodb"}
    items = {op: n for (svc, op), n in sorted(counter.items.items()) if svc == "dynamodb"}
    other = {f"{svc}:{op}": n for (svc, op), n in sorted(counter.calls.items()) if svc != "dynamodb"}
    to_sender = hub.sender.posts.get(conn, 0)
    to_others = sum(n for c, n in hub.sender.posts.items() if c != conn)
    recipients = sum(1 for c in hub.sender.posts if c != conn)
    by_type = dict(sorted(hub.sender.kinds.items()))
    return SendCount(scenario, others, ddb, items, other, to_sender, to_others, recipients, by_type)


def run_size(others: int, sends: int) -> tuple[list[SendCount], str]:
    with aws_environment(), mock_aws(), count_aws_calls() as counter, quiet_stdout():
        hub = Hub.create()
        t0 = time.perf_counter()
        n_agents, n_customers, n_convs, n_joins = populate(hub, others)
        setup = time.perf_counter() - t0
        customer, agent, conversation = owned_chat(hub)
        results: list[SendCount] = []
        sides = (("customer send", customer, "question"), ("agent send", agent, "answer"))
        for i in range(sends):
            for scenario, conn, text in sides:
                action = {"conversation_id": conversation, "client_id": f"{text}-{i}", "text": f"{text} {i}"}
                results.append(measure_send(hub, counter, scenario, others, conn, **action))
        # For contrast: a customer writing in a conversation no agent has joined yet, which
        # also updates every agent's lobby (a by_tenant_role query and a post per agent connection).
        lone = hub.connect_customer()
        lone_conv = hub.start(lone)
        hub.act(lone, action="send", conversation_id=lone_conv, client_id="warm", text="anyone?")
        for i in range(sends):
            action = {"conversation_id": lone_conv, "client_id": f"lone-{i}", "text": f"hello? {i}"}
            results.append(measure_send(hub, counter, "customer send, no agent joined", others, lone, **action))
    note = (
        f"{others} other connections: {n_agents} agent (over {min(AGENT_USERS_MAX, n_agents)} agents), "
        f"{n_customers} customer, {n_convs} other conversations, {n_joins} agent connections subscribed to them; "
        f"set up in {setup:.1f} s"
    )
    return results, note


def _fmt_ops(ops: dict[str, int]) -> str:
    return ", ".join(f"{op} {n}" for op, n in ops.items()) or "-"


def summarize(results: list[SendCount]) -> list[list[object]]:
    """One row per (scenario, size); a scenario whose sends differ shows each distinct count."""
    rows: list[list[object]] = []
    keyed: dict[tuple[str, int], list[SendCount]] = {}
    for r in results:
        keyed.setdefault((r.scenario, r.others), []).append(r)
    for (scenario, others), group in keyed.items():
        distinct = {
            (_fmt_ops(r.ddb), _fmt_ops(r.other_aws), r.posts_to_sender, r.posts_to_others, _fmt_ops(r.by_type))
            for r in group
        }
        for ddb, other, to_sender, to_others, by_type in sorted(distinct):
            same = [r for r in group if _fmt_ops(r.ddb) == ddb and _fmt_ops(r.by_type) == by_type]
            sample = same[0]
            rows.append(
                [
                    scenario,
                    others,
                    len(same),
                    sample.ddb_total,
                    ddb,
                    _fmt_ops(sample.items),
                    to_sender,
                    to_others,
                    by_type,
                    other,
                ]
            )
    return rows


def figures(results: list[SendCount], sizes: Sequence[int]) -> list[Figure]:
    out: list[Figure] = []
    for scenario in ("customer send", "agent send", "customer send, no agent joined"):
        per_size = {n: [r for r in results if r.scenario == scenario and r.others == n] for n in sizes}
        calls = {n: max(r.ddb_total for r in rs) for n, rs in per_size.items() if rs}
        posts = {n: max(r.posts_to_sender + r.posts_to_others for r in rs) for n, rs in per_size.items() if rs}
        recipients = {n: max(r.recipients + 1 for r in rs) for n, rs in per_size.items() if rs}  # +1: own ack
        flat = len(set(calls.values())) == 1
        lobby = scenario.endswith("no agent joined")
        value = " / ".join(f"{calls[n]} ddb + {posts[n]} posts ({n} others)" for n in calls)
        met = flat and all(c <= TARGET_DDB_CALLS for c in calls.values())
        if lobby:  # every agent connection of the tenant is a recipient here, by design
            out.append(Figure("ddb_calls", scenario, value, f"<= {TARGET_DDB_CALLS} ddb, flat", met))
            continue
        met = met and all(posts[n] == recipients[n] for n in calls) and len(set(posts.values())) == 1
        out.append(Figure("ddb_calls", scenario, value, f"<= {TARGET_DDB_CALLS} ddb + 1 post/recipient, flat", met))
    return out


def run(argv: Sequence[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m bench.ddb_calls", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,1000", help="other open connections in the tenant (comma list)")
    parser.add_argument("--sends", type=int, default=5, help="counted sends per side after the warm-up")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]

    print("== bench.ddb_calls: AWS calls per message send (LiveLane on moto, in-process)")
    results: list[SendCount] = []
    for size in sizes:
        got, note = run_size(size, args.sends)
        print(f"   {note}")
        results += got
    print()
    print(
        table(
            [
                "scenario",
                "others",
                "sends",
                "ddb calls",
                "DynamoDB by operation",
                "items read",
                "posts to sender",
                "posts to others",
                "posts by event",
                "other AWS",
            ],
            summarize(results),
        )
    )
    print()
    print("   items read = items the Query calls returned; posts to sender = the `ack`; posts to others = one")
    print("   `message` per recipient connection, plus, while no agent has joined, a `conversation` lobby update")
    print("   to every agent connection of the tenant. other AWS = calls to any other AWS API (none expected).")
    found = figures(results, sizes)
    for f in found:
        print(f"   {f.name}: {f.value} [{f.target}: {f.verdict or 'n/a'}]")
    print()
    from bench import message_life  # it builds on this module's harness

    return found + message_life.run([])


def main() -> None:
    run(sys.argv[1:])


if __name__ == "__main__":
    main()
