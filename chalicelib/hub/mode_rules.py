"""What each mode of the hub changes (pure; no I/O). `docs/work-lanes.md` shows the same table.

==========  ===========================  ===============================  ===========================
mode        the widget offers            routing                          the dashboard puts first
==========  ===========================  ===============================  ===========================
ready       chat while someone is        assigns new chats to available   the launch decision: what
            available, else "leave a     agents under capacity; a         still blocks "Go live"
            message / call me back"      vanished agent's chats go back
                                         to the queue after the grace
                                         period (`live/presence.py`)
live        the same                     the same                         the next move
recovery    "leave a message / call me   the same, but a vanished         the recovery path: the
            back" to new visitors, even  agent's chats go back to the     blockers with their fixes
            while someone is available   queue at once (no grace
            (a visitor already in a      period)
            conversation keeps chatting)
==========  ===========================  ===============================  ===========================

Going live needs a clean launch check (`hub/launch.py`); recovery and ready can always be chosen.
The next move and the launch decision read the same rules: whatever makes the next move urgent
blocks the launch (`hub/launch.py`), so "Urgent: a chat is waiting" never sits beside "Ready
for handoff".
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

Mode = Literal["ready", "live", "recovery"]
Offer = Literal["chat", "callback"]
First = Literal["launch", "next_move", "recovery"]

MODES: tuple[Mode, ...] = ("ready", "live", "recovery")


class ModeRules(Struct, frozen=True):
    mode: Mode
    chat_when_available: bool  # may the widget offer live chat to a new visitor while someone is available
    reassign_at_once: bool  # routing gives a vanished agent's chats back without the grace period
    first: First  # what the dashboard shows first

    def offer(self, agents_available: bool) -> Offer:
        return "chat" if agents_available and self.chat_when_available else "callback"

    def reassign_grace(self, grace: float) -> float:
        return 0.0 if self.reassign_at_once else grace


READY = ModeRules("ready", chat_when_available=True, reassign_at_once=False, first="launch")
RULES: dict[str | None, ModeRules] = {
    "ready": READY,
    "live": ModeRules("live", chat_when_available=True, reassign_at_once=False, first="next_move"),
    "recovery": ModeRules("recovery", chat_when_available=False, reassign_at_once=True, first="recovery"),
}


def rules_for(mode: str | None) -> ModeRules:
    """An unknown or missing mode reads as ready (a tenant that never chose one)."""
    return RULES.get(mode, READY)
