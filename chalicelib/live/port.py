"""The port the work lanes and the hub push through: what they may ask of the live lane.

They never hold its stores or parts; `LiveLane` implements this, unit tests may fake it.
(What the live lane tells *them* arrives as domain events, `live/events.py`.)
"""

from __future__ import annotations

from typing import Protocol

from chalicelib.contract.events import Event


class LivePort(Protocol):
    def push_to_agents(self, tenant: str, event: Event, only_users: set[str] | None = None) -> int:
        """Pushes an event to the tenant's connected agents (or only these agents); returns how
        many connections it went to."""
        ...

    def available_agents(self, tenant: str) -> set[str]:
        """Agents whose chosen status is available and whose heartbeats are recent."""
        ...

    def post_to_thread(self, tenant: str, conversation_id: str, text: str, key: str) -> None:
        """An idempotent system line in a conversation's thread, told to its subscribers."""
        ...

    def typing_stopped(self, tenant: str, conversation_id: str, user_id: str) -> None:
        """Tells a conversation's other side that this participant's typing stopped."""
        ...
