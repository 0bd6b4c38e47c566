"""How callbacks, tickets and their history look on the wire (REST views and pushed events)."""

from __future__ import annotations

from typing import Any

from chalicelib.platform.clock import iso
from chalicelib.store.work_models import Callback, HistoryEntry, Ticket


def callback_view(cb: Callback, now: float) -> dict[str, Any]:
    return {
        "id": cb.callback_id,
        "status": cb.status,
        "source": cb.source,
        "phone": cb.phone,
        "customer_name": cb.customer_name,
        "conversation_id": cb.conversation_id,
        "reason": cb.reason,
        "window": cb.window,
        "priority": cb.priority,
        "overdue": bool(cb.overdue),
        "not_before": iso(float(cb.not_before)) if cb.not_before is not None else None,
        "due_at": iso(float(cb.due_at)),
        "due_in_seconds": int(float(cb.due_at) - now),
        "attempts": int(cb.attempts),
        "max_attempts": int(cb.max_attempts),
        "claimed_by": {"id": cb.claimed_by, "name": cb.claimed_by_name} if cb.claimed_by else None,
        "created_at": iso(float(cb.created_at)),
        "updated_at": iso(float(cb.updated_at)),
    }


# What the customer's widget shows of their own request: its state in their words, the window
# and when; never the agent's name, notes or the number (the widget keeps what it typed).
CUSTOMER_STATUS = {
    "queued": "queued",
    "claimed": "calling",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}


def customer_callback_view(cb: Callback) -> dict[str, Any]:
    return {
        "id": cb.callback_id,
        "status": CUSTOMER_STATUS.get(str(cb.status), str(cb.status)),
        "window": cb.window,
        "not_before": iso(float(cb.not_before)) if cb.not_before is not None else None,
        "due_at": iso(float(cb.due_at)),
        "attempts": int(cb.attempts),
        "conversation_id": cb.conversation_id,
    }


def ticket_view(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.ticket_id,
        "number": int(t.number) if t.number is not None else None,
        "subject": t.subject,
        "status": t.status,
        "waiting_on": t.waiting_on,
        "owner": {"id": t.owner_id, "name": t.owner_name},
        "conversation_id": t.conversation_id,
        "customer": {"id": t.customer_id, "name": t.customer_name} if t.customer_id else None,
        "created_at": iso(float(t.created_at)),
        "updated_at": iso(float(t.updated_at)),
        "status_at": iso(float(t.status_at)),
    }


def history_view(entries: list[HistoryEntry]) -> list[dict[str, Any]]:
    return [
        {
            "at": h.at.split("#")[0],
            "action": h.action,
            "by": {"id": h.actor_id, "name": h.actor_name},
            "detail": h.detail,
        }
        for h in entries
    ]
