"""`join`: what a helper coming into a chat stores, and who hears of it (issue 13: the mutants of
`live/actions/join.py` that survived the first runs)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from chalicelib.store import keys
from tests.unit.conftest import Unit, chat, counted, of

pytestmark = pytest.mark.usefixtures("fresh_metrics")

HELPER_JOINED = {
    "kind": "system",
    "author": {"role": "system", "id": "hub", "name": "Hub"},
    "text": "Bo joined the conversation",
    "code": "agent_joined",
    "params": {"name": "Bo"},
}


def line(event: dict[str, Any]) -> dict[str, Any]:
    return {k: event[k] for k in HELPER_JOINED}


def test_the_join_line_is_the_hubs_with_its_code_and_name_for_every_side(unit: Unit) -> None:
    customer, conv, ana = chat(unit)
    bo = unit.connect_agent("bo")
    unit.act(bo, action="join", conversation_id=conv)
    for side in (customer, ana):
        [message] = of(unit.sender.take(side), "message")
        assert line(message) == HELPER_JOINED
    stored = list(unit.store.messages[("global", conv)].values())[-1]
    assert (stored.author_role, stored.author_id, stored.author_name) == ("system", "hub", "Hub")
    assert (stored.kind, stored.code, stored.params) == ("system", "agent_joined", '{"name": "Bo"}')
    # A reconnecting client reads the same line back from the store.
    [page] = unit.act(ana, action="sync", conversation_id=conv, since=2)
    [synced] = page["messages"]
    assert line(synced) == HELPER_JOINED


def test_a_helper_is_stored_under_their_own_key_with_nothing_delivered_or_read(unit: Unit) -> None:
    _, conv, _ = chat(unit)
    bo = unit.connect_agent("bo")
    [snap] = of(unit.act(bo, action="join", conversation_id=conv), "conversation")
    stored = unit.store.participants[("global", conv)]["sub-bo"]
    assert stored.sk == keys.participant_sk("sub-bo") == "P#sub-bo"
    assert (stored.role, stored.agent_role, stored.name) == ("agent", "helper", "Bo")
    # Zero, not absent: the receipts' conditional cursor moves compare with the stored number.
    assert (stored.delivered_seq, stored.read_seq) == (0, 0)
    [seen] = [p for p in snap["conversation"]["participants"] if p["id"] == "sub-bo"]
    assert (seen["delivered_seq"], seen["read_seq"]) == (0, 0)


def test_agents_outside_the_chat_see_the_new_helper_in_their_lists_and_the_helper_hears_it_once(unit: Unit) -> None:
    _, conv, _ = chat(unit)
    cy = unit.connect_agent("cy")  # in the tenant, not in the chat
    bo = unit.connect_agent("bo")
    unit.sender.sent.clear()
    [answer] = unit.act(bo, action="join", conversation_id=conv, request_id="r1")
    assert answer["request_id"] == "r1"
    [snap] = of(unit.sender.take(cy), "conversation")
    roles = {p["id"]: p["agent_role"] for p in snap["conversation"]["participants"] if p["role"] == "agent"}
    assert roles == {"sub-ana": "owner", "sub-bo": "helper"}
    assert snap["conversation"]["id"] == conv


def test_a_failure_telling_the_lobby_leaves_the_join_done_and_is_logged_against_it(
    unit: Unit, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, conv, _ = chat(unit)
    bo = unit.connect_agent("bo")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("lobby down")

    monkeypatch.setattr(unit.hub.live.notifier, "conversation", broken)
    caplog.set_level(logging.INFO, logger="flow-hub")
    [answer] = unit.act(bo, action="join", conversation_id=conv)
    assert answer["type"] == "conversation"
    assert "sub-bo" in unit.store.participants[("global", conv)]
    assert counted().get("PostReplyFailures") == 1
    [record] = [r for r in caplog.records if r.getMessage() == "work after the reply failed"]
    assert (record.action, record.connection_id) == ("join", bo)  # type: ignore[attr-defined]
    assert str(record.exc_info[1]) == "lobby down"  # type: ignore[index]


def test_a_take_on_a_thread_no_chat_started_on_reaches_every_agent(unit: Unit) -> None:
    """The next invocation of a warm container may run on another thread than the one a chat
    started on: taking a chat there still tells every agent who owns it now."""
    import threading

    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana, cy = unit.connect_agent("ana"), unit.connect_agent("cy")
    unit.sender.sent.clear()
    answer: list[dict[str, Any]] = []
    worker = threading.Thread(target=lambda: answer.extend(unit.act(ana, action="take", conversation_id=conv)))
    worker.start()
    worker.join()
    assert unit.store.metas[("global", conv)].owner_id == "sub-ana"
    [snapshot] = of(unit.sender.take(cy), "conversation")
    assert snapshot["conversation"]["owner"] == {"id": "sub-ana", "name": "Ana"}
    assert of(answer, "error") == [] and len(of(answer, "conversation")) == 1


def test_a_join_overtaken_by_its_disconnect_writes_nothing_and_the_socket_is_done(unit: Unit) -> None:
    """`$disconnect` ran in another container while this one still knew the connection: the join
    finds it gone, stores nothing, says so, and the next frame is not served from memory."""
    customer, conv, ana = chat(unit)
    other = unit.started(unit.connect_customer())
    del unit.store.connections[ana]  # its $disconnect, elsewhere
    unit.sender.sent.clear()
    [err] = unit.act(ana, action="join", conversation_id=other, request_id="j1")
    assert (err["code"], err["message"]) == ("session_expired", "this connection has closed; reconnect")
    assert "sub-ana" not in unit.store.participants[("global", other)]
    assert unit.texts(other) == ["Hello"]
    [late] = unit.act(ana, action="send", conversation_id=conv, client_id="late", text="still here?")
    assert late["code"] == "session_expired"
    assert "still here?" not in unit.texts(conv)
    assert unit.sender.take(customer) == []


def test_a_take_overtaken_by_its_disconnect_takes_nothing(unit: Unit) -> None:
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana = unit.connect_agent("ana")
    unit.act(ana, action="heartbeat")  # this container knows the connection
    del unit.store.connections[ana]  # its $disconnect, elsewhere
    unit.sender.sent.clear()
    [err] = unit.act(ana, action="take", conversation_id=conv)
    assert err["code"] == "session_expired"
    meta = unit.store.metas[("global", conv)]
    assert meta.owner_id is None and "sub-ana" not in unit.store.participants[("global", conv)]
    assert int(unit.store.presence[("global", "sub-ana")].open_chats or 0) == 0
    assert unit.texts(conv) == ["Hello"]
