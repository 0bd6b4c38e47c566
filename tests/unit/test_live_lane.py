"""The live lane on in-memory stores: what is stored, who receives what (exact recipient sets)."""

from __future__ import annotations

from tests.unit.conftest import Unit


def test_customer_and_agent_exchange_messages_and_each_side_sees_its_sequence(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer, "Hi there")
    agent = unit.connect_agent("ana")
    joined_line, snap = unit.act(agent, action="take", conversation_id=conv)
    assert snap["type"] == "conversation" and snap["conversation"]["owner"]["name"] == "Ana"
    # Subscribed before the take: the taker's thread gets the line live, as everyone's does.
    assert (joined_line["type"], joined_line["seq"], joined_line["code"]) == ("message", 2, "agent_joined")
    joined = [e for e in unit.sender.take(customer) if e["type"] != "availability"]
    assert [e["type"] for e in joined] == ["message", "conversation"]
    assert (joined[0]["code"], joined[0]["params"]) == ("agent_joined", {"name": "Ana"})

    [ack] = unit.act(customer, action="send", conversation_id=conv, client_id="m1", text="Hello", request_id="r1")
    assert (ack["type"], ack["status"], ack["seq"], ack["request_id"]) == ("ack", "sent", 3, "r1")
    [msg] = unit.sender.take(agent)
    assert (msg["text"], msg["seq"], msg["prev_seq"], msg["author"]["role"]) == ("Hello", 3, 2, "customer")
    assert unit.texts(conv) == ["Hi there", "Ana joined the conversation", "Hello"]


def test_a_resend_stores_once_and_a_reused_client_id_is_refused(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer, "first")
    first = unit.act(customer, action="send", conversation_id=conv, client_id="dup", text="once")
    again = unit.act(customer, action="send", conversation_id=conv, client_id="dup", text="once")
    assert [first[0]["status"], again[0]["status"]] == ["sent", "sent-again"]
    [err] = unit.act(customer, action="send", conversation_id=conv, client_id="dup", text="other")
    assert err["code"] == "client_id_reused" and err["client_id"] == "dup"
    assert unit.texts(conv) == ["first", "once"]


def test_notes_reach_agents_only_and_the_customer_sequence_skips_them(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.act(ana, action="take", conversation_id=conv)
    unit.act(bo, action="join", conversation_id=conv)
    for c in (customer, ana, bo):
        unit.sender.take(c)
    unit.act(ana, action="note", conversation_id=conv, client_id="n1", text="VIP")
    assert unit.sender.take(customer) == []
    assert [e["kind"] for e in unit.sender.take(bo)] == ["note"]
    unit.act(ana, action="send", conversation_id=conv, client_id="t1", text="Hi")
    [seen] = unit.sender.take(customer)
    # The customer's own numbering has no hole where the note (4th entry) is: nothing to count.
    # Entries: their message, Ana's and Bo's lines, the note, Ana's reply.
    assert (seen["seq"], seen["prev_seq"]) == (4, 3)
    [seen_by_agent] = unit.sender.take(bo)
    assert (seen_by_agent["seq"], seen_by_agent["prev_seq"]) == (5, 4)
    [sync] = unit.act(customer, action="sync", conversation_id=conv, since=0)
    assert [m["seq"] for m in sync["messages"]] == [1, 2, 3, 4] and sync["complete"] is True
    assert sync["through"] == 4 and "next_since" not in sync


def test_typing_reaches_the_other_side_only_and_note_typing_agents_only(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana = unit.connect_agent("ana")
    unit.act(ana, action="take", conversation_id=conv)
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
    conv = unit.started(customer)
    ana = unit.connect_agent("ana")
    unit.act(ana, action="take", conversation_id=conv)
    unit.act(ana, action="send", conversation_id=conv, client_id="a1", text="hi")
    unit.sender.take(customer)
    unit.sender.take(ana)
    assert unit.act(customer, action="read", conversation_id=conv, seq=3) == []  # no request_id: no ack
    [read] = unit.sender.take(ana)
    assert (read["type"], read["seq"]) == ("read", 3)
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
    unit.started(customer)  # the lobby update to every agent finds ana's connection gone
    assert ana not in unit.store.connections and watcher in unit.store.connections
    left = [e for e in unit.sender.take(watcher) if e["type"] == "presence"]
    assert [(p["agent"]["name"], p["reachable"]) for p in left] == [("Ana", False)]


def test_roles_tenants_and_strangers_are_kept_apart(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    [err] = unit.act(customer, action="join", conversation_id=conv)
    assert err["code"] == "forbidden"
    [err] = unit.act(customer, action="take", conversation_id=conv)
    assert err["code"] == "forbidden"
    other = unit.connect_customer()
    [err] = unit.act(other, action="sync", conversation_id=conv, since=0)
    assert err["code"] == "not_found"
    foreign = unit.connect_agent("zed", tenant="acme")
    for action in ("join", "take"):
        [err] = unit.act(foreign, action=action, conversation_id=conv)
        assert err["code"] == "not_found"
    [err] = unit.act(foreign, action="assign", conversation_id=conv, agent_id="sub-zed")
    assert err["code"] == "not_found"
    [err] = unit.act(customer, action="send", conversation_id=conv, client_id="x", text="hi", tenant="acme")
    assert err["code"] == "wrong_tenant"
    [err] = unit.act("never=", action="heartbeat")
    assert err["code"] == "session_expired"


def test_reading_is_reading_and_ownership_is_explicit(unit: Unit) -> None:
    """Issue 10, item 5: opening a thread (sync) changes nothing and tells the customer nothing;
    taking, helping and assigning are explicit, and two takes of one chat end with one owner."""
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.sender.take(customer)
    unit.sender.take(ana)
    [sync] = unit.act(ana, action="sync", conversation_id=conv, since=0)
    assert sync["conversation"]["owner"] is None and unit.sender.take(customer) == []
    unit.sender.take(bo)
    [line, snap] = unit.act(ana, action="take", conversation_id=conv)  # Ana reads it: she hears the line
    assert line["code"] == "agent_joined" and snap["conversation"]["owner"]["name"] == "Ana"
    unit.sender.take(bo)
    [err] = unit.act(bo, action="take", conversation_id=conv)  # Bo saw it unowned a moment ago
    assert err["code"] == "conflict" and "Ana already owns" in err["message"]
    unit.sender.take(bo)
    [snap] = [e for e in unit.act(bo, action="join", conversation_id=conv) if e["type"] == "conversation"]
    assert snap["conversation"]["owner"]["name"] == "Ana"
    ana_id = snap["conversation"]["owner"]["id"]
    [snap] = [  # a take-over names the owner
        e for e in unit.act(bo, action="take", conversation_id=conv, expect_owner=ana_id) if e["type"] == "conversation"
    ]
    assert snap["conversation"]["owner"]["name"] == "Bo"
    assert unit.texts(conv) == [
        "Hello",
        "Ana joined the conversation",
        "Bo joined the conversation",
        "Bo took over the conversation",
    ]


def test_opening_the_widget_is_no_conversation_until_the_customer_writes(unit: Unit) -> None:
    """Issue 10, item 4: no inbox entry, no active chat, no agent alerted for an opened widget."""
    agent = unit.connect_agent("ana")
    customer = unit.connect_customer()
    conv = unit.start(customer)
    assert unit.sender.take(agent) == [] and unit.hub.counters.view("global").active_chats == 0
    [err] = unit.act(agent, action="sync", conversation_id=conv, since=0)
    assert err["code"] == "not_found"
    unit.act(customer, action="send", conversation_id=conv, client_id="q", text="Hello?")
    [lobby] = [e for e in unit.sender.take(agent) if e["type"] == "conversation"]
    assert lobby["conversation"]["id"] == conv and lobby["conversation"]["status"] == "open"
    assert unit.hub.counters.view("global").active_chats == 1


def test_owner_lines_follow_the_customers_own_numbering_without_holes(unit: Unit) -> None:
    """Teamlane's system lines (take, assign, close) are public entries: they take the next
    public number, so between notes the customer's numbers still run 1, 2, 3, … (issue 9)."""
    customer = unit.connect_customer()
    conv = unit.start(customer)
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.act(ana, action="presence", status="busy")  # routing leaves the chat to the explicit take
    unit.act(bo, action="presence", status="busy")
    [first] = [
        e
        for e in unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="Hi")
        if e["type"] == "ack"
    ]
    unit.act(ana, action="take", conversation_id=conv)
    unit.act(ana, action="note", conversation_id=conv, client_id="n1", text="VIP")
    unit.act(ana, action="assign", conversation_id=conv, agent_id="sub-bo", expect_owner="sub-ana")
    unit.act(bo, action="note", conversation_id=conv, client_id="n2", text="on it")
    unit.act(bo, action="send", conversation_id=conv, client_id="b1", text="Hello, Bo here")
    unit.act(bo, action="close", conversation_id=conv)
    heard = [e for e in unit.sender.take(customer) if e["type"] == "message"]
    assert [e.get("code") for e in heard] == ["agent_joined", "agent_assigned", None, "conversation_closed"]
    numbers = [first["seq"]] + [e["seq"] for e in heard]
    assert numbers == [1, 2, 3, 4, 5]  # no hole where either note is
    assert all(e["prev_seq"] == e["seq"] - 1 for e in heard)
    [sync] = unit.act(customer, action="sync", conversation_id=conv, since=0)
    assert [m["seq"] for m in sync["messages"]] == numbers and sync["through"] == 5
    assert sync["conversation"]["last_seq"] == 5
    [agent_sync] = unit.act(bo, action="sync", conversation_id=conv, since=0)
    assert [m["kind"] for m in agent_sync["messages"]] == ["text", "system", "note", "system", "note", "text", "system"]
    assert [m["seq"] for m in agent_sync["messages"]] == [1, 2, 3, 4, 5, 6, 7]


def test_a_presence_flip_whose_disconnect_ran_elsewhere_first_changes_nothing(unit: Unit) -> None:
    """A warm container still holds the connection's identity while another ran its
    `$disconnect`: the flip is refused (`session_expired`, only to that connection) and the
    agent stays unreachable, so routing and the widgets never count a gone agent."""
    ana = unit.connect_agent("ana")
    unit.act(ana, action="presence", status="busy")
    gone = unit.store.connections[ana]
    unit.store.delete_connection(gone)  # what the other container's $disconnect did
    seen = float(unit.store.presence[("global", "sub-ana")].heartbeat_at or 0)
    unit.store.drop_heartbeat("global", "sub-ana", unit.clock.now(), seen)
    [err] = unit.act(ana, action="presence", status="available")
    assert err["code"] == "session_expired"
    stored = unit.store.presence[("global", "sub-ana")]
    assert (stored.status, stored.heartbeat_at) == ("busy", 0)
    assert unit.hub.live.connections.available_agents("global") == set()


def test_a_status_change_reaches_its_own_connection_before_the_ack(unit: Unit) -> None:
    """The dashboard sends its next status change only once the hub acked the one before; the
    change's own `presence` event comes before that ack, so an earlier change's event can never
    arrive after a later one's and put the earlier status back on screen."""
    ana, other_tab = unit.connect_agent("ana"), unit.connect_agent("ana")
    unit.sender.take(other_tab)
    got = unit.act(ana, action="presence", status="away")
    order = [(e["type"], e.get("status") or e.get("action")) for e in got if e["type"] in ("presence", "ack")]
    assert order == [("presence", "away"), ("ack", "presence")]
    assert [e["status"] for e in unit.sender.take(other_tab) if e["type"] == "presence"] == ["away"]
    assert unit.store.presence[("global", "sub-ana")].status == "away"
