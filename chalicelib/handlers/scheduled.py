"""The scheduled functions. Each is idempotent: an invocation that arrives twice changes nothing more."""

from __future__ import annotations

from chalicelib import wiring
from chalicelib.work.escalation import escalate_overdue


def escalate_overdue_callbacks() -> dict[str, int]:
    return escalate_overdue(wiring.hub().callbacks)


def recompute_counters() -> dict[str, int]:
    return wiring.hub().counters.recompute()


def sweep_drift() -> dict[str, int]:
    return wiring.hub().drift.sweep()


def route_queue() -> dict[str, int]:
    return wiring.hub().routing.sweep()
