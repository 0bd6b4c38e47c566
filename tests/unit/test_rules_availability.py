"""What the widgets may offer (`hub/availability.py`): the presence rule and the tenant's mode
together, told to the tenant's customers when it flips — and counted for the operators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest

from chalicelib.contract.views.hub import TeamStatus
from chalicelib.hub.availability import MAX_CORRECTIONS, Availability
from chalicelib.live.port import LivePort
from chalicelib.platform.observability import metrics
from tests.unit.conftest import Unit


@pytest.fixture(autouse=True)
def fresh_metrics() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


def flips(unit: Unit, customer: str) -> list[dict[str, Any]]:
    return [e for e in unit.sender.take(customer) if e["type"] == "availability"]


def counted() -> dict[str, float]:
    out: dict[str, float] = {}
    for name in ("AvailabilityFlips", "AvailabilityFanout"):
        if name in metrics.metric_set:
            assert metrics.metric_set[name]["Unit"] == "Count"
            out[name] = float(sum(metrics.metric_set[name]["Value"]))
    return out


def test_a_flip_is_told_to_every_customer_once_and_counted(unit: Unit) -> None:
    customers = [unit.connect_customer() for _ in range(2)]
    for c in customers:
        flips(unit, c)
    metrics.clear_metrics()
    unit.connect_agent("ana")
    for c in customers:
        assert flips(unit, c) == [  # agentday's event also says the team is open (no hours set)
            {"type": "availability", "agents_available": True, "offer": "chat", "mode": "ready", "open": True}
            | {"next_open_at": None}
        ]
    assert counted() == {"AvailabilityFlips": 1, "AvailabilityFanout": 2}
    assert unit.hub.availability.check("global") is False  # told already: nobody is told again
    assert [flips(unit, c) for c in customers] == [[], []]


def test_recovery_mode_offers_a_callback_even_while_someone_is_available(unit: Unit) -> None:
    customer = unit.connect_customer()
    unit.connect_agent("ana")
    flips(unit, customer)
    unit.store.tenants["global"].mode = "recovery"  # set without telling anyone
    now = unit.hub.availability.current("global")
    assert (now.agents_available, now.offer, now.mode) == (True, "callback", "recovery")
    assert unit.hub.availability.check("global") is True  # it flipped: the widgets are told
    assert flips(unit, customer) == [
        {"type": "availability", "agents_available": True, "offer": "callback", "mode": "recovery"}
        | {"open": True, "next_open_at": None}
    ]


class Told:
    """A live port that records what the widgets were told (the only call `check` makes)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def push_to_customers(self, tenant: str, event: Any) -> int:
        self.events.append({"tenant": tenant, "offer": event.offer, "open": event.open})
        return 3  # three widgets heard it


def scripted(unit: Unit, *hours: bool) -> tuple[Availability, Told, list[bool]]:
    """An availability check whose team opens and closes as scripted, one step per read of the
    truth (the last step stays): a change racing the check, without threads."""
    told = Told()
    reads: list[bool] = []
    metrics.clear_metrics()  # what the agent's connect counted is not under test

    def team(tenant: str) -> TeamStatus:
        step = hours[min(len(reads), len(hours) - 1)]
        reads.append(step)
        return TeamStatus(step, None if step else "2027-01-04T08:00:00Z")

    check = Availability(unit.store, cast(LivePort, told), unit.clock, unit.hub.availability.rule, team)
    return check, told, reads


def test_a_change_racing_the_push_is_told_after_it_and_stored(unit: Unit) -> None:
    unit.connect_agent("ana")  # available: open means chat, closed means a callback
    check, told, reads = scripted(unit, False, True)
    assert check.check("global") is True
    # Closed was told, then the re-read found the team open: that is told too, and is last.
    assert told.events == [
        {"tenant": "global", "offer": "callback", "open": False},
        {"tenant": "global", "offer": "chat", "open": True},
    ]
    assert unit.store.counters["global"].widget_offer == "chat:1:1"
    assert reads == [False, True, True]  # told, corrected, then the truth held: no third tell
    assert counted() == {"AvailabilityFlips": 2, "AvailabilityFanout": 6}
    assert check.check("global") is False  # stored: the next check tells nobody
    assert len(told.events) == 2


def test_a_truth_that_keeps_changing_is_corrected_three_times_at_most(unit: Unit) -> None:
    unit.connect_agent("ana")
    check, told, reads = scripted(unit, False, True, False, True, False, True, False)
    assert check.check("global") is True
    assert [e["open"] for e in told.events] == [False, True, False, True]  # 1 + MAX_CORRECTIONS
    assert len(reads) == 1 + MAX_CORRECTIONS
    assert unit.store.counters["global"].widget_offer == "chat:1:1"  # what it told last


def test_an_offer_told_already_is_not_told_or_read_again(unit: Unit) -> None:
    unit.connect_agent("ana")
    check, told, reads = scripted(unit, True, False)  # the agentday check stored "chat" already
    assert check.check("global") is False
    assert (told.events, reads, counted()) == ([], [True], {})


def test_a_stale_offer_stored_by_a_racing_check_is_still_told(unit: Unit) -> None:
    """The racing check stored the truth before this one re-read it: storing finds nothing to
    change, and the widgets are told anyway (that check's push may have gone out first)."""
    unit.connect_agent("ana")
    check, told, _ = scripted(unit, False, True)
    real_set = unit.store.set_widget_offer
    stored: list[bool] = []

    def racing_set(tenant: str, offer: str) -> bool:
        if offer == "chat:1:1":  # the racing check stored it already
            stored.append(False)
            return False
        stored.append(real_set(tenant, offer))
        return stored[-1]

    unit.store.set_widget_offer = racing_set  # type: ignore[method-assign]
    assert check.check("global") is True
    assert stored == [True, False]
    assert [e["offer"] for e in told.events] == ["callback", "chat"]
