"""Presence: the one rule for whether an agent can answer a customer now.

An agent's chosen status (available, busy, away, offline) and whether the hub can reach them
are separate facts. The rule, used by the widget's availability, the hub counters, the launch
check, the next move and routing alike (they all hold the same `PresenceRule`):

==============  ======================================================================================
state           when
==============  ======================================================================================
reachable       the last heartbeat is younger than `window` (90 s) and no connection closed since:
                the dashboard beats every 60 s, so one late beat (a busy tab, a slow network) is
                forgiven and two are not
available       chosen "available" *and* reachable — the only agents the widget counts as "someone
                can answer", the counters count, and routing assigns chats to
lost            not reachable, chosen status not offline, and silent for less than `grace` (180 s):
                a reload or a network blip may bring them back, so their chats wait for them (and
                the launch check names them, with "reassign their chats")
gone            not reachable for `grace` or longer (or chose offline): their open chats go back to
                the queue (`work/routing.py`, a scheduled job), and they no longer block anything
==============  ======================================================================================

Silence is measured from the last sign of life: the last heartbeat, or the moment their last
connection closed (`left_at`), whichever is later. In recovery mode routing does not wait out
the grace period (see `hub/mode_rules.py`).
"""

from __future__ import annotations

from msgspec import Struct

from chalicelib.store.models import AgentPresence

# Heartbeats every 60 s from the dashboard: one late beat is forgiven, two are not.
PRESENCE_WINDOW_SECONDS = 90
# How long a vanished agent's chats wait for them before they go back to the queue.
REASSIGN_GRACE_SECONDS = 180


def last_seen(p: AgentPresence) -> float:
    return max(float(p.heartbeat_at or 0), float(p.left_at or 0))


def is_reachable(p: AgentPresence, now: float, window: float = PRESENCE_WINDOW_SECONDS) -> bool:
    return bool(p.heartbeat_at) and now - float(p.heartbeat_at) < window


def is_available(p: AgentPresence, now: float, window: float = PRESENCE_WINDOW_SECONDS) -> bool:
    """Chosen status and real reachability are separate facts; both must hold."""
    return p.status == "available" and is_reachable(p, now, window)


def available_agents(presence: list[AgentPresence], now: float, window: float = PRESENCE_WINDOW_SECONDS) -> set[str]:
    return {p.agent_id for p in presence if is_available(p, now, window)}


class PresenceRule(Struct, frozen=True):
    """The presence rule with its two durations (see the module docstring)."""

    window: float = PRESENCE_WINDOW_SECONDS
    grace: float = REASSIGN_GRACE_SECONDS

    def reachable(self, p: AgentPresence, now: float) -> bool:
        return is_reachable(p, now, self.window)

    def available(self, p: AgentPresence, now: float) -> bool:
        return is_available(p, now, self.window)

    def available_agents(self, presence: list[AgentPresence], now: float) -> set[str]:
        return available_agents(presence, now, self.window)

    def silence(self, p: AgentPresence, now: float) -> float:
        """Seconds since the last sign of life (0 while reachable)."""
        return 0.0 if self.reachable(p, now) else max(0.0, now - last_seen(p))

    def lost(self, p: AgentPresence, now: float) -> bool:
        """Unreachable but maybe coming back: their chats wait for them, for now."""
        return p.status != "offline" and not self.reachable(p, now) and self.silence(p, now) < self.grace

    def gone(self, p: AgentPresence, now: float, grace: float | None = None) -> bool:
        """Unreachable for the grace period (or `grace` when given): their chats go back to the queue."""
        if self.reachable(p, now):
            return False
        return p.status == "offline" or self.silence(p, now) >= (self.grace if grace is None else grace)
