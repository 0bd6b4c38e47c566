"""`sync`: everything visible after `since`, in pages, with the conversation's state; subscribes."""

from __future__ import annotations

from typing import Any

from chalicelib.live import payloads
from chalicelib.live.context import Live, request_id
from chalicelib.store.models import Connection


def sync(live: Live, conn: Connection, data: dict[str, Any]) -> None:
    state = live.timeline.conversation(conn, data["conversation_id"])
    since = int(data["since"])
    live.connections.subscribe(conn, state)
    page = live.timeline.page_since(conn, state, since, data.get("anchor"))
    reply: dict[str, Any] = {
        "type": "sync",
        **request_id(data),
        "conversation_id": state.conversation_id,
        "since": 0 if page.reset else since,
        "messages": page.messages,
        "through": page.through,
        "conversation": payloads.snapshot(state, conn.role),
        "complete": page.complete,
    }
    if page.reset:
        reply["reset"] = True
    if not page.complete:
        reply["next_since"] = page.through
    live.notifier.reply(conn.connection_id, reply)
