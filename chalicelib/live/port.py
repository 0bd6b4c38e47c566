"""The port the work lanes and the hub push through: what they may ask of the live lane.

They never hold its stores or parts; `LiveLane` implements this, unit tests may fake it.
(What the live lane tells *them* arrives as domain events, `live/events.py`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib.contract.events import Event
from chalicelib.live.lines import Line
from chalicelib.store.models import ConversationMeta
from chalicelib.store.ports import QueuedConversation


class LivePort(Protocol):
    def push_to_agents(self, tenant: str, event: Event, only_users: set[str] | None = None) -> int:
        """Pushes an event to the tenant's connected agents (or only these agents); returns how
        many connections it went to."""
        ...

    def available_agents(self, tenant: str) -> set[str]:
        """Agents whose chosen status is available and whose heartbeats are recent."""
        ...

    def push_to_customer(self, tenant: str, customer_id: str, event: Event) -> int:
        """Pushes an event to one customer's connections (their callback, their queue place)."""
        ...

    def push_to_customers(self, tenant: str, event: Event) -> int:
        """Pushes an event to every customer connection of the tenant (availability flips only)."""
        ...

    def push_each_to_customer(self, tenant: str, events: Sequence[tuple[str, Event]]) -> int:
        """Pushes each customer (by id) their own event, all at once (every waiting customer's place)."""
        ...

    def post_to_thread(self, tenant: str, conversation_id: str, line: Line, key: str) -> None:
        """An idempotent system line (a code with parameters) in a conversation's thread."""
        ...

    def start_conversation(self, tenant: str, conversation_id: str) -> bool:
        """The customer asked for a callback in a conversation not started yet: it starts now."""
        ...

    def conversation(self, tenant: str, conversation_id: str) -> ConversationMeta | None:
        """AP-V1: a conversation's META."""
        ...

    def change_owner(
        self,
        tenant: str,
        conversation_id: str,
        to: tuple[str, str] | None,
        expect_owner: str | None,
        by: tuple[str, str],
        reason: str,
        capacity: int | None = None,
        queue_at: float | None = None,
    ) -> None:
        """One atomic owner change (`live/ownership.py`); raises AlreadyTaken (the owner is not
        `expect_owner` any more) or AtCapacity (`capacity` reached)."""
        ...

    def queue(self, tenant: str, limit: int) -> list[QueuedConversation]:
        """AP-V7: conversations waiting for an agent, first come first."""
        ...

    def queue_place(self, tenant: str, queued_at: float) -> int:
        """AP-V7: a waiting customer's place (1 = next)."""
        ...

    def typing_stopped(self, tenant: str, conversation_id: str, user_id: str) -> None:
        """Tells a conversation's other side that this participant's typing stopped."""
        ...
