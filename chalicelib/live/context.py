"""What every action handler works with: the live lane's parts, handed in as one value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.live.connections import Connections
from chalicelib.live.events import Listeners
from chalicelib.live.notifier import Notifier
from chalicelib.live.timeline import Timeline
from chalicelib.platform.clock import Clock


@dataclass(frozen=True)
class Live:
    connections: Connections
    notifier: Notifier
    timeline: Timeline
    listeners: Listeners
    clock: Clock


def request_id(data: dict[str, Any]) -> dict[str, Any]:
    """The client's `request_id`, echoed on the answer when it sent one."""
    return {"request_id": data["request_id"]} if "request_id" in data else {}
