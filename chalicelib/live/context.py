"""What every action handler works with: the live lane's parts, handed in as one value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.contract.rest import Availability as Offered
from chalicelib.live.connections import Connections
from chalicelib.live.events import Listeners
from chalicelib.live.notifier import Notifier
from chalicelib.live.ownership import Ownership
from chalicelib.live.timeline import Timeline
from chalicelib.platform.clock import Clock

# What the widget may offer in a tenant right now. The hub decides it (mode and presence,
# `hub/availability.py`); wiring hands it in.
Availability = Callable[[str], Offered]


@dataclass
class Live:
    connections: Connections
    notifier: Notifier
    timeline: Timeline
    listeners: Listeners
    clock: Clock
    ownership: Ownership
    availability: Availability
