"""The life of a message: DynamoDB calls, invocations and frames for one customer message in a
one-to-one chat and everything around it (receipts, typing, a resend, heartbeats).

Part of `python -m bench.ddb_calls` (the "life of a message" section); on its own:

    python -m bench.message_life

Drives the real `LiveLane` in-process on moto, like the rest of `bench.ddb_calls`: one customer
opens a chat by writing in it, one agent takes it (the only agent action the scenario has), and
every connection has sent a frame before counting starts (a warm container: its connection is
cached). One invocation = one frame in = one Lambda invocation of `websocket_message`; frames
out = posts to any connection (acks included).

Targets (issue 12, part 1): send + delivered + read ≤ 4 DynamoDB calls in ≤ 2 invocations (the
shipped clients send only `read` for a message that arrives while its thread is on screen:
`read` implies `delivered`); a receipt that moves no cursor writes nothing; a resend of a
stored message ≤ 2 calls; typing that changes nothing writes nothing; a heartbeat 1 call; a
send while typing is the stop, in its own 2 calls (docs/protocol.md, "Typing": before 2026-12-03
the clients sent a `stop` frame before every message, 1 invocation and 2 calls more). The `start`
that opens a spell of typing (`first`) writes nothing either (since 2026-12-03, evening: before, it
stored the indicator, 1 write, and the send switched it off, one item more in its transaction).

Before (2026-12-02, commit d57a4d7, this bench): send 2 (Query, TransactWriteItems); the agent's
`delivered` 2 (Query, UpdateItem) and `read` 2 (Query, UpdateItem): 6 calls in 3 invocations, 7
frames (3 in, 4 out), as the clients sent `delivered` then `read`; a no-op receipt 2 (Query and
an UpdateItem whose condition failed); a customer's `read` of an agent message 3 (Query, Query,
UpdateItem); typing start 2, a repeated start 2, stop 2, a repeated stop 2 (Query, UpdateItem);
a resend 2 (Query, TransactWriteItems returning the stored key); an agent's heartbeat 2 (GetItem,
TransactWriteItems), a customer's 0.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from moto import mock_aws

from bench.ddb_calls import CallCounter, Hub, aws_environment, count_aws_calls, quiet_stdout
from bench.report import Figure, table

WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
Frame = tuple[str, dict[str, Any]]  # (connection id, action)


@dataclass(frozen=True)
class Step:
    operation: str
    frames_in: int  # = Lambda invocations
    frames_out: int
    ddb: dict[str, int]  # operation -> calls
    events: dict[str, int]  # event type -> posts
    target: str = ""
    limit: tuple[int, int] | None = None  # (max DynamoDB calls, max invocations)
    max_writes: int | None = None

    @property
    def calls(self) -> int:
        return sum(self.ddb.values())

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.ddb.items() if op in WRITES)

    @property
    def met(self) -> bool | None:
        if self.limit is None and self.max_writes is None:
            return None
        ok = self.max_writes is None or self.writes <= self.max_writes
        if self.limit is not None:
            ok = ok and self.calls <= self.limit[0] and self.frames_in <= self.limit[1]
        return ok


def _count(hub: Hub, counter: CallCounter, operation: str, frames: Sequence[Frame], **target: Any) -> Step:
    hub.sender.reset()
    with counter.counting():
        for conn, action in frames:
            hub.sender.last.pop(conn, None)
            hub.lane.handle(conn, json.dumps(action))
            reply = hub.sender.last.get(conn)
            if reply is not None and reply.get("type") == "error":
                raise RuntimeError(f"{operation}: {action['action']} failed: {reply}")
    ddb = {op: n for (svc, op), n in sorted(counter.calls.items()) if svc == "dynamodb"}
    out = sum(hub.sender.posts.values())
    return Step(operation, len(frames), out, ddb, dict(sorted(hub.sender.kinds.items())), **target)


def _total(operation: str, steps: Sequence[Step], **target: Any) -> Step:
    ddb: dict[str, int] = {}
    events: dict[str, int] = {}
    for s in steps:
        for op, n in s.ddb.items():
            ddb[op] = ddb.get(op, 0) + n
        for kind, n in s.events.items():
            events[kind] = events.get(kind, 0) + n
    frames_in = sum(s.frames_in for s in steps)
    return Step(operation, frames_in, sum(s.frames_out for s in steps), dict(sorted(ddb.items())), events, **target)


def life_of_a_message() -> list[Step]:
    with aws_environment(), mock_aws(), count_aws_calls() as counter, quiet_stdout():
        hub = Hub.create()
        customer = hub.connect_customer()
        conv = hub.open(customer)
        agent = hub.connect_agent("ana")
        hub.act(agent, action="take", conversation_id=conv, expect_owner=None)
        hub.act(customer, action="heartbeat")
        last = int(hub.act(agent, action="sync", conversation_id=conv, since=0)["through"])
        hub.act(agent, action="read", conversation_id=conv, seq=last)
        n = iter(range(1, 1_000))

        def say(conn: str, text: str, client_id: str | None = None) -> Frame:
            return conn, {
                "action": "send",
                "conversation_id": conv,
                "client_id": client_id or f"m{next(n)}",
                "text": text,
            }

        def receipt(kind: str, conn: str = agent) -> Frame:
            seq = int(hub.sender.last_seen(conn, "message")["seq"])
            return conn, {"action": kind, "conversation_id": conv, "seq": seq}

        def typing(state: str, first: bool = False) -> Frame:
            frame = {"action": "typing", "conversation_id": conv, "state": state}
            return customer, frame | ({"first": True} if first else {})

        steps: list[Step] = []
        send = _count(hub, counter, "send (customer)", [say(customer, "where is my parcel?")])
        delivered = _count(hub, counter, "delivered (agent)", [receipt("delivered")])
        read = _count(hub, counter, "read (agent, after delivered)", [receipt("read")])
        steps += [send, delivered, read]
        steps.append(_total("  send + delivered + read, as 3 frames", [send, delivered, read]))
        send2 = _count(hub, counter, "send (customer)", [say(customer, "it is order 1234")])
        implied = _count(hub, counter, "read, implies delivered (agent)", [receipt("read")])
        steps += [send2, implied]
        steps.append(
            _total(
                "  LIFE OF A MESSAGE: send + read (thread on screen)",
                [send2, implied],
                target="<= 4 calls in <= 2 invocations",
                limit=(4, 2),
            )
        )
        nothing = {"target": "0 writes", "max_writes": 0}
        steps.append(_count(hub, counter, "no-op read (agent, again)", [receipt("read")], **nothing))
        steps.append(_count(hub, counter, "no-op delivered (already read)", [receipt("delivered")], **nothing))
        steps.append(_count(hub, counter, "send (agent)", [say(agent, "let me check")]))
        steps.append(_count(hub, counter, "read (customer, of an agent message)", [receipt("read", customer)]))
        resent = say(customer, "it is order 1234", client_id="m2")  # the `send2` message again
        steps.append(_count(hub, counter, "resend of a stored message", [resent], target="<= 2 calls", limit=(2, 1)))
        # The start that opens a spell (`first`, docs/protocol.md "Typing") is told, not stored.
        steps.append(_count(hub, counter, "typing start (opens a spell)", [typing("start", first=True)], **nothing))
        hub.clock.advance(3)  # the clients repeat `start` every 3 s while keys are pressed
        steps.append(_count(hub, counter, "typing start, 3 s later (stores it)", [typing("start")]))
        hub.clock.advance(3)
        steps.append(_count(hub, counter, "typing start, 6 s later", [typing("start")], **nothing))
        hub.clock.advance(3)
        steps.append(_count(hub, counter, "typing stop", [typing("stop")]))
        steps.append(_count(hub, counter, "typing stop, again", [typing("stop")], **nothing))
        steps.append(
            _count(hub, counter, "typing start (opens the next spell)", [typing("start", first=True)], **nothing)
        )
        steps.append(
            _count(
                hub,
                counter,
                "send while typing (it is the stop)",
                [say(customer, "one more thing")],
                target="2 calls, no stop frame",
                limit=(2, 1),
            )
        )
        hub.clock.advance(30)
        steps.append(
            _count(hub, counter, "heartbeat (agent)", [(agent, {"action": "heartbeat"})], target="1 call", limit=(1, 1))
        )
        steps.append(_count(hub, counter, "heartbeat (customer)", [(customer, {"action": "heartbeat"})]))
        hub.clock.advance(120)  # silent past the presence window: the beat brings the agent back
        steps.append(_count(hub, counter, "heartbeat (agent, back after 2 min)", [(agent, {"action": "heartbeat"})]))
    return steps


def figures(steps: Sequence[Step]) -> list[Figure]:
    return [
        Figure("ddb_calls", s.operation.strip().lower(), f"{s.calls} ddb in {s.frames_in} inv", s.target, s.met)
        for s in steps
        if s.target
    ]


def _ops(ops: dict[str, int]) -> str:
    return ", ".join(f"{op} {n}" for op, n in ops.items()) or "-"


def run(argv: Sequence[str] | None = None) -> list[Figure]:
    print("== life of a message: one customer message in a one-to-one chat, and around it")
    steps = life_of_a_message()
    rows = [
        [
            s.operation,
            s.calls,
            _ops(s.ddb),
            s.writes,
            s.frames_in,
            s.frames_out,
            _ops(s.events),
            s.target,
            "" if s.met is None else ("met" if s.met else "MISSED"),
        ]
        for s in steps
    ]
    headers = ["operation", "ddb", "DynamoDB by operation", "writes", "invocations", "frames out", "posts by event"]
    print(table([*headers, "target", "verdict"], rows))
    print()
    print("   invocations = frames in (one Lambda invocation each); frames out = posts, acks included.")
    found = figures(steps)
    for f in found:
        print(f"   {f.name}: {f.value} [{f.target}: {f.verdict}]")
    return found


if __name__ == "__main__":
    run(sys.argv[1:])
