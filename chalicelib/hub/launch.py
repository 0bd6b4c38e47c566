"""The launch decision: "Ready for handoff", or the list of what blocks it.

Pure functions over the same `Pressure` snapshot as the next move; no I/O.

The launch decision and the next move agree: every next-move rule that fires with severity
"urgent" blocks the handoff too (`urgent_blockers`), so an "Urgent: …" next move never sits
beside "Ready for handoff", and going live is refused while it stands.

Blockers, most urgent first (the order is fixed, and matches the order of the same rules in
`chalicelib.hub.next_move.RULES`):

====  ==================  ===============  ==========================================================
#     code                lane             blocks when
====  ==================  ===============  ==========================================================
1     no_agent_available  support_command  no agent is available (even when nothing waits yet: the
                                           live lane cannot be handed off with nobody on the floor)
2     failing_deliveries  support_command  any recent PostToConnection failure / gone connection
3     presence_drift      support_command  an agent dropped off with open chats and may come back
                                           (within the grace period, `live/presence.py`): the
                                           blocker names them and offers "reassign their chats";
                                           it clears when they come back, when the grace period
                                           ends (routing requeues their chats) or once reassigned
4     overdue_callbacks   callbacks        any callback is overdue
5     typing_drift        support_command  a typing indicator never stopped
6     outside_hours       support_command  the team is outside its business hours (then "no agent
                                           available" does not block: nobody is expected)
+     <next-move rule>    its lane         any other next-move rule firing as urgent (today: an
                                           unanswered chat that has waited CHAT_REPLY_URGENT_S
                                           of open time)
====  ==================  ===============  ==========================================================

Queued callbacks, tickets and chats answered in time are ordinary traffic: they never block
the handoff (the next move still sends the team to them).
"""

from __future__ import annotations

from collections.abc import Callable

from msgspec import Struct

from chalicelib.hub.next_move import RULES
from chalicelib.hub.pressure import Lane, LostAgent, Pressure
from chalicelib.hub.sentences import (
    count,
    failing_deliveries_sentence,
    no_agent_sentence,
    outside_hours_sentence,
    overdue_callbacks_sentence,
    presence_drift_sentence,
    typing_drift_sentence,
)

READY_HEADLINE = "Ready for handoff"


class Blocker(Struct, frozen=True):
    code: str  # one of BLOCKER_CODES, e.g. "overdue_callbacks"
    message: str  # plain sentence with the number
    lane: Lane  # the lane that recovers it (same lane names as NextMove)
    agents: tuple[LostAgent, ...] = ()  # presence_drift: who dropped off ("reassign their chats")


class LaunchDecision(Struct, frozen=True):
    ready: bool
    headline: str  # "Ready for handoff" when ready, else e.g. "2 things block the handoff"
    blockers: tuple[Blocker, ...]


class BlockerCheck(Struct, frozen=True):
    code: str
    lane: Lane
    blocks: Callable[[Pressure], bool]
    message: Callable[[Pressure], str]


# Most urgent first; launch_check keeps this order.
CHECKS: tuple[BlockerCheck, ...] = (
    BlockerCheck(
        "no_agent_available", "support_command", lambda p: p.team_open and p.agents_available <= 0, no_agent_sentence
    ),
    BlockerCheck(
        "failing_deliveries", "support_command", lambda p: p.failing_deliveries > 0, failing_deliveries_sentence
    ),
    BlockerCheck("presence_drift", "support_command", lambda p: p.presence_drift > 0, presence_drift_sentence),
    BlockerCheck("overdue_callbacks", "callbacks", lambda p: p.callback_overdue > 0, overdue_callbacks_sentence),
    BlockerCheck("typing_drift", "support_command", lambda p: p.typing_drift > 0, typing_drift_sentence),
    BlockerCheck("outside_hours", "support_command", lambda p: not p.team_open, outside_hours_sentence),
)

BLOCKER_CODES: tuple[str, ...] = tuple(check.code for check in CHECKS)


def headline(blockers: int) -> str:
    if blockers == 0:
        return READY_HEADLINE
    return f"{count(blockers, 'thing')} {'blocks' if blockers == 1 else 'block'} the handoff"


def urgent_blockers(p: Pressure, already: set[str]) -> tuple[Blocker, ...]:
    """Next-move rules firing as urgent that no check above covers: they block too."""
    return tuple(
        Blocker(rule.id, rule.reason(p), rule.lane)
        for rule in RULES
        if rule.id not in already and rule.applies(p) and rule.severity(p) == "urgent"
    )


def launch_check(p: Pressure) -> LaunchDecision:
    blockers = tuple(
        Blocker(c.code, c.message(p), c.lane, p.lost_agents if c.code == "presence_drift" else ())
        for c in CHECKS
        if c.blocks(p)
    )
    blockers += urgent_blockers(p, set(BLOCKER_CODES))
    return LaunchDecision(ready=not blockers, headline=headline(len(blockers)), blockers=blockers)
