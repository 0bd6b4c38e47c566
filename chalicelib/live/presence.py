"""Presence rules: an agent's chosen status and real reachability are separate facts.

Reachable means a heartbeat younger than the presence window; available means chosen
"available" *and* reachable. The hub's counters, the widget's availability and the drift
sweep all read presence through these two functions.
"""

from __future__ import annotations

from chalicelib.store.models import AgentPresence


def is_reachable(p: AgentPresence, now: float, window: float) -> bool:
    return bool(p.heartbeat_at) and now - float(p.heartbeat_at) < window


def is_available(p: AgentPresence, now: float, window: float) -> bool:
    """Chosen status and real reachability are separate facts; both must hold."""
    return p.status == "available" and is_reachable(p, now, window)


def available_agents(presence: list[AgentPresence], now: float, window: float) -> set[str]:
    return {p.agent_id for p in presence if is_available(p, now, window)}
