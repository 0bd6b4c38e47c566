"""One connection floods the hub while another client chats: does the other client notice?

Starts its own local stack (`python -m local.run`) on its own moto, with DynamoDB reached
through `local.ddb_faults` with faults off, which counts every DynamoDB call by operation.
A few customers each chat with the agent in a conversation of their own ("the calm chats", as
many as `--calm`, for enough samples): each customer sends a message every `--interval` seconds
(a human pace, under a connection's write budget) and times send → `ack` and send → the agent
receiving it.

1. **before**: the calm chat alone, `--messages` messages;
2. **during**: one other customer connection sends `--flood` actions as fast as it can (`send`
   into its own conversation, each with its own client id) while the calm chat sends
   `--messages` more.

Printed: the calm chat's p50/p99 before and during (target: p99 during within 2x of before),
the flood's answers (acks, `rate_limited`, other errors), the DynamoDB write calls per stored
message during the flood, and that nothing was lost or stored twice.

    python -m bench.flood [--flood 1000] [--messages 40] [--interval 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import boto3

from bench.report import Figure, table
from local.bootstrap import DUMMY_CREDENTIALS, stage_variables
from local.ddb_faults import FaultProxy
from local.moto_server import MotoProcess
from local.testing import HubProcess, LocalHub

ROOT = Path(__file__).resolve().parent.parent
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
TARGET_RATIO = 2.0


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass
class Chat:
    """The calm chat's timings (ms), keyed by client id."""

    sent_at: dict[str, float] = field(default_factory=dict)
    ack_ms: dict[str, float] = field(default_factory=dict)
    delivered_ms: dict[str, float] = field(default_factory=dict)


async def _reader(ws: aiohttp.ClientWebSocketResponse, on_event: Any) -> None:
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT:
            on_event(json.loads(msg.data))


async def _request(ws: aiohttp.ClientWebSocketResponse, action: dict[str, Any]) -> dict[str, Any]:
    request_id = uuid.uuid4().hex[:12]
    await ws.send_str(json.dumps({**action, "request_id": request_id}))
    while True:
        msg = await asyncio.wait_for(ws.receive(), 30)
        event: dict[str, Any] = json.loads(msg.data)
        if event.get("request_id") == request_id:
            return event


async def _take(agent: aiohttp.ClientWebSocketResponse, conv: str) -> None:
    """Takes a chat its customer just started (it starts right after their line is acknowledged)."""
    for _ in range(50):
        if (await _request(agent, {"action": "take", "conversation_id": conv}))["type"] == "conversation":
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"could not take {conv}")


async def _calm_phase(
    customer: aiohttp.ClientWebSocketResponse, conv: str, chat: Chat, n: int, gap: float, offset: float = 0.0
) -> None:
    await asyncio.sleep(offset)
    for i in range(n):
        cid = f"calm-{uuid.uuid4().hex[:10]}"
        chat.sent_at[cid] = time.perf_counter()
        await customer.send_str(
            json.dumps({"action": "send", "conversation_id": conv, "client_id": cid, "text": f"calm {i}"})
        )
        await asyncio.sleep(gap)


async def _customer(http: aiohttp.ClientSession, hub: LocalHub) -> aiohttp.ClientWebSocketResponse:
    session = await (await http.post(hub.api_url + "/widget/session", json={"widget_key": hub.widget_key})).json()
    return await http.ws_connect(f"{hub.ws_url}?session={quote(session['token'])}", max_msg_size=0)


async def exercise(
    hub: LocalHub, proxy: FaultProxy, flood: int, messages: int, gap: float, calm: int
) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        customers = [await _customer(http, hub) for _ in range(calm)]
        agent = await http.ws_connect(f"{hub.ws_url}?token={quote(hub.agent_token())}", max_msg_size=0)
        flooder = await _customer(http, hub)
        convs = []
        for customer in customers:
            conv = (await _request(customer, {"action": "start"}))["conversation"]["id"]
            # Opening starts nothing: the customer's first line does; then the agent takes it.
            hello = {"action": "send", "conversation_id": conv, "client_id": f"hello-{uuid.uuid4().hex[:10]}"}
            await _request(customer, {**hello, "text": "Hello"})
            await _take(agent, conv)
            convs.append(conv)
        flood_conv = (await _request(flooder, {"action": "start"}))["conversation"]["id"]
        await asyncio.sleep(1.0)

        phases = {"before": Chat(), "during": Chat()}
        current = {"chat": phases["before"]}
        answers: Counter[str] = Counter()
        acked: set[str] = set()

        def on_customer(event: dict[str, Any]) -> None:
            chat = current["chat"]
            cid = event.get("client_id")
            if event.get("type") == "ack" and cid in chat.sent_at:
                chat.ack_ms[cid] = (time.perf_counter() - chat.sent_at[cid]) * 1000

        def on_agent(event: dict[str, Any]) -> None:
            chat = current["chat"]
            cid = event.get("client_id")
            if event.get("type") == "message" and cid in chat.sent_at:
                chat.delivered_ms.setdefault(cid, (time.perf_counter() - chat.sent_at[cid]) * 1000)

        def on_flooder(event: dict[str, Any]) -> None:
            kind = event.get("type")
            answers[f"error:{event.get('code')}" if kind == "error" else str(kind)] += 1
            if kind == "ack":
                acked.add(str(event.get("client_id")))

        readers = [asyncio.create_task(_reader(c, on_customer)) for c in customers] + [
            asyncio.create_task(_reader(agent, on_agent)),
            asyncio.create_task(_reader(flooder, on_flooder)),
        ]

        def calm_chats(phase: Chat) -> list[Any]:
            return [
                _calm_phase(c, conv, phase, messages, gap, offset=gap * i / calm)
                for i, (c, conv) in enumerate(zip(customers, convs, strict=True))
            ]

        await asyncio.gather(*calm_chats(phases["before"]))
        await asyncio.sleep(2.0)

        current["chat"] = phases["during"]
        proxy.reset()

        async def flood_all() -> None:
            for n in range(flood):
                body = {"action": "send", "conversation_id": flood_conv, "client_id": f"flood-{n}", "text": "spam"}
                await flooder.send_str(json.dumps(body))

        flood_started = time.perf_counter()
        await asyncio.gather(flood_all(), *calm_chats(phases["during"]))
        # Refused frames are not all answered: wait until the answers stop coming.
        seen, quiet_since = -1, time.perf_counter()
        while time.perf_counter() - quiet_since < 3.0 and time.perf_counter() - flood_started < 120:
            await asyncio.sleep(0.2)
            if sum(answers.values()) != seen:
                seen, quiet_since = sum(answers.values()), time.perf_counter()
        flood_seconds = quiet_since - flood_started
        await asyncio.sleep(2.0)
        counts = proxy.counts()
        for task in readers:
            task.cancel()
        for ws in (*customers, agent, flooder):
            await ws.close()
    return {
        "phases": phases,
        "answers": answers,
        "acked": acked,
        "counts": counts,
        "flood_seconds": flood_seconds,
        "calm": convs,
        "flood_conv": flood_conv,
    }


def _stored(dynamodb: Any, conversation_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": stage_variables(ROOT)["MESSAGES_TABLE"],
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"T#global#C#{conversation_id}"}},
        "ConsistentRead": True,
    }
    while True:
        page = dynamodb.query(**kwargs)
        out += [
            {"seq": int(i["seq"]["N"]), "client_id": i["client_id"]["S"], "kind": i["kind"]["S"]} for i in page["Items"]
        ]
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def run(argv: Sequence[str] = ()) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood", type=int, default=1000, help="actions the flooding connection sends")
    parser.add_argument("--messages", type=int, default=25, help="messages per calm chat and phase")
    parser.add_argument("--calm", type=int, default=4, help="calm chats (customers), for enough samples")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between a calm chat's messages")
    args = parser.parse_args(list(argv))

    data = Path(tempfile.mkdtemp(prefix="bench-flood-"))
    moto = MotoProcess(log_path=data / "ddb-moto.log")
    proxy = FaultProxy(moto.start(), data)
    process = HubProcess(data, extra_args=["--no-schedules", "--dynamodb-endpoint", proxy.start()])
    try:
        hub = process.start(timeout=120)
        result = asyncio.run(exercise(hub, proxy, args.flood, args.messages, args.interval, args.calm))
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=moto.url,
            region_name="us-east-1",
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        calm_each = [_stored(dynamodb, conv) for conv in result["calm"]]
        calm_stored = [m for stored in calm_each for m in stored]
        flood_stored = _stored(dynamodb, result["flood_conv"])
    finally:
        process.stop()
        proxy.stop()
        moto.stop()

    phases: dict[str, Chat] = result["phases"]
    rows = []
    for name, chat in phases.items():
        acks, delivered = list(chat.ack_ms.values()), list(chat.delivered_ms.values())
        rows.append(
            (
                name,
                len(chat.sent_at),
                len(acks),
                len(delivered),
                f"{percentile(acks, 50):.0f}",
                f"{percentile(acks, 99):.0f}",
                f"{percentile(delivered, 50):.0f}",
                f"{percentile(delivered, 99):.0f}",
                f"{max(delivered, default=float('nan')):.0f}",
            )
        )
    answers: Counter[str] = result["answers"]
    counts: dict[str, dict[str, int]] = result["counts"]
    writes = sum(counts.get(op, {}).get("calls", 0) for op in WRITES)
    during = phases["during"]
    stored_during = len(result["acked"]) + len(during.ack_ms)
    limited = answers.get("error:rate_limited", 0)
    calm_ids = [m["client_id"] for m in calm_stored if m["kind"] == "text"]
    flood_ids = [m["client_id"] for m in flood_stored if m["kind"] == "text"]
    sent_calm = set(phases["before"].sent_at) | set(during.sent_at)
    lost = len(sent_calm - set(calm_ids))
    dupes = (len(calm_ids) - len(set(calm_ids))) + (len(flood_ids) - len(set(flood_ids)))
    refused_but_stored = len(set(flood_ids) - result["acked"])
    gapless = all(
        [m["seq"] for m in stored] == list(range(1, len(stored) + 1)) for stored in (*calm_each, flood_stored)
    )

    print(
        f"# bench.flood: one connection sends {args.flood} actions while {args.calm} calm chats go on "
        f"({os.cpu_count()} cores)"
    )
    print(
        table(
            [
                "phase",
                "sent",
                "acked",
                "delivered",
                "ack p50 ms",
                "ack p99 ms",
                "deliver p50 ms",
                "deliver p99 ms",
                "max ms",
            ],
            rows,
        )
    )
    print()
    print(
        f"flood: {sum(answers.values())} answers in {result['flood_seconds']:.1f} s — "
        + ", ".join(f"{k} {v}" for k, v in sorted(answers.items()))
    )
    print(
        f"DynamoDB during the flood: {writes} write calls for {stored_during} stored messages "
        f"({writes / max(stored_during, 1):.2f} per message); calls by operation: "
        + ", ".join(f"{op} {c.get('calls', 0)}" for op, c in counts.items())
    )
    print(
        f"calm chat: {lost} lost, {dupes} duplicated; refused flood frames stored: {refused_but_stored}; "
        f"gapless: {'yes' if gapless else 'NO'}"
    )
    before99 = percentile(list(phases["before"].delivered_ms.values()), 99)
    during99 = percentile(list(during.delivered_ms.values()), 99)
    ratio = during99 / before99 if before99 else float("inf")
    return [
        Figure(
            "flood",
            "calm chat delivery p99, before → during",
            f"{before99:.0f} → {during99:.0f} ms ({ratio:.2f}x)",
            f"<= {TARGET_RATIO:g}x",
            ratio <= TARGET_RATIO,
        ),
        Figure("flood", "flood actions answered rate_limited", f"{limited} of {args.flood}"),
        Figure("flood", "DynamoDB write calls per stored message (during)", f"{writes / max(stored_during, 1):.2f}"),
        Figure(
            "flood",
            "lost / duplicated / refused-but-stored / gaps",
            f"{lost} / {dupes} / {refused_but_stored} / {'0' if gapless else 'SOME'}",
            "0 / 0 / 0 / 0",
            lost == 0 and dupes == 0 and refused_but_stored == 0 and gapless,
        ),
    ]


if __name__ == "__main__":
    import sys

    run(sys.argv[1:])
