"""The live lane on in-memory stores: what is stored, who receives what (exact recipient sets)."""

from __future__ import annotations

from tests.unit.conftest import Unit


def test_customer_and_agent_exchange_messages_and_each_side_sees_its_sequence(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    agent = unit.connect_agent("ana")
    [snap] = unit.act(agent, action="join", conversation_id=conv)
    assert snap["type"] == "conversation" and snap["conversation"]["owner"]["name"] == "Ana"
    joined = unit.sender.take(customer)
    assert [e["type"] for e in joined] == ["message", "conversation"]

    [ack] = unit.act(customer, action="send", conversation_id=conv, client_id="m1", text="Hello", request_id="r1")
    assert (ack["type"], ack["status"], ack["seq"], ack["request_id"]) == ("ack", "sent", 2, "r1")
    [msg] = unit.sender.take(agent)
    assert (msg["text"], msg["seq"], msg["prev_seq"], msg["author"]["role"]) == ("Hello", 2, 1, "customer")
    assert unit.texts(conv) == ["Ana joined the conversation", "Hello"]


def test_a_resend_stores_once_and_a_reused_client_id_is_refused(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    first = unit.act(customer, action="send", conversation_id=conv, client_id="dup", text="once")
    again = unit.act(customer, action="send", conversation_id=conv, client_id="dup", text="once")
    assert [first[0]["status"], again[0]["status"]] == ["sent", "sent-again"]
    [err] = unit.act(customer, action="send", conversation_id=conv, client_id="dup", text="other")
    assert err["code"] == "client_id_reused" and err["client_id"] == "dup"
    assert unit.texts(conv) == ["once"]


def test_notes_reach_agents_only_and_the_customer_sequence_skips_them(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.act(ana, action="join", conversation_id=conv)
    unit.act(bo, action="join", conversation_id=conv)
    for c in (customer, ana, bo):
        unit.sender.take(c)
    unit.act(ana, action="note", conversation_id=conv, client_id="n1", text="VIP")
    assert unit.sender.take(customer) == []
    assert [e["kind"] for e in unit.sender.take(bo)] == ["note"]
    unit.act(ana, action="send", conversation_id=conv, client_id="t1", text="Hi")
    [seen] = unit.sender.take(customer)
    assert (seen["seq"], seen["prev_seq"]) == (4, 2)
    [sync] = unit.act(customer, action="sync", conversation_id=conv, since=0)
    assert [m["seq"] for m in sync["messages"]] == [1, 2, 4] and sync["complete"] is True
    assert "next_since" not in sync


def test_typing_reaches_the_other_side_only_and_note_typing_agents_only(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    ana = unit.connect_agent("ana")
    unit.act(ana, action="join", conversation_id=conv)
    tab2 = unit.connect_agent("ana")
    unit.act(tab2, action="sync", conversation_id=conv, since=0)
    unit.sender.take(customer)
    unit.act(ana, action="typing", conversation_id=conv, state="start")
    assert unit.sender.take(tab2) == []  # never the typist's own connections
    [typing] = unit.sender.take(customer)
    assert typing["by"]["name"] == "Ana" and "note" not in typing
    unit.act(ana, action="typing", conversation_id=conv, state="start", note=True)
    assert unit.sender.take(customer) == []


def test_receipts_move_forward_only_and_reach_every_other_connection(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    ana = unit.connect_agent("ana")
    unit.act(ana, action="join", conversation_id=conv)
    unit.act(ana, action="send", conversation_id=conv, client_id="a1", text="hi")
    unit.sender.take(customer)
    [ack] = unit.act(customer, action="read", conversation_id=conv, seq=2)
    assert ack == {"type": "ack", "action": "read", "conversation_id": conv, "seq": 2}
    [read] = unit.sender.take(ana)
    assert (read["type"], read["seq"]) == ("read", 2)
    unit.act(customer, action="read", conversation_id=conv, seq=1)
    assert unit.sender.take(ana) == []
    [err] = unit.act(customer, action="read", conversation_id=conv, seq=9)
    assert err["code"] == "invalid_action"


def test_presence_follows_the_last_connection_and_a_gone_target_alone_is_dropped(unit: Unit) -> None:
    watcher = unit.connect_agent("bo")
    ana = unit.connect_agent("ana")
    presence = [e for e in unit.sender.take(watcher) if e["type"] == "presence"]
    assert [(p["agent"]["name"], p["reachable"]) for p in presence] == [("Ana", True)]
    customer = unit.connect_customer()
    unit.clock.advance(60)  # past the connect grace period
    unit.sender.gone.add(ana)
    unit.start(customer)  # the lobby update to every agent finds ana's connection gone
    assert ana not in unit.store.connections and watcher in unit.store.connections
    left = [e for e in unit.sender.take(watcher) if e["type"] == "presence"]
    assert [(p["agent"]["name"], p["reachable"]) for p in left] == [("Ana", False)]


def test_roles_tenants_and_strangers_are_kept_apart(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    [err] = unit.act(customer, action="join", conversation_id=conv)
    assert err["code"] == "forbidden"
    other = unit.connect_customer()
    [err] = unit.act(other, action="sync", conversation_id=conv, since=0)
    assert err["code"] == "not_found"
    foreign = unit.connect_agent("zed", tenant="acme")
    [err] = unit.act(foreign, action="join", conversation_id=conv)
    assert err["code"] == "not_found"
    [err] = unit.act(customer, action="send", conversation_id=conv, client_id="x", text="hi", tenant="acme")
    assert err["code"] == "wrong_tenant"
    [err] = unit.act("never=", action="heartbeat")
    assert err["code"] == "session_expired"
