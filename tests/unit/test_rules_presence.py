"""The presence rule at its edges (`live/presence.py`): who the widget counts as someone who can
answer, whose chats wait for them and whose go back to the queue. Every figure here is one a
customer or a colleague meets: "someone can answer", an agent shown as lost with "reassign
their chats", a chat handed back to the queue.
"""

from __future__ import annotations

from chalicelib.live.presence import (
    PRESENCE_WINDOW_SECONDS,
    REASSIGN_GRACE_SECONDS,
    PresenceRule,
    available_agents,
    is_available,
    is_reachable,
    last_seen,
)
from chalicelib.store.models import AgentPresence

NOW = 1_800_000_000.0


def agent(
    status: str = "available", beat: float | None = NOW, left: float | None = None, agent_id: str = "ana"
) -> AgentPresence:
    p = AgentPresence("global", agent_id, name=agent_id.title(), status=status, status_at=NOW - 3600)
    p.heartbeat_at = beat if beat is not None else 0
    p.left_at = left
    return p


def test_the_dashboards_one_late_beat_is_forgiven_two_are_not() -> None:
    assert (PRESENCE_WINDOW_SECONDS, REASSIGN_GRACE_SECONDS) == (90, 180)
    beat = NOW - 89.5
    assert is_reachable(agent(beat=beat), NOW) is True
    assert is_reachable(agent(beat=NOW - 90), NOW) is False  # the window is exclusive
    assert is_reachable(agent(beat=None), NOW) is False  # never beat (or their last tab closed)
    assert is_reachable(agent(beat=NOW - 30), NOW, window=20) is False
    assert PresenceRule(window=20).reachable(agent(beat=NOW - 30), NOW) is False
    assert PresenceRule(window=40).reachable(agent(beat=NOW - 30), NOW) is True


def test_only_a_chosen_available_that_is_reachable_can_answer() -> None:
    assert is_available(agent(), NOW) is True
    for status in ("busy", "away", "offline"):
        assert is_available(agent(status=status), NOW) is False
    assert is_available(agent(beat=NOW - 95), NOW) is False
    assert is_available(agent(beat=NOW - 30), NOW, window=20) is False
    assert PresenceRule(window=20).available(agent(beat=NOW - 30), NOW) is False
    team = [agent(agent_id="ana"), agent("busy", agent_id="bo"), agent(beat=NOW - 200, agent_id="cy")]
    assert available_agents(team, NOW) == {"ana"}
    assert available_agents(team, NOW, window=300) == {"ana", "cy"}
    assert PresenceRule().available_agents(team, NOW) == {"ana"}
    assert PresenceRule(window=300).available_agents(team, NOW) == {"ana", "cy"}
    assert available_agents([], NOW) == set()


def test_silence_counts_from_the_last_sign_of_life() -> None:
    rule = PresenceRule()
    assert last_seen(agent(beat=NOW - 500, left=NOW - 100)) == NOW - 100
    assert last_seen(agent(beat=NOW - 100, left=NOW - 500)) == NOW - 100
    assert last_seen(agent(beat=None, left=None)) == 0
    assert rule.silence(agent(beat=NOW - 10), NOW) == 0.0  # reachable: no silence at all
    assert rule.silence(agent(beat=NOW - 500, left=NOW - 120), NOW) == 120
    assert rule.silence(agent(beat=None, left=NOW + 5), NOW) == 0.0  # never negative


def test_a_vanished_agent_is_lost_for_the_grace_period_then_gone() -> None:
    rule = PresenceRule()
    closed = NOW - 100  # their last tab closed 100 s ago
    lost = agent(beat=None, left=closed)
    assert (rule.lost(lost, NOW), rule.gone(lost, NOW)) == (True, False)
    just_before = agent(beat=None, left=NOW - 179.5)
    assert (rule.lost(just_before, NOW), rule.gone(just_before, NOW)) == (True, False)
    at_grace = agent(beat=None, left=NOW - 180)
    assert (rule.lost(at_grace, NOW), rule.gone(at_grace, NOW)) == (False, True)
    reachable = agent(status="busy")
    assert (rule.lost(reachable, NOW), rule.gone(reachable, NOW)) == (False, False)
    offline = agent(status="offline", beat=None, left=NOW - 5)  # chose offline: nothing to wait for
    assert (rule.lost(offline, NOW), rule.gone(offline, NOW)) == (False, True)
    offline_but_beating = agent(status="offline")
    assert rule.gone(offline_but_beating, NOW) is False  # still reachable: their chats stay
    assert rule.gone(lost, NOW, grace=0) is True  # recovery mode does not wait
    assert rule.gone(lost, NOW, grace=100) is True and rule.gone(lost, NOW, grace=101) is False
    short = PresenceRule(grace=50)
    assert (short.lost(lost, NOW), short.gone(lost, NOW)) == (False, True)
