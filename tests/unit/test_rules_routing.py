"""Routing's pure rule (`work/routing.py`): who may get the next chat and in which order —
available agents under capacity, fewest open chats first, then whoever got a chat longest ago.
The outcomes on the store (who got which chat, the queue, vanished agents) are in
tests/integration/test_routing.py."""

from __future__ import annotations

from chalicelib.live.presence import PresenceRule
from chalicelib.store.models import AgentPresence, Tenant
from chalicelib.work.routing import Candidate, candidates, capacity_of

NOW = 1_800_000_000.0


def agent(
    agent_id: str,
    open_chats: int | None = 0,
    last: float | None = None,
    capacity: int | None = None,
    status: str = "available",
    beat: float = NOW,
) -> AgentPresence:
    p = AgentPresence("global", agent_id, name=agent_id.title(), status=status, status_at=NOW - 60)
    p.heartbeat_at = beat
    p.open_chats = open_chats
    p.last_assigned_at = last
    p.capacity = capacity
    return p


def tenant(capacity: int) -> Tenant:
    t = Tenant("global", name="Global")
    t.chat_capacity = capacity
    return t


def order(presence: list[AgentPresence], t: Tenant | None = None) -> list[str]:
    return [c.agent_id for c in candidates(presence, t or tenant(3), PresenceRule(), NOW)]


def test_an_agents_own_capacity_else_the_tenants_else_three() -> None:
    assert capacity_of(agent("ana", capacity=5), tenant(2)) == 5
    assert capacity_of(agent("ana", capacity=0), tenant(2)) == 0  # their own 0 is not "unset"
    assert capacity_of(agent("ana"), tenant(2)) == 2
    assert capacity_of(agent("ana"), None) == 3


def test_fewest_open_chats_first_then_longest_since_the_last_then_by_id() -> None:
    team = [
        agent("cy", open_chats=2, last=NOW - 900),
        agent("bo", open_chats=1, last=NOW - 10),
        agent("ana", open_chats=1, last=NOW - 20),
        agent("dan", open_chats=None, last=None),  # never had a chat
        agent("eve", open_chats=1, last=NOW - 20),
    ]
    assert order(team) == ["dan", "ana", "eve", "bo", "cy"]
    [first, *_] = candidates(team, tenant(3), PresenceRule(), NOW)
    assert first == Candidate("dan", "Dan", 0, 3, 0.0)
    assert first.room == 3


def test_only_available_agents_with_room_are_candidates() -> None:
    team = [
        agent("ana", open_chats=3),  # full at the tenant's 3
        agent("bo", open_chats=2),  # one place left
        agent("cy", status="busy"),
        agent("dan", beat=NOW - 120),  # chose available but unreachable
        agent("eve", open_chats=4, capacity=5),  # her own capacity: one place left
        agent("fay", capacity=0),  # takes no chats
    ]
    assert order(team) == ["bo", "eve"]
    by_id = {c.agent_id: c for c in candidates(team, tenant(3), PresenceRule(), NOW)}
    assert (by_id["bo"].room, by_id["eve"].room) == (1, 1)
    assert order(team, tenant(10)) == ["bo", "ana", "eve"]
    assert order([]) == []
