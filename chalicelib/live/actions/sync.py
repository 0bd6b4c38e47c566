"""`sync`: everything visible after `since`, in pages, with the conversation's state; subscribes."""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from chalicelib.contract.actions import Sync
from chalicelib.contract.events import SyncEvent
from chalicelib.live import payloads
from chalicelib.live.context import Live
from chalicelib.store.models import Connection


def sync(live: Live, conn: Connection, action: Sync) -> None:
    state = live.timeline.conversation(conn, action.conversation_id)
    live.connections.subscribe(conn, state)
    anchor = None if isinstance(action.anchor, UnsetType) else action.anchor
    page = live.timeline.page_since(conn, state, action.since, anchor)
    reply = SyncEvent(
        conversation_id=state.conversation_id,
        since=0 if page.reset else action.since,
        messages=page.messages,
        through=page.through,
        conversation=payloads.snapshot(state, conn.role),
        complete=page.complete,
        request_id=action.request_id,
        next_since=UNSET if page.complete else page.through,
        reset=True if page.reset else UNSET,
    )
    live.notifier.reply(conn.connection_id, reply)
