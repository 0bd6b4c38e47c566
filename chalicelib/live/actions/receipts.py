"""`delivered` and `read`: a participant's cursor moves forward (never back), and the others hear it.

`read` implies `delivered`: both cursors move in one write, and the others hear one `read`
event, which their clients take as delivered too (docs/protocol.md, "Receipts"). A receipt at or
below the cursor the conversation's Query brought writes nothing.

A receipt is answered with an `ack` only when it asks for one with a `request_id`: the shipped
clients send receipts without one and never wait for their answer, and an ack nobody reads is a
post (a Management API call and a frame) on most messages. Errors are always answered.
"""

from __future__ import annotations

from msgspec import UNSET

from chalicelib.contract.actions import Delivered, Read
from chalicelib.contract.events import AckEvent, DeliveredEvent, ReadEvent
from chalicelib.live import payloads
from chalicelib.live.context import Live
from chalicelib.platform.errors import NotJoined
from chalicelib.store.models import Connection


def receipt(live: Live, conn: Connection, action: Delivered | Read) -> None:
    kind = action.name  # "delivered" | "read"
    state = live.timeline.conversation(conn, action.conversation_id)
    seq = action.seq  # in the reader's own numbering
    me = state.participants.get(conn.user_id)
    if me is None:
        raise NotJoined(f"join conversation {state.conversation_id!r} before sending receipts")
    cursor = live.timeline.advance(state, me, kind, seq, conn.role)
    if action.request_id is not UNSET:
        live.notifier.reply(
            conn.connection_id,
            AckEvent(action=kind, request_id=action.request_id, conversation_id=state.conversation_id, seq=seq),
        )
    if cursor is not None:
        by = payloads.person(conn.role, conn.user_id, conn.name)
        receipt_type = ReadEvent if isinstance(action, Read) else DeliveredEvent
        events = {  # each side hears the cursor in its own numbering
            "agent": receipt_type(state.conversation_id, by, cursor.seq),
            "customer": receipt_type(state.conversation_id, by, cursor.pseq),
        }
        live.notifier.receipt(conn.tenant, state.subscriptions, conn.connection_id, events)
