"""What every action handler works with: the live lane's parts, handed in as one value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.live.connections import Connections
from chalicelib.live.events import Listeners
from chalicelib.live.notifier import Notifier
from chalicelib.live.ownership import Ownership
from chalicelib.live.timeline import Timeline
from chalicelib.platform.clock import Clock

# What the widget may offer in a tenant right now: {"agents_available": bool, "offer": "chat" |
# "callback"}. The hub decides it (mode and presence, `hub/availability.py`); wiring hands it in.
Availability = Callable[[str], dict[str, Any]]


@dataclass
class Live:
    connections: Connections
    notifier: Notifier
    timeline: Timeline
    listeners: Listeners
    clock: Clock
    ownership: Ownership
    availability: Availability


def request_id(data: dict[str, Any]) -> dict[str, Any]:
    """The client's `request_id`, echoed on the answer when it sent one."""
    return {"request_id": data["request_id"]} if "request_id" in data else {}
