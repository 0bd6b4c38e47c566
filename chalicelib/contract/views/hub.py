"""What support command shows: counters, pressure, next move, launch, mode, team, CSAT report."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.contract.common import HubMode, Lane, Seq, Severity, Timestamp


class Counters(Struct, forbid_unknown_fields=True):
    """The hub counters, also pushed live as the `counters` event."""

    open_tickets: Seq
    waiting_internal: Seq
    callback_queued: Seq
    callback_overdue: Seq
    active_chats: Seq
    agents_available: Seq


class LostAgent(Struct, forbid_unknown_fields=True):
    """An agent who dropped off with open chats, within the grace period (`live/presence.py`)."""

    id: str
    name: str
    open_chats: int
    silent_s: float


class Pressure(Struct, forbid_unknown_fields=True):
    """What the next move and the launch check read."""

    open_tickets: int
    waiting_internal: int
    callback_queued: int
    callback_overdue: int
    active_chats: int
    unanswered_chats: int
    agents_available: int
    presence_drift: int
    typing_drift: int
    failing_deliveries: int
    oldest_overdue_callback_s: Annotated[float | None, Meta(description="Open time (business hours) only.")]
    oldest_waiting_ticket_s: Annotated[float | None, Meta(description="Open time (business hours) only.")]
    oldest_unanswered_chat_s: Annotated[float | None, Meta(description="Open time (business hours) only.")]
    lost_agents: list[LostAgent]
    queued_chats: int
    team_open: Annotated[bool, Meta(description="Within the tenant's business hours.")] = True


class NextMove(Struct, forbid_unknown_fields=True):
    lane: Lane
    reason: Annotated[str, Meta(description="One plain sentence with the numbers.")]
    severity: Severity
    rule: str


class Blocker(Struct, forbid_unknown_fields=True, kw_only=True):
    code: str
    message: str
    lane: Lane
    agents: Annotated[list[LostAgent], Meta(description="presence_drift: who dropped off.")] | UnsetType = UNSET
    fix: (
        Annotated[Literal["reassign"], Meta(description="`POST /agents/{id}/reassign` for each of `agents`.")]
        | UnsetType
    ) = UNSET


class Launch(Struct, forbid_unknown_fields=True):
    ready: bool
    headline: Annotated[str, Meta(description='"Ready for handoff", or e.g. "2 things block the handoff".')]
    blockers: list[Blocker]


class ModeRules(Struct, forbid_unknown_fields=True):
    """What the mode changes (`chalicelib/hub/mode_rules.py`)."""

    mode: HubMode
    chat_when_available: Annotated[bool, Meta(description="The widget offers chat while someone is available.")]
    reassign_at_once: Annotated[bool, Meta(description="A vanished agent's chats go back without the grace period.")]
    first: Annotated[Literal["launch", "next_move", "recovery"], Meta(description="What the dashboard shows first.")]


class ModeState(Struct, forbid_unknown_fields=True):
    mode: HubMode
    at: Timestamp | None
    by: Annotated[str, Meta(description="Name of the agent who set it.")] | None
    rules: ModeRules


class TeamStatus(Struct, forbid_unknown_fields=True):
    """Whether the team is within its business hours (always, for a tenant that set none)."""

    open: bool
    next_open_at: Annotated[Timestamp | None, Meta(description="When closed: the next opening.")]


class CsatDay(Struct, forbid_unknown_fields=True):
    day: Annotated[str, Meta(description="yyyy-mm-dd in the tenant's time zone")]
    ratings: Seq
    average: float | None


class CsatReport(Struct, forbid_unknown_fields=True):
    """CSAT of the last days (today included), from one counter item per day."""

    days: int
    ratings: Seq
    average: float | None
    satisfied_percent: Annotated[int | None, Meta(description="Share of ratings that are 4 or 5.")]
    scores: Annotated[dict[str, int], Meta(description='Ratings per score, "1" to "5".')]
    per_day: list[CsatDay]


class HubSnapshot(Struct, forbid_unknown_fields=True):
    """Everything support command shows."""

    tenant: str
    mode: ModeState
    counters: Counters
    pressure: Pressure
    next_move: NextMove
    launch: Launch
    team: TeamStatus
    csat: Annotated[CsatReport | None, Meta(description="CSAT of the last 7 days.")] = None
