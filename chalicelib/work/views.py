"""How callbacks, tickets and their history look on the wire (REST answers and pushed events),
as the contract's types."""

from __future__ import annotations

from chalicelib.contract.common import Ref
from chalicelib.contract.views import CallbackView, CustomerCallbackView, HistoryItem, TicketView
from chalicelib.platform.clock import iso
from chalicelib.store.work_models import Callback, HistoryEntry, Ticket


def callback_view(cb: Callback, now: float) -> CallbackView:
    return CallbackView(
        id=cb.callback_id,
        status=cb.status,  # type: ignore[arg-type]
        source=cb.source,  # type: ignore[arg-type]
        phone=cb.phone,
        customer_name=cb.customer_name,
        conversation_id=cb.conversation_id,
        reason=cb.reason,
        window=cb.window,  # type: ignore[arg-type]
        priority=cb.priority,  # type: ignore[arg-type]
        overdue=bool(cb.overdue),
        not_before=iso(float(cb.not_before)) if cb.not_before is not None else None,
        due_at=iso(float(cb.due_at)),
        due_in_seconds=int(float(cb.due_at) - now),
        attempts=int(cb.attempts),
        max_attempts=int(cb.max_attempts),
        claimed_by=Ref(cb.claimed_by, cb.claimed_by_name or "") if cb.claimed_by else None,
        created_at=iso(float(cb.created_at)),
        updated_at=iso(float(cb.updated_at)),
    )


# What the customer's widget shows of their own request: its state in their words, the window
# and when; never the agent's name, notes or the number (the widget keeps what it typed).
CUSTOMER_STATUS = {
    "queued": "queued",
    "claimed": "calling",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}


def customer_callback_view(cb: Callback) -> CustomerCallbackView:
    return CustomerCallbackView(
        id=cb.callback_id,
        status=CUSTOMER_STATUS[str(cb.status)],  # type: ignore[arg-type]
        window=cb.window,  # type: ignore[arg-type]
        not_before=iso(float(cb.not_before)) if cb.not_before is not None else None,
        due_at=iso(float(cb.due_at)),
        attempts=int(cb.attempts),
        conversation_id=cb.conversation_id,
    )


def ticket_view(t: Ticket) -> TicketView:
    return TicketView(
        id=t.ticket_id,
        number=int(t.number) if t.number is not None else None,
        subject=t.subject,
        status=t.status,  # type: ignore[arg-type]
        waiting_on=t.waiting_on,
        owner=Ref(t.owner_id, t.owner_name),
        conversation_id=t.conversation_id,
        customer=Ref(t.customer_id, t.customer_name or "") if t.customer_id else None,
        created_at=iso(float(t.created_at)),
        updated_at=iso(float(t.updated_at)),
        status_at=iso(float(t.status_at)),
    )


def history_view(entries: list[HistoryEntry]) -> list[HistoryItem]:
    return [HistoryItem(h.at.split("#")[0], h.action, Ref(h.actor_id, h.actor_name), h.detail) for h in entries]
