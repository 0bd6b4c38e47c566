"""The domain-event port: who hears which live-lane event, and a failing listener never fails the action."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.live.events import (
    ConversationClosed,
    ConversationReopened,
    ConversationStarted,
    CustomerReplied,
    DeliveryFailed,
    Listeners,
    NoteAdded,
    OwnerChanged,
    PresenceChanged,
)
from chalicelib.wiring import subscribe_work_lanes


def test_a_listener_hears_only_its_event_type() -> None:
    heard: list[Any] = []
    listeners = Listeners()
    listeners.subscribe(ConversationStarted, heard.append)
    listeners.publish(ConversationClosed("global", "c1"))
    listeners.publish(ConversationStarted("global", "c2"))
    assert heard == [ConversationStarted("global", "c2")]


def test_a_failing_listener_is_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    heard: list[Any] = []
    listeners = Listeners()

    def broken(event: DeliveryFailed) -> None:
        raise RuntimeError("counters table unavailable")

    listeners.subscribe(DeliveryFailed, broken)
    listeners.subscribe(DeliveryFailed, heard.append)
    listeners.publish(DeliveryFailed("global", 2))  # does not raise
    assert heard == [DeliveryFailed("global", 2)]
    assert "domain event listener failed" in caplog.text


class _Counters:
    def __init__(self) -> None:
        self.pushed: list[str] = []
        self.available: list[int] = []
        self.failures: list[tuple[str, int]] = []

    def changed(self, tenant: str) -> None:
        self.pushed.append(tenant)

    def presence_changed(self, tenant: str, available: int) -> None:
        self.pushed.append(tenant)
        self.available.append(available)

    def record_delivery_failures(self, tenant: str, failed: int) -> None:
        self.failures.append((tenant, failed))


class _Tickets:
    def __init__(self) -> None:
        self.replies: list[CustomerReplied] = []

    def customer_replied(self, event: CustomerReplied) -> None:
        self.replies.append(event)


class _Routing:
    def __init__(self) -> None:
        self.heard: list[tuple[str, str]] = []

    def conversation_started(self, event: ConversationStarted) -> None:
        self.heard.append(("route", event.tenant))

    def conversation_reopened(self, event: ConversationReopened) -> None:
        self.heard.append(("reopened", event.tenant))

    def place_freed(self, event: ConversationClosed | OwnerChanged) -> None:
        self.heard.append(("drain", event.tenant))

    def presence_changed(self, event: PresenceChanged) -> None:
        self.heard.append(("presence", event.tenant))


class _Availability:
    def __init__(self) -> None:
        self.checked: list[str] = []

    def check(self, tenant: str) -> bool:
        self.checked.append(tenant)
        return False


class _Customers:
    def __init__(self) -> None:
        self.started: list[ConversationStarted] = []

    def conversation_started(self, event: ConversationStarted) -> None:
        self.started.append(event)


class _Mentions:
    def __init__(self) -> None:
        self.notes: list[NoteAdded] = []

    def note_added(self, event: NoteAdded) -> None:
        self.notes.append(event)


def test_the_work_lanes_listen_to_exactly_these_events() -> None:
    listeners, counters, tickets = Listeners(), _Counters(), _Tickets()
    routing, availability = _Routing(), _Availability()
    customers, mentions = _Customers(), _Mentions()
    subscribe_work_lanes(listeners, counters, tickets, routing, availability, customers, mentions)  # type: ignore[arg-type]
    for event in (
        ConversationStarted("a", "c1", "cu1"),
        ConversationClosed("b", "c1"),
        ConversationReopened("c", "c1"),
        PresenceChanged("d", "ag1", "available", True, 4),
    ):
        listeners.publish(event)
    assert counters.pushed == ["a", "b", "c", "d"]
    assert counters.available == [4]  # the number the agents were told is the one stored
    listeners.publish(DeliveryFailed("e", 3))
    assert counters.failures == [("e", 3)]
    reply = CustomerReplied("f", "c1", "cu1", "Kim", "tk_1")
    listeners.publish(reply)
    assert tickets.replies == [reply] and counters.pushed == ["a", "b", "c", "d"]
    # Routing: a started chat is routed, a reopened one goes back to its owner or is routed, a
    # closed chat or an owner change frees a place, an agent's presence may take from the queue.
    listeners.publish(OwnerChanged("g", "c1", "ag1", None, "requeue"))
    assert routing.heard == [
        ("route", "a"),
        ("drain", "b"),
        ("reopened", "c"),
        ("presence", "d"),
        ("drain", "g"),
    ]
    # The widgets hear a flip of "someone can answer" only from presence changes (and the sweep).
    assert availability.checked == ["d"]
    assert customers.started == [ConversationStarted("a", "c1", "cu1")]
    note = NoteAdded("h", "c1", 4, "ag1", "Ana", "@Bo look", 1.0)
    listeners.publish(note)
    assert mentions.notes == [note] and counters.pushed == ["a", "b", "c", "d"]
