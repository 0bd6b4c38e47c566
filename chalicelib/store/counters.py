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

from pynamodb.exceptions import UpdateError

from chalicelib.store.dynamo_errors import CONDITION_FAILED, error_code
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


# ------------------------------------------------------------------ the counters stream
# What a dashboard shows of the counters item and learns from the `counters` event: a stream
# record that changes none of these pushes nothing — the widget offer, the drift figures, the
# failure window, the ticket number, and `agents_available`, which the `presence` event that
# changed it already carried to every agent (`live/notifier.py`).
PUSHED_ATTRIBUTES = COUNTER_NAMES


def _number(image: dict[str, Any], name: str) -> str:
    """A counter in a stream image; one not there yet counts as 0, as `stored_values` reads it."""
    return str((image.get(name) or {}).get("N", "0"))


def stream_tenants(records: list[dict[str, Any]]) -> list[str]:
    """The tenants whose pushed counters a batch of counters-table stream records changed, each
    once, in the order first seen. A record without images (another stream view) counts as a
    change; duplicates and reordering do not matter: the push reads the stored counters."""
    tenants: dict[str, None] = {}
    for record in records:
        change = record.get("dynamodb") or {}
        tenant = ((change.get("Keys") or {}).get("tenant") or {}).get("S")
        if not tenant:
            continue
        old, new = change.get("OldImage"), change.get("NewImage")
        if old is None or new is None or any(_number(old, a) != _number(new, a) for a in PUSHED_ATTRIBUTES):
            tenants[str(tenant)] = None
    return list(tenants)


def record_agents_available(tenant: str, available: int) -> None:
    """Stores how many agents can answer, only when it differs: an unchanged number writes no
    stream record, so no stream invocation runs for it (the refused condition is no failure)."""
    try:
        HubCounters(tenant).update(
            actions=[HubCounters.agents_available.set(available)],
            condition=HubCounters.agents_available.does_not_exist() | (HubCounters.agents_available != available),
        )
    except UpdateError as exc:
        if error_code(exc) != CONDITION_FAILED:
            raise
