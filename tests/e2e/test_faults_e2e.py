"""Chat under DynamoDB faults (issue 9): throttling, connections dropped before and after a
write is applied, and delays, injected between the hub and moto (`local.ddb_faults`) while a
customer and an agent write to each other over real WebSockets. The clients behave like the
shipped ones: a message without an `ack` (or answered `internal`) is sent again with the same
client id; a gap is filled with `sync`. Afterwards: 0 lost, 0 duplicated, 0 gaps, and every
client holds exactly the server's thread in its own numbering."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chalicelib.live.timeline import VOID_AFTER_SECONDS
from local.bootstrap import stage_variables
from local.ddb_faults import FaultConfig, FaultProxy
from local.testing import LocalHub
from tests.e2e.peers import Peer, new_client_id
from tests.e2e.proxied import hub_behind_proxy

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

FAULTS = FaultConfig(
    enabled=True, throttle=0.08, drop_before=0.08, drop_after=0.08, delay=0.2, delay_ms=(5, 120), seed=20
)
PER_SIDE = 20


@dataclass
class Faulty:
    hub: LocalHub
    proxy: FaultProxy
    dynamodb: Any


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faulty]:
    with hub_behind_proxy(tmp_path_factory.mktemp("faulty-hub")) as (hub, proxy, client):
        yield Faulty(hub, proxy, client)


@dataclass
class Client:
    """What a shipped client does with a thread: append in order, sync on a gap, resend without
    an ack; and what it saw."""

    peer: Peer
    conversation_id: str
    thread: dict[int, str] = field(default_factory=dict)  # seq -> client id
    last: int = 0
    seen: Counter[str] = field(default_factory=Counter)
    behind: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)

    def take(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        self.seen[f"{kind}:{event.get('code', '')}" if kind == "error" else str(kind)] += 1
        if kind == "message" and event["conversation_id"] == self.conversation_id:
            if event["prev_seq"] == self.last:
                self.thread[event["seq"]] = event["client_id"]
                self.last = event["seq"]
            elif event["seq"] > self.last:
                self.seen["gaps seen"] += 1
                self.behind = True  # never append out of order: ask for the gap
        elif kind == "sync":
            if event.get("reset"):
                self.seen["resets"] += 1
                self.thread.clear()
            for m in event["messages"]:
                self.thread[m["seq"]] = m["client_id"]
            self.last = max(self.last, event["through"])

    def pump(self, quiet: float = 0.05) -> list[dict[str, Any]]:
        with self.lock:
            events = self.peer.drain(quiet)
            for e in events:
                self.take(e)
            self.catch_up()
            return events

    def catch_up(self) -> None:
        if self.behind:
            self.behind = False
            self.sync()

    def sync(self) -> None:
        with self.lock:
            since = self.last
            while True:
                page = self._request(action="sync", conversation_id=self.conversation_id, since=since)
                if page["type"] != "sync":
                    time.sleep(0.5)  # `internal` under faults: ask again
                    continue
                self.take(page)
                if page["complete"]:
                    return
                since = page["next_since"]

    def _request(self, **action: Any) -> dict[str, Any]:
        request_id = new_client_id()[:12]
        self.peer.send(request_id=request_id, **action)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for i, event in enumerate(self.peer.inbox):
                if event.get("request_id") == request_id:
                    return self.peer.inbox.pop(i)
            self.peer._pull(0.2)
        return {"type": "timeout"}

    def send(self, text: str, attempts: int = 8) -> dict[str, Any]:
        cid = new_client_id()
        for attempt in range(attempts):
            with self.lock:
                self.peer.send(action="send", conversation_id=self.conversation_id, client_id=cid, text=text)
                answer = self._answer(cid, timeout=10)
            if answer is not None and answer["type"] == "ack":
                return answer
            self.seen["resends"] += 1  # no ack in time, or `internal`: the same client id again
            time.sleep(min(2.0, 0.2 * 2**attempt))
        raise AssertionError(f"{text!r} never acknowledged")

    def _answer(self, cid: str, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while True:
            while self.peer.inbox:
                event = self.peer.inbox.pop(0)
                self.take(event)
                if event.get("client_id") == cid and event["type"] in ("ack", "error"):
                    if event["type"] == "ack":  # our own message: the hub never echoes it to us
                        self.thread[event["seq"]] = cid
                        if event["seq"] == self.last + 1:
                            self.last = event["seq"]
                        elif event["seq"] > self.last:
                            self.behind = True
                    self.catch_up()
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.peer._pull(min(0.2, left))


def _stored(dynamodb: Any, conversation_id: str) -> list[dict[str, Any]]:
    items = dynamodb.query(
        TableName=stage_variables(ROOT)["MESSAGES_TABLE"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"T#global#C#{conversation_id}"}},
        ConsistentRead=True,
    )["Items"]
    return [
        {
            "seq": int(i["seq"]["N"]),
            "pseq": int(i["pseq"]["N"]) if "pseq" in i else None,
            "kind": i["kind"]["S"],
            "client_id": i["client_id"]["S"],
        }
        for i in items
    ]


def test_a_chat_under_dynamodb_faults_loses_nothing_duplicates_nothing_and_has_no_gaps(faulty: Faulty) -> None:
    hub = faulty.hub
    customer_peer, _ = Peer.customer(hub)
    agent_peer = Peer.agent(hub)
    try:
        conv = customer_peer.request("conversation", action="start")["conversation"]["id"]
        # The customer's first line starts the chat (agents see it from then on); the agent takes it.
        customer_peer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Hello")
        customer_peer.expect("conversation")
        agent_peer.request("conversation", action="take", conversation_id=conv)
        customer_peer.drain(0.3)
        agent_peer.drain(0.3)
        customer, agent = Client(customer_peer, conv), Client(agent_peer, conv)
        faulty.proxy.reset()
        faulty.proxy.configure(FAULTS)

        acked: dict[str, list[dict[str, Any]]] = {"customer": [], "agent": []}

        def talk(name: str, side: Client) -> None:
            for n in range(PER_SIDE):
                acked[name].append(side.send(f"{name} {n}"))
                side.pump(0.01)

        threads = [threading.Thread(target=talk, args=a) for a in (("customer", customer), ("agent", agent))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        faulty.proxy.configure(FaultConfig())  # the faults stop; a writer that died is filled
        counts = faulty.proxy.counts()
        time.sleep(VOID_AFTER_SECONDS + 1)
        for side in (customer, agent):
            side.pump(0.3)
            side.sync()
    finally:
        customer_peer.close()
        agent_peer.close()

    injected = Counter[str]()
    for per_op in counts.values():
        injected.update({k: v for k, v in per_op.items() if k not in ("calls", "forwarded")})
    stored = _stored(faulty.dynamodb, conv)
    texts = [m for m in stored if m["kind"] != "void"]
    sent = [a["client_id"] for a in acked["customer"] + acked["agent"]]
    report = (
        f"\nfaults injected: {dict(injected)}\n"
        f"stored: {len(texts)} entries, {len(stored) - len(texts)} void; "
        f"customer saw {dict(customer.seen)}; agent saw {dict(agent.seen)}"
    )
    print(report)
    assert all(injected[k] > 0 for k in ("throttled", "dropped_before", "dropped_after", "delayed")), report
    assert len(sent) == 2 * PER_SIDE and len(set(sent)) == len(sent)
    # 0 lost, 0 duplicated: every acknowledged message is stored, once.
    stored_ids = Counter(m["client_id"] for m in texts)
    assert all(stored_ids[cid] == 1 for cid in sent), report
    assert [c for c, n in stored_ids.items() if n > 1] == [], report
    # 0 gaps: both numberings are 1..N (entries whose writer died are filled as void).
    assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1)), report
    public = sorted(m["pseq"] for m in stored if m["pseq"] is not None)
    assert public == list(range(1, len(public) + 1)), report
    # What the clients hold is the server's thread, in their own numbering, each entry once.
    agent_view = {m["seq"]: m["client_id"] for m in texts}
    customer_view = {m["pseq"]: m["client_id"] for m in texts if m["pseq"] is not None}
    assert agent.thread == agent_view, report
    assert customer.thread == customer_view, report
    assert agent.last == len(stored) and customer.last == len(public)
