"""A connection that closes while its handlers run, and failures after the answer (issue 9, item 1)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ReadTimeoutError
from pynamodb.exceptions import TransactWriteError

from chalicelib.platform.errors import SessionExpired
from chalicelib.store.dynamo_errors import error_code
from chalicelib.store.models import AgentPresence, Connection, Subscription
from tests.integration.conftest import Harness


def test_error_code_survives_a_dropped_connection() -> None:
    # botocore's HTTPClientError carries `response = None`: PynamoDB's own property breaks on it.
    exc = TransactWriteError("Failed to write transaction items", ReadTimeoutError(endpoint_url="http://x"))
    with pytest.raises(AttributeError):
        _ = exc.cause_response_code
    assert error_code(exc) is None


def test_subscribing_a_connection_whose_disconnect_ran_first_writes_nothing(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    conn = hub.lane.connections.bound(customer, hub.clock.now())
    assert conn is not None
    hub.lane.disconnect(customer)  # $disconnect overtakes a `sync` already past its identity check
    state = hub.lane.timeline.store.load_conversation("global", conv, hub.clock.now())
    assert state is not None and state.subscriptions == []
    with pytest.raises(SessionExpired):
        hub.lane.connections.subscribe(conn, state)
    with pytest.raises(Connection.DoesNotExist):
        Connection.get(customer)  # not recreated
    assert list(Subscription.query(f"T#global#C#{conv}", Subscription.sk.startswith("S#"))) == []


def test_a_presence_change_whose_disconnect_ran_first_leaves_the_agent_gone(hub: Harness) -> None:
    """Teamlane's availability flips (and heartbeats) under the same rule as subscribing: the
    write is conditioned on the connection item, so a late `presence: available` after the
    last tab's `$disconnect` never makes a gone agent reachable (routing would hand them chats)."""
    agent = hub.connect_agent("ana")
    hub.act(agent, action="presence", status="busy")
    conn = hub.lane.connections.bound(agent, hub.clock.now())
    assert conn is not None
    hub.clock.advance(1)
    hub.lane.disconnect(agent)  # $disconnect overtakes a `presence` already past its identity check
    with pytest.raises(SessionExpired):
        hub.lane.connections.heartbeat(conn, "available")
    stored = AgentPresence.get("global", conn.user_id, consistent_read=True)
    assert (stored.status, int(stored.heartbeat_at)) == ("busy", 0) and stored.left_at is not None
    assert hub.lane.connections.available_agents("global") == set()
    with pytest.raises(Connection.DoesNotExist):
        Connection.get(agent)  # not recreated
    # A live connection's flip goes through, and its answer is the item as stored.
    again = hub.connect_agent("ana")
    answered = hub.act(again, action="presence", status="available")
    assert [e["type"] for e in answered if e["type"] in ("ack", "error")] == ["ack"]
    stored = AgentPresence.get("global", conn.user_id, consistent_read=True)
    assert stored.status == "available" and float(stored.heartbeat_at) == hub.clock.now()
    assert hub.lane.connections.available_agents("global") == {conn.user_id}


def test_disconnect_removes_a_subscription_added_after_the_connection_was_read(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    first = hub.start(customer)
    stale = hub.lane.connections.stored(customer)  # what $disconnect read before the next `start`
    second = hub.start(customer)
    assert stale is not None and stale.conversations == {first}
    hub.lane.connections.store.delete_connection(stale)
    for conv in (first, second):
        assert list(Subscription.query(f"T#global#C#{conv}", Subscription.sk.startswith("S#"))) == []


def _leave_orphans(conv: str) -> None:
    """A subscription without its connection item, and a bare connection item (no tenant, no
    TTL, no connected_at: only what an unconditional ADD wrote)."""
    pk = f"T#global#C#{conv}"
    for dead in ("AAAAnoItem0000=", "AAABbareItem00="):
        Subscription(pk, f"S#{dead}", connection_id=dead, role="customer", user_id="ghost").save()
    Connection("AAABbareItem00=").update(actions=[Connection.conversations.add({conv})])  # the old subscribe


def test_orphans_never_stop_the_fanout_and_are_removed(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)  # agents see a chat once its customer wrote
    agent = hub.connect_agent("ana")
    hub.act(agent, action="take", conversation_id=conv)
    hub.sender.take(customer)
    _leave_orphans(conv)
    hub.sender.gone |= {"AAAAnoItem0000=", "AAABbareItem00="}
    events = hub.act(customer, action="send", conversation_id=conv, client_id="m1", text="Hello?")
    assert [e["type"] for e in events] == ["ack"]
    assert [e["text"] for e in hub.sender.take(agent) if e["type"] == "message"] == ["Hello?"]
    subs = {s.connection_id for s in Subscription.query(f"T#global#C#{conv}", Subscription.sk.startswith("S#"))}
    assert subs == {customer, agent}
    with pytest.raises(Connection.DoesNotExist):
        Connection.get("AAABbareItem00=")


def test_a_failure_after_the_ack_never_becomes_an_error_for_the_sender(
    hub: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)  # agents see a chat once its customer wrote
    agent = hub.connect_agent("ana")
    hub.act(agent, action="take", conversation_id=conv)
    hub.act(agent, action="close", conversation_id=conv)
    hub.sender.take(customer)
    hub.sender.take(agent)

    def broken(*_: object) -> bool:
        raise RuntimeError("DynamoDB went away after the message was stored")

    monkeypatch.setattr(hub.lane.timeline.store, "reopen_conversation", broken)
    events = hub.act(customer, action="send", conversation_id=conv, client_id="late", text="One more thing")
    assert [(e["type"], e.get("status")) for e in events] == [("ack", "sent")]
    assert [e["text"] for e in hub.sender.take(agent) if e["type"] == "message"] == ["One more thing"]


def test_a_retried_create_whose_first_try_was_applied_is_one_conversation(hub: Harness) -> None:
    """The SDK retries a transaction whose answer was lost (the connection dropped after DynamoDB
    applied it): the conversation is there once, and the retry is not an error."""
    from chalicelib.store.models import ConversationMeta, Participant
    from chalicelib.store.work_models import HubCounters

    def counted() -> int:
        try:
            return int(HubCounters.get("global", consistent_read=True).active_chats or 0)
        except HubCounters.DoesNotExist:
            return 0

    customer, _ = hub.connect_customer()
    conv = hub.start(customer)  # created `new`: it counts nowhere until its customer writes
    store = hub.lane.timeline.store
    state = store.load_conversation("global", conv, hub.clock.now())
    assert state is not None
    before = counted()
    me = next(iter(state.participants.values()))
    store.create_conversation(state.meta, me, hub.clock.now())  # the retry: no error
    assert counted() == before  # counted once
    # It starts once, too: its first line counts it in the active chats exactly once.
    hub.act(customer, action="send", conversation_id=conv, client_id="first", text="Hello")
    assert counted() == before + 1
    assert len(list(ConversationMeta.query(f"T#global#C#{conv}", ConversationMeta.sk == "META"))) == 1
    assert isinstance(me, Participant)
