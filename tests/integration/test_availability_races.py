"""What the widgets are told about "someone can answer" when presence changes race (moto
in-process, the whole hub as wired): the last offer a widget hears is the current one.

Each race is forced at the one point where it breaks a read-then-act: a presence change lands
between a read and what is done with it (the offer stored and pushed, the `start` reply, the
look for an agent's other connections at `$disconnect`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.conftest import Harness, Work


def last_offer(events: list[dict[str, Any]]) -> tuple[str, bool] | None:
    """The offer a widget shows after these events, in the order they arrived."""
    shown = None
    for e in events:
        if e["type"] == "availability" or (e["type"] == "conversation" and "offer" in e):
            shown = (e["offer"], e["agents_available"])
    return shown


def truth(hub: Harness) -> tuple[str, bool]:
    now = hub.built.availability.current("global")
    return now.offer, now.agents_available


def once_before(obj: Any, name: str, race: Callable[[], object], monkeypatch: pytest.MonkeyPatch) -> None:
    """The first call of `obj.name` runs `race` first (the racing handler gets there first)."""
    real = getattr(obj, name)
    fired: list[bool] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not fired:
            fired.append(True)
            race()
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, name, wrapped)


def test_a_check_that_read_too_early_never_leaves_its_stale_offer_last(
    work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana goes busy; her check reads "nobody can answer" and, before it stores that, she is
    available again — that check finds "chat" already stored and tells nobody. The first check
    then stores and pushes "callback": without a correction the widget shows "We'll get back to
    you" while Ana can answer, and nothing tells it otherwise."""
    hub = work.hub
    ana, _ = work.agent("ana")
    customer, _ = hub.connect_customer()
    hub.sender.take(customer)
    assert truth(hub) == ("chat", True)

    store = hub.built.availability.store
    once_before(store, "set_widget_offer", lambda: hub.act(ana, action="presence", status="available"), monkeypatch)
    hub.act(ana, action="presence", status="busy")

    assert truth(hub) == ("chat", True)
    assert last_offer(hub.sender.take(customer)) == ("chat", True)
    counters = store.get_counters("global")
    # Stored is what was told last (offer, someone available, the team open: agentday's format).
    assert counters is not None and counters.widget_offer == "chat:1:1"


def test_a_start_reply_read_before_a_flip_is_corrected(work: Work, monkeypatch: pytest.MonkeyPatch) -> None:
    """The widget's `start` reads "nobody can answer"; Ana becomes available and her flip is
    pushed to the widget before the reply goes out. The reply alone would leave it stale."""
    hub = work.hub
    ana, _ = work.agent("ana")
    hub.act(ana, action="presence", status="busy")
    customer, _ = hub.connect_customer()
    hub.sender.take(customer)
    assert truth(hub) == ("callback", False)

    live = hub.lane.live
    real = live.availability
    fired: list[bool] = []

    def read_then_flip(tenant: str) -> Any:
        offered = real(tenant)
        if not fired:
            fired.append(True)
            hub.act(ana, action="presence", status="available")  # pushed to the widget now
        return offered

    monkeypatch.setattr(live, "availability", read_then_flip)
    hub.lane.handle(customer, '{"action": "start"}')
    events = hub.sender.take(customer)

    assert any(e["type"] == "availability" for e in events)  # the flip reached the widget first
    assert last_offer(events) == truth(hub) == ("chat", True)


def test_a_late_disconnect_of_an_old_tab_keeps_the_new_tabs_heartbeat(
    work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana reloads: the old tab's `$disconnect` looks for her other connections just before the
    new tab connects, and finds none. Dropping her heartbeat then would make her unreachable
    while her new tab is open — and the widgets would offer a callback for up to a minute."""
    hub = work.hub
    old, _ = work.agent("ana")
    customer, _ = hub.connect_customer()
    hub.sender.take(customer)
    store = hub.lane.connections.store
    real = store.user_connections
    fresh: list[str] = []

    def look_then_new_tab(tenant: str, role: str, user_id: str) -> list[str]:
        found = real(tenant, role, user_id)
        if role == "agent" and not fresh:
            hub.clock.advance(1)
            fresh.append(hub.connect_agent("ana"))  # the new tab connects right after the look
        return found

    monkeypatch.setattr(store, "user_connections", look_then_new_tab)
    hub.lane.disconnect(old)

    [new] = fresh
    assert store.get_connection(new, hub.clock.now()) is not None
    assert len(hub.lane.available_agents("global")) == 1  # Ana, reachable through her new tab
    assert truth(hub) == ("chat", True)
    assert last_offer(hub.sender.take(customer)) in (None, ("chat", True))  # never told "callback"
