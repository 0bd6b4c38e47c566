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
        self.failures: list[tuple[str, int]] = []

    def push(self, tenant: str) -> None:
        self.pushed.append(tenant)

    def record_delivery_failures(self, tenant: str, failed: int) -> None:
        self.failures.append((tenant, failed))


class _Tickets:
    def __init__(self) -> None:
        self.replies: list[CustomerReplied] = []

    def customer_replied(self, event: CustomerReplied) -> None:
        self.replies.append(event)


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
    customers, mentions = _Customers(), _Mentions()
    subscribe_work_lanes(listeners, counters, tickets, customers, mentions)  # type: ignore[arg-type]
    for event in (
        ConversationStarted("a", "c1", "cu1"),
        ConversationClosed("b", "c1"),
        ConversationReopened("c", "c1"),
        PresenceChanged("d", "ag1", "available", True),
    ):
        listeners.publish(event)
    assert counters.pushed == ["a", "b", "c", "d"]
    listeners.publish(DeliveryFailed("e", 3))
    assert counters.failures == [("e", 3)]
    reply = CustomerReplied("f", "c1", "cu1", "Kim", "tk_1")
    listeners.publish(reply)
    assert tickets.replies == [reply] and counters.pushed == ["a", "b", "c", "d"]
    assert customers.started == [ConversationStarted("a", "c1", "cu1")]
    note = NoteAdded("g", "c1", 4, "ag1", "Ana", "@Bo look", 1.0)
    listeners.publish(note)
    assert mentions.notes == [note] and counters.pushed == ["a", "b", "c", "d"]
