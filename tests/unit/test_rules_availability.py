"""What the widgets may offer (`hub/availability.py`): the presence rule and the tenant's mode
together, told to the tenant's customers when it flips — and counted for the operators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

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
