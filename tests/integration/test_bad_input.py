"""Every kind of bad input: one clear error to the sender only, nothing stored, connection still usable."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.store.models import Message
from tests.integration.conftest import Harness


def stored(conv: str) -> list[str]:
    return [m.text for m in Message.query(f"T#global#C#{conv}")]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ("", "bad_json"),
        (json.dumps({"action": "explode"}), "unknown_action"),
        (json.dumps({"text": "no action"}), "unknown_action"),
        (json.dumps({"action": "send", "conversation_id": "CONV", "client_id": "c", "text": ""}), "invalid_action"),
        (json.dumps({"action": "send", "conversation_id": "CONV", "text": "no client id"}), "invalid_action"),
        (
            json.dumps({"action": "send", "conversation_id": "CONV", "client_id": "c", "text": "x", "author": "boss"}),
            "invalid_action",
        ),
        (json.dumps({"action": "read", "conversation_id": "CONV", "seq": -1}), "invalid_action"),
        (
            json.dumps({"action": "send", "conversation_id": "CONV", "client_id": "c", "text": "x" * 4001}),
            "payload_too_large",
        ),
        (
            json.dumps({"action": "send", "conversation_id": "CONV", "client_id": "c", "text": "y" * 40_000}),
            "payload_too_large",
        ),
        (
            json.dumps({"action": "send", "conversation_id": "CONV", "client_id": "c", "text": "x", "tenant": "acme"}),
            "wrong_tenant",
        ),
        (json.dumps({"action": "send", "conversation_id": "c_missing", "client_id": "c", "text": "x"}), "not_found"),
        (json.dumps({"action": "presence", "status": "available"}), "forbidden"),
    ],
)
def test_bad_input_gets_one_error_stores_nothing_and_connection_stays_usable(
    hub: Harness, body: str, code: str
) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    agent = hub.connect_agent("ana")
    hub.act(agent, action="join", conversation_id=conv)
    hub.sender.take(customer)
    hub.sender.take(agent)
    before = stored(conv)

    replies = hub.raw(customer, body.replace("CONV", conv))

    assert len(replies) == 1, replies
    [err] = replies
    assert err["type"] == "error" and err["code"] == code and err["message"]
    assert hub.sender.take(agent) == []  # only the sender hears about it
    assert stored(conv) == before
    [ack] = hub.act(customer, action="send", conversation_id=conv, client_id="after", text="still here")
    assert ack["status"] == "sent"


def test_error_echoes_request_and_client_ids(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    [err] = hub.act(customer, action="send", request_id="r-7", client_id="m-9", conversation_id="c_nope", text="x")
    assert err["request_id"] == "r-7" and err["client_id"] == "m-9" and err["code"] == "not_found"


def test_agent_must_join_before_sending(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.started(customer)
    agent = hub.connect_agent("ana")
    [err] = hub.act(agent, action="send", conversation_id=conv, client_id="a", text="hi")
    assert err["code"] == "not_joined"
    assert stored(conv) == ["Hello"]


def test_agents_do_not_see_a_conversation_nobody_has_written_in(hub: Harness) -> None:
    """Opening the widget is not a conversation (issue 10, item 4): agents cannot read or join it."""
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    agent = hub.connect_agent("ana")
    for action in ("join", "take", "close"):
        [err] = hub.act(agent, action=action, conversation_id=conv)
        assert err["code"] == "not_found"
    [err] = hub.act(agent, action="sync", conversation_id=conv, since=0)
    assert err["code"] == "not_found"
    assert stored(conv) == []


def test_session_expired_after_credential_lifetime(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)
    hub.clock.advance(hub.lane.settings.widget_session_ttl + 1)
    [err] = hub.act(customer, action="send", conversation_id=conv, client_id="late", text="hello?")
    assert err["code"] == "session_expired"
    assert stored(conv) == []


def test_unregistered_connection_is_told_to_reconnect(hub: Harness) -> None:
    [err] = hub.act("neverconnected=", action="heartbeat")
    assert err["code"] == "session_expired"


def test_internal_failure_is_reported_and_nothing_half_written(hub: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    customer, _ = hub.connect_customer()
    conv = hub.start(customer)

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("dynamodb fell over")

    monkeypatch.setattr(hub.lane.timeline.store, "append", boom)
    [err] = hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
    assert err["code"] == "internal" and err["client_id"] == "c1"
    monkeypatch.undo()
    # (the first message starts the conversation: the customer also hears their queue place)
    [ack] = [
        e
        for e in hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="hi")
        if e["type"] == "ack"
    ]
    assert ack["status"] == "sent" and stored(conv) == ["hi"]
