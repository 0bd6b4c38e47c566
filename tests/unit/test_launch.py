"""The launch decision: every blocker alone, several together (in order), and the ready case."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from msgspec.structs import replace

from chalicelib.hub.launch import BLOCKER_CODES, READY_HEADLINE, Blocker, launch_check
from chalicelib.hub.next_move import RULE_IDS, next_move
from chalicelib.hub.pressure import LANES, LostAgent, Pressure

STABLE = Pressure(
    open_tickets=0,
    waiting_internal=0,
    callback_queued=0,
    callback_overdue=0,
    active_chats=0,
    unanswered_chats=0,
    agents_available=1,
    presence_drift=0,
    typing_drift=0,
    failing_deliveries=0,
    oldest_overdue_callback_s=None,
    oldest_waiting_ticket_s=None,
    oldest_unanswered_chat_s=None,
)


def pressure(**changes: Any) -> Pressure:
    """A stable floor (one agent available, nothing drifting) with `changes` applied."""
    return replace(STABLE, **changes)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="quiet"),
        pytest.param(
            {
                "open_tickets": 40,
                "waiting_internal": 3,
                "callback_queued": 2,
                "active_chats": 5,
                "unanswered_chats": 2,
                "oldest_unanswered_chat_s": 30.0,  # answered in time: traffic, not instability
                "oldest_waiting_ticket_s": 86_400.0,
                "agents_available": 4,
            },
            id="busy-but-stable",
        ),
    ],
)
def test_ready_for_handoff(changes: dict[str, Any]) -> None:
    decision = launch_check(pressure(**changes))
    assert decision.ready is True
    assert decision.headline == READY_HEADLINE == "Ready for handoff"
    assert decision.blockers == ()


# (id, changes, code, lane, words the message must contain)
ALONE: list[tuple[str, dict[str, Any], str, str, tuple[str, ...]]] = [
    (
        "no-agent-nothing-waits",
        {"agents_available": 0},
        "no_agent_available",
        "support_command",
        ("No agent is available",),
    ),
    (
        "no-agent-while-chats-wait",
        {"agents_available": 0, "unanswered_chats": 2},
        "no_agent_available",
        "support_command",
        ("No agent is available while 2 chats wait unanswered.",),
    ),
    (
        "failing-deliveries-one",
        {"failing_deliveries": 1},
        "failing_deliveries",
        "support_command",
        ("1 message delivery recently failed",),
    ),
    (
        "failing-deliveries-many",
        {"failing_deliveries": 7},
        "failing_deliveries",
        "support_command",
        ("7 message deliveries recently failed",),
    ),
    (
        "presence-drift-one",
        {"presence_drift": 1},
        "presence_drift",
        "support_command",
        ("1 agent dropped off with open chats",),
    ),
    (
        "presence-drift-many",
        {"presence_drift": 3},
        "presence_drift",
        "support_command",
        ("3 agents dropped off",),
    ),
    (
        "overdue-one",
        {"callback_overdue": 1, "oldest_overdue_callback_s": 45.0},
        "overdue_callbacks",
        "callbacks",
        ("1 callback is overdue; it is 45 seconds past due.",),
    ),
    (
        "overdue-many",
        {"callback_overdue": 2, "oldest_overdue_callback_s": 420.0},
        "overdue_callbacks",
        "callbacks",
        ("2 callbacks are overdue; the oldest is 7 minutes past due.",),
    ),
    (
        "typing-drift-one",
        {"typing_drift": 1},
        "typing_drift",
        "support_command",
        ("1 typing indicator never stopped",),
    ),
    (
        "typing-drift-many",
        {"typing_drift": 4},
        "typing_drift",
        "support_command",
        ("4 typing indicators never stopped",),
    ),
    (
        "outside-hours-not-no-agent",
        {"team_open": False, "agents_available": 0},
        "outside_hours",
        "support_command",
        ("outside its business hours",),
    ),
]


@pytest.mark.parametrize(("changes", "code", "lane", "words"), [pytest.param(*c[1:], id=c[0]) for c in ALONE])
def test_each_blocker_alone(changes: dict[str, Any], code: str, lane: str, words: tuple[str, ...]) -> None:
    decision = launch_check(pressure(**changes))
    assert decision.ready is False
    assert decision.headline == "1 thing blocks the handoff"
    assert len(decision.blockers) == 1
    blocker = decision.blockers[0]
    assert (blocker.code, blocker.lane) == (code, lane)
    for word in words:
        assert word in blocker.message


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        pytest.param(
            {"typing_drift": 1, "callback_overdue": 2},
            ("overdue_callbacks", "typing_drift"),
            id="overdue-before-typing",
        ),
        pytest.param(
            {"callback_overdue": 1, "presence_drift": 1},
            ("presence_drift", "overdue_callbacks"),
            id="presence-before-overdue",
        ),
        pytest.param(
            {"presence_drift": 2, "failing_deliveries": 1},
            ("failing_deliveries", "presence_drift"),
            id="deliveries-before-presence",
        ),
        pytest.param(
            {"failing_deliveries": 3, "agents_available": 0},
            ("no_agent_available", "failing_deliveries"),
            id="no-agent-first",
        ),
        pytest.param(
            {
                "typing_drift": 2,
                "callback_overdue": 1,
                "presence_drift": 1,
                "failing_deliveries": 5,
                "agents_available": 0,
            },
            ("no_agent_available", "failing_deliveries", "presence_drift", "overdue_callbacks", "typing_drift"),
            id="all-five",
        ),
    ],
)
def test_several_blockers_in_urgency_order(changes: dict[str, Any], codes: tuple[str, ...]) -> None:
    decision = launch_check(pressure(**changes))
    assert decision.ready is False
    assert tuple(b.code for b in decision.blockers) == codes
    assert decision.headline == f"{len(codes)} things block the handoff"


def test_blocker_order_matches_the_next_move_rule_order() -> None:
    """Launch blockers and the next move agree on what is more urgent."""
    positions = [RULE_IDS.index(code) for code in BLOCKER_CODES]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("changes", "ready"),
    [
        pytest.param({"agents_available": 1}, True, id="one-agent-ready"),
        pytest.param({"agents_available": 0}, False, id="zero-agents-blocks"),
        pytest.param({"callback_overdue": 0, "callback_queued": 9}, True, id="queued-callbacks-do-not-block"),
        pytest.param({"callback_overdue": 1}, False, id="one-overdue-blocks"),
        pytest.param({"unanswered_chats": 3, "oldest_unanswered_chat_s": 30.0}, True, id="fresh-unanswered-ok"),
        # Issue 10, item 7: "Urgent: a chat is waiting" beside "Ready for handoff" was a contradiction.
        pytest.param({"unanswered_chats": 3, "oldest_unanswered_chat_s": 900.0}, False, id="urgent-chat-blocks"),
        pytest.param({"waiting_internal": 5, "open_tickets": 100}, True, id="tickets-do-not-block"),
    ],
)
def test_boundaries(changes: dict[str, Any], ready: bool) -> None:
    assert launch_check(pressure(**changes)).ready is ready


# ------------------------------------------------------------------ properties
counts = st.integers(min_value=-3, max_value=10_000)
ages = st.none() | st.floats(allow_nan=True, allow_infinity=True)
pressures = st.builds(
    Pressure,
    open_tickets=counts,
    waiting_internal=counts,
    callback_queued=counts,
    callback_overdue=counts,
    active_chats=counts,
    unanswered_chats=counts,
    agents_available=counts,
    presence_drift=counts,
    typing_drift=counts,
    failing_deliveries=counts,
    oldest_overdue_callback_s=ages,
    oldest_waiting_ticket_s=ages,
    oldest_unanswered_chat_s=ages,
    team_open=st.booleans(),
)


@given(pressures)
def test_ready_iff_no_blockers(p: Pressure) -> None:
    decision = launch_check(p)
    assert decision.ready is (len(decision.blockers) == 0)
    assert (decision.headline == READY_HEADLINE) is decision.ready
    codes = [b.code for b in decision.blockers]
    fixed = [c for c in codes if c in BLOCKER_CODES]
    assert fixed == [c for c in BLOCKER_CODES if c in codes], "blockers keep the fixed urgency order"
    assert set(codes) - set(BLOCKER_CODES) <= set(RULE_IDS), "the rest are urgent next-move rules"
    assert len(set(codes)) == len(codes)
    for blocker in decision.blockers:
        assert isinstance(blocker, Blocker)
        assert blocker.lane in LANES
        assert blocker.message.endswith(".")


@given(pressures)
def test_the_next_move_and_the_launch_decision_agree(p: Pressure) -> None:
    """Issue 10, item 7: an urgent next move always blocks the launch, and names the same rule."""
    move, decision = next_move(p), launch_check(p)
    if move.severity == "urgent":
        assert decision.ready is False
        assert move.rule in {b.code for b in decision.blockers}
    if decision.ready:
        assert move.severity in ("calm", "attention")


def test_a_dropped_off_agent_is_named_with_a_fix() -> None:
    """Issue 10, item 6: the blocker names the agent and offers to reassign their chats."""
    ana = LostAgent("u-ana", "Ana", 2, 75.0)
    decision = launch_check(pressure(presence_drift=1, lost_agents=(ana,)))
    [blocker] = decision.blockers
    assert blocker.code == "presence_drift" and blocker.agents == (ana,)
    assert blocker.message == "Ana dropped off 1 minute ago with 2 open chats; reassign their chats."
    two = launch_check(pressure(presence_drift=2, lost_agents=(ana, LostAgent("u-bo", "Bo", 1, 20.0))))
    assert two.blockers[0].message == "Ana (2 chats) and Bo (1 chat) dropped off with open chats; reassign their chats."


def test_only_the_dropped_off_blocker_names_agents() -> None:
    """The other blockers that fire with it name nobody: "reassign their chats" is offered on
    the dropped-off agents' blocker alone."""
    ana = LostAgent("u-ana", "Ana", 2, 75.0)
    decision = launch_check(
        pressure(presence_drift=1, lost_agents=(ana,), callback_overdue=1, typing_drift=2, failing_deliveries=5)
    )
    named = {b.code: b.agents for b in decision.blockers}
    assert named == {"failing_deliveries": (), "presence_drift": (ana,), "overdue_callbacks": (), "typing_drift": ()}
