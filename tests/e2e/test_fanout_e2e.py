"""The counters reach the dashboards from the counters table's stream (issue 12), on the local
stack: moto's DynamoDB stream, the stream function in its own process, real WebSockets."""

from __future__ import annotations

import time
from typing import Any

import pytest

from local.testing import LocalHub
from tests.e2e.peers import Peer

pytestmark = pytest.mark.e2e


def stored_counters(hub: LocalHub, token: str) -> dict[str, int]:
    snap: dict[str, Any] = hub.request("GET", hub.api_url + "/hub", headers={"Authorization": token})
    result: dict[str, int] = snap["counters"]
    return result


def counters_until(peer: Peer, open_tickets: int, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Every `counters` event until one shows `open_tickets` (the stream's batches take ~1 s)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not seen or seen[-1]["open_tickets"] != open_tickets:
        seen.append(peer.expect("counters", timeout=max(0.1, deadline - time.monotonic()))["counters"])
    return seen


def test_an_agent_receives_the_updated_counters_after_a_change_and_once_for_a_burst(
    local_hub: LocalHub, peers: list[Peer]
) -> None:
    token = local_hub.agent_token()
    agent = Peer.agent(local_hub)
    watcher = Peer.agent(local_hub, local_hub.agent2_username)
    customer, _ = Peer.customer(local_hub)
    peers += [agent, watcher, customer]
    agent.request("ack", action="presence", status="available")
    time.sleep(1.5)  # the connects' own counters (agents available) have gone out
    for peer in (agent, watcher, customer):
        peer.drain()
    before = stored_counters(local_hub, token)["open_tickets"]

    created = local_hub.request(
        "POST", local_hub.api_url + "/tickets", {"subject": "Printer"}, {"Authorization": token}
    )
    assert created["ticket"]["status"] == "open"
    for peer in (agent, watcher):  # both dashboards: the ticket list, then the counters from the stream
        assert peer.expect("ticket")["ticket"]["id"] == created["ticket"]["id"]
        assert counters_until(peer, before + 1)[-1]["open_tickets"] == before + 1

    burst = 6
    started = time.monotonic()
    for i in range(burst):
        local_hub.request("POST", local_hub.api_url + "/tickets", {"subject": f"Burst {i}"}, {"Authorization": token})
    took = time.monotonic() - started
    seen = counters_until(watcher, before + 1 + burst)
    # However fast the changes came, the last event carries the final values, and the dashboards
    # heard about one batch (~1 s) at a time, never one event per change.
    assert seen[-1]["open_tickets"] == before + 1 + burst == stored_counters(local_hub, token)["open_tickets"]
    assert len(seen) <= int(took) + 2, (took, seen)
    time.sleep(1.5)
    assert [e for e in customer.drain() if e["type"] == "counters"] == []  # dashboards only


def test_a_colleagues_presence_change_carries_the_number_of_agents_available_and_no_counters_follow(
    local_hub: LocalHub, peers: list[Peer]
) -> None:
    token = local_hub.agent_token()
    agent = Peer.agent(local_hub)
    watcher = Peer.agent(local_hub, local_hub.agent2_username)
    peers += [agent, watcher]
    watcher.request("ack", action="presence", status="busy")
    agent.request("ack", action="presence", status="busy")
    time.sleep(2.5)  # the connects' and these changes' stream batches have gone by
    watcher.drain()
    assert stored_counters(local_hub, token)["agents_available"] == 0

    agent.request("ack", action="presence", status="available")
    told = watcher.expect("presence")
    assert told["status"] == "available" and told["agents_available"] == 1
    agent.request("ack", action="presence", status="away")
    told = watcher.expect("presence")
    assert told["status"] == "away" and told["agents_available"] == 0
    time.sleep(2.5)  # two stream batches' worth: the stored number changed twice
    assert [e for e in watcher.drain() if e["type"] == "counters"] == []  # one post per change, not two
    assert stored_counters(local_hub, token)["agents_available"] == 0
