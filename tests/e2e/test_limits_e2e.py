"""One connection can never stall the others (issue 9, item 2), over real WebSockets: a burst
of concurrent sends appends without a retry storm, a flood is refused with `rate_limited` while
another chat goes on, and creation-type actions are counted per customer and per client."""

from __future__ import annotations

import threading
import time
import urllib.error
from typing import Any

import pytest

from local.testing import LocalHub
from tests.e2e.conftest import Tables
from tests.e2e.peers import Peer, new_client_id

pytestmark = pytest.mark.e2e


def test_a_burst_of_concurrent_sends_is_stored_once_each_without_gaps(chat: dict[str, Any], tables: Tables) -> None:
    customer, agent, conv = chat["customer"], chat["agent"], chat["conversation_id"]
    ids = [new_client_id() for _ in range(12)]  # pasted lines: all in flight at once, within the burst
    for cid in ids:
        customer.send(action="send", conversation_id=conv, client_id=cid, text=f"line {cid[:6]}")
    answers = [customer.expect("ack", client_id=cid, timeout=30) for cid in ids]
    assert all(a["status"] == "sent" for a in answers)
    rest = customer.drain(0.3)
    assert [e for e in rest if e.get("type") == "error" or "type" not in e] == [], rest
    stored = tables.messages(conv)
    assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))  # gapless
    # Each once (seq 1 is the customer's first line, which started the chat).
    assert sorted(m["client_id"] for m in stored if m["kind"] == "text" and m["seq"] > 1) == sorted(ids)
    got = {e["client_id"] for e in agent.drain(1.0) if e["type"] == "message"}
    assert set(ids) <= got


def test_a_flooding_connection_is_refused_and_another_chat_goes_on(
    local_hub: LocalHub, chat: dict[str, Any], peers: list[Peer], tables: Tables
) -> None:
    flooder, conv = chat["customer"], chat["conversation_id"]
    other_customer, _ = Peer.customer(local_hub, name="Calm")
    other_agent = Peer.agent(local_hub, local_hub.agent2_username)
    peers += [other_customer, other_agent]
    other = other_customer.request("conversation", action="start")["conversation"]["id"]
    # Its first line starts it (agents see it from then on); the other agent takes it.
    other_customer.request("ack", action="send", conversation_id=other, client_id=new_client_id(), text="Hi")
    other_customer.expect("conversation")
    other_agent.request("conversation", action="take", conversation_id=other)
    other_customer.drain(0.2)
    other_agent.drain(0.2)

    def flood() -> None:
        for n in range(300):
            flooder.send(action="send", conversation_id=conv, client_id=f"flood-{n}", text="spam", request_id=f"f{n}")

    flooding = threading.Thread(target=flood)
    flooding.start()
    delivered = []
    for n in range(5):  # the other chat, meanwhile
        cid = new_client_id()
        ack = other_customer.request("ack", action="send", conversation_id=other, client_id=cid, text=f"calm {n}")
        assert ack["status"] == "sent"
        delivered.append(other_agent.expect("message", client_id=cid, timeout=20)["client_id"])
    flooding.join(30)
    assert len(delivered) == 5
    answers = [e for e in flooder.drain(2.0) if str(e.get("request_id", "")).startswith("f")]
    limited = [e for e in answers if e["type"] == "error" and e["code"] == "rate_limited"]
    acked = {e["client_id"] for e in answers if e["type"] == "ack"}
    assert limited and all(e["retry_after"] >= 1 for e in limited)
    assert {e["type"] for e in answers} <= {"ack", "error"} and len(answers) == len(acked) + len(limited)
    assert len(acked) < 300 - len(limited)  # the rest were refused without an answer each
    # After retry_after the connection is usable again; what was refused was never stored.
    time.sleep(max(e["retry_after"] for e in limited))
    cid = new_client_id()
    assert flooder.request("ack", action="send", conversation_id=conv, client_id=cid, text="sorry")["status"] == "sent"
    stored = tables.messages(conv)
    assert {m["client_id"] for m in stored if m["kind"] == "text" and m["seq"] > 1} == acked | {cid}
    assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))


def test_new_conversations_per_customer_are_limited(local_hub: LocalHub, peers: list[Peer]) -> None:
    customer, _ = Peer.customer(local_hub, name="Opener")
    peers.append(customer)
    opened = []
    for _ in range(10):
        opened.append(customer.request("conversation", action="start")["conversation"]["id"])
        time.sleep(0.15)  # under the connection's action rate
    refused = customer.request("error", action="start")
    assert refused["code"] == "rate_limited" and 1 <= refused["retry_after"] <= 3600
    assert len(set(opened)) == 10


def test_widget_sessions_per_tenant_and_client_are_limited(local_hub: LocalHub, tables: Tables) -> None:
    # A tenant of its own, so the other tests' sessions (same client address) do not count here.
    key = "wk_limited_e2e"
    tables.client.put_item(
        TableName=_tenants_table(),
        Item={
            "tenant_id": {"S": "limited"},
            "registry": {"S": "tenants"},
            "name": {"S": "Limited"},
            "widget_keys": {"SS": [key]},
            "created_at": {"N": "0"},
        },
    )
    url = local_hub.api_url + "/widget/session"
    codes = []
    for _ in range(61):  # two fixed windows hold at most 60, whenever the test starts
        try:
            local_hub.request("POST", url, {"widget_key": key})
            codes.append(200)
        except urllib.error.HTTPError as exc:
            codes.append(exc.code)
            body = exc.read()
            assert b"rate_limited" in body and exc.headers["Retry-After"]
    assert codes.count(429) >= 1 and codes.count(200) <= 60
    assert codes.index(429) >= 30  # a window holds 30
    # The limit is per client address: a customer elsewhere still gets a session.
    other = local_hub.request("POST", url, {"widget_key": key}, source="127.0.0.2")
    assert other["token"]


def _tenants_table() -> str:
    from pathlib import Path

    from local.bootstrap import stage_variables

    return stage_variables(Path(__file__).resolve().parents[2])["TENANTS_TABLE"]
