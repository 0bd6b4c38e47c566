"""The live lane end to end: real WebSockets through the local API Gateway to the Lambdas and moto."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from local.testing import LocalHub
from tests.e2e.conftest import Tables
from tests.e2e.peers import Peer, new_client_id

pytestmark = pytest.mark.e2e


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_messages_both_ways(chat: dict[str, Any], tables: Tables) -> None:
    customer, agent, conv = chat["customer"], chat["agent"], chat["conversation_id"]
    ack = customer.request("ack", action="send", conversation_id=conv, client_id="c-1", text="My parcel is late")
    assert ack["status"] == "sent"
    got = agent.expect("message", client_id="c-1")
    assert got["text"] == "My parcel is late" and got["seq"] == ack["seq"] and got["author"]["role"] == "customer"

    back = agent.request("ack", action="send", conversation_id=conv, client_id="a-1", text="Let me check that for you")
    reply = customer.expect("message", client_id="a-1")
    assert reply["text"] == "Let me check that for you" and reply["seq"] == back["seq"] == ack["seq"] + 1
    assert reply["prev_seq"] == ack["seq"]
    assert [m["text"] for m in tables.messages(conv)][-2:] == ["My parcel is late", "Let me check that for you"]


def test_a_message_that_reads_like_a_query_string_action_is_stored_and_breaks_nothing(
    chat: dict[str, Any], tables: Tables
) -> None:
    """A customer pasting a link with `&Action=DeleteTable` in it made the local stack's moto
    delete the table (local.moto_patches, patch 14). DynamoDB itself never reads a body so."""
    customer, agent, conv = chat["customer"], chat["agent"], chat["conversation_id"]
    link = "https://shop.example/track?id=7&Action=DeleteTable&x=1"
    ack = customer.request("ack", action="send", conversation_id=conv, client_id="c-act", text=link)
    assert agent.expect("message", client_id="c-act")["text"] == link
    after = agent.request("ack", action="send", conversation_id=conv, client_id="a-act", text="Got it")
    assert after["seq"] == ack["seq"] + 1 and customer.expect("message", client_id="a-act")["text"] == "Got it"
    assert [m["text"] for m in tables.messages(conv)][-2:] == [link, "Got it"]


def test_typing_reaches_only_the_other_side(chat: dict[str, Any]) -> None:
    customer, agent, conv = chat["customer"], chat["agent"], chat["conversation_id"]
    customer.send(action="typing", conversation_id=conv, state="start")
    event = agent.expect("typing")
    assert event["by"]["role"] == "customer" and event["state"] == "start"
    agent.send(action="typing", conversation_id=conv, state="start", note=True)
    agent.send(action="typing", conversation_id=conv, state="stop")
    assert customer.expect("typing")["state"] == "stop"  # the note-typing start never reached the customer
    assert [e for e in customer.drain() + agent.drain() if e["type"] == "typing"] == []


def test_delivery_and_read_receipts(chat: dict[str, Any]) -> None:
    customer, agent, conv = chat["customer"], chat["agent"], chat["conversation_id"]
    ack = agent.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Found it")
    seq = customer.expect("message", seq=ack["seq"])["seq"]
    customer.send(action="delivered", conversation_id=conv, seq=seq)
    assert agent.expect("delivered")["seq"] == seq
    customer.send(action="read", conversation_id=conv, seq=seq)
    read = agent.expect("read")
    assert read["seq"] == seq and read["by"]["role"] == "customer"
    sync = agent.request("sync", action="sync", conversation_id=conv, since=seq)
    me = next(p for p in sync["conversation"]["participants"] if p["role"] == "customer")
    assert me["read_seq"] == seq and me["delivered_seq"] == seq


def test_resend_with_same_client_id_stores_once(chat: dict[str, Any], tables: Tables) -> None:
    customer, agent, conv = chat["customer"], chat["agent"], chat["conversation_id"]
    cid = new_client_id()
    first = customer.request("ack", action="send", conversation_id=conv, client_id=cid, text="Are you there?")
    again = customer.request("ack", action="send", conversation_id=conv, client_id=cid, text="Are you there?")
    assert (first["status"], again["status"]) == ("sent", "sent-again") and first["seq"] == again["seq"]
    assert [m["client_id"] for m in tables.messages(conv)].count(cid) == 1
    delivered = [e for e in agent.drain() if e["type"] == "message"]
    assert {e["seq"] for e in delivered} == {first["seq"]}  # told twice at most, always the same entry


def test_reconnect_receives_exactly_the_missed_messages_in_order(
    local_hub: LocalHub, chat: dict[str, Any], peers: list[Peer]
) -> None:
    customer, agent, conv = chat["customer"], chat["agent"], chat["conversation_id"]
    last = customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="brb")["seq"]
    customer.close()
    missed = [
        agent.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text=f"update {i}")["seq"]
        for i in range(6)
    ]
    back, _ = Peer.customer(local_hub, token=chat["token"])
    peers.append(back)
    back.request("conversation", action="start", conversation_id=conv)
    sync = back.request("sync", action="sync", conversation_id=conv, since=last)
    assert [m["seq"] for m in sync["messages"]] == missed
    assert [m["text"] for m in sync["messages"]] == [f"update {i}" for i in range(6)]
    assert sync["complete"] is True
    live = agent.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="live again")
    assert back.expect("message", seq=live["seq"])["prev_seq"] == missed[-1]


def test_concurrent_senders_get_distinct_gapless_sequences(
    local_hub: LocalHub, chat: dict[str, Any], tables: Tables, peers: list[Peer]
) -> None:
    conv = chat["conversation_id"]
    second = Peer.agent(local_hub, local_hub.agent2_username)
    peers.append(second)
    second.request("conversation", action="join", conversation_id=conv)
    # The join is a write too: a full burst of 15 right after it could meet the per-connection
    # write limit (bursts of 15, 2 a second). Its token is back after half a second.
    time.sleep(1.0)
    senders = [chat["customer"], chat["agent"], second]
    start = max(m["seq"] for m in tables.messages(conv))
    per_sender = 15
    acks: dict[str, list[dict[str, Any]]] = {}

    def burst(peer: Peer) -> None:
        ids = [f"p{i}-{uuid.uuid4().hex[:8]}" for i in range(per_sender)]
        for cid in ids:  # fire without waiting: the Lambdas run concurrently
            peer.send(action="send", conversation_id=conv, client_id=cid, text=cid)
        acks[peer.name] = [peer.expect("ack", client_id=cid, timeout=30) for cid in ids]

    threads = [threading.Thread(target=burst, args=(p,)) for p in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    seqs = sorted(a["seq"] for group in acks.values() for a in group)
    assert seqs == list(range(start + 1, start + 1 + per_sender * len(senders)))
    stored = [m["seq"] for m in tables.messages(conv)]
    assert stored == list(range(1, start + 1 + per_sender * len(senders)))


def test_gone_connection_is_removed_and_only_it(local_hub: LocalHub, chat: dict[str, Any], tables: Tables) -> None:
    customer, agent, conv = chat["customer"], chat["agent"], chat["conversation_id"]
    # A connection whose $disconnect never arrived: still in the tables, gone at the gateway.
    stale = "Stal3C0nnect10n="
    now = int(time.time())
    tables.client.put_item(
        TableName=tables.names["connections"],
        Item={
            "connection_id": {"S": stale},
            "tenant": {"S": "global"},
            "role": {"S": "agent"},
            "user_id": {"S": "ghost"},
            "name": {"S": "Ghost"},
            "connected_at": {"N": str(now - 600)},
            "auth_expires_at": {"N": str(now + 3600)},
            "expires_at": {"N": str(now + 3600)},
            "tenant_role": {"S": "global#agent"},
            "tenant_user": {"S": "global#agent#ghost"},
            "conversations": {"SS": [conv]},
        },
    )
    tables.client.put_item(
        TableName=tables.names["conversations"],
        Item={
            "pk": {"S": f"T#global#C#{conv}"},
            "sk": {"S": f"S#{stale}"},
            "type": {"S": "subscription"},
            "connection_id": {"S": stale},
            "role": {"S": "agent"},
            "user_id": {"S": "ghost"},
            "expires_at": {"N": str(now + 3600)},
        },
    )
    ack = customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="hello?")
    assert ack["status"] == "sent"
    assert agent.expect("message", seq=ack["seq"])["text"] == "hello?"
    # The cleanup runs after the live recipients were served: wait for it.
    # The store deletes the connection first, then its subscriptions: wait for both.
    eventually(lambda: tables.connection(stale) is None and stale not in tables.subscribers(conv))
    live = tables.subscribers(conv)
    assert len(live) == 2 and all(tables.connection(c) is not None for c in live)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{this is not json", "bad_json"),
        (json.dumps({"action": "teleport"}), "unknown_action"),
        (
            json.dumps({"action": "send", "conversation_id": "CONV", "client_id": "x", "text": "z" * 20_000}),
            "payload_too_large",
        ),
        (
            json.dumps({"action": "send", "conversation_id": "CONV", "client_id": "x", "text": "hi", "tenant": "acme"}),
            "wrong_tenant",
        ),
        (json.dumps({"action": "send", "conversation_id": "CONV", "text": "no client id"}), "invalid_action"),
        (json.dumps({"action": "join", "conversation_id": "CONV"}), "forbidden"),
    ],
)
def test_bad_input_errors_to_sender_only_and_connection_survives(
    chat: dict[str, Any], tables: Tables, frame: str, code: str
) -> None:
    customer, agent, conv = chat["customer"], chat["agent"], chat["conversation_id"]
    before = tables.messages(conv)
    customer.send_raw(frame.replace("CONV", conv))
    err = customer.expect("error")
    assert err["code"] == code and err["message"]
    assert tables.messages(conv) == before
    assert [e for e in agent.drain() if e["type"] == "error"] == []
    ack = customer.request(
        "ack", action="send", conversation_id=conv, client_id=new_client_id(), text="still connected"
    )
    assert agent.expect("message", seq=ack["seq"])["text"] == "still connected"


def test_replayed_client_id_with_other_text_is_refused(chat: dict[str, Any], tables: Tables) -> None:
    customer, conv = chat["customer"], chat["conversation_id"]
    cid = new_client_id()
    customer.request("ack", action="send", conversation_id=conv, client_id=cid, text="original")
    err = customer.request("error", action="send", conversation_id=conv, client_id=cid, text="tampered")
    assert err["code"] == "client_id_reused"
    assert [m["text"] for m in tables.messages(conv) if m["client_id"] == cid] == ["original"]


def test_expired_or_forged_credentials_are_refused_at_connect(local_hub: LocalHub) -> None:
    import jwt

    token = local_hub.agent_token()
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 60
    header = jwt.get_unverified_header(token)
    forged = jwt.encode(claims, "not-the-pool-key-not-the-pool-key", algorithm="HS256", headers={"kid": header["kid"]})
    for query in (f"token={forged}", "token=garbage", "session=garbage", ""):
        with pytest.raises(InvalidStatus) as refused:
            Peer(f"{local_hub.ws_url}?{query}", "intruder")
        assert refused.value.response.status_code == 401


def test_other_customer_cannot_read_a_thread(local_hub: LocalHub, chat: dict[str, Any], peers: list[Peer]) -> None:
    intruder, _ = Peer.customer(local_hub, name="Mallory")
    peers.append(intruder)
    err = intruder.request("error", action="sync", conversation_id=chat["conversation_id"], since=0)
    assert err["code"] == "not_found"
    err = intruder.request("error", action="send", conversation_id=chat["conversation_id"], client_id="x", text="hi")
    assert err["code"] == "not_found"
