"""What every action handler works with: the live lane's parts, handed in as one value."""

from __future__ import annotations

from dataclasses import dataclass

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
