"""The pressure on each lane: the one snapshot the next move and the launch check read (pure data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lane = Literal["live_chat", "tickets", "callbacks", "support_command"]
Severity = Literal["calm", "attention", "urgent"]

LANES: tuple[Lane, ...] = ("live_chat", "tickets", "callbacks", "support_command")


@dataclass(frozen=True)
class Pressure:
    open_tickets: int
    waiting_internal: int
    callback_queued: int
    callback_overdue: int
    active_chats: int
    unanswered_chats: int  # open chats whose last public entry is from the customer
    agents_available: int
    presence_drift: int  # agents whose chosen status says available/busy but whose heartbeats stopped
    typing_drift: int  # typing indicators that never stopped
    failing_deliveries: int  # recent PostToConnection failures / gone connections
    oldest_overdue_callback_s: float | None  # age past due of the oldest overdue callback, seconds
    oldest_waiting_ticket_s: float | None  # age of the oldest ticket waiting (internal or on customer)
    oldest_unanswered_chat_s: float | None  # how long the oldest unanswered chat has waited
    # Within the tenant's business hours (always, for a tenant that set none). The ages above
    # count open time only.
    team_open: bool = True
