"""The next move ("Fix next"): from the pressure on each lane, where the team goes next and why.

Pure functions over a `Pressure` snapshot (the lead fills it from the hub counters); no I/O.

Rule table
==========
`RULES` is evaluated as one ordered table. Every rule has a stable id, the lane it sends the
team to, a priority (lower goes first), a predicate, a severity and a one-sentence reason.

====  ==========================  ===============  =====================================================
prio  rule                        lane             fires when (severity)
====  ==========================  ===============  =====================================================
1     no_agent_available          support_command  no agent is available while a chat waits unanswered or
                                                   a callback is queued or overdue (urgent when a chat or
                                                   an overdue callback waits, attention for queued only)
2     failing_deliveries          support_command  any recent PostToConnection failure / gone connection
                                                   (urgent: customers may be missing replies)
3     presence_drift              support_command  an agent's chosen status says available/busy but the
                                                   heartbeats stopped (urgent when a chat waits
                                                   unanswered, else attention)
4     overdue_callbacks           callbacks        any callback is overdue: a promise to call was broken
                                                   (urgent)
4     unanswered_chats            live_chat        a customer's last word in an open chat is unanswered:
                                                   they are on the page now (urgent once the oldest has
                                                   waited CHAT_REPLY_URGENT_S, else attention)
5     typing_drift                support_command  a typing indicator never stopped (attention)
6     queued_callbacks            callbacks        callbacks are queued, none overdue yet (attention)
7     tickets_waiting_internal    tickets          tickets are blocked on another internal team
                                                   (attention)
8     ticket_pile_up              tickets          open tickets >= OPEN_TICKETS_PILE_UP (attention)
9     no_agent_on_floor           support_command  no agent is available, nothing waits yet (attention)
9     outside_hours               support_command  the team is outside its business hours (calm)
10    live_lane_ready             live_chat        always (calm): "Live chat lane is ready"
====  ==========================  ===============  =====================================================

Outside business hours nobody is expected on the floor: the two "no agent" rules fire only while
the team is open (`Pressure.team_open`), and `outside_hours` says why the floor is empty. Waiting
ages count open time only (`hub/hours.py`), so a chat left overnight is not "hours late" at 9:01.

Why this order: the floor itself comes first (nobody to answer, messages not arriving, agents who
look present but are gone) because every other lane recovers through it — a callback claimed by a
vanished agent, for instance, is presence drift before it is an overdue callback. Then the customers
already let down (a broken callback promise, a chat left unanswered), then stuck typing indicators,
then work that is due soon (queued callbacks), then asynchronous work (tickets), then staffing.

Ties
====
Only rules that share a priority compete (today: `overdue_callbacks` and `unanswered_chats`).
Among the rules that fire with the lowest priority the winner is, in order:

1. the longest wait — the oldest overdue callback's age past due against the oldest unanswered
   chat's wait (an unknown, negative or non-finite age counts as 0 seconds);
2. the fixed lane order `LANE_ORDER`: support_command, callbacks, live_chat, tickets (a broken,
   already escalated promise goes before a chat that has waited exactly as long);
3. the rule's position in `RULES`.

Counts below 1 (0 or a bad negative) never fire a rule. Durations are read in whole units,
rounded down: "45 seconds", "7 minutes", "2 hours", "3 days".
"""

from __future__ import annotations

from collections.abc import Callable

from msgspec import Struct

from chalicelib.hub.pressure import Lane, Pressure, Severity
from chalicelib.hub.sentences import (
    failing_deliveries_sentence,
    no_agent_sentence,
    outside_hours_sentence,
    overdue_callbacks_sentence,
    presence_drift_sentence,
    queued_callbacks_sentence,
    ready_sentence,
    ticket_pile_up_sentence,
    tickets_waiting_internal_sentence,
    typing_drift_sentence,
    unanswered_chats_sentence,
    wait_key,
)

# Tie-break order between lanes whose rules share a priority (first wins).
LANE_ORDER: tuple[Lane, ...] = ("support_command", "callbacks", "live_chat", "tickets")

# A chat customer unanswered this long (seconds) makes the live-chat move urgent.
CHAT_REPLY_URGENT_S = 60.0
# This many open tickets, with the live lanes quiet, send the team to the ticket queue.
OPEN_TICKETS_PILE_UP = 10


class NextMove(Struct, frozen=True):
    lane: Lane
    reason: str  # one plain English sentence a team lead would act on, with the numbers
    severity: Severity
    rule: str  # stable id of the rule that fired, e.g. "overdue_callbacks"


class Rule(Struct, frozen=True):
    id: str
    lane: Lane
    priority: int
    applies: Callable[[Pressure], bool]
    severity: Callable[[Pressure], Severity]
    reason: Callable[[Pressure], str]
    wait: Callable[[Pressure], float | None] = lambda _p: None


# ------------------------------------------------------------------ severities
def _no_agent_severity(p: Pressure) -> Severity:
    return "urgent" if p.unanswered_chats > 0 or p.callback_overdue > 0 else "attention"


def _presence_drift_severity(p: Pressure) -> Severity:
    return "urgent" if p.unanswered_chats > 0 else "attention"


def _unanswered_severity(p: Pressure) -> Severity:
    return "urgent" if wait_key(p.oldest_unanswered_chat_s) >= CHAT_REPLY_URGENT_S else "attention"


def _fixed(severity: Severity) -> Callable[[Pressure], Severity]:
    return lambda _p: severity


# ------------------------------------------------------------------ the table
RULES: tuple[Rule, ...] = (
    Rule(
        "no_agent_available",
        "support_command",
        1,
        lambda p: (
            p.team_open
            and p.agents_available <= 0
            and (p.unanswered_chats > 0 or p.callback_queued > 0 or p.callback_overdue > 0)
        ),
        _no_agent_severity,
        no_agent_sentence,
    ),
    Rule(
        "failing_deliveries",
        "support_command",
        2,
        lambda p: p.failing_deliveries > 0,
        _fixed("urgent"),
        failing_deliveries_sentence,
    ),
    Rule(
        "presence_drift",
        "support_command",
        3,
        lambda p: p.presence_drift > 0,
        _presence_drift_severity,
        presence_drift_sentence,
    ),
    Rule(
        "overdue_callbacks",
        "callbacks",
        4,
        lambda p: p.callback_overdue > 0,
        _fixed("urgent"),
        overdue_callbacks_sentence,
        wait=lambda p: p.oldest_overdue_callback_s,
    ),
    Rule(
        "unanswered_chats",
        "live_chat",
        4,
        lambda p: p.unanswered_chats > 0,
        _unanswered_severity,
        unanswered_chats_sentence,
        wait=lambda p: p.oldest_unanswered_chat_s,
    ),
    Rule(
        "typing_drift",
        "support_command",
        5,
        lambda p: p.typing_drift > 0,
        _fixed("attention"),
        typing_drift_sentence,
    ),
    Rule(
        "queued_callbacks",
        "callbacks",
        6,
        lambda p: p.callback_queued > 0,
        _fixed("attention"),
        queued_callbacks_sentence,
    ),
    Rule(
        "tickets_waiting_internal",
        "tickets",
        7,
        lambda p: p.waiting_internal > 0,
        _fixed("attention"),
        tickets_waiting_internal_sentence,
        wait=lambda p: p.oldest_waiting_ticket_s,
    ),
    Rule(
        "ticket_pile_up",
        "tickets",
        8,
        lambda p: p.open_tickets >= OPEN_TICKETS_PILE_UP,
        _fixed("attention"),
        ticket_pile_up_sentence,
    ),
    Rule(
        "no_agent_on_floor",
        "support_command",
        9,
        lambda p: p.team_open and p.agents_available <= 0,
        _fixed("attention"),
        no_agent_sentence,
    ),
    Rule(
        "outside_hours",
        "support_command",
        9,
        lambda p: not p.team_open,
        _fixed("calm"),
        outside_hours_sentence,
    ),
    Rule(
        "live_lane_ready",
        "live_chat",
        10,
        lambda _p: True,
        _fixed("calm"),
        ready_sentence,
    ),
)

RULE_IDS: tuple[str, ...] = tuple(rule.id for rule in RULES)


def winning_rule(p: Pressure) -> Rule:
    """The rule that decides the next move: lowest priority, then longest wait, lane order, table order."""
    firing = [(i, rule) for i, rule in enumerate(RULES) if rule.applies(p)]
    top = min(rule.priority for _, rule in firing)  # live_lane_ready always fires
    contenders = [(i, rule) for i, rule in firing if rule.priority == top]
    _, best = min(contenders, key=lambda c: (-wait_key(c[1].wait(p)), LANE_ORDER.index(c[1].lane), c[0]))
    return best


def next_move(p: Pressure) -> NextMove:
    rule = winning_rule(p)
    return NextMove(lane=rule.lane, reason=rule.reason(p), severity=rule.severity(p), rule=rule.id)
