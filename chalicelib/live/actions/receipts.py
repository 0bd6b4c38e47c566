"""`delivered` and `read`: a participant's cursor moves forward (never back), and the others hear it."""

from __future__ import annotations

from typing import Any

from chalicelib.live import payloads
from chalicelib.live.context import Live, request_id
from chalicelib.platform.errors import InvalidAction, NotJoined
from chalicelib.store.models import Connection


def receipt(live: Live, conn: Connection, data: dict[str, Any]) -> None:
    kind = data["action"]  # "delivered" | "read"
    state = live.timeline.conversation(conn, data["conversation_id"])
    seq = int(data["seq"])
    visible_last = int(state.meta.last_public_seq if conn.role == "customer" else state.meta.last_seq)
    if seq > visible_last:
        raise InvalidAction(f"{kind}: seq {seq} is beyond the conversation's last entry ({visible_last})")
    me = state.participants.get(conn.user_id)
    if me is None:
        raise NotJoined(f"join conversation {state.conversation_id!r} before sending receipts")
    moved = live.timeline.advance(me, kind, seq)
    live.notifier.reply(
        conn.connection_id,
        {"type": "ack", "action": kind, **request_id(data), "conversation_id": state.conversation_id, "seq": seq},
    )
    if moved:
        event = {
            "type": kind,
            "conversation_id": state.conversation_id,
            "by": payloads.person(conn.role, conn.user_id, conn.name),
            "seq": seq,
        }
        live.notifier.receipt(conn.tenant, state.subscriptions, conn.connection_id, event)
