"""The live lane's rules, each asserted as the user meets it: who received what (exact sets),
what was stored, what was refused and told to whom. Written to kill the mutants `make mutation`
found surviving; the five survivors issue 13 names are the first tests here.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.hub.drift import TYPING_STALE_SECONDS
from chalicelib.store.models import Message
from tests.unit.conftest import OTHER_WIDGET_KEY, Unit, chat, of


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def rewind(unit: Unit, hours: float = 3) -> None:
    """Tests that let hours pass start in the past: PyJWT refuses a token issued in the future."""
    unit.clock.set(unit.clock.now() - hours * 3600)


# ================================================================== issue 13's named survivors
def test_agent_fan_out_never_crosses_tenants(unit: Unit) -> None:
    """Named survivor: the agent fan-out key losing its tenant. Presence, the lobby and pushes to
    agents reach the agents of the tenant concerned, and no one else."""
    ours = unit.connect_agent("bo")
    theirs = unit.connect_agent("zed", tenant="acme")
    unit.connect_agent("ana")  # global: Bo hears it, Zed does not
    assert [e["agent"]["name"] for e in unit.sender.take(ours) if e["type"] == "presence"] == ["Ana"]
    assert [e for e in unit.sender.take(theirs) if e["type"] == "presence"] == []
    unit.connect_agent("yan", tenant="acme")
    assert [e["agent"]["name"] for e in unit.sender.take(theirs) if e["type"] == "presence"] == ["Yan"]
    assert [e for e in unit.sender.take(ours) if e["type"] == "presence"] == []
    customer = unit.connect_customer()
    unit.started(customer)  # a chat started in global: the global lobby only
    assert "conversation" in types(unit.sender.take(ours))
    assert "conversation" not in types(unit.sender.take(theirs))
    acme_customer = unit.connect_customer(OTHER_WIDGET_KEY)
    unit.started(acme_customer)
    assert "conversation" in types(unit.sender.take(theirs))
    assert "conversation" not in types(unit.sender.take(ours))


def test_customers_cannot_close_a_conversation(unit: Unit) -> None:
    """Named survivor: the protocol reserves `close` for agents."""
    customer, conv, agent = chat(unit)
    [err] = unit.act(customer, action="close", conversation_id=conv, request_id="r9")
    assert (err["type"], err["code"], err["request_id"]) == ("error", "forbidden", "r9")
    assert err["message"] == "'close' is for agents only"
    assert unit.store.metas[("global", conv)].status == "open"
    assert unit.texts(conv) == ["Hello", "Ana joined the conversation"]
    assert unit.sender.take(agent) == []
    assert int(unit.store.counters["global"].active_chats) == 1


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("join", {"conversation_id": "c_x"}),
        ("note", {"conversation_id": "c_x", "client_id": "n1", "text": "psst"}),
        ("presence", {"status": "busy"}),
        ("close", {"conversation_id": "c_x"}),
    ],
)
def test_agent_actions_are_refused_to_customers_before_anything_runs(
    unit: Unit, action: str, fields: dict[str, Any]
) -> None:
    customer = unit.connect_customer()
    unit.act(customer, action="heartbeat")  # the identity is read (and cached) on the first frame
    calls = len(unit.store.calls)
    [err] = unit.act(customer, action=action, **fields)
    assert (err["code"], err["message"]) == ("forbidden", f"'{action}' is for agents only")
    assert unit.store.calls[calls:] == []  # refused on the bound identity alone: nothing read or written


def test_agents_cannot_start_a_customer_conversation(unit: Unit) -> None:
    agent = unit.connect_agent("ana")
    [err] = unit.act(agent, action="start")
    assert (err["code"], err["message"]) == ("forbidden", "'start' is for customers only; agents use 'join'")
    assert unit.store.metas == {}


def test_expired_subscriptions_receive_no_fan_out(unit: Unit) -> None:
    """Named survivor: a connection past its TTL (DynamoDB deletes it up to two days late) gets
    nothing, though its subscription item is still stored."""
    rewind(unit)
    customer, conv, agent = chat(unit)
    old_tab = unit.connect_agent("bo")
    unit.act(old_tab, action="join", conversation_id=conv)
    unit.clock.advance(unit.hub.settings.connection_ttl - 10)
    fresh = unit.connect_agent("cy")
    unit.act(fresh, action="join", conversation_id=conv)
    unit.clock.advance(20)  # Bo's and Ana's connections have now expired; Cy's has not
    unit.sender.sent.clear()
    unit.act(fresh, action="send", conversation_id=conv, client_id="late", text="still here")
    assert unit.sender.take(old_tab) == []
    assert unit.sender.take(agent) == []
    assert unit.sender.take(customer) == []  # the customer's tab expired too
    assert ("global", conv) in unit.store.subscriptions and old_tab in unit.store.subscriptions[("global", conv)]


# ================================================================== the bound identity
def test_an_expired_sign_in_is_refused_per_frame(unit: Unit) -> None:
    rewind(unit)
    agent = unit.connect_agent("ana")
    token_ttl = 3600
    unit.clock.advance(token_ttl - 1)
    [ack] = of(unit.act(agent, action="heartbeat", request_id="h1"), "ack")
    assert (ack["type"], ack["action"], ack["request_id"]) == ("ack", "heartbeat", "h1")
    unit.clock.advance(1)
    [err] = unit.act(agent, action="heartbeat", request_id="h2")
    assert (err["code"], err["request_id"]) == ("session_expired", "h2")
    assert err["message"] == "your sign-in has expired; reconnect with a fresh token"


def test_an_unknown_or_expired_connection_must_reconnect(unit: Unit) -> None:
    rewind(unit)
    [err] = unit.act("nobody=", action="heartbeat")
    assert (err["code"], err["message"]) == ("session_expired", "this connection is no longer registered; reconnect")
    customer = unit.connect_customer()
    unit.act(customer, action="heartbeat")  # cached in this container
    unit.clock.advance(unit.hub.settings.connection_ttl)
    [err] = unit.act(customer, action="heartbeat")
    assert err["code"] == "session_expired"


def test_a_bad_frame_is_answered_to_its_sender_only_with_its_correlation_fields(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    frame = '{"action": "send", "conversation_id": "' + conv + '", "client_id": "c1", "request_id": "r1"}'
    [err] = unit.raw(customer, frame)
    assert err["code"] == "invalid_action"
    assert (err["request_id"], err["action"], err["client_id"], err["conversation_id"]) == ("r1", "send", "c1", conv)
    assert unit.sender.take(agent) == []
    [err] = unit.raw(customer, '{"action": "send", "request_id": 5, "client_id": "' + "x" * 65 + '"}')
    assert err["code"] == "invalid_action" and "request_id" not in err and "client_id" not in err
    [err] = unit.raw(customer, "not json")
    assert err["code"] == "bad_json" and set(err) == {"type", "code", "message"}


def test_a_failure_inside_an_action_is_internal_to_the_sender_only(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    unit.store.fail_next("append", RuntimeError("boom"))
    [err] = unit.act(customer, action="send", conversation_id=conv, client_id="m1", text="hi", request_id="r2")
    assert (err["code"], err["request_id"], err["client_id"]) == ("internal", "r2", "m1")
    assert err["message"] == "the hub failed; retry with the same client_id"
    assert unit.sender.take(agent) == []
    [ack] = unit.act(customer, action="send", conversation_id=conv, client_id="m1", text="hi")
    assert ack["status"] == "sent"


# ================================================================== who receives what
def test_a_message_reaches_every_subscriber_but_the_sending_tab(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    second_tab = unit.connect_customer()
    del second_tab
    helper = unit.connect_agent("bo")
    unit.act(helper, action="join", conversation_id=conv)
    ana_tab2 = unit.connect_agent("ana")
    unit.act(ana_tab2, action="sync", conversation_id=conv, since=0)
    unit.sender.sent.clear()
    [ack] = unit.act(agent, action="send", conversation_id=conv, client_id="a1", text="Hi Kim")
    assert (ack["status"], ack["seq"], ack["client_id"], ack["conversation_id"]) == ("sent", 4, "a1", conv)
    for target in (customer, helper, ana_tab2):
        [msg] = unit.sender.take(target)
        assert (msg["type"], msg["text"], msg["seq"], msg["author"]["name"]) == ("message", "Hi Kim", 4, "Ana")
    assert unit.sender.take(agent) == []


def test_a_note_reaches_agents_only_with_each_sides_previous_sequence(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    helper = unit.connect_agent("bo")
    unit.act(helper, action="join", conversation_id=conv)
    unit.sender.sent.clear()
    [ack] = unit.act(agent, action="note", conversation_id=conv, client_id="n1", text="VIP")
    assert (ack["action"], ack["seq"]) == ("note", 4)
    [note] = unit.sender.take(helper)
    assert (note["kind"], note["seq"], note["prev_seq"]) == ("note", 4, 3)
    assert unit.sender.take(customer) == []
    unit.act(agent, action="send", conversation_id=conv, client_id="t1", text="Hello")
    [to_customer] = unit.sender.take(customer)
    [to_helper] = unit.sender.take(helper)
    # Issue 9: customers have their own numbering, with no gap where the note is.
    assert (to_customer["seq"], to_customer["prev_seq"]) == (4, 3)
    assert (to_helper["seq"], to_helper["prev_seq"]) == (5, 4)


def test_typing_reaches_the_other_side_and_a_note_typing_agents_only(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    helper = unit.connect_agent("bo")
    unit.act(helper, action="join", conversation_id=conv)
    unit.sender.sent.clear()
    unit.act(customer, action="typing", conversation_id=conv, state="start")
    assert [(e["by"]["role"], e["state"]) for e in unit.sender.take(agent)] == [("customer", "start")]
    assert [e["type"] for e in unit.sender.take(helper)] == ["typing"]
    assert unit.sender.take(customer) == []
    assert unit.store.participants[("global", conv)][unit.store.connections[customer].user_id].typing_at is not None
    unit.act(customer, action="typing", conversation_id=conv, state="stop")
    assert unit.store.participants[("global", conv)][unit.store.connections[customer].user_id].typing_at is None
    assert [e["state"] for e in unit.sender.take(agent)] == ["stop"]
    unit.sender.take(helper)
    unit.act(agent, action="typing", conversation_id=conv, state="start", note=True)
    assert unit.sender.take(customer) == []
    [seen] = unit.sender.take(helper)
    assert (seen["note"], seen["by"]["name"]) == (True, "Ana")
    [err] = unit.act(customer, action="typing", conversation_id=conv, state="start", note=True)
    assert (err["code"], err["message"]) == ("forbidden", "only agents type notes")
    assert unit.sender.take(agent) == []


def test_receipts_move_cursors_forward_and_read_implies_delivered(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    unit.act(agent, action="send", conversation_id=conv, client_id="a1", text="one")
    unit.act(agent, action="send", conversation_id=conv, client_id="a2", text="two")
    unit.sender.sent.clear()
    me = unit.store.connections[customer].user_id
    [ack] = unit.act(customer, action="delivered", conversation_id=conv, seq=3, request_id="d1")
    assert ack == {"type": "ack", "action": "delivered", "conversation_id": conv, "seq": 3, "request_id": "d1"}
    [seen] = unit.sender.take(agent)
    assert (seen["type"], seen["seq"], seen["by"]["id"]) == ("delivered", 3, me)
    stored = unit.store.participants[("global", conv)][me]
    assert (int(stored.delivered_seq), int(stored.read_seq)) == (3, 0)
    unit.act(customer, action="read", conversation_id=conv, seq=4)
    assert (int(stored.delivered_seq), int(stored.read_seq)) == (4, 4)
    assert [(e["type"], e["seq"]) for e in unit.sender.take(agent)] == [("read", 4)]
    [ack] = unit.act(customer, action="read", conversation_id=conv, seq=4, request_id="r4")
    assert ack["seq"] == 4 and unit.sender.take(agent) == []  # no move, nobody told
    assert unit.act(customer, action="read", conversation_id=conv, seq=4) == []  # nor answered, unasked
    unit.act(customer, action="delivered", conversation_id=conv, seq=1)
    assert int(stored.delivered_seq) == 4 and unit.sender.take(agent) == []


def test_a_customer_acknowledges_only_what_they_can_see(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    unit.act(agent, action="note", conversation_id=conv, client_id="n1", text="internal")
    [err] = unit.act(customer, action="read", conversation_id=conv, seq=3)
    assert err["code"] == "invalid_action"
    assert err["message"] == "read: seq 3 is beyond the conversation's last entry (2)"
    [ack] = unit.act(agent, action="read", conversation_id=conv, seq=3, request_id="r3")
    assert (ack["type"], ack["seq"]) == ("ack", 3)
    stranger = unit.connect_agent("bo")
    [err] = unit.act(stranger, action="read", conversation_id=conv, seq=1)
    assert err["code"] == "not_joined"


def test_a_receipt_reaches_the_readers_other_tabs(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    ana_tab2 = unit.connect_agent("ana")
    unit.act(ana_tab2, action="sync", conversation_id=conv, since=0)
    unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hello")
    unit.sender.sent.clear()
    unit.act(agent, action="read", conversation_id=conv, seq=3)
    assert [(e["type"], e["seq"]) for e in unit.sender.take(ana_tab2)] == [("read", 3)]
    assert [(e["type"], e["seq"]) for e in unit.sender.take(customer)] == [("read", 3)]


# ================================================================== conversations: start, join, close, sync
def test_a_conversation_starts_for_agents_with_the_customers_first_message(unit: Unit) -> None:
    """Opening the widget (`start`) makes a `new` conversation the agents do not see; the
    customer's first message starts it: the lobby hears of it once and it counts as active."""
    lobby = unit.connect_agent("ana")
    unit.hub.live.handle(lobby, '{"action": "presence", "status": "available"}')
    unit.sender.sent.clear()
    customer = unit.connect_customer()
    [snap] = of(unit.act(customer, action="start", request_id="s1"), "conversation")
    assert (snap["type"], snap["request_id"], snap["agents_available"]) == ("conversation", "s1", True)
    conv = snap["conversation"]["id"]
    assert snap["conversation"]["status"] == "new" and snap["conversation"]["last_seq"] == 0
    assert of(unit.sender.take(lobby), "conversation") == []
    assert int(getattr(unit.store.counters.get("global"), "active_chats", 0) or 0) == 0
    assert customer in unit.store.subscriptions[("global", conv)]
    unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="Hello")
    assert unit.store.metas[("global", conv)].status == "open"
    [told] = of(unit.sender.take(lobby), "conversation")
    assert told["conversation"]["id"] == conv and "request_id" not in told
    assert int(unit.store.counters["global"].active_chats) == 1
    [again] = of(unit.act(customer, action="start", conversation_id=conv), "conversation")
    assert again["conversation"]["id"] == conv and again["conversation"]["status"] == "open"
    assert of(unit.sender.take(lobby), "conversation") == []  # resuming is not news
    assert len(unit.store.metas) == 1


def test_nobody_available_is_said_when_a_customer_starts(unit: Unit) -> None:
    customer = unit.connect_customer()
    [snap] = unit.act(customer, action="start")
    assert snap["agents_available"] is False


def test_taking_makes_the_owner_and_joining_a_helper(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    [snap] = of(unit.act(ana, action="take", conversation_id=conv, request_id="j1"), "conversation")
    assert snap["request_id"] == "j1" and snap["conversation"]["owner"] == {"id": "sub-ana", "name": "Ana"}
    unit.sender.sent.clear()
    [snap] = of(unit.act(bo, action="join", conversation_id=conv), "conversation")
    assert snap["conversation"]["owner"]["id"] == "sub-ana"
    roles = {p["id"]: p.get("agent_role") for p in snap["conversation"]["participants"]}
    assert roles == {"sub-ana": "owner", "sub-bo": "helper", unit.store.connections[customer].user_id: None}
    assert unit.texts(conv) == ["Hello", "Ana joined the conversation", "Bo joined the conversation"]
    unit.sender.sent.clear()
    [snap] = of(unit.act(bo, action="join", conversation_id=conv), "conversation")  # already in: nothing new
    assert unit.texts(conv)[-1] == "Bo joined the conversation" and unit.sender.take(ana) == []
    [err] = unit.act(bo, action="take", conversation_id=conv)  # he saw it unowned: Ana owns it by now
    assert (err["code"], err["message"]) == ("conflict", "Ana already owns this conversation")
    unit.act(bo, action="take", conversation_id=conv, expect_owner="sub-ana")
    assert unit.texts(conv)[-1] == "Bo took over the conversation"
    assert unit.store.metas[("global", conv)].owner_id == "sub-bo"
    [line] = [e for e in unit.sender.take(ana) if e["type"] == "message"]
    assert line["text"] == "Bo took over the conversation"
    assert [e["conversation"]["owner"]["id"] for e in unit.sender.take(customer) if e["type"] == "conversation"] == [
        "sub-bo"
    ]


def test_closing_writes_its_line_and_tells_everyone_once(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    lobby = unit.connect_agent("bo")
    unit.sender.sent.clear()
    [snap] = of(unit.act(agent, action="close", conversation_id=conv, request_id="x1"), "conversation")
    assert (snap["type"], snap["request_id"], snap["conversation"]["status"]) == ("conversation", "x1", "closed")
    assert unit.texts(conv)[-1] == "Ana closed the conversation"
    got = unit.sender.take(customer)
    assert types(got) == ["message", "conversation"] and got[1]["conversation"]["status"] == "closed"
    assert [e["conversation"]["status"] for e in unit.sender.take(lobby) if e["type"] == "conversation"] == ["closed"]
    assert int(unit.store.counters["global"].active_chats) == 0
    [snap] = of(unit.act(agent, action="close", conversation_id=conv), "conversation")
    assert snap["conversation"]["status"] == "closed"
    assert unit.texts(conv).count("Ana closed the conversation") == 1
    assert unit.sender.take(customer) == [] and unit.sender.take(lobby) == []


def test_a_customer_writing_into_a_closed_conversation_reopens_it(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    unit.act(agent, action="close", conversation_id=conv)
    lobby = unit.connect_agent("bo")
    unit.sender.sent.clear()
    unit.act(customer, action="send", conversation_id=conv, client_id="c9", text="one more thing")
    assert unit.store.metas[("global", conv)].status == "open"
    assert int(unit.store.counters["global"].active_chats) == 1
    assert "open" in [e["conversation"]["status"] for e in unit.sender.take(lobby) if e["type"] == "conversation"]


def test_an_unowned_chat_announces_only_when_it_starts_waiting(unit: Unit) -> None:
    lobby = unit.connect_agent("ana")
    customer = unit.connect_customer()
    conv = unit.start(customer)
    unit.sender.sent.clear()
    unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hello?")
    assert types(unit.sender.take(lobby)) == ["conversation", "counters"]
    unit.act(customer, action="send", conversation_id=conv, client_id="c2", text="anyone?")
    assert unit.sender.take(lobby) == []  # already waiting: its subscribers only (none yet)


def test_sync_pages_what_the_viewer_may_see(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    for n in range(3):
        unit.act(agent, action="send", conversation_id=conv, client_id=f"a{n}", text=f"m{n}")
    unit.act(agent, action="note", conversation_id=conv, client_id="n1", text="hidden")
    unit.sender.sent.clear()
    [sync] = unit.act(customer, action="sync", conversation_id=conv, since=2, request_id="y1")
    assert (sync["since"], sync["request_id"], sync["complete"]) == (2, "y1", True)
    assert [m["text"] for m in sync["messages"]] == ["m0", "m1", "m2"]
    assert sync["conversation"]["last_seq"] == 5
    [sync] = unit.act(agent, action="sync", conversation_id=conv, since=5)
    assert [m["text"] for m in sync["messages"]] == ["hidden"] and sync["conversation"]["last_seq"] == 6


def test_a_long_thread_syncs_in_pages_under_the_frame_limit(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    for n in range(30):
        unit.clock.advance(0.5)  # at the write budget's pace (2 a second): every line is stored
        unit.act(agent, action="send", conversation_id=conv, client_id=f"a{n}", text=f"{n:02d}" + "x" * 3990)
    unit.sender.sent.clear()
    [first] = unit.act(customer, action="sync", conversation_id=conv, since=0)
    assert first["complete"] is False and first["next_since"] == first["messages"][-1]["seq"]
    count = len(first["messages"])
    assert 1 < count < 32
    [rest] = unit.act(customer, action="sync", conversation_id=conv, since=first["next_since"])
    assert rest["complete"] is True and "next_since" not in rest
    assert [m["seq"] for m in first["messages"] + rest["messages"]] == list(range(1, 33))


def test_strangers_see_nothing_of_a_conversation(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    other = unit.connect_customer()
    for action, fields in (
        ("sync", {"since": 0}),
        ("send", {"client_id": "s1", "text": "hi"}),
        ("typing", {"state": "start"}),
        ("read", {"seq": 1}),
        ("start", {}),
    ):
        [err] = unit.act(other, action=action, conversation_id=conv, **fields)
        assert (err["code"], err["message"]) == ("not_found", f"no conversation {conv!r} for you")
    assert unit.sender.take(customer) == [] and unit.sender.take(agent) == []
    assert unit.texts(conv) == ["Hello", "Ana joined the conversation"]


def test_an_agent_must_join_before_writing(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    agent = unit.connect_agent("ana")
    [err] = unit.act(agent, action="send", conversation_id=conv, client_id="a1", text="hi")
    assert (err["code"], err["message"]) == ("not_joined", f"join conversation {conv!r} before writing to it")
    assert unit.texts(conv) == ["Hello"]


# ================================================================== presence and gone connections
def test_choosing_a_status_tells_the_other_agents_and_keeps_reachability(unit: Unit) -> None:
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.sender.sent.clear()
    [ack] = of(unit.act(ana, action="presence", status="busy", request_id="p1"), "ack")
    assert ack == {"type": "ack", "action": "presence", "request_id": "p1"}
    [p] = [e for e in unit.sender.take(bo) if e["type"] == "presence"]
    assert (p["agent"]["id"], p["status"], p["reachable"]) == ("sub-ana", "busy", True)
    assert unit.store.presence[("global", "sub-ana")].status == "busy"


def test_a_heartbeat_after_silence_brings_an_agent_back(unit: Unit) -> None:
    rewind(unit)
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.sender.sent.clear()
    unit.clock.advance(30)
    [ack] = unit.act(ana, action="heartbeat")
    assert ack["action"] == "heartbeat" and unit.sender.take(bo) == []  # still reachable: nothing to say
    unit.clock.advance(unit.hub.settings.presence_window + 1)
    unit.act(ana, action="heartbeat")
    assert [(e["agent"]["id"], e["reachable"]) for e in unit.sender.take(bo) if e["type"] == "presence"] == [
        ("sub-ana", True)
    ]
    customer = unit.connect_customer()
    unit.act(customer, action="heartbeat")
    assert ("global", unit.store.connections[customer].user_id) not in unit.store.presence


def test_the_last_tab_closing_makes_an_agent_unreachable(unit: Unit) -> None:
    ana1, ana2, bo = unit.connect_agent("ana"), unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.sender.sent.clear()
    unit.hub.live.disconnect(ana1)
    assert unit.sender.take(bo) == [] and ana1 not in unit.store.connections
    unit.hub.live.disconnect(ana2)
    [p] = [e for e in unit.sender.take(bo) if e["type"] == "presence"]
    assert (p["agent"]["id"], p["reachable"], p["status"]) == ("sub-ana", False, "available")
    assert int(unit.store.presence[("global", "sub-ana")].heartbeat_at) == 0
    unit.hub.live.disconnect("never-connected=")  # a $disconnect for nothing is harmless
    [err] = unit.act(ana2, action="heartbeat")
    assert err["code"] == "session_expired"


def test_the_last_tab_closing_makes_an_agent_unreachable_though_the_index_still_lists_it(
    unit: Unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user index is a GSI: read right after the delete it may still list the closing tab
    (DynamoDB propagates it within a second). That tab is not another connection of the agent."""
    ana, bo = unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.sender.sent.clear()
    listed = unit.store.user_connections

    def lagging(tenant: str, role: str, user_id: str) -> list[str]:
        return [*listed(tenant, role, user_id), *([ana] if user_id == "sub-ana" else [])]

    monkeypatch.setattr(unit.store, "user_connections", lagging)
    unit.hub.live.disconnect(ana)
    [p] = [e for e in unit.sender.take(bo) if e["type"] == "presence"]
    assert (p["agent"]["id"], p["reachable"]) == ("sub-ana", False)
    assert int(unit.store.presence[("global", "sub-ana")].heartbeat_at) == 0


def test_two_tabs_closing_at_once_make_the_agent_unreachable_once(unit: Unit) -> None:
    """Both `$disconnect`s delete their tab before either looks for another: each finds none.
    The colleagues hear once that Ana left, and when her silence started is not moved."""
    ana1, ana2, bo = unit.connect_agent("ana"), unit.connect_agent("ana"), unit.connect_agent("bo")
    unit.sender.sent.clear()
    second = unit.hub.live.connections.stored(ana2)
    assert second is not None
    unit.store.delete_connection(second)  # the second tab's close is under way: its item is gone
    unit.hub.live.disconnect(ana1)
    [p] = of(unit.sender.take(bo), "presence")
    assert (p["agent"]["id"], p["reachable"]) == ("sub-ana", False)
    left_at = unit.store.presence[("global", "sub-ana")].left_at
    unit.clock.advance(5)
    unit.hub.live.notifier.forget(second)  # ... and it goes on: nothing left to tell
    assert of(unit.sender.take(bo), "presence") == []
    assert unit.store.presence[("global", "sub-ana")].left_at == left_at


def test_a_gone_target_is_dropped_only_after_the_connect_grace(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    young = unit.connect_agent("bo")
    unit.act(young, action="join", conversation_id=conv)
    unit.sender.gone.add(young)
    unit.clock.advance(29)
    unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    assert young in unit.store.connections  # a 410 during its $connect proves nothing
    unit.clock.advance(2)
    unit.act(customer, action="send", conversation_id=conv, client_id="c2", text="hi again")
    assert young not in unit.store.connections and young not in unit.store.subscriptions[("global", conv)]
    assert customer in unit.store.connections and agent in unit.store.connections


def test_a_gone_sender_is_forgotten_when_its_reply_bounces(unit: Unit) -> None:
    customer, _, _ = chat(unit)
    unit.clock.advance(60)
    unit.sender.gone.add(customer)
    unit.hub.live.handle(customer, '{"action": "heartbeat"}')
    assert customer not in unit.store.connections


def test_a_broken_delivery_is_counted_not_fatal(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    helper = unit.connect_agent("bo")
    unit.act(helper, action="join", conversation_id=conv)
    unit.sender.sent.clear()
    unit.sender.broken.add(agent)
    [ack] = unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="hello")
    assert ack["status"] == "sent"
    assert [m["text"] for m in unit.sender.take(helper) if m["type"] == "message"] == ["hello"]
    assert agent in unit.store.connections  # a failure is not a 410
    assert int(unit.store.counters["global"].delivery_failures) == 1


def test_messages_are_stored_before_anyone_is_told(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    seen: list[int] = []
    original = unit.sender._post_bytes

    def check(connection_id: str, data: bytes) -> bool:
        if connection_id == agent:
            seen.append(len(unit.store.messages[("global", conv)]))
        return original(connection_id, data)

    unit.sender._post_bytes = check  # type: ignore[method-assign]
    unit.act(customer, action="send", conversation_id=conv, client_id="c1", text="stored first")
    assert seen == [3]
    stored: Message = unit.store.messages[("global", conv)][3]
    assert (stored.text, stored.author_role, stored.client_id) == ("stored first", "customer", "c1")


def test_a_typing_indicator_left_on_is_switched_off_for_the_others(unit: Unit) -> None:
    """The drift sweep finds the customer's indicator stale: the agent hears it stopped, the
    customer (the typist) hears nothing."""
    customer, conv, agent = chat(unit)
    kim = unit.store.connections[customer].user_id
    unit.act(customer, action="typing", conversation_id=conv, state="start")
    unit.sender.sent.clear()
    unit.clock.advance(TYPING_STALE_SECONDS - 1)
    assert unit.hub.drift.sweep()["typing_cleared"] == 0  # not stale yet: the typist may still be at it
    unit.clock.advance(2)
    stats = unit.hub.drift.sweep()
    assert stats["typing_cleared"] == 1
    [stop] = of(unit.sender.take(agent), "typing")
    assert (stop["state"], stop["conversation_id"], stop["by"]) == (
        "stop",
        conv,
        {"role": "customer", "id": kim, "name": "Kim"},
    )
    assert of(unit.sender.take(customer), "typing") == []
    assert unit.store.participants[("global", conv)][kim].typing_at is None
    unit.hub.live.typing_stopped("global", conv, "nobody")  # not a participant: nothing to tell
    unit.hub.live.typing_stopped("global", "c_gone", kim)
    assert of(unit.sender.take(agent), "typing") == []


# ================================================================== closing, and syncing a view
def test_closing_writes_the_hubs_line_into_the_thread_and_answers_in_the_agents_numbering(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    unit.act(agent, action="note", conversation_id=conv, client_id="n1", text="VIP")  # agents' numbering only
    unit.sender.sent.clear()
    [answer] = [
        e for e in unit.act(agent, action="close", conversation_id=conv, request_id="r1") if e.get("request_id")
    ]
    [told] = [e for e in unit.sender.take(customer) if e["type"] == "message"]
    assert (told["kind"], told["author"], told["code"]) == (
        "system",
        {"role": "system", "id": "hub", "name": "Hub"},
        "conversation_closed",
    )
    assert told["params"] == {"name": "Ana"} and "Ana" in told["text"]
    # The closer's answer counts as an agent counts: the note is in it.
    assert answer["request_id"] == "r1" and answer["conversation"]["status"] == "closed"
    assert answer["conversation"]["last_seq"] == told["seq"] + 1
    [stored] = [
        m for m in unit.store.messages[("global", conv)].values() if m.seq == answer["conversation"]["last_seq"]
    ]
    assert (stored.kind, stored.author_role, stored.author_id, stored.author_name) == ("system", "system", "hub", "Hub")


def test_a_sync_from_a_view_the_hub_no_longer_has_starts_over_and_says_so(unit: Unit) -> None:
    customer, conv, agent = chat(unit)
    unit.act(customer, action="send", conversation_id=conv, client_id="c2", text="Second")
    unit.sender.take(agent)
    [fresh] = unit.act(agent, action="sync", conversation_id=conv, since=0, request_id="s0")
    last = fresh["messages"][-1]
    assert fresh["since"] == 0 and "reset" not in fresh and fresh["conversation_id"] == conv
    # The view matches: what comes after it, nothing more.
    [same] = unit.act(agent, action="sync", conversation_id=conv, since=last["seq"], anchor=last["client_id"])
    assert (same["since"], same["messages"], "reset" in same) == (last["seq"], [], False)
    # The entry the client holds at `since` is another one here (a restore moved the numbers):
    # everything from 0, marked as a reset.
    [stale] = unit.act(agent, action="sync", conversation_id=conv, since=last["seq"], anchor="not-what-we-hold")
    assert stale["reset"] is True and stale["since"] == 0
    assert [m["seq"] for m in stale["messages"]] == [m["seq"] for m in fresh["messages"]]
    # Beyond the hub's last number: the same.
    [ahead] = unit.act(agent, action="sync", conversation_id=conv, since=last["seq"] + 5)
    assert ahead["reset"] is True and ahead["since"] == 0 and ahead["conversation_id"] == conv


def test_receipts_and_typing_name_the_conversation_and_who_in_each_sides_terms(unit: Unit) -> None:
    """What the other side shows ("Seen by Kim", "Ana is typing…") comes from these fields."""
    customer, conv, agent = chat(unit)
    unit.act(agent, action="note", conversation_id=conv, client_id="n1", text="internal")  # agents' numbering only
    unit.act(agent, action="send", conversation_id=conv, client_id="a1", text="Hi")
    unit.sender.sent.clear()
    kim = unit.store.connections[customer]
    ana = unit.store.connections[agent]
    unit.act(agent, action="read", conversation_id=conv, seq=4)  # in the agents' numbering
    [told_customer] = unit.sender.take(customer)
    assert told_customer == {
        "type": "read",
        "conversation_id": conv,
        "by": {"role": "agent", "id": ana.user_id, "name": "Ana"},
        "seq": 3,  # the same cursor in the customer's numbering (no note in it)
    }
    unit.act(customer, action="read", conversation_id=conv, seq=3)
    [told_agent] = unit.sender.take(agent)
    assert told_agent == {
        "type": "read",
        "conversation_id": conv,
        "by": {"role": "customer", "id": kim.user_id, "name": kim.name},
        "seq": 4,
    }
    unit.act(agent, action="typing", conversation_id=conv, state="start")
    [typing] = unit.sender.take(customer)
    assert typing == {
        "type": "typing",
        "conversation_id": conv,
        "by": {"role": "agent", "id": ana.user_id, "name": "Ana"},
        "state": "start",
    }
    stranger = unit.connect_agent("bo")
    [err] = unit.act(stranger, action="delivered", conversation_id=conv, seq=1)
    assert (err["code"], err["message"]) == ("not_joined", f"join conversation {conv!r} before sending receipts")
