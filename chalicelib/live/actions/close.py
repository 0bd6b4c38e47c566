"""`close`: an agent closes a conversation; it leaves the active chats, its thread stays."""

from __future__ import annotations

from chalicelib.contract.actions import Close
from chalicelib.contract.events import ConversationEvent
from chalicelib.live import lines, payloads
from chalicelib.live.context import Live
from chalicelib.live.events import ConversationClosed
from chalicelib.store import keys
from chalicelib.store.models import Connection
from chalicelib.store.ports import NewEntry


def close(live: Live, conn: Connection, action: Close) -> None:
    state = live.timeline.conversation(conn, action.conversation_id)
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
        ConversationEvent(conversation=payloads.snapshot(state, "agent"), request_id=action.request_id),
    )
    if closed:
        live.notifier.conversation(conn, state, to_lobby=True)
        live.listeners.publish(ConversationClosed(conn.tenant, state.conversation_id))
