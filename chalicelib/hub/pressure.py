"""The pressure on each lane: the one snapshot the next move and the launch check read (pure data)."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

Lane = Literal["live_chat", "tickets", "callbacks", "support_command"]
Severity = Literal["calm", "attention", "urgent"]

LANES: tuple[Lane, ...] = ("live_chat", "tickets", "callbacks", "support_command")


class LostAgent(Struct, frozen=True):
    """An agent who dropped off (unreachable, within the grace period) while owning open chats."""

    id: str
    name: str
    open_chats: int
    silent_s: float


class Pressure(Struct, frozen=True):
    open_tickets: int
    waiting_internal: int
    callback_queued: int
    callback_overdue: int
    active_chats: int
    unanswered_chats: int  # open chats whose last public entry is from the customer
    agents_available: int
    presence_drift: int  # agents who dropped off with open chats (`lost_agents`; `live/presence.py`)
    typing_drift: int  # typing indicators that never stopped
    failing_deliveries: int  # recent PostToConnection failures / gone connections
    oldest_overdue_callback_s: float | None  # age past due of the oldest overdue callback, seconds
    oldest_waiting_ticket_s: float | None  # age of the oldest ticket waiting (internal or on customer)
    oldest_unanswered_chat_s: float | None  # how long the oldest unanswered chat has waited
    lost_agents: tuple[LostAgent, ...] = ()  # who they are, most chats first (the blocker names them)
    queued_chats: int = 0  # started conversations waiting in the queue for an agent with a free place
    # Within the tenant's business hours (always, for a tenant that set none). The ages above
    # count open time only.
    team_open: bool = True
