"""`delivered` and `read`: a participant's cursor moves forward (never back), and the others hear it."""

from __future__ import annotations

from chalicelib.contract.actions import Delivered, Read
from chalicelib.contract.events import AckEvent, DeliveredEvent, ReadEvent
from chalicelib.live import payloads
from chalicelib.live.context import Live
from chalicelib.platform.errors import InvalidAction, NotJoined
from chalicelib.store.models import Connection


def receipt(live: Live, conn: Connection, action: Delivered | Read) -> None:
    kind = action.name  # "delivered" | "read"
    state = live.timeline.conversation(conn, action.conversation_id)
    seq = action.seq
    visible_last = int(state.meta.last_public_seq if conn.role == "customer" else state.meta.last_seq)
    if seq > visible_last:
        raise InvalidAction(f"{kind}: seq {seq} is beyond the conversation's last entry ({visible_last})")
    me = state.participants.get(conn.user_id)
    if me is None:
        raise NotJoined(f"join conversation {state.conversation_id!r} before sending receipts")
    moved = live.timeline.advance(me, kind, seq)
    live.notifier.reply(
        conn.connection_id,
        AckEvent(action=kind, request_id=action.request_id, conversation_id=state.conversation_id, seq=seq),
    )
    if moved:
        by = payloads.person(conn.role, conn.user_id, conn.name)
        event = (
            ReadEvent(state.conversation_id, by, seq)
            if isinstance(action, Read)
            else DeliveredEvent(state.conversation_id, by, seq)
        )
        live.notifier.receipt(conn.tenant, state.subscriptions, conn.connection_id, event)
