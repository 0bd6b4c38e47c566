"""Who may see a conversation: the timeline's store, clock and the one visibility check."""

from __future__ import annotations

from chalicelib.platform.clock import Clock
from chalicelib.platform.errors import NotFound
from chalicelib.store.models import Connection
from chalicelib.store.ports import ConversationState, ConversationStore


class TimelineAccess:
    def __init__(self, store: ConversationStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def conversation(self, conn: Connection, conversation_id: str) -> ConversationState:
        """The conversation as this connection may see it; anything else is `not_found`."""
        state = self.store.load_conversation(conn.tenant, conversation_id, self.clock.now())
        if state is None or (conn.role == "customer" and state.meta.customer_id != conn.user_id):
            raise NotFound(f"no conversation {conversation_id!r} for you")
        if conn.role == "agent" and state.meta.status == "new":
            # Opened but nothing said yet: not a conversation for the team (`actions/start.py`).
            raise NotFound(f"no conversation {conversation_id!r} for you")
        return state
