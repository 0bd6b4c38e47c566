"""`delivered` and `read`: a participant's cursor moves forward (never back), and the others hear it."""

from __future__ import annotations

from typing import Any

from chalicelib.live import payloads
from chalicelib.live.context import Live, request_id
from chalicelib.platform.errors import NotJoined
from chalicelib.store.models import Connection


def receipt(live: Live, conn: Connection, data: dict[str, Any]) -> None:
    kind = data["action"]  # "delivered" | "read"
    state = live.timeline.conversation(conn, data["conversation_id"])
    seq = int(data["seq"])  # in the reader's own numbering
    me = state.participants.get(conn.user_id)
    if me is None:
        raise NotJoined(f"join conversation {state.conversation_id!r} before sending receipts")
    cursor = live.timeline.advance(state, me, kind, seq, conn.role)
    live.notifier.reply(
        conn.connection_id,
        {"type": "ack", "action": kind, **request_id(data), "conversation_id": state.conversation_id, "seq": seq},
    )
    if cursor.moved:
        by = payloads.person(conn.role, conn.user_id, conn.name)
        events = {  # each side hears the cursor in its own numbering
            "agent": payloads.receipt_event(kind, state.conversation_id, by, cursor.seq),
            "customer": payloads.receipt_event(kind, state.conversation_id, by, cursor.pseq),
        }
        live.notifier.receipt(conn.tenant, state.subscriptions, conn.connection_id, events)
