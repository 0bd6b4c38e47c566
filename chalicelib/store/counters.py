"""Hub counter bookkeeping: what each stored item contributes to its tenant's counters, applied
in the same transaction as every change (the stores) and summed by the recompute (`hub.counters`).

One rule for both paths: `contribution(item)` says what an item adds to the counters.
A change applies `contribution(after) - contribution(before)`; the recompute sums the
contributions of the open items. So the two can only disagree when a write was lost,
and the recompute (idempotent: it SETs absolute values) repairs exactly that.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.store.models import ConversationMeta
from chalicelib.store.work_models import Callback, HubCounters, Ticket

COUNTER_NAMES = ("open_tickets", "waiting_internal", "callback_queued", "callback_overdue", "active_chats")
OPEN_CALLBACK = ("queued", "claimed")


def contribution(item: Any | None) -> Counter[str]:
    """What one ticket, callback or conversation adds to its tenant's counters."""
    c: Counter[str] = Counter()
    if item is None:
        return c
    if isinstance(item, Ticket):
        if item.status != "solved":
            c["open_tickets"] += 1
        if item.status == "waiting_internal":
            c["waiting_internal"] += 1
    elif isinstance(item, Callback):
        if item.status == "queued":
            c["callback_queued"] += 1
        if item.status in OPEN_CALLBACK and item.overdue:
            c["callback_overdue"] += 1
    elif isinstance(item, ConversationMeta) and item.status == "open":
        c["active_chats"] += 1
    return c


def delta(before: Any | None, after: Any | None) -> dict[str, int]:
    out = {name: contribution(after)[name] - contribution(before)[name] for name in COUNTER_NAMES}
    return {k: v for k, v in out.items() if v}


def update_actions(changes: dict[str, int], now: float) -> list[Any]:
    """PynamoDB update actions applying counter deltas atomically (ADD)."""
    actions: list[Any] = [getattr(HubCounters, name).add(value) for name, value in changes.items()]
    actions.append(HubCounters.updated_at.set(now))
    return actions
