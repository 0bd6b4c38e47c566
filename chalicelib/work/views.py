"""How callbacks, tickets and their history look on the wire (REST answers and pushed events),
as the contract's types."""

from __future__ import annotations

from chalicelib.contract.common import Ref
from chalicelib.contract.views import CallbackView, HistoryItem, TicketView
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
        due_at=iso(float(cb.due_at)),
        due_in_seconds=int(float(cb.due_at) - now),
        attempts=int(cb.attempts),
        max_attempts=int(cb.max_attempts),
        claimed_by=Ref(cb.claimed_by, cb.claimed_by_name or "") if cb.claimed_by else None,
        created_at=iso(float(cb.created_at)),
        updated_at=iso(float(cb.updated_at)),
    )


def ticket_view(t: Ticket) -> TicketView:
    return TicketView(
        id=t.ticket_id,
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
