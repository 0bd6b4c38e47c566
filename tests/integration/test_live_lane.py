"""The live lane on moto: what is stored and who receives what."""

from __future__ import annotations

from chalicelib.live.notifier import CONNECT_GRACE_SECONDS
from chalicelib.store.models import Message
from tests.integration.conftest import Harness


def test_customer_and_agent_exchange_messages(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer, "Hello")
    agent = hub.connect_agent("ana")
    [snap] = [e for e in hub.act(agent, action="take", conversation_id=conv) if e["type"] == "conversation"]
    assert snap["conversation"]["owner"]["name"] == "Ana"
    joined = [e for e in hub.sender.take(customer) if e["type"] in ("message", "conversation")]
    assert [e["type"] for e in joined] == ["message", "conversation"]
    line = joined[0]
    assert line["kind"] == "system" and line["code"] == "agent_joined" and line["params"] == {"name": "Ana"}
    assert line["text"] == "Ana joined the conversation"

    [ack] = hub.act(customer, action="send", conversation_id=conv, client_id="m1", text="Still there?")
    assert ack == {**ack, "type": "ack", "status": "sent", "seq": 3, "client_id": "m1"}
    [msg] = hub.sender.take(agent)
    assert msg["type"] == "message" and msg["text"] == "Still there?" and msg["seq"] == 3 and msg["prev_seq"] == 2
    assert msg["author"] == {"role": "customer", "id": msg["author"]["id"], "name": "Kim"}

    [ack2] = hub.act(agent, action="send", conversation_id=conv, client_id="a1", text="Hi Kim")
    assert ack2["seq"] == 4
    [reply] = hub.sender.take(customer)
    assert reply["text"] == "Hi Kim" and reply["prev_seq"] == 3

    stored = [(m.seq, m.text) for m in Message.query(f"T#global#C#{conv}")]
    assert stored == [(1, "Hello"), (2, "Ana joined the conversation"), (3, "Still there?"), (4, "Hi Kim")]


def test_resend_with_same_client_id_stores_once_and_answers_sent_again(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    first = hub.act(customer, action="send", conversation_id=conv, client_id="dup", text="once")
    again = hub.act(customer, action="send", conversation_id=conv, client_id="dup", text="once")
    assert first[0]["status"] == "sent" and again[0]["status"] == "sent-again"
    assert first[0]["seq"] == again[0]["seq"] == 1
    assert [m.text for m in Message.query(f"T#global#C#{conv}")] == ["once"]


def test_client_id_reused_for_other_text_is_rejected(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    hub.act(customer, action="send", conversation_id=conv, client_id="x1", text="first")
    [err] = hub.act(customer, action="send", conversation_id=conv, client_id="x1", text="different")
    assert err["type"] == "error" and err["code"] == "client_id_reused" and err["client_id"] == "x1"
    assert [m.text for m in Message.query(f"T#global#C#{conv}")] == ["first"]


def test_notes_reach_agents_only_and_customer_sequence_skips_them(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    ana = hub.connect_agent("ana")
    bo = hub.connect_agent("bo")
    hub.act(ana, action="take", conversation_id=conv)
    hub.act(bo, action="join", conversation_id=conv)
    for c in (customer, ana, bo):
        hub.sender.take(c)
    [ack] = hub.act(ana, action="note", conversation_id=conv, client_id="n1", text="VIP customer")
    assert ack["seq"] == 4
    assert hub.sender.take(customer) == []
    [note] = hub.sender.take(bo)
    assert note["kind"] == "note" and note["text"] == "VIP customer"
    hub.act(ana, action="send", conversation_id=conv, client_id="t1", text="How can I help?")
    [seen] = hub.sender.take(customer)
    # The customer's own numbering has no hole where the note (4) is: nothing to count.
    assert seen["seq"] == 4 and seen["prev_seq"] == 3
    assert [(e["seq"], e["prev_seq"]) for e in hub.sender.take(bo)] == [(5, 4)]  # agents: the full sequence
    [sync] = hub.act(customer, action="sync", conversation_id=conv, since=0)
    assert [m["seq"] for m in sync["messages"]] == [1, 2, 3, 4]
    assert all(m["kind"] != "note" for m in sync["messages"])
    assert sync["conversation"]["last_seq"] == 4 and sync["through"] == 4
    [agent_sync] = hub.act(bo, action="sync", conversation_id=conv, since=0)
    assert [m["seq"] for m in agent_sync["messages"]] == [1, 2, 3, 4, 5]
    assert agent_sync["conversation"]["last_seq"] == 5


def test_customer_cannot_note_or_join(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    [err] = hub.act(customer, action="note", conversation_id=conv, client_id="n", text="x")
    assert err["code"] == "forbidden"
    [err] = hub.act(customer, action="join", conversation_id=conv)
    assert err["code"] == "forbidden"
    [err] = hub.act(customer, action="take", conversation_id=conv)
    assert err["code"] == "forbidden"
    assert list(Message.query(f"T#global#C#{conv}")) == []


def test_typing_reaches_only_the_other_side(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    ana = hub.connect_agent("ana")
    hub.act(ana, action="take", conversation_id=conv)
    hub.sender.take(customer)
    ana_tab2 = hub.connect_agent("ana")
    hub.act(ana_tab2, action="sync", conversation_id=conv, since=0)
    hub.act(customer, action="typing", conversation_id=conv, state="start")
    assert hub.sender.take(customer) == []
    assert [e["state"] for e in hub.sender.take(ana)] == ["start"]
    hub.sender.take(ana_tab2)
    hub.act(ana, action="typing", conversation_id=conv, state="start")
    assert hub.sender.take(ana_tab2) == []  # never the typist's own connections
    assert hub.sender.take(customer)[0]["by"]["name"] == "Ana"
    hub.act(ana, action="typing", conversation_id=conv, state="start", note=True)
    assert hub.sender.take(customer) == []  # note typing is agents-only


def test_read_and_delivered_receipts_move_forward_only(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    ana = hub.connect_agent("ana")
    hub.act(ana, action="take", conversation_id=conv)
    hub.act(ana, action="send", conversation_id=conv, client_id="a1", text="hi")
    hub.sender.take(customer)
    hub.sender.take(ana)
    hub.act(customer, action="delivered", conversation_id=conv, seq=3)
    [delivered] = hub.sender.take(ana)
    assert delivered["type"] == "delivered" and delivered["seq"] == 3 and delivered["by"]["role"] == "customer"
    hub.act(customer, action="read", conversation_id=conv, seq=3)
    [read] = hub.sender.take(ana)
    assert read["type"] == "read" and read["seq"] == 3
    hub.act(customer, action="read", conversation_id=conv, seq=1)
    assert hub.sender.take(ana) == []  # a cursor never moves back
    [err] = hub.act(customer, action="read", conversation_id=conv, seq=99)
    assert err["code"] == "invalid_action"
    [sync] = hub.act(ana, action="sync", conversation_id=conv, since=0)
    cust = next(p for p in sync["conversation"]["participants"] if p["role"] == "customer")
    assert cust["read_seq"] == 3 and cust["delivered_seq"] == 3


def test_gone_target_is_removed_and_others_still_receive(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    ana = hub.connect_agent("ana")
    bo = hub.connect_agent("bo")
    hub.act(ana, action="take", conversation_id=conv)
    hub.act(bo, action="join", conversation_id=conv)
    hub.sender.take(ana)
    hub.sender.take(customer)
    hub.clock.advance(CONNECT_GRACE_SECONDS + 1)
    hub.sender.gone.add(bo)
    [ack] = hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="anyone?")
    assert ack["status"] == "sent"
    assert hub.sender.take(ana)[0]["text"] == "anyone?"
    assert hub.lane.connections.store.get_connection(bo, hub.clock.now()) is None
    assert hub.lane.connections.store.get_connection(customer, hub.clock.now()) is not None
    assert hub.lane.connections.store.get_connection(ana, hub.clock.now()) is not None
    state = hub.lane.timeline.store.load_conversation("global", conv, hub.clock.now())
    assert state is not None and bo not in {s.connection_id for s in state.subscriptions}


def test_other_customers_and_tenants_cannot_see_a_conversation(hub: Harness) -> None:
    kim, _ = hub.connect_customer()
    conv = hub.start(kim)
    hub.act(kim, action="send", conversation_id=conv, client_id="k1", text="private")
    lee, _ = hub.connect_customer()
    [err] = hub.act(lee, action="sync", conversation_id=conv, since=0)
    assert err["code"] == "not_found"
    [err] = hub.act(lee, action="start", conversation_id=conv)
    assert err["code"] == "not_found"
    foreign = hub.connect_agent("zed", tenant="acme")
    [err] = hub.act(foreign, action="join", conversation_id=conv)
    assert err["code"] == "not_found"
    [err] = hub.act(foreign, action="take", conversation_id=conv)
    assert err["code"] == "not_found"
    [err] = hub.act(foreign, action="heartbeat", tenant="global")
    assert err["code"] == "wrong_tenant"


def test_reconnect_sync_returns_exactly_the_missed_entries(hub: Harness) -> None:
    customer, token = hub.connect_customer()
    conv = hub.started(customer, "one")
    ana = hub.connect_agent("ana")
    hub.act(ana, action="take", conversation_id=conv)
    hub.lane.disconnect(customer)
    for i in range(5):
        hub.act(ana, action="send", conversation_id=conv, client_id=f"a{i}", text=f"missed {i}")
    again, _ = hub.connect_customer(previous=token)
    [snap] = hub.act(again, action="start", conversation_id=conv)
    assert snap["conversation"]["id"] == conv
    [sync] = hub.act(again, action="sync", conversation_id=conv, since=2)
    assert [m["text"] for m in sync["messages"]] == [f"missed {i}" for i in range(5)]
    assert [m["seq"] for m in sync["messages"]] == [3, 4, 5, 6, 7] and sync["complete"] is True


def test_disconnect_removes_connection_and_subscriptions(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    hub.lane.disconnect(customer)
    state = hub.lane.timeline.store.load_conversation("global", conv, hub.clock.now())
    assert state is not None and state.subscriptions == []
    assert hub.lane.connections.store.get_connection(customer, 0) is None


def test_gone_answer_during_connect_does_not_remove_the_new_connection(hub: Harness) -> None:
    """API Gateway answers 410 while a connection's $connect is still running."""
    watcher = hub.connect_agent("bo")
    hub.sender.gone.add(watcher)  # still connecting, as far as the gateway is concerned
    hub.connect_agent("ana")  # broadcasts presence to bo
    assert hub.lane.connections.store.get_connection(watcher, hub.clock.now()) is not None
    hub.clock.advance(CONNECT_GRACE_SECONDS + 1)
    hub.connect_agent("cy")  # another presence broadcast, now past the grace
    assert hub.lane.connections.store.get_connection(watcher, hub.clock.now()) is None


def test_lobby_update_carries_the_new_preview(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    watcher = hub.connect_agent("ana")
    hub.sender.take(watcher)
    hub.act(customer, action="send", conversation_id=conv, client_id="p1", text="Is my order shipped?")
    [update] = [e for e in hub.sender.take(watcher) if e["type"] == "conversation"]
    assert update["conversation"]["preview"]["text"] == "Is my order shipped?"
    assert update["conversation"]["last_seq"] == 1


def test_preview_is_what_a_person_said_never_a_system_line(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer, "Where is my parcel?")
    agent = hub.connect_agent("ana")
    [snap] = [e for e in hub.act(agent, action="take", conversation_id=conv) if e["type"] == "conversation"]
    assert snap["conversation"]["preview"]["text"] == "Where is my parcel?"
    assert snap["conversation"]["last_seq"] == 2  # the join line still has its place in the sequence


def test_lobby_hears_when_an_unowned_chat_starts_waiting_not_on_every_line(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    watcher = hub.connect_agent("ana")
    hub.sender.take(watcher)
    for n in range(3):
        hub.act(customer, action="send", conversation_id=conv, client_id=f"w{n}", text=f"hello {n}")
    updates = [e for e in hub.sender.take(watcher) if e["type"] == "conversation"]
    assert [u["conversation"]["preview"]["text"] for u in updates] == ["hello 0"]
