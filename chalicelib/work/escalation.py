"""Escalation of overdue callbacks (every minute): past due they are marked overdue and raised
in priority, once; unclaimed ones are announced to available agents again and again."""

from __future__ import annotations

from chalicelib.contract.events import CallbackAlertEvent
from chalicelib.platform.auth import Actor
from chalicelib.platform.errors import AlreadyTaken
from chalicelib.platform.observability import MetricUnit, logger, metrics
from chalicelib.work.callbacks import Callbacks, copy
from chalicelib.work.views import callback_view

# Overdue callbacks nobody claimed are announced again this often.
ALERT_EVERY_SECONDS = 60


def escalate_overdue(callbacks: Callbacks) -> dict[str, int]:
    """Every minute. Marks callbacks past due as overdue (raising priority, once), and alerts
    available agents about unclaimed ones at most every ALERT_EVERY_SECONDS.

    Idempotent, also with two copies at once: each transition is a conditional write that
    only one run can win; a run that loses does nothing.
    """
    stats = {"marked_overdue": 0, "alerts": 0, "tenants": 0}
    now = callbacks.clock.now()
    system = "scheduler"
    for tenant in callbacks.store.tenant_ids():
        stats["tenants"] += 1
        available: set[str] | None = None
        for before in callbacks.store.open_callbacks(tenant, due_before=now):
            actor = Actor(tenant, "system", system, "Escalation")
            cb = before
            if not before.overdue:
                cb = copy(before)
                cb.overdue, cb.priority, cb.updated_at = True, "high", now
                try:
                    callbacks.commit(
                        cb,
                        before,
                        actor,
                        "overdue",
                        "Past its due time; priority raised",
                        expect={"overdue": False},
                    )
                except AlreadyTaken:
                    continue  # another run (or an agent) changed it first
                stats["marked_overdue"] += 1
                metrics.add_metric(name="CallbacksOverdue", unit=MetricUnit.Count, value=1)
            if cb.status != "queued" or float(cb.last_alert_at) > now - ALERT_EVERY_SECONDS + 1:
                continue
            if not callbacks.store.mark_alerted(cb, now):
                continue  # another run alerted this minute
            if available is None:
                available = callbacks.live.available_agents(tenant)
            callbacks.live.push_to_agents(tenant, CallbackAlertEvent(callback_view(cb, now)), only_users=available)
            stats["alerts"] += 1
    if stats["marked_overdue"] or stats["alerts"]:
        logger.info("callback escalation", extra=stats)
    return stats
