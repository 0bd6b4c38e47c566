"""The next move: every rule, the ties, boundaries, wording and the calm state."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from msgspec.structs import replace

from chalicelib.hub.next_move import (
    CHAT_REPLY_URGENT_S,
    LANE_ORDER,
    OPEN_TICKETS_PILE_UP,
    RULE_IDS,
    RULES,
    NextMove,
    next_move,
)
from chalicelib.hub.pressure import LANES, Pressure
from chalicelib.hub.sentences import human_duration

CALM = Pressure(
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
    """A calm floor (one agent available, nothing waiting) with `changes` applied."""
    return replace(CALM, **changes)


# (id, changes, lane, rule, severity, words the reason must contain)
CASES: list[tuple[str, dict[str, Any], str, str, str, tuple[str, ...]]] = [
    # ---- calm
    ("calm", {}, "live_chat", "live_lane_ready", "calm", ("Live chat lane is ready", "1 agent is available")),
    (
        "calm-many-agents-active-chats",
        {"agents_available": 3, "active_chats": 4},
        "live_chat",
        "live_lane_ready",
        "calm",
        ("Live chat lane is ready", "3 agents are available"),
    ),
    (
        "calm-open-tickets-below-pile-up",
        {"open_tickets": OPEN_TICKETS_PILE_UP - 1},
        "live_chat",
        "live_lane_ready",
        "calm",
        ("Live chat lane is ready",),
    ),
    # ---- 1 no_agent_available
    (
        "no-agent-chat-waits",
        {"agents_available": 0, "unanswered_chats": 1, "active_chats": 1},
        "support_command",
        "no_agent_available",
        "urgent",
        ("No agent is available while 1 chat waits unanswered",),
    ),
    (
        "no-agent-everything-waits",
        {"agents_available": 0, "unanswered_chats": 2, "callback_overdue": 1, "callback_queued": 3},
        "support_command",
        "no_agent_available",
        "urgent",
        ("2 chats wait unanswered, 1 callback is overdue and 3 callbacks are queued",),
    ),
    (
        "no-agent-overdue-callback-beats-overdue-rule",
        {"agents_available": 0, "callback_overdue": 2, "oldest_overdue_callback_s": 600.0},
        "support_command",
        "no_agent_available",
        "urgent",
        ("2 callbacks are overdue",),
    ),
    (
        "no-agent-queued-only-is-attention",
        {"agents_available": 0, "callback_queued": 1},
        "support_command",
        "no_agent_available",
        "attention",
        ("while 1 callback is queued",),
    ),
    (
        "no-agent-negative-count-treated-as-none",
        {"agents_available": -1, "unanswered_chats": 1},
        "support_command",
        "no_agent_available",
        "urgent",
        ("1 chat waits unanswered",),
    ),
    # ---- 2 failing_deliveries
    (
        "failing-delivery-one",
        {"failing_deliveries": 1},
        "support_command",
        "failing_deliveries",
        "urgent",
        ("1 message delivery recently failed", "missing replies"),
    ),
    (
        "failing-deliveries-many-beat-overdue-and-drift",
        {"failing_deliveries": 4, "presence_drift": 2, "callback_overdue": 3, "typing_drift": 1},
        "support_command",
        "failing_deliveries",
        "urgent",
        ("4 message deliveries recently failed",),
    ),
    # ---- 3 presence_drift
    (
        "presence-drift-one-quiet-floor",
        {"presence_drift": 1},
        "support_command",
        "presence_drift",
        "attention",
        ("1 agent dropped off with open chats; reassign their chats",),
    ),
    (
        "presence-drift-many-chat-waits",
        {"presence_drift": 2, "unanswered_chats": 1, "oldest_unanswered_chat_s": 5.0},
        "support_command",
        "presence_drift",
        "urgent",
        ("2 agents dropped off with open chats",),
    ),
    (
        "presence-drift-beats-overdue-callbacks",
        {"presence_drift": 1, "callback_overdue": 5, "oldest_overdue_callback_s": 3600.0},
        "support_command",
        "presence_drift",
        "attention",
        ("1 agent",),
    ),
    # ---- 4 overdue_callbacks
    (
        "overdue-one-with-age",
        {"callback_overdue": 1, "oldest_overdue_callback_s": 420.0},
        "callbacks",
        "overdue_callbacks",
        "urgent",
        ("1 callback is overdue; it is 7 minutes past due.",),
    ),
    (
        "overdue-many-with-age",
        {"callback_overdue": 2, "oldest_overdue_callback_s": 459.0},
        "callbacks",
        "overdue_callbacks",
        "urgent",
        ("2 callbacks are overdue; the oldest is 7 minutes past due.",),
    ),
    (
        "overdue-age-unknown",
        {"callback_overdue": 3},
        "callbacks",
        "overdue_callbacks",
        "urgent",
        ("3 callbacks are overdue.",),
    ),
    (
        "overdue-just-past-due",
        {"callback_overdue": 1, "oldest_overdue_callback_s": 0.0},
        "callbacks",
        "overdue_callbacks",
        "urgent",
        ("it is less than a second past due",),
    ),
    (
        "overdue-beats-typing-queued-tickets",
        {"callback_overdue": 1, "typing_drift": 2, "callback_queued": 4, "waiting_internal": 1, "open_tickets": 50},
        "callbacks",
        "overdue_callbacks",
        "urgent",
        ("1 callback is overdue",),
    ),
    # ---- 4 unanswered_chats
    (
        "unanswered-one-fresh",
        {"unanswered_chats": 1, "active_chats": 1, "oldest_unanswered_chat_s": 45.0},
        "live_chat",
        "unanswered_chats",
        "attention",
        ("1 chat is waiting for an agent's reply; the customer has waited 45 seconds.",),
    ),
    (
        "unanswered-just-below-urgent",
        {"unanswered_chats": 1, "oldest_unanswered_chat_s": CHAT_REPLY_URGENT_S - 0.001},
        "live_chat",
        "unanswered_chats",
        "attention",
        ("59 seconds",),
    ),
    (
        "unanswered-exactly-urgent",
        {"unanswered_chats": 3, "oldest_unanswered_chat_s": CHAT_REPLY_URGENT_S},
        "live_chat",
        "unanswered_chats",
        "urgent",
        ("3 chats are waiting for an agent's reply; the oldest has waited 1 minute.",),
    ),
    (
        "unanswered-age-unknown",
        {"unanswered_chats": 2},
        "live_chat",
        "unanswered_chats",
        "attention",
        ("2 chats are waiting for an agent's reply.",),
    ),
    (
        "unanswered-beats-typing-drift",
        {"unanswered_chats": 1, "typing_drift": 3, "oldest_unanswered_chat_s": 1.0},
        "live_chat",
        "unanswered_chats",
        "attention",
        ("1 second",),
    ),
    # ---- 4 ties between overdue_callbacks and unanswered_chats
    (
        "tie-older-chat-wins",
        {
            "callback_overdue": 1,
            "oldest_overdue_callback_s": 30.0,
            "unanswered_chats": 1,
            "oldest_unanswered_chat_s": 90.0,
        },
        "live_chat",
        "unanswered_chats",
        "urgent",
        ("1 minute",),
    ),
    (
        "tie-older-callback-wins",
        {
            "callback_overdue": 2,
            "oldest_overdue_callback_s": 7200.0,
            "unanswered_chats": 4,
            "oldest_unanswered_chat_s": 300.0,
        },
        "callbacks",
        "overdue_callbacks",
        "urgent",
        ("2 callbacks are overdue; the oldest is 2 hours past due.",),
    ),
    (
        "tie-equal-ages-lane-order-callbacks",
        {
            "callback_overdue": 1,
            "oldest_overdue_callback_s": 120.0,
            "unanswered_chats": 1,
            "oldest_unanswered_chat_s": 120.0,
        },
        "callbacks",
        "overdue_callbacks",
        "urgent",
        ("2 minutes past due",),
    ),
    (
        "tie-both-ages-unknown-lane-order-callbacks",
        {"callback_overdue": 1, "unanswered_chats": 1},
        "callbacks",
        "overdue_callbacks",
        "urgent",
        ("1 callback is overdue.",),
    ),
    (
        "tie-unknown-callback-age-counts-as-zero",
        {"callback_overdue": 1, "unanswered_chats": 1, "oldest_unanswered_chat_s": 2.0},
        "live_chat",
        "unanswered_chats",
        "attention",
        ("2 seconds",),
    ),
    (
        "tie-nan-age-counts-as-zero",
        {
            "callback_overdue": 1,
            "oldest_overdue_callback_s": math.nan,
            "unanswered_chats": 1,
            "oldest_unanswered_chat_s": 0.0,
        },
        "callbacks",
        "overdue_callbacks",
        "urgent",
        ("1 callback is overdue.",),
    ),
    # ---- 5 typing_drift
    (
        "typing-drift-one",
        {"typing_drift": 1},
        "support_command",
        "typing_drift",
        "attention",
        ("1 typing indicator never stopped, so a customer sees someone typing",),
    ),
    (
        "typing-drift-beats-queued-and-tickets",
        {"typing_drift": 2, "callback_queued": 1, "waiting_internal": 3},
        "support_command",
        "typing_drift",
        "attention",
        ("2 typing indicators never stopped, so customers see someone typing",),
    ),
    # ---- 6 queued_callbacks
    (
        "queued-one",
        {"callback_queued": 1},
        "callbacks",
        "queued_callbacks",
        "attention",
        ("1 callback is queued and not overdue yet",),
    ),
    (
        "queued-many-beat-tickets",
        {"callback_queued": 5, "waiting_internal": 2, "open_tickets": 40},
        "callbacks",
        "queued_callbacks",
        "attention",
        ("5 callbacks are queued and none is overdue yet",),
    ),
    # ---- 7 tickets_waiting_internal
    (
        "waiting-internal-one",
        {"waiting_internal": 1, "open_tickets": 1, "oldest_waiting_ticket_s": 7200.0},
        "tickets",
        "tickets_waiting_internal",
        "attention",
        ("1 ticket is waiting on another internal team; the oldest waiting ticket has waited 2 hours.",),
    ),
    (
        "waiting-internal-many-days",
        {"waiting_internal": 3, "oldest_waiting_ticket_s": 3 * 86_400 + 5.0},
        "tickets",
        "tickets_waiting_internal",
        "attention",
        ("3 tickets are waiting on another internal team; the oldest waiting ticket has waited 3 days.",),
    ),
    (
        "waiting-internal-beats-pile-up",
        {"waiting_internal": 1, "open_tickets": 99},
        "tickets",
        "tickets_waiting_internal",
        "attention",
        ("1 ticket is waiting on another internal team.",),
    ),
    # ---- 8 ticket_pile_up
    (
        "pile-up-exactly-threshold",
        {"open_tickets": OPEN_TICKETS_PILE_UP},
        "tickets",
        "ticket_pile_up",
        "attention",
        (f"{OPEN_TICKETS_PILE_UP} tickets are open and the live lanes are quiet",),
    ),
    (
        "pile-up-beats-no-agent-on-floor",
        {"open_tickets": 25, "agents_available": 0},
        "tickets",
        "ticket_pile_up",
        "attention",
        ("25 tickets are open",),
    ),
    # ---- 9 no_agent_on_floor
    (
        "no-agent-nothing-waits",
        {"agents_available": 0, "active_chats": 2, "open_tickets": 3},
        "support_command",
        "no_agent_on_floor",
        "attention",
        ("No agent is available, so new chats can only be offered a callback.",),
    ),
    # ---- 9 outside_hours
    (
        "closed-nobody-expected",
        {"agents_available": 0, "team_open": False},
        "support_command",
        "outside_hours",
        "calm",
        ("outside its business hours",),
    ),
    (
        "closed-a-callback-queued-is-not-no-agent",
        {"agents_available": 0, "callback_queued": 2, "team_open": False},
        "callbacks",
        "queued_callbacks",
        "attention",
        ("2 callbacks are queued",),
    ),
]


@pytest.mark.parametrize(
    ("changes", "lane", "rule", "severity", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_next_move(changes: dict[str, Any], lane: str, rule: str, severity: str, words: tuple[str, ...]) -> None:
    move = next_move(pressure(**changes))
    assert (move.lane, move.rule, move.severity) == (lane, rule, severity), move.reason
    for word in words:
        assert word in move.reason
    assert move.reason.endswith(".")
    assert move.reason[0].isupper() or move.reason[0].isdigit()


def test_every_rule_is_covered_by_a_case() -> None:
    fired = {next_move(pressure(**case[1])).rule for case in CASES}
    assert fired == set(RULE_IDS)


def test_rule_table_is_well_formed() -> None:
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    priorities = [rule.priority for rule in RULES]
    assert priorities == sorted(priorities), "the table is written in priority order"
    assert RULES[-1].id == "live_lane_ready"
    assert {rule.lane for rule in RULES} == set(LANES)
    assert sorted(LANE_ORDER) == sorted(LANES)


@pytest.mark.parametrize(
    ("zero_field", "one_rule"),
    [
        pytest.param("failing_deliveries", "failing_deliveries", id="failing_deliveries"),
        pytest.param("presence_drift", "presence_drift", id="presence_drift"),
        pytest.param("callback_overdue", "overdue_callbacks", id="callback_overdue"),
        pytest.param("unanswered_chats", "unanswered_chats", id="unanswered_chats"),
        pytest.param("typing_drift", "typing_drift", id="typing_drift"),
        pytest.param("callback_queued", "queued_callbacks", id="callback_queued"),
        pytest.param("waiting_internal", "tickets_waiting_internal", id="waiting_internal"),
    ],
)
def test_zero_never_fires_and_one_does(zero_field: str, one_rule: str) -> None:
    assert next_move(pressure(**{zero_field: 0})).rule == "live_lane_ready"
    assert next_move(pressure(**{zero_field: 1})).rule == one_rule


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        pytest.param(0.0, "less than a second", id="zero"),
        pytest.param(0.999, "less than a second", id="under-one"),
        pytest.param(1.0, "1 second", id="one-second"),
        pytest.param(45.0, "45 seconds", id="seconds"),
        pytest.param(59.99, "59 seconds", id="just-under-a-minute"),
        pytest.param(60.0, "1 minute", id="one-minute"),
        pytest.param(119.0, "1 minute", id="rounds-down"),
        pytest.param(420.0, "7 minutes", id="minutes"),
        pytest.param(3599.0, "59 minutes", id="just-under-an-hour"),
        pytest.param(3600.0, "1 hour", id="one-hour"),
        pytest.param(7200.0, "2 hours", id="hours"),
        pytest.param(86_400.0, "1 day", id="one-day"),
        pytest.param(200_000.0, "2 days", id="days"),
        pytest.param(-5.0, "less than a second", id="negative"),
        pytest.param(math.nan, "less than a second", id="nan"),
        pytest.param(math.inf, "an unknown time", id="inf"),
    ],
)
def test_human_duration(seconds: float, words: str) -> None:
    assert human_duration(seconds) == words


def test_negative_age_is_left_out_of_the_reason() -> None:
    move = next_move(pressure(callback_overdue=2, oldest_overdue_callback_s=-3.0))
    assert move.reason == "2 callbacks are overdue."


def test_ties_do_not_depend_on_anything_but_the_snapshot() -> None:
    p = pressure(callback_overdue=1, unanswered_chats=1, oldest_overdue_callback_s=10.0, oldest_unanswered_chat_s=10.0)
    assert {next_move(p) for _ in range(5)} == {next_move(p)}


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
def test_next_move_never_raises_and_always_names_a_lane(p: Pressure) -> None:
    move = next_move(p)
    assert isinstance(move, NextMove)
    assert move.lane in LANES
    assert move.severity in ("calm", "attention", "urgent")
    assert move.rule in RULE_IDS
    assert move.reason.endswith(".")
    assert "\n" not in move.reason


@given(pressures)
def test_calm_only_when_the_lane_is_ready(p: Pressure) -> None:
    move = next_move(p)
    assert (move.severity == "calm") == (move.rule in ("live_lane_ready", "outside_hours"))
    assert (move.rule == "outside_hours") <= (not p.team_open)
    if move.rule == "live_lane_ready":
        assert move.lane == "live_chat"
        assert move.reason.startswith("Live chat lane is ready")
