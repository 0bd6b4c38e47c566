"""Domain events the live lane publishes, and `Listeners`, the one port other lanes hear them through.

The live lane says what happened (a conversation started, a customer replied, a delivery
failed); it never knows who cares. The work lanes and the hub subscribe in `chalicelib.wiring`
(in the manner of Chatwoot's `app/listeners/`), one small reaction per event.

Listeners run synchronously, after the live lane has stored and told what it must. A listener
that fails is logged with its traceback and counted (metric `ListenerFailures`); it never
undoes or fails the action that published the event, and the other listeners still run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from msgspec import Struct

from chalicelib.platform.observability import MetricUnit, logger, metrics


class ConversationStarted(Struct, frozen=True):
    """A conversation started: its customer wrote the first message or asked for a callback
    (opening the widget starts nothing)."""

    tenant: str
    conversation_id: str
    customer_id: str = ""


class ConversationClosed(Struct, frozen=True):
    """An agent closed an open conversation (it leaves the active chats)."""

    tenant: str
    conversation_id: str


class ConversationReopened(Struct, frozen=True):
    """A customer wrote into a closed conversation; it is active again."""

    tenant: str
    conversation_id: str


class CustomerReplied(Struct, frozen=True):
    """A customer's message was stored (not a resend). `waiting_ticket_id` is the ticket that
    waits on this customer, if any."""

    tenant: str
    conversation_id: str
    customer_id: str
    customer_name: str
    waiting_ticket_id: str | None


class NoteAdded(Struct, frozen=True):
    """An agent's internal note was stored (not a resend)."""

    tenant: str
    conversation_id: str
    seq: int
    author_id: str
    author_name: str
    text: str
    created_at: float


class PresenceChanged(Struct, frozen=True):
    """An agent's chosen status or reachability changed; `agents_available`: how many agents can
    answer now, as the agents were told."""

    tenant: str
    agent_id: str
    status: str
    reachable: bool
    agents_available: int


class OwnerChanged(Struct, frozen=True):
    """A conversation's owner changed (`live/ownership.py`); `to` None: it went back to the queue."""

    tenant: str
    conversation_id: str
    previous: str | None
    to: str | None
    reason: str


class DeliveryFailed(Struct, frozen=True):
    """Posting to `failed` connections failed for another reason than a gone connection."""

    tenant: str
    failed: int


DomainEvent = (
    ConversationStarted
    | ConversationClosed
    | ConversationReopened
    | CustomerReplied
    | NoteAdded
    | PresenceChanged
    | OwnerChanged
    | DeliveryFailed
)
E = TypeVar("E", bound=DomainEvent)


class Listeners:
    """Who listens to which domain event. Subscriptions are made once, when the hub is built."""

    def __init__(self) -> None:
        self._by_type: dict[type[DomainEvent], list[Callable[[DomainEvent], object]]] = {}

    def subscribe(self, event_type: type[E], listener: Callable[[E], object]) -> None:
        self._by_type.setdefault(event_type, []).append(listener)  # type: ignore[arg-type]

    def listening(self, event_type: type[DomainEvent]) -> list[Callable[[DomainEvent], object]]:
        return list(self._by_type.get(event_type, ()))

    def publish(self, event: DomainEvent) -> None:
        for listener in self._by_type.get(type(event), ()):
            try:
                listener(event)
            except Exception:
                metrics.add_metric(name="ListenerFailures", unit=MetricUnit.Count, value=1)
                logger.exception(
                    "domain event listener failed",
                    extra={"event": type(event).__name__, "listener": getattr(listener, "__qualname__", "?")},
                )
