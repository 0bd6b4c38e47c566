"""Concurrent senders in one conversation: distinct, gapless sequences, every message stored once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.store.models import Message
from tests.integration.conftest import Harness

SENDERS = 6
PER_SENDER = 10


@pytest.mark.usefixtures("atomic_requests")
def test_concurrent_senders_get_distinct_gapless_sequences(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    agents = [hub.connect_agent(f"agent{i}") for i in range(SENDERS - 1)]
    for agent in agents:
        hub.act(agent, action="join", conversation_id=conv)
    senders = [customer, *agents]
    base = 1 + len(agents)  # the customer's first message, then one system entry per join

    def burst(connection_id: str) -> None:
        for n in range(PER_SENDER):
            hub.lane.handle(
                connection_id,
                f'{{"action":"send","conversation_id":"{conv}","client_id":"{connection_id.rstrip("=")}-{n}","text":"m{n}"}}',
            )

    with ThreadPoolExecutor(SENDERS) as pool:
        list(pool.map(burst, senders))

    stored = list(Message.query(f"T#global#C#{conv}"))
    seqs = [int(m.seq) for m in stored]
    assert seqs == list(range(1, base + SENDERS * PER_SENDER + 1))
    client_ids = [m.client_id for m in stored if m.kind == "text" and m.client_id != "first"]
    assert sorted(client_ids) == sorted(f"{s.rstrip('=')}-{n}" for s in senders for n in range(PER_SENDER))
    acks = [
        e
        for cid, e in hub.sender.log
        if e["type"] == "ack" and e.get("action") == "send" and e.get("client_id") != "first"
    ]
    assert sorted(a["seq"] for a in acks) == list(range(base + 1, base + SENDERS * PER_SENDER + 1))
    assert all(a["status"] == "sent" for a in acks)
