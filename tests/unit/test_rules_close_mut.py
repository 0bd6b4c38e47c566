"""Closing a conversation when part of the work fails: the closure the agent was told about
stands, operators can see what failed and for whom, and the agents' list still shows the
conversation, closed at the moment it closed."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from chalicelib.platform.clock import iso
from chalicelib.platform.observability import metrics
from chalicelib.store.models import Connection
from chalicelib.store.ports import ConversationState
from tests.unit.conftest import Unit, chat, counted, of
from tests.unit.test_rest_handlers import call

pytestmark = pytest.mark.usefixtures("fresh_metrics")


def test_a_failure_after_the_close_reply_is_logged_for_the_closing_connection_and_the_close_stands(
    unit: Unit, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _customer, conv, agent = chat(unit)

    def lobby_unreachable(conn: Connection, state: ConversationState, to_lobby: bool) -> None:
        raise RuntimeError("lobby unreachable")

    monkeypatch.setattr(unit.hub.live.notifier, "conversation", lobby_unreachable)
    metrics.clear_metrics()
    caplog.set_level(logging.INFO, logger="flow-hub")
    [snap] = of(unit.act(agent, action="close", conversation_id=conv, request_id="r1"), "conversation")
    # The agent's answer stands: the conversation is closed, and stays closed.
    assert (snap["request_id"], snap["conversation"]["status"]) == ("r1", "closed")
    assert unit.store.metas[("global", conv)].status == "closed"
    assert counted()["PostReplyFailures"] == 1
    [line] = [r for r in caplog.records if r.name == "flow-hub" and r.getMessage() == "work after the reply failed"]
    assert (line.levelname, line.action, line.connection_id) == ("ERROR", "close", agent)  # type: ignore[attr-defined]
    assert line.exc_info is not None and str(line.exc_info[1]) == "lobby unreachable"


def test_a_conversation_whose_closing_line_failed_still_lists_as_closed_at_the_time_it_closed(
    unit: Unit, http: Any
) -> None:
    _customer, conv, agent = chat(unit)
    ana = unit.agent_token("ana")  # issued now: the token checks its age against the wall clock
    unit.clock.advance(90)
    closed_at = unit.clock.now()
    unit.store.fail_next("append", RuntimeError("disk on fire"))
    [err] = of(unit.act(agent, action="close", conversation_id=conv), "error")
    assert unit.store.metas[("global", conv)].status == "closed"  # the close itself was stored
    unit.clock.advance(30)
    res = call(http, "get", "/conversations", ana)
    assert res.status_code == 200, (err, res.json_body)
    [listed] = [c for c in res.json_body["conversations"] if c["id"] == conv]
    assert (listed["status"], listed["updated_at"]) == ("closed", iso(closed_at))
