"""The next move's severities at their edges (the rule table itself is `test_next_move.py`)."""

from __future__ import annotations

from chalicelib.hub.next_move import next_move
from tests.unit.test_next_move import pressure


def test_no_agent_on_the_floor_is_urgent_as_soon_as_one_callback_is_overdue() -> None:
    move = next_move(pressure(agents_available=0, callback_overdue=1, oldest_overdue_callback_s=30.0))
    assert (move.rule, move.severity) == ("no_agent_available", "urgent")
    move = next_move(pressure(agents_available=0, unanswered_chats=1, oldest_unanswered_chat_s=5.0))
    assert (move.rule, move.severity) == ("no_agent_available", "urgent")
    move = next_move(pressure(agents_available=0, callback_queued=1))
    assert (move.rule, move.severity) == ("no_agent_available", "attention")
