"""End-to-end delivery latency over real WebSockets on the local stack.

Starts `python -m local.run --port 0` in a subprocess (its own moto, port and data dir),
opens one customer socket per conversation (`POST /widget/session`, then `start`) and a
few agent sockets (real Cognito ID tokens from moto, `USER_PASSWORD_AUTH`) that `join`
the conversations between them (the dashboard joins a chat its agent takes; nothing joins
during the load). Then every customer sends one message a second, spread evenly over the
second, for `--seconds`; the latency of a message is the time from the customer's `send`
to the agent socket receiving the `message` event with that client_id. Messages not
delivered within `--drain` seconds after the last send are lost.

With receipts on (the default) both sockets behave like the shipped clients
(`frontend/src/shared/chat.ts`): the customer sends `typing` start shortly before each
message, the start that opens a spell (`first: true`: told, not stored), and then the `send`,
which is the stop (docs/protocol.md, "Typing": no `stop` frame);
the agent socket answers every message with the receipts in `CLIENT_RECEIPTS` (`receipts()`:
`delivered` up to it, then `read` when the thread is the one on screen — one open thread per
agent socket), at once or coalesced as chat.ts does with `--receipt-interval` seconds
(`receipt_delay`: a `read` at once but at most one an interval, a `delivered` an interval after
the message; one timer per conversation, so receipts are spread as the messages are; until
2026-12-03 the bench flushed every socket's receipts together each second, a burst chat.ts never
makes), or `--receipt-kinds read` for a client that sends only a cumulative `read`. The
agents do not reply here, so the agent side sends receipts but no typing. `--receipts off` is
the old run: sends only. With receipts on there is one agent socket per 3 conversations
(`CHATS_PER_AGENT`), so that no socket goes over the hub's 5 actions a second per connection.

Setup: each customer writes a first message before an agent joins (a conversation is invisible
to agents until then); widget sessions are limited to 30 a minute per client address, so each
customer opens theirs from a loopback address of its own, as customers come from many.

The load is stepped through `--rates` (msg/s, one fresh stack each) and stops at the first rate
that falls behind: the sustained capacity is the highest rate whose deliveries keep up
(delivered while sending >= 95 % of the rate). The default steps go past 55 msg/s (to 100) so
that a fast machine prints its capacity rather than ">= 55".

Targets (issue): p99 under 100 ms at 25 msg/s with receipts and typing on; capacity no lower
than 47 msg/s; no message lost below capacity.

    python -m bench.latency [--seconds 30] [--rates 25,35,45,55,70,85,100] [--receipts on|off]
                            [--receipt-kinds delivered,read] [--receipt-interval 0] [--agents N]
                            [--attach READY_FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import boto3

from bench.report import Figure, table

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 100.0
TARGET_P99_RATE = 25  # msg/s at which the p99 target applies
TARGET_CAPACITY = 47.0  # msg/s (measured without receipts before receipts were on)
DEFAULT_RATES = "25,35,45,55,70,85,100"  # msg/s; a run stops at the first rate that falls behind
FOLLOWS = 0.95  # a rate is sustained when deliveries while sending keep up with this share of it
# ... and when no second of the run built a backlog: the median delivery of the messages sent in
# any one second stays under this. Throughput alone passed a run whose per-second median climbed
# from 158 ms to 1.9 s and drained only after the load stopped (24.7 of 25/s delivered while sending).
BACKLOG_LIMIT_MS = 1000.0
CHATS_PER_AGENT = 3  # with receipts on: an agent socket's receipts stay under 5 actions a second
TYPING_LEAD_S = 0.4  # the customer's `typing` start goes out this long before the send
# What a client sends for messages received (frontend/src/shared/chat.ts `receipts()`): `read`
# alone for the thread on screen (read implies delivered), one cumulative `delivered` for the
# others; at most one receipt per conversation per RECEIPT_INTERVAL_MS (1 s).
# tests/unit/test_cost_model.py compares this with chat.ts.
CLIENT_RECEIPTS: tuple[str, ...] = ("delivered", "read")
RECEIPT_INTERVAL_S = 1.0
READY_TIMEOUT = 120.0
MAX_DRAIN = 30.0  # seconds after the last send after which undelivered messages count as lost
DUMMY_KEY = "local"


# ----------------------------------------------------------------------------- the local stack
@dataclass(frozen=True)
class Stack:
    """What the ready file tells us (camelCase as local.run writes it; snake_case accepted)."""

    info: dict[str, Any]
    data_dir: Path | None = None  # set when this benchmark started the stack (its log is there)
    pid: int | None = None  # the stack's `local.run` process, when this benchmark started it

    def get(self, snake: str) -> str:
        camel = "".join(part.title() if i else part for i, part in enumerate(snake.split("_")))
        for key in (snake, camel):
            if key in self.info:
                return str(self.info[key])
        raise KeyError(f"ready file has neither {snake!r} nor {camel!r}: {sorted(self.info)}")

    @property
    def api_url(self) -> str:
        return self.get("api_url").rstrip("/")

    @property
    def ws_url(self) -> str:
        return self.get("ws_url")

    @property
    def moto_url(self) -> str:
        return self.get("moto_url")

    @property
    def region(self) -> str:
        return str(self.info.get("region", "us-east-1"))

    def agent_usernames(self) -> list[str]:
        agents = self.info.get("agents")
        if isinstance(agents, list) and agents:
            return [str(a["username"]) for a in agents]
        names = [self.get("agent_username")]
        if "agent2Username" in self.info or "agent2_username" in self.info:
            names.append(self.get("agent2_username"))
        return names


@contextlib.contextmanager
def local_stack(attach: Path | None, extra_args: Sequence[str] = ()) -> Iterator[Stack]:
    """Attaches to a running stack's ready file, or starts one in a new temporary data dir
    (left in place: the caller removes it, or keeps it to read `hub.log`)."""
    if attach is not None:
        yield Stack(json.loads(attach.read_text(encoding="utf-8")))
        return
    data_dir = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    ready = data_dir / "ready.json"
    log_path = data_dir / "hub.log"
    args = [
        sys.executable,
        "-m",
        "local.run",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--ready-file",
        str(ready),
        "--exit-with-parent",
        *extra_args,
    ]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.setdefault("HUB_LOCAL_LOG_LEVEL", "WARNING")
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            t0 = time.monotonic()
            while not ready.exists():
                if proc.poll() is not None:
                    raise RuntimeError(f"local stack exited with {proc.returncode}:\n{_tail(log_path)}")
                if time.monotonic() - t0 > READY_TIMEOUT:
                    raise RuntimeError(f"local stack not ready after {READY_TIMEOUT:.0f} s:\n{_tail(log_path)}")
                time.sleep(0.05)
            print(f"   local stack ready in {time.monotonic() - t0:.1f} s (pid {proc.pid})")
            yield Stack(json.loads(ready.read_text(encoding="utf-8")), data_dir, proc.pid)
        except BaseException:
            print(f"   the run failed; the stack's log is kept: {log_path}")
            raise
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-chars:] if path.exists() else ""


def _role(cmdline: list[str]) -> str:
    """The part of the local stack a process is: moto, one Lambda function's worker, or the
    gateway (`local.run`: the WebSocket and REST gateways, the streams and the scheduler)."""
    if "local.moto_server" in cmdline:
        return "moto"
    if "local.worker" in cmdline:
        handler = cmdline[cmdline.index("--handler") + 1] if "--handler" in cmdline else ""
        return handler.removeprefix("app.") if handler and not handler.startswith("--") else "api"
    return "gateway"


def stack_cpu_s(root: int) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the stack's processes, by role: `root` and
    every process below it, read from /proc (Linux; empty elsewhere). CPU per message is a
    figure a busy, shared machine disturbs much less than a latency percentile."""
    proc = Path("/proc")
    if not proc.is_dir():
        return {}
    parent: dict[int, int] = {}
    ticks: dict[int, float] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parent[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = float(fields[11]) + float(fields[12])  # utime, stime
    hz = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for pid, used in ticks.items():
        up = pid
        while up not in (root, 0, 1) and up in parent:
            up = parent[up]
        if up != root:
            continue
        try:
            cmdline = (proc / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        role = _role(cmdline)
        out[role] = out.get(role, 0.0) + used / hz
    return out


def agent_token(stack: Stack, username: str) -> str:
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=stack.moto_url,
        region_name=stack.region,
        aws_access_key_id=DUMMY_KEY,
        aws_secret_access_key=DUMMY_KEY,
    )
    out = idp.initiate_auth(
        ClientId=stack.get("client_id"),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": stack.get("agent_password")},
    )
    return str(out["AuthenticationResult"]["IdToken"])


# ----------------------------------------------------------------------------- the run
@dataclass
class Tally:
    sent_at: dict[str, float] = field(default_factory=dict)  # client_id -> perf_counter at send
    delivered_ms: dict[str, float] = field(default_factory=dict)  # client_id -> send→agent latency
    acked_ms: dict[str, float] = field(default_factory=dict)  # client_id -> send→ack latency
    errors: list[dict[str, Any]] = field(default_factory=list)
    gateway_errors: list[dict[str, Any]] = field(default_factory=list)  # API Gateway frames, e.g. timeouts
    duplicates: int = 0
    late_sends: int = 0  # sends that left more than 10 ms after their slot (client overload)
    frames_in: int = 0  # every frame the clients sent during the load (sends, typing, receipts)
    receipts: int = 0


@dataclass(frozen=True)
class Behaviour:
    """How the bench's clients behave (see the module doc)."""

    receipts: tuple[str, ...] = CLIENT_RECEIPTS
    typing: bool = True
    receipt_interval: float = RECEIPT_INTERVAL_S  # one cumulative receipt per conversation a second, as chat.ts

    @property
    def label(self) -> str:
        if not self.receipts and not self.typing:
            return "receipts and typing off (sends only)"
        when = f"coalesced every {self.receipt_interval:g} s" if self.receipt_interval else "per message"
        return f"typing start (the send stops it) + {'+'.join(self.receipts) or 'no receipts'} {when}"


OFF = Behaviour(receipts=(), typing=False)


async def request_reply(ws: aiohttp.ClientWebSocketResponse, action: dict[str, Any], timeout: float = 30) -> Any:
    """Sends an action and waits for the event echoing its request_id (other events are skipped)."""
    await ws.send_str(json.dumps(action))
    async with asyncio.timeout(timeout):
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"socket ended while waiting for {action['action']}: {msg.type}")
            event = json.loads(msg.data)
            if event.get("request_id") == action["request_id"]:
                if event.get("type") == "error":
                    raise RuntimeError(f"{action['action']} failed: {event}")
                return event
    raise RuntimeError(f"socket closed while waiting for {action['action']}")


@dataclass
class AgentSocket:
    """An agent's socket, the thread it holds open, and the receipts it still owes (coalescing)."""

    ws: aiohttp.ClientWebSocketResponse
    open_thread: str | None = None
    owed: dict[str, int] = field(default_factory=dict)  # conversation -> highest seq not yet receipted
    read_at: dict[str, float] = field(default_factory=dict)  # conversation -> when its last `read` left
    pending: set[str] = field(default_factory=set)  # conversations with a receipt timer armed
    timers: set[asyncio.Task[None]] = field(default_factory=set)


async def send_receipts(agent: AgentSocket, behaviour: Behaviour, tally: Tally, conversation: str, seq: int) -> None:
    for kind in behaviour.receipts:
        if kind == "read" and conversation != agent.open_thread:
            continue  # `read` only for the thread on screen
        if kind == "delivered" and conversation == agent.open_thread and "read" in behaviour.receipts:
            continue  # on screen `read` alone: it implies delivered
        tally.receipts += 1
        tally.frames_in += 1
        await agent.ws.send_str(json.dumps({"action": kind, "conversation_id": conversation, "seq": seq}))


def receipt_delay(agent: AgentSocket, behaviour: Behaviour, conversation: str, now: float) -> float:
    """When chat.ts sends this conversation's receipt, in seconds from now (`receipts`,
    `markRead`, `receiptLater`): on screen a `read` at once, but at most one an interval;
    otherwise one cumulative `delivered` an interval after the message that owes it. Each
    conversation has its own timer, armed by its own messages: the agents' receipts are spread
    as the messages are, never flushed together."""
    if conversation == agent.open_thread and "read" in behaviour.receipts:
        return max(0.0, agent.read_at.get(conversation, -math.inf) + behaviour.receipt_interval - now)
    return behaviour.receipt_interval


async def owe_receipt(agent: AgentSocket, behaviour: Behaviour, tally: Tally, conversation: str, seq: int) -> None:
    agent.owed[conversation] = max(seq, agent.owed.get(conversation, 0))
    if conversation in agent.pending:
        return  # one pending receipt per conversation: it will carry this seq too
    delay = receipt_delay(agent, behaviour, conversation, time.perf_counter())
    if delay <= 0:
        await pay_receipt(agent, behaviour, tally, conversation)
        return
    agent.pending.add(conversation)

    async def later() -> None:
        await asyncio.sleep(delay)
        agent.pending.discard(conversation)
        await pay_receipt(agent, behaviour, tally, conversation)

    task = asyncio.create_task(later())
    agent.timers.add(task)
    task.add_done_callback(agent.timers.discard)


async def pay_receipt(agent: AgentSocket, behaviour: Behaviour, tally: Tally, conversation: str) -> None:
    seq = agent.owed.pop(conversation, None)
    if seq is None or agent.ws.closed:
        return
    if conversation == agent.open_thread:
        agent.read_at[conversation] = time.perf_counter()
    await send_receipts(agent, behaviour, tally, conversation, seq)


async def read_agent(agent: AgentSocket, tally: Tally, behaviour: Behaviour = OFF) -> None:
    async for msg in agent.ws:
        now = time.perf_counter()
        if msg.type != aiohttp.WSMsgType.TEXT:
            break
        event = json.loads(msg.data)
        if "type" not in event:
            tally.gateway_errors.append(event)
        elif event.get("type") == "message":
            cid = event.get("client_id")
            if cid in tally.sent_at:
                if cid in tally.delivered_ms:
                    tally.duplicates += 1
                else:
                    tally.delivered_ms[cid] = (now - tally.sent_at[cid]) * 1000
                if behaviour.receipts:
                    conversation, seq = str(event["conversation_id"]), int(event["seq"])
                    if behaviour.receipt_interval:
                        await owe_receipt(agent, behaviour, tally, conversation, seq)
                    else:
                        await send_receipts(agent, behaviour, tally, conversation, seq)
        elif event.get("type") == "error":
            tally.errors.append(event)


async def widget_session(http: aiohttp.ClientSession, stack: Stack, i: int) -> Any:
    """`POST /widget/session`, from a loopback address of the customer's own (127.0.N.M): widget
    sessions are limited per client address (30 a minute), and customers come from many. Past
    the limit (a reused address) this waits and retries; setup only, the load starts once every
    conversation is open."""
    body = {"widget_key": stack.get("widget_key"), "name": f"Bench {i}"}
    address = f"127.0.{i // 250 + 10}.{i % 250 + 1}"
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(connector=connector, timeout=http.timeout) as own:
        for _ in range(20):
            async with own.post(f"{stack.api_url}/widget/session", json=body) as resp:
                if resp.status != 429:
                    resp.raise_for_status()
                    return await resp.json()
                wait = float(resp.headers.get("Retry-After") or 0) or 5.0
            await asyncio.sleep(min(wait, 15.0))
    raise RuntimeError("widget sessions still limited after 20 tries")


async def read_customer(ws: aiohttp.ClientWebSocketResponse, tally: Tally) -> None:
    async for msg in ws:
        now = time.perf_counter()
        if msg.type != aiohttp.WSMsgType.TEXT:
            break
        event = json.loads(msg.data)
        if "type" not in event:
            tally.gateway_errors.append(event)
        elif event.get("type") == "ack" and event.get("client_id") in tally.sent_at:
            tally.acked_ms.setdefault(event["client_id"], (now - tally.sent_at[event["client_id"]]) * 1000)
        elif event.get("type") == "error":
            tally.errors.append(event)


async def customer_loop(
    ws: aiohttp.ClientWebSocketResponse,
    index: int,
    conversation: str,
    n: int,
    t0: float,
    period: float,
    tally: Tally,
    behaviour: Behaviour = OFF,
) -> None:
    typing = {"action": "typing", "conversation_id": conversation}
    for k in range(n):
        slot = t0 + k + index * period
        if behaviour.typing:
            delay = slot - TYPING_LEAD_S - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tally.frames_in += 1
            await ws.send_str(json.dumps({**typing, "state": "start", "first": True}))
        delay = slot - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.010:
            tally.late_sends += 1
        client_id = f"b{index}-{k}"
        tally.sent_at[client_id] = time.perf_counter()
        tally.frames_in += 1
        await ws.send_str(
            json.dumps(
                {"action": "send", "conversation_id": conversation, "client_id": client_id, "text": f"message {k}"}
            )
        )


@dataclass(frozen=True)
class Outcome:
    sent: int
    delivered: list[float]
    acked: list[float]
    errors: list[dict[str, Any]]
    gateway_errors: list[dict[str, Any]]
    delivered_in_window: int  # delivered before the last send left: sustained throughput
    worst_second_ms: float  # the highest median delivery among the seconds of sending (a backlog)
    duplicates: int
    late_sends: int
    setup_s: float
    frames_in: int = 0
    receipts: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)  # the stack's CPU while sending and draining, by role
    # This benchmark's own CPU over the same window: its clients share the stack's cores here,
    # where on AWS they would be the users' machines.
    clients_cpu_s: float = 0.0
    speed_samples: list[float] = field(default_factory=list)  # `reference_round()` ms, once a second

    def cpu_ms_per_message(self) -> dict[str, float]:
        """The stack's CPU ms per message sent, by role (the roles that used at least 0.1 ms)."""
        per = {role: 1000 * s / max(1, self.sent) for role, s in self.cpu_s.items()}
        return {role: ms for role, ms in sorted(per.items(), key=lambda kv: -kv[1]) if ms >= 0.1}

    @property
    def lost(self) -> int:
        return self.sent - len(self.delivered)


def client_session(timeout: aiohttp.ClientTimeout) -> aiohttp.ClientSession:
    """The bench's one client session for every socket it holds open. aiohttp caps a session at
    100 connections by default, and a WebSocket holds its connection for its whole life: at 75
    msg/s and up (one customer per conversation, plus the agents) the 101st `ws_connect` waited
    for a free one until its timeout, and the run died in setup. No cap here."""
    return aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0))


async def exercise(
    stack: Stack, conversations: int, agents: int, seconds: int, drain: float, behaviour: Behaviour = OFF
) -> Outcome:
    cpu_before: dict[str, float] = {}
    tally = Tally()
    timeout = aiohttp.ClientTimeout(total=60)
    t_setup = time.perf_counter()
    async with client_session(timeout) as http:
        usernames = stack.agent_usernames()
        tokens = [agent_token(stack, usernames[i % len(usernames)]) for i in range(agents)]
        agent_ws = [await http.ws_connect(f"{stack.ws_url}?token={t}", heartbeat=None) for t in tokens]
        customer_ws: list[aiohttp.ClientWebSocketResponse] = []
        conversation_ids: list[str] = []
        for i in range(conversations):
            session = await widget_session(http, stack, i)
            ws = await http.ws_connect(f"{stack.ws_url}?session={session['token']}", heartbeat=None)
            reply = await request_reply(ws, {"action": "start", "request_id": f"start-{i}"})
            conversation = str(reply["conversation"]["id"])
            # A conversation is invisible to agents until its customer writes; the agent takes it then.
            first = {"action": "send", "conversation_id": conversation, "client_id": f"first-{i}", "text": "hello"}
            await request_reply(ws, {**first, "request_id": f"first-{i}"})
            customer_ws.append(ws)
            conversation_ids.append(conversation)
        for i, conversation in enumerate(conversation_ids):
            ws = agent_ws[i % len(agent_ws)]
            await request_reply(ws, {"action": "join", "conversation_id": conversation, "request_id": f"join-{i}"})
        setup = time.perf_counter() - t_setup

        # Each agent socket holds open the first conversation it joined (the dashboard shows one thread).
        sockets = [
            AgentSocket(ws, conversation_ids[i] if i < len(conversation_ids) else None) for i, ws in enumerate(agent_ws)
        ]
        readers = [asyncio.create_task(read_agent(a, tally, behaviour)) for a in sockets]
        readers += [asyncio.create_task(read_customer(ws, tally)) for ws in customer_ws]
        await asyncio.sleep(0.5)  # let the join fan-out (system messages, lobby updates) settle
        t0 = time.perf_counter() + 0.1 + (TYPING_LEAD_S if behaviour.typing else 0.0)
        period = 1.0 / conversations
        if stack.pid is not None:
            cpu_before = stack_cpu_s(stack.pid)
        clients_before = time.process_time()
        sampler = SpeedSampler().start()
        await asyncio.gather(
            *(
                customer_loop(ws, i, conversation_ids[i], seconds, t0, period, tally, behaviour)
                for i, ws in enumerate(customer_ws)
            )
        )
        sent_end = time.perf_counter()
        delivered_in_window = sum(1 for c, ms in tally.delivered_ms.items() if tally.sent_at[c] + ms / 1000 <= sent_end)
        # Wait for stragglers while they keep coming (a backlog drains), at most `drain` s after the last one.
        last_progress, seen = time.perf_counter(), len(tally.delivered_ms)
        while len(tally.delivered_ms) < len(tally.sent_at) and time.perf_counter() - last_progress < drain:
            await asyncio.sleep(0.05)
            if len(tally.delivered_ms) > seen:
                last_progress, seen = time.perf_counter(), len(tally.delivered_ms)
            if time.perf_counter() - sent_end > MAX_DRAIN:
                break
        cpu_after = stack_cpu_s(stack.pid) if stack.pid is not None else {}
        speed_samples = sampler.stop()
        clients_cpu = time.process_time() - clients_before - sum(speed_samples) / 1000  # not the sampler's
        timers = [t for a in sockets for t in a.timers]
        for task in timers:  # receipts still owed: the run is over
            task.cancel()
        await asyncio.gather(*timers, return_exceptions=True)
        for ws in [*customer_ws, *agent_ws]:
            await ws.close()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return Outcome(
        sent=len(tally.sent_at),
        delivered=list(tally.delivered_ms.values()),
        acked=list(tally.acked_ms.values()),
        errors=tally.errors,
        gateway_errors=tally.gateway_errors,
        delivered_in_window=delivered_in_window,
        worst_second_ms=worst_second_median(tally.sent_at, tally.delivered_ms),
        duplicates=tally.duplicates,
        late_sends=tally.late_sends,
        setup_s=setup,
        frames_in=tally.frames_in,
        receipts=tally.receipts,
        cpu_s={role: cpu_after[role] - cpu_before.get(role, 0.0) for role in cpu_after},
        clients_cpu_s=clients_cpu,
        speed_samples=speed_samples,
    )


def worst_second_median(sent_at: dict[str, float], delivered_ms: dict[str, float]) -> float:
    """The highest per-second median delivery time, the messages grouped by the second of the
    run they were sent in; an undelivered message counts as infinitely late. 0 for no messages."""
    if not sent_at:
        return 0.0
    start = min(sent_at.values())
    seconds: dict[int, list[float]] = {}
    for cid, at in sent_at.items():
        seconds.setdefault(int(at - start), []).append(delivered_ms.get(cid, float("inf")))
    return max(statistics.median(v) for v in seconds.values())


# The machine's speed. This VM's CPU time for the same work moves by up to ~1.8x from one
# minute to the next (the same commit's CPU per message moved 56-80 ms within an hour), so each
# run measures how fast the machine was while it ran: a fixed workload (`reference_round`), timed
# in thread CPU time, at its best before the run and once a second during it.
_REFERENCE_ITEM = {
    "pk": {"S": "T#acme#C#0123456789abcdef"},
    "sk": {"S": "M#000000000042"},
    "text": {"S": "Hello, my parcel has not arrived yet " * 3},
    "seq": {"N": "42"},
    "params": {"M": {f"k{i}": {"S": f"v{i}"} for i in range(8)}},
}
REFERENCE_ITERATIONS = 400  # ~14 ms of CPU on this machine at its best: ~1.4 % of a core once a second
FASTEST_REFERENCE_MS = 13.5  # the fastest reference round seen on the VM of docs/benchmarks.md (2026-12-03)


def reference_round(iterations: int = REFERENCE_ITERATIONS) -> float:
    """This thread's CPU ms for a fixed piece of interpreter work of the kind the stack does on
    each call (building, encoding and parsing the JSON of a DynamoDB-shaped item)."""
    t0 = time.thread_time()
    for i in range(iterations):
        item = json.loads(json.dumps({**_REFERENCE_ITEM, "n": {"N": str(i)}}))
        "|".join(sorted(item)).encode().hex()
    return 1000 * (time.thread_time() - t0)


def best_reference_ms(rounds: int = 15) -> float:
    """The machine at its best right now: the fastest of `rounds` reference rounds."""
    return min(reference_round() for _ in range(rounds))


class SpeedSampler:
    """One reference round a second in a thread, from `start()` to `stop()`."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="speed-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(reference_round())

    def start(self) -> SpeedSampler:
        self._thread.start()
        return self

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join()
        return self.samples


@dataclass(frozen=True)
class MachineSpeed:
    """How fast the machine ran during a run, against its best just before it."""

    best_ms: float
    during_ms: float  # the median reference round while the load ran

    @property
    def factor(self) -> float:
        """1.0 when the machine ran the load at its best; 0.6 when the same work took 1/0.6 as long."""
        return self.best_ms / self.during_ms if self.during_ms > 0 else float("nan")

    @staticmethod
    def of(best_ms: float, samples: Sequence[float]) -> MachineSpeed:
        return MachineSpeed(best_ms, statistics.median(samples) if samples else float("nan"))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n*q/100), at least 1
    return ordered[int(rank) - 1]


@dataclass(frozen=True)
class Probe:
    """What the calls of one send cost on the stack right now, one at a time (medians, ms)."""

    get_item_ms: float
    query_ms: float
    transact_ms: float
    post_ms: float
    items: int

    @property
    def send_floor_ms(self) -> float:
        """A send's calls in sequence: GetItem, Query, TransactWriteItems, two posts."""
        return self.get_item_ms + self.query_ms + self.transact_ms + 2 * self.post_ms


def _dummy_key(ddb: Any, table_name: str, marker: str) -> dict[str, Any]:
    desc = ddb.describe_table(TableName=table_name)["Table"]
    types = {a["AttributeName"]: a["AttributeType"] for a in desc["AttributeDefinitions"]}
    key: dict[str, Any] = {}
    for k in desc["KeySchema"]:
        kind = types[k["AttributeName"]]
        key[k["AttributeName"]] = {kind: "0" if kind == "N" else marker}
    return key


def probe_stack(stack: Stack, samples: int = 20) -> Probe:
    """Times, on the stack's moto and gateway, the calls a send makes, without changing anything:
    a GetItem of a missing connection, a Query of a missing conversation, a TransactWriteItems
    shaped like a send's (two conversation-table items and one message-table item) made of
    ConditionChecks on missing keys, so it is cancelled, and a PostToConnection to a missing
    connection (410)."""
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=stack.moto_url,
        region_name=stack.region,
        aws_access_key_id=DUMMY_KEY,
        aws_secret_access_key=DUMMY_KEY,
    )
    names: list[str] = ddb.list_tables()["TableNames"]

    def named(suffix: str) -> str:
        return next(n for n in names if n.endswith(suffix))

    connections, conversations, messages = named("connections"), named("conversations"), named("messages")
    items = sum(int(ddb.describe_table(TableName=n)["Table"].get("ItemCount", 0)) for n in names)
    missing = "bench-probe-missing"
    conn_key = _dummy_key(ddb, connections, missing)
    checks = []
    for i, name in enumerate([conversations, conversations, messages]):
        key = _dummy_key(ddb, name, f"{missing}-{i}")
        check = {
            "TableName": name,
            "Key": key,
            "ConditionExpression": "attribute_exists(#k)",
            "ExpressionAttributeNames": {"#k": next(iter(key))},
        }
        checks.append({"ConditionCheck": check})

    # `@connections` accepts only the functions' per-run credentials (in the ready file).
    keys = stack.info.get("managementCredentials") or {"accessKeyId": DUMMY_KEY, "secretAccessKey": DUMMY_KEY}
    management = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack.get("management_url"),
        region_name=stack.region,
        aws_access_key_id=keys["accessKeyId"],
        aws_secret_access_key=keys["secretAccessKey"],
    )
    pk = next(iter(checks[0]["ConditionCheck"]["Key"]))
    query = {
        "TableName": conversations,
        "KeyConditionExpression": "#k = :v",
        "ExpressionAttributeNames": {"#k": pk},
        "ExpressionAttributeValues": {":v": {"S": missing}},
    }

    def timed(call: Any) -> float:
        t = time.perf_counter()
        with contextlib.suppress(ddb.exceptions.TransactionCanceledException, management.exceptions.GoneException):
            call()
        return (time.perf_counter() - t) * 1000

    def median(call: Any) -> float:
        return percentile([timed(call) for _ in range(samples)], 50)

    return Probe(
        get_item_ms=median(lambda: ddb.get_item(TableName=connections, Key=conn_key)),
        query_ms=median(lambda: ddb.query(**query)),
        transact_ms=median(lambda: ddb.transact_write_items(TransactItems=checks)),
        post_ms=median(lambda: management.post_to_connection(ConnectionId="benchProbeMissing=", Data=b"{}")),
        items=items,
    )


def cores() -> str:
    total = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else total
    return f"{usable}" if usable == total else f"{usable} usable of {total}"


@dataclass(frozen=True)
class RateRun:
    rate: int
    outcome: Outcome
    before: Probe
    after: Probe
    seconds: int
    speed: MachineSpeed = MachineSpeed(float("nan"), float("nan"))

    @property
    def delivered_rate(self) -> float:
        return self.outcome.delivered_in_window / self.seconds

    @property
    def follows(self) -> bool:
        return (
            self.delivered_rate >= FOLLOWS * self.rate
            and self.outcome.lost == 0
            and self.outcome.worst_second_ms < BACKLOG_LIMIT_MS
        )

    def p(self, q: float) -> float:
        return percentile(self.outcome.delivered, q)


def agent_sockets(args: argparse.Namespace, rate: int, behaviour: Behaviour) -> int:
    if args.agents:
        return int(args.agents)
    return max(2, -(-rate // CHATS_PER_AGENT)) if behaviour.receipts else 2


def run_rate(args: argparse.Namespace, rate: int, behaviour: Behaviour, extra: Sequence[str]) -> RateRun:
    with local_stack(args.attach, extra) as stack:
        before = probe_stack(stack)
        agents = agent_sockets(args, rate, behaviour)
        best = best_reference_ms()
        outcome = asyncio.run(exercise(stack, rate, agents, args.seconds, args.drain, behaviour))
        after = probe_stack(stack)
    if stack.data_dir is not None:
        if args.keep or outcome.lost or outcome.errors or outcome.gateway_errors:
            print(f"   the stack's log is kept: {stack.data_dir / 'hub.log'}")
        else:
            shutil.rmtree(stack.data_dir, ignore_errors=True)
    return RateRun(rate, outcome, before, after, args.seconds, MachineSpeed.of(best, outcome.speed_samples))


def print_rate(r: RateRun, agents: int) -> None:
    o, d, a = r.outcome, r.outcome.delivered, r.outcome.acked
    print(
        f"   {r.rate} msg/s: {r.rate} conversations, {agents} agent sockets, {r.seconds} s; setup {o.setup_s:.1f} s; "
        f"frames in {o.frames_in} ({o.frames_in / max(1, o.sent):.1f} per message), receipts {o.receipts}"
    )
    print(
        table(
            ["measure", "count", "p50 ms", "p90 ms", "p99 ms", "max ms"],
            [
                ["send -> agent gets message", len(d), *(percentile(d, q) for q in (50, 90, 99)), max(d, default=0)],
                ["send -> customer gets ack", len(a), *(percentile(a, q) for q in (50, 90, 99)), max(a, default=0)],
            ],
        )
    )
    print(
        f"   sent {o.sent}, delivered {len(d)}, lost {o.lost} (not delivered {MAX_DRAIN:.0f} s after the last send, "
        f"or after the drain), duplicates {o.duplicates}; delivered while sending {r.delivered_rate:.1f}/s "
        f"against {r.rate}/s, the worst second's median {o.worst_second_ms:.0f} ms "
        f"({'follows' if r.follows else 'FALLS BEHIND'}: sustained means >= {FOLLOWS:.0%} of the rate delivered "
        f"while sending, none lost, no second's median at {BACKLOG_LIMIT_MS:.0f} ms or more)"
    )
    print(
        f"   error events {len(o.errors)}, API Gateway error frames {len(o.gateway_errors)}, "
        f"late sends {o.late_sends}; "
        f"a send's calls in sequence before/after {r.before.send_floor_ms:.1f} / {r.after.send_floor_ms:.1f} ms "
        f"(TransactWriteItems {r.before.transact_ms:.1f} / {r.after.transact_ms:.1f}, items {r.after.items})"
    )
    cpu = o.cpu_ms_per_message()
    if cpu:
        parts = ", ".join(f"{role} {ms:.1f}" for role, ms in cpu.items())
        print(f"   the stack's CPU per message, ms: {sum(cpu.values()):.1f} ({parts})")
        print(
            f"   the clients' CPU per message (this process, on the same cores), ms: "
            f"{1000 * o.clients_cpu_s / max(1, o.sent):.1f}"
        )
    sp = r.speed
    # Context, not a correction: on this VM the stack's CPU per message did not follow this
    # figure closely enough to divide one by the other (docs/benchmarks.md, eighth round).
    print(
        f"   the machine: a reference round took {sp.during_ms:.1f} ms during the run (the median of "
        f"{len(o.speed_samples)}), {sp.best_ms:.1f} ms at best just before ({sp.factor:.2f}x); "
        f"{FASTEST_REFERENCE_MS:g} ms is the fastest seen on the 2-core VM these figures come from"
    )
    for err in [*o.errors, *o.gateway_errors][:5]:
        print(f"     {err}")


def run(argv: Sequence[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=30, help="seconds of load per rate (default 30)")
    parser.add_argument(
        "--rates",
        default=DEFAULT_RATES,
        help=f"msg/s to step through, one conversation per msg/s, up to the first that falls behind "
        f"(default {DEFAULT_RATES})",
    )
    parser.add_argument("--conversations", type=int, default=None, help="one rate only (the old option)")
    parser.add_argument(
        "--agents",
        type=int,
        default=0,
        help=f"agent sockets sharing the conversations (default: 2 with receipts off, else one per "
        f"{CHATS_PER_AGENT} conversations, as the per-connection limit of 5 actions/s allows)",
    )
    parser.add_argument("--receipts", choices=("on", "off"), default="on", help="clients send typing and receipts")
    parser.add_argument(
        "--receipt-kinds",
        default=",".join(CLIENT_RECEIPTS),
        help=f"receipts the agent sends (default {','.join(CLIENT_RECEIPTS)}: "
        "read on screen, delivered otherwise, as chat.ts)",
    )
    parser.add_argument(
        "--receipt-interval",
        type=float,
        default=RECEIPT_INTERVAL_S,
        help=f"coalesce the agent's receipts every this many seconds "
        f"(default {RECEIPT_INTERVAL_S:g}, as chat.ts; 0: at once)",
    )
    parser.add_argument(
        "--drain", type=float, default=5.0, help="give up on stragglers after this many seconds without one (default 5)"
    )
    parser.add_argument("--attach", type=Path, default=None, help="use a running stack's ready file instead")
    parser.add_argument("--keep", action="store_true", help="keep the stack's data dir and hub.log")
    parser.add_argument(
        "--snapshots",
        action="store_true",
        help="leave the local stack's DynamoDB snapshots on (every 5 s; each pauses every handler while it dumps)",
    )
    args = parser.parse_args(argv)
    rates = [args.conversations] if args.conversations else sorted({int(r) for r in args.rates.split(",") if r})
    kinds = tuple(k for k in args.receipt_kinds.split(",") if k)
    behaviour = Behaviour(kinds, receipt_interval=args.receipt_interval) if args.receipts == "on" else OFF

    print("== bench.latency: customer send -> agent socket receives `message`, over real WebSockets")
    print(f"   cores: {cores()} (shared: other work on the machine makes these figures noisy)")
    print(f"   clients: {behaviour.label}")
    # The stack's snapshotter (local durability, not part of the hub) stops every handler while
    # it dumps all tables; unless asked, it writes only on exit.
    extra = [] if args.snapshots else ["--snapshot-interval", "0"]
    if args.attach is None:
        snapshots = "every 5 s" if args.snapshots else "off for the run"
        print(f"   local stack snapshots: {snapshots}; a fresh stack per rate")
    runs: list[RateRun] = []
    for rate in rates:
        r = run_rate(args, rate, behaviour, extra)
        runs.append(r)
        print()
        print_rate(r, agent_sockets(args, rate, behaviour))
        sys.stdout.flush()
        if not r.follows and rate != rates[-1]:
            print(f"   {rate} msg/s is not sustained: higher rates are not run")
            break
    print()
    print(
        table(
            [
                "msg/s",
                "delivered/s while sending",
                "worst second ms",
                "follows",
                "p50 ms",
                "p99 ms",
                "max ms",
                "lost",
                "frames in/msg",
            ],
            [
                [
                    r.rate,
                    r.delivered_rate,
                    r.outcome.worst_second_ms,
                    "yes" if r.follows else "NO",
                    r.p(50),
                    r.p(99),
                    max(r.outcome.delivered, default=0),
                    r.outcome.lost,
                    f"{r.outcome.frames_in / max(1, r.outcome.sent):.1f}",
                ]
                for r in runs
            ],
        )
    )
    sustained = [r for r in runs if r.follows]
    capacity = max((r.rate for r in sustained), default=0)
    first_failed = next((r for r in runs if not r.follows), None)
    if first_failed is not None:
        cap_text = (
            f"{capacity} msg/s (falls behind at {first_failed.rate}: {first_failed.delivered_rate:.1f}/s, "
            f"the worst second's median {first_failed.outcome.worst_second_ms:.0f} ms)"
        )
    else:
        cap_text = f">= {capacity} msg/s (every rate run was sustained)"
    print(f"   sustained capacity: {cap_text}")
    figures = [
        Figure("latency", "cores", cores()),
        Figure("latency", "clients", behaviour.label),
        Figure("latency", "sustained capacity", cap_text, f">= {TARGET_CAPACITY:g} msg/s", capacity >= TARGET_CAPACITY),
    ]
    for r in runs:
        if r.follows or r is runs[0]:
            figures.append(
                Figure(
                    "latency",
                    f"delivery p50 / p99 / max at {r.rate} msg/s",
                    f"{r.p(50):.1f} / {r.p(99):.1f} / {max(r.outcome.delivered, default=0):.1f} ms",
                )
            )
    at_target = next((r for r in runs if r.rate == TARGET_P99_RATE), None)
    if at_target is not None:
        p99 = at_target.p(99)
        figures.append(
            Figure(
                "latency",
                f"delivery p99 at {TARGET_P99_RATE} msg/s",
                f"{p99:.1f} ms",
                f"< {TARGET_P99_MS:.0f} ms",
                p99 < TARGET_P99_MS,
            )
        )
    lost = sum(r.outcome.lost for r in sustained)
    sent = sum(r.outcome.sent for r in sustained)
    figures.append(Figure("latency", "lost messages below capacity", f"{lost} of {sent}", "0", lost == 0))
    return figures


def main() -> None:
    run(sys.argv[1:])


if __name__ == "__main__":
    main()
