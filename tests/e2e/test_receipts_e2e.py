"""The life of a message at the minimum (issue 12, part 1), over real WebSockets on the local
stack, with every DynamoDB call counted on the wire: the hub reaches DynamoDB through
`local.ddb_faults`' proxy (faults off), which counts the calls per operation.

The protocol as docs/protocol.md ("Receipts") states it: `read` implies `delivered` (the other
side hears one `read` and the stored cursors both move), a receipt that moves nothing stores
nothing, a receipt is answered with an `ack` only when it carries a `request_id`, and a resend
answers the stored ack.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.bootstrap import stage_variables
from local.ddb_faults import FaultProxy
from local.testing import LocalHub
from tests.e2e.peers import Peer, new_client_id
from tests.e2e.proxied import hub_behind_proxy

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
STREAM_READS = {"DescribeStream", "GetShardIterator", "GetRecords", "ListStreams"}
CURSORS = ("delivered_seq", "read_seq", "delivered_pseq", "read_pseq")


@dataclass
class Counted:
    hub: LocalHub
    proxy: FaultProxy
    dynamodb: Any

    def calls(self) -> dict[str, int]:
        """The hub's DynamoDB calls per operation since the last `reset` (the local stack's stream
        poller, which plays Lambda's event source mapping, is not the hub: its reads are left out)."""
        return {op: c["calls"] for op, c in self.proxy.counts().items() if c.get("calls") and op not in STREAM_READS}

    def reset(self, quiet: float = 0.4, timeout: float = 15.0) -> None:
        """Zero the counts once the hub has been quiet for `quiet` seconds: work from before the
        window (an earlier test's peers' `$disconnect`, a fan-out still posting) would otherwise
        land in it on a loaded machine."""
        deadline = time.monotonic() + timeout
        last, since = self.calls(), time.monotonic()
        while time.monotonic() - since < quiet:
            if time.monotonic() > deadline:
                raise AssertionError(f"the hub did not go quiet in {timeout:.0f} s: {self.calls()}")
            time.sleep(0.05)
            now = self.calls()
            if now != last:
                last, since = now, time.monotonic()
        self.proxy.reset()

    def participant(self, conversation_id: str, user_id: str, fields: tuple[str, ...] = CURSORS) -> dict[str, int]:
        table = stage_variables(ROOT)["CONVERSATIONS_TABLE"]
        item = self.dynamodb.get_item(
            TableName=table,
            Key={"pk": {"S": f"T#global#C#{conversation_id}"}, "sk": {"S": f"P#{user_id}"}},
            ConsistentRead=True,
        )["Item"]
        return {f: int(float(item[f]["N"])) for f in fields if f in item}


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Counted]:
    with hub_behind_proxy(tmp_path_factory.mktemp("counted-hub")) as (hub, proxy, client):
        yield Counted(hub, proxy, client)


@pytest.fixture
def pair(counted: Counted, peers: list[Peer]) -> dict[str, Any]:
    """A customer and the demo agent who took their chat; both have sent frames (a warm
    container knows their connections), inboxes drained, counts zeroed."""
    customer, _ = Peer.customer(counted.hub)
    agent = Peer.agent(counted.hub)
    peers += [customer, agent]
    # Busy: routing gives them no chat by itself (an earlier test may have left them available),
    # so the `take` below is what makes them the owner.
    agent.request("ack", action="presence", status="busy")
    started = customer.request("conversation", action="start")["conversation"]
    conv = started["id"]
    customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Hello")
    customer.expect("conversation")
    taken = agent.request("conversation", action="take", conversation_id=conv)["conversation"]
    owner = taken["owner"]["id"]
    customer.request("ack", action="heartbeat")
    settle(customer, agent)
    counted.reset()
    me = started["customer"]["id"]
    return {"customer": customer, "agent": agent, "conversation_id": conv, "agent_id": owner, "customer_id": me}


def settle(*peers: Peer) -> list[dict[str, Any]]:
    """Whatever still arrives (work done after the reply included), once everything is quiet."""
    out: list[dict[str, Any]] = []
    for p in peers:
        out += p.drain(0.4)
    time.sleep(0.2)
    return out


def test_one_read_tells_the_customer_delivered_and_read_in_four_calls_for_the_whole_message(
    counted: Counted, pair: dict[str, Any]
) -> None:
    customer, agent, conv = pair["customer"], pair["agent"], pair["conversation_id"]
    ack = customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Parcel?")
    seq = agent.expect("message", client_id=ack["client_id"])["seq"]
    agent.request("ack", action="read", conversation_id=conv, seq=seq)  # no `delivered` before it
    read = customer.expect("read")
    heard = settle(customer, agent)
    calls = counted.calls()
    # send (Query + TransactWriteItems) + read (Query + UpdateItem), in 2 invocations.
    assert calls == {"Query": 2, "TransactWriteItems": 1, "UpdateItem": 1}
    # The customer hears it once, in their numbering; no separate `delivered` comes.
    assert (read["seq"], read["by"]["role"]) == (ack["seq"], "agent")
    assert [e["type"] for e in heard if e["type"] in ("delivered", "read")] == []
    # ...and both of the agent's cursors moved, in both numberings, as the customer's sync shows.
    sync = customer.request("sync", action="sync", conversation_id=conv, since=ack["seq"])
    [me] = [p for p in sync["conversation"]["participants"] if p["role"] == "agent"]
    assert (me["delivered_seq"], me["read_seq"]) == (ack["seq"], ack["seq"])
    stored = counted.participant(conv, pair["agent_id"])
    assert stored == {"delivered_seq": seq, "read_seq": seq, "delivered_pseq": ack["seq"], "read_pseq": ack["seq"]}


def test_a_receipt_that_moves_nothing_stores_nothing_and_acks_when_asked(
    counted: Counted, pair: dict[str, Any]
) -> None:
    customer, agent, conv = pair["customer"], pair["agent"], pair["conversation_id"]
    ack = customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Hi?")
    seq = agent.expect("message", client_id=ack["client_id"])["seq"]
    agent.request("ack", action="read", conversation_id=conv, seq=seq)
    customer.expect("read")
    settle(customer, agent)
    before = counted.participant(conv, pair["agent_id"])
    counted.reset()
    for kind, at in (("read", seq), ("delivered", seq), ("delivered", seq - 1)):
        answer = agent.request("ack", action=kind, conversation_id=conv, seq=at)
        assert (answer["action"], answer["seq"]) == (kind, at)
    heard = settle(customer, agent)
    assert [e for e in heard if e["type"] in ("delivered", "read")] == []
    assert counted.calls() == {"Query": 3}  # one per receipt: no write was even tried
    assert counted.participant(conv, pair["agent_id"]) == before


def test_a_receipt_without_a_request_id_is_heard_by_the_other_side_and_not_answered(
    counted: Counted, pair: dict[str, Any]
) -> None:
    """As the shipped clients send them: no `request_id`, so no `ack` comes back (one post less
    per receipt), while the other side hears it and the cursor is stored. An error still comes."""
    customer, agent, conv = pair["customer"], pair["agent"], pair["conversation_id"]
    ack = customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Hm?")
    seq = agent.expect("message", client_id=ack["client_id"])["seq"]
    settle(customer, agent)
    counted.reset()
    agent.send(action="read", conversation_id=conv, seq=seq)
    assert customer.expect("read")["seq"] == ack["seq"]
    assert agent.drain(0.6) == []  # nothing back to the reader: no ack, no error
    assert counted.calls() == {"Query": 1, "UpdateItem": 1}
    assert counted.participant(conv, pair["agent_id"])["read_seq"] == seq
    agent.send(action="read", conversation_id=conv, seq=seq + 50)
    [error] = agent.drain(0.6)
    assert (error["type"], error["code"]) == ("error", "invalid_action")


def test_a_resend_of_a_stored_message_answers_the_stored_ack_in_two_calls(
    counted: Counted, pair: dict[str, Any]
) -> None:
    customer, agent, conv = pair["customer"], pair["agent"], pair["conversation_id"]
    cid = new_client_id()
    first = customer.request("ack", action="send", conversation_id=conv, client_id=cid, text="Still there?")
    agent.expect("message", client_id=cid)
    settle(customer, agent)
    counted.reset()
    again = customer.request("ack", action="send", conversation_id=conv, client_id=cid, text="Still there?")
    settle(customer, agent)
    assert (again["status"], again["seq"], again["created_at"]) == ("sent-again", first["seq"], first["created_at"])
    assert sum(counted.calls().values()) <= 2, counted.calls()


def test_typing_that_changes_nothing_writes_nothing_and_a_reachable_agents_heartbeat_is_one_call(
    counted: Counted, pair: dict[str, Any]
) -> None:
    customer, agent, conv = pair["customer"], pair["agent"], pair["conversation_id"]
    writes: list[int] = []
    # The opening start of a spell (`first`, as the shipped clients mark it) is told, not stored;
    # the next start stores the indicator, a repeat of it or of a stop writes nothing.
    for state, first in (("start", True), ("start", False), ("start", False), ("stop", False), ("stop", False)):
        counted.reset()
        customer.send(action="typing", conversation_id=conv, state=state, **({"first": True} if first else {}))
        assert agent.expect("typing")["state"] == state  # the other side hears every frame
        settle(agent)
        writes.append(sum(n for op, n in counted.calls().items() if op in WRITES))
    assert writes == [0, 1, 0, 1, 0]
    counted.reset()
    agent.request("ack", action="heartbeat")
    assert counted.calls() == {"TransactWriteItems": 1}


def test_a_send_is_the_typing_stop_in_the_same_two_calls(counted: Counted, pair: dict[str, Any]) -> None:
    """docs/protocol.md, "Typing": the shipped clients send no `stop` with a message. The send's
    own transaction switches the stored indicator off, and the agent hears the message, no stop."""
    customer, agent, conv = pair["customer"], pair["agent"], pair["conversation_id"]
    customer.send(action="typing", conversation_id=conv, state="start")
    assert agent.expect("typing")["state"] == "start"
    settle(customer, agent)
    assert "typing_at" in counted.participant(conv, pair["customer_id"], ("typing_at",))
    counted.reset()
    ack = customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Found it")
    agent.expect("message", client_id=ack["client_id"])
    heard = settle(customer, agent)
    assert counted.calls() == {"Query": 1, "TransactWriteItems": 1}
    assert [e for e in heard if e["type"] == "typing"] == []
    assert counted.participant(conv, pair["customer_id"], ("typing_at",)) == {}


def _meta(counted: Counted, conversation_id: str) -> dict[str, Any]:
    table = stage_variables(ROOT)["CONVERSATIONS_TABLE"]
    key = {"pk": {"S": f"T#global#C#{conversation_id}"}, "sk": {"S": "META"}}
    item: dict[str, Any] = counted.dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    return item


def test_a_chat_a_collision_marked_goes_back_to_two_calls_a_line_once_the_mark_runs_out(
    counted: Counted, pair: dict[str, Any]
) -> None:
    """docs/architecture.md, "Sequences without contention": a writer that lost the
    compare-and-set marks the chat contended for a few seconds, and the lines in that window take
    their numbers from the atomic counter (Query, key GetItem, counter UpdateItem, transaction).
    A line written when the chat is no longer busy (its last write 1 s or more ago) does not renew
    the mark, so the chat goes back to one transaction a line when it runs out. The collision is
    set here as a losing writer leaves it (`contended_until` on META), so the test never depends
    on two Lambdas meeting by chance."""
    customer, agent, conv = pair["customer"], pair["agent"], pair["conversation_id"]
    table = stage_variables(ROOT)["CONVERSATIONS_TABLE"]
    time.sleep(max(0.0, float(_meta(counted, conv)["updated_at"]["N"]) + 1.1 - time.time()))  # not busy
    counted.reset()
    mark = round(time.time() + 3.0, 3)
    counted.dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": f"T#global#C#{conv}"}, "sk": {"S": "META"}},
        UpdateExpression="SET contended_until = :m",
        ExpressionAttributeValues={":m": {"N": str(mark)}},
    )
    first = customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="One")
    assert time.time() < mark, "the line was not written inside the mark: the machine stalled; the test proves nothing"
    one = agent.expect("message", client_id=first["client_id"])["seq"]
    settle(customer, agent)
    assert counted.calls() == {"Query": 1, "GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 1}
    assert float(_meta(counted, conv)["contended_until"]["N"]) == mark  # not renewed

    time.sleep(max(0.0, mark + 0.1 - time.time()))
    counted.reset()
    second = customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Two")
    two = agent.expect("message", client_id=second["client_id"])["seq"]
    settle(customer, agent)
    assert counted.calls() == {"Query": 1, "TransactWriteItems": 1}
    # The counter's numbers and the compare-and-set's meet: no hole in either numbering.
    assert (two, second["seq"]) == (one + 1, first["seq"] + 1)
    sync = customer.request("sync", action="sync", conversation_id=conv, since=0)
    assert [m["seq"] for m in sync["messages"]] == list(range(1, second["seq"] + 1))
    assert [m["text"] for m in sync["messages"][-2:]] == ["One", "Two"]
