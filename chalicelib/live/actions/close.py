"""`close`: an agent closes a conversation; it leaves the active chats, its thread stays."""

from __future__ import annotations

from typing import Any

from chalicelib.live import lines, payloads
from chalicelib.live.context import Live, request_id
from chalicelib.live.events import ConversationClosed
from chalicelib.store import keys
from chalicelib.store.models import Connection
from chalicelib.store.ports import NewEntry


def close(live: Live, conn: Connection, data: dict[str, Any]) -> None:
    state = live.timeline.conversation(conn, data["conversation_id"])
    closed = live.timeline.store.close_conversation(state.meta, live.clock.now())
    if closed:
        said = lines.line("conversation_closed", name=conn.name)
        line = NewEntry(
            "system", "system", "hub", "Hub", said.text, f"close-{keys.new_customer_id()}", said.code, said.params_json
        )
        state, msg, _ = live.timeline.append(conn, state.conversation_id, line)
        live.notifier.message(state, msg, "")
    live.notifier.reply(
        conn.connection_id,
        {"type": "conversation", **request_id(data), "conversation": payloads.snapshot(state, "agent")},
    )
    if closed:
        live.notifier.conversation(conn, state, to_lobby=True)
        live.listeners.publish(ConversationClosed(conn.tenant, state.conversation_id))
