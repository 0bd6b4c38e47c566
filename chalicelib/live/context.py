"""What every action handler works with: the live lane's parts, handed in as one value."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from msgspec import Struct

from chalicelib.contract.rest.widget import Availability as Offered
from chalicelib.live.connections import Connections
from chalicelib.live.events import Listeners
from chalicelib.live.notifier import Notifier
from chalicelib.live.ownership import Ownership
from chalicelib.live.timeline import Timeline
from chalicelib.platform.clock import Clock
from chalicelib.platform.limits import RateLimits
from chalicelib.platform.observability import MetricUnit, logger, metrics

# What the widget may offer in a tenant right now. The hub decides it (mode and presence,
# `hub/availability.py`); wiring hands it in.
Availability = Callable[[str], Offered]


class Live(Struct):
    connections: Connections
    notifier: Notifier
    timeline: Timeline
    listeners: Listeners
    clock: Clock
    ownership: Ownership
    availability: Availability
    limits: RateLimits


@contextmanager
def after_reply(action: str, connection_id: str) -> Iterator[None]:
    """The work an action does once the sender has its answer (telling the others, the lobby,
    reopening, the domain events). The answer stands: a failure here is logged with its
    traceback and counted (`PostReplyFailures`), never turned into an error for the sender,
    whose request is already done (a stored message stays `sent`)."""
    try:
        yield
    except Exception:
        metrics.add_metric(name="PostReplyFailures", unit=MetricUnit.Count, value=1)
        logger.exception("work after the reply failed", extra={"action": action, "connection_id": connection_id})
