"""`sync`: everything visible after `since`, in pages, with the conversation's state; subscribes."""

from __future__ import annotations

from msgspec import UNSET

from chalicelib.contract.actions import Sync
from chalicelib.contract.events import SyncEvent
from chalicelib.live import payloads
from chalicelib.live.context import Live
from chalicelib.store.models import Connection


def sync(live: Live, conn: Connection, action: Sync) -> None:
    state = live.timeline.conversation(conn, action.conversation_id)
    live.connections.subscribe(conn, state)
    messages, complete = live.timeline.page_since(conn, state, action.since)
    reply = SyncEvent(
        conversation_id=state.conversation_id,
        since=action.since,
        messages=messages,
        conversation=payloads.snapshot(state, conn.role),
        complete=complete,
        request_id=action.request_id,
        next_since=UNSET if complete else messages[-1].seq,
    )
    live.notifier.reply(conn.connection_id, reply)
