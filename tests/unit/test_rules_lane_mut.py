"""The lane's front door (`live/lane.py` `handle`) and the connection cache (`live/connections.py`
`bound`, `subscribe`), for mutants the full run left alive: the action limiter's answer and
count, a frame naming its own tenant, expiry at the exact second, and the cache's bounds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.live import connections as connections_module
from chalicelib.platform.errors import SessionExpired, Unauthorized
from chalicelib.platform.limits import LimitSettings
from chalicelib.platform.observability import metrics
from chalicelib.store import keys
from tests.unit.conftest import Unit

LIMITS = LimitSettings()


@pytest.fixture(autouse=True)
def fresh_metrics() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


def counted(name: str) -> float:
    if name not in metrics.metric_set:
        return 0.0
    assert metrics.metric_set[name]["Unit"] == "Count"
    return float(sum(metrics.metric_set[name]["Value"]))


def test_a_flood_of_reads_is_refused_by_the_action_limit_answered_and_counted(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    calm = unit.connect_customer()
    metrics.clear_metrics()
    frames = LIMITS.action_burst + 20  # a sync is no write: only the action limit applies
    for n in range(frames):
        unit.hub.live.handle(
            customer, json.dumps({"action": "sync", "conversation_id": conv, "since": 0, "request_id": f"r{n}"})
        )
    answers = unit.sender.take(customer)
    served = [e for e in answers if e["type"] == "sync"]
    limited = [e for e in answers if e.get("code") == "rate_limited"]
    assert len(served) == LIMITS.action_burst - 2  # `start` and the first line spent two
    assert len(limited) == LIMITS.refusal_answer_burst
    # Each answer names the refused frame and says when to come back.
    first = limited[0]
    assert first["request_id"] == f"r{LIMITS.action_burst - 2}" and first["action"] == "sync"
    assert first["retry_after"] > 0 and "at most 5 a second" in first["message"]
    assert counted("RejectedActions") == frames - len(served)  # every refusal, answered or not
    assert unit.sender.take(calm) == []  # told to the flooder only


def test_a_refused_write_is_counted_as_a_rejected_action(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    metrics.clear_metrics()
    for n in range(LIMITS.write_burst):
        unit.hub.live.handle(
            customer, json.dumps({"action": "send", "conversation_id": conv, "client_id": f"w{n}", "text": "x"})
        )
    answers = unit.sender.take(customer)
    refused = [e for e in answers if e.get("code") == "rate_limited"]
    assert len(refused) == 2  # `start` and the first line spent two of the burst
    assert counted("RejectedActions") == 2


def test_a_frame_naming_its_own_tenant_is_served_and_another_is_refused(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    [ack] = unit.act(customer, action="send", conversation_id=conv, client_id="t1", text="mine", tenant="global")
    assert ack["type"] == "ack"
    [err] = unit.act(customer, action="send", conversation_id=conv, client_id="t2", text="theirs", tenant="other")
    assert err["code"] == "wrong_tenant"
    assert unit.texts(conv) == ["Hello", "mine"]


def test_a_sign_in_expiring_this_second_is_expired(unit: Unit) -> None:
    ana = unit.connect_agent("ana")
    conn = unit.hub.live.connections.bound(ana, unit.clock.now())
    assert conn is not None
    unit.clock.set(float(conn.auth_expires_at))
    [err] = unit.act(ana, action="heartbeat")
    assert (err["code"], err["message"]) == (
        "session_expired",
        "your sign-in has expired; reconnect with a fresh token",
    )


def test_a_connection_expiring_this_second_is_gone_and_leaves_the_cache(unit: Unit) -> None:
    customer = unit.connect_customer()
    conns = unit.hub.live.connections
    conn = conns.bound(customer, unit.clock.now())  # cached now
    assert conn is not None and conn.expires_at is not None
    at = conn.expires_at.timestamp()
    assert conns.bound(customer, at - 0.001) is conn
    assert conns.bound(customer, at) is None
    assert customer not in conns._bound  # an expired connection does not sit in memory
    # A later look reads the store again (its item is past its TTL: gone as well).
    unit.store.calls.clear()
    assert conns.bound(customer, at) is None
    assert unit.store.calls == ["get_connection"]


def test_the_connection_cache_keeps_the_newest_and_reads_the_evicted_again(
    unit: Unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connections_module, "CONNECTION_CACHE_SIZE", 2)
    conns = unit.hub.live.connections
    conns._bound.clear()
    first, second, third = (unit.connect_customer() for _ in range(3))
    now = unit.clock.now()
    for cid in (first, second, third):
        assert conns.bound(cid, now) is not None
    assert list(conns._bound) == [second, third]  # the oldest went; never more than the size
    unit.store.calls.clear()
    assert conns.bound(third, now) is not None and conns.bound(first, now) is not None
    assert unit.store.calls == ["get_connection"]  # the cached one costs nothing, the evicted one a read


def test_a_callback_request_racing_the_first_message_does_not_claim_the_start(unit: Unit) -> None:
    """Both saw the conversation `new`; the customer's first line started it in another
    container. The request's start finds it started: it says so and tells no agent again."""
    customer = unit.connect_customer()
    conv = unit.start(customer)
    watcher = unit.connect_agent("ana")
    real = unit.store.start_conversation

    def raced(meta: Any, now: float) -> bool:
        assert real(meta, now)  # the first message, elsewhere
        return real(meta, now)  # this one's conditional write

    unit.store.start_conversation = raced  # type: ignore[method-assign]
    assert unit.hub.live.start_conversation("global", conv) is False
    assert [e for e in unit.sender.take(watcher) if e["type"] == "conversation"] == []
    assert unit.store.metas[("global", conv)].status == "open"


def test_a_heartbeat_overtaken_by_its_disconnect_says_reconnect_and_is_not_served_from_memory(unit: Unit) -> None:
    ana = unit.connect_agent("ana")
    unit.act(ana, action="heartbeat")  # this container knows the connection
    unit.clock.advance(unit.hub.live.connections.rule.window + 1)  # the beat must be recorded in full
    del unit.store.connections[ana]  # its $disconnect, elsewhere
    [err] = unit.act(ana, action="presence", status="away")
    assert (err["code"], err["message"]) == ("session_expired", "this connection has closed; reconnect")
    unit.store.calls.clear()
    [again] = unit.act(ana, action="heartbeat")
    assert again["code"] == "session_expired"
    assert unit.store.calls[:1] == ["get_connection"]  # read again, not taken from memory
    assert unit.store.presence[("global", "sub-ana")].status != "away"


def test_a_heartbeat_of_a_closed_connection_this_container_forgot_says_reconnect(unit: Unit) -> None:
    ana = unit.connect_agent("ana")
    conns = unit.hub.live.connections
    conn = conns.bound(ana, unit.clock.now())
    assert conn is not None
    conns.forget_cached(ana)  # a `$disconnect` in this very process
    del unit.store.connections[ana]
    with pytest.raises(SessionExpired, match="this connection has closed; reconnect"):
        conns.heartbeat(conn, "away")


def test_a_new_conversation_stores_its_customer_under_the_participant_key(unit: Unit) -> None:
    """Every later write to the customer's participant item (cursors, the customer panel) is
    keyed by `participant_sk(customer id)`: `start` must store it there."""
    customer = unit.connect_customer()
    conv = unit.start(customer)
    conn = unit.hub.live.connections.bound(customer, unit.clock.now())
    assert conn is not None
    stored = unit.store.participants[("global", conv)][conn.user_id]
    assert (stored.sk, stored.role, stored.user_id) == (keys.participant_sk(conn.user_id), "customer", conn.user_id)
    meta = unit.store.metas[("global", conv)]
    assert (int(meta.last_seq), int(meta.last_pseq), meta.status) == (0, 0, "new")


def test_connect_records_the_agent_s_presence_in_one_write(unit: Unit) -> None:
    """`$connect` has just written the connection: its beat is the full record at once, never
    the frame's conditional refresh first (which would cost a second write for an agent who was
    not reachable)."""
    unit.store.calls.clear()
    ana = unit.connect_agent("ana")
    presence = [c for c in unit.store.calls if c in ("refresh_heartbeat", "touch_presence")]
    assert presence == ["touch_presence"]
    unit.store.calls.clear()
    unit.connect_agent("ana")  # a second tab of a reachable agent: the same one write
    assert [c for c in unit.store.calls if c in ("refresh_heartbeat", "touch_presence")] == ["touch_presence"]
    assert ana in unit.store.connections


def test_a_connect_without_a_credential_is_told_how_to_connect(unit: Unit) -> None:
    with pytest.raises(Unauthorized) as refused:
        unit.hub.live.identify_and_bind("nobody=", {})
    assert refused.value.message == (
        "no credential: connect with ?token=<Cognito ID token> or ?session=<widget session>"
    )
    assert "nobody=" not in unit.store.connections
