"""`typing`: typing started or stopped, told to the other side only (note typing to agents only)."""

from __future__ import annotations

from typing import Any

from chalicelib.live import payloads
from chalicelib.live.context import Live
from chalicelib.platform.errors import Forbidden
from chalicelib.store.models import Connection


def typing(live: Live, conn: Connection, data: dict[str, Any]) -> None:
    state = live.timeline.conversation(conn, data["conversation_id"])
    note = bool(data.get("note"))
    if note and conn.role != "agent":
        raise Forbidden("only agents type notes")
    me = state.participants.get(conn.user_id)
    if me is not None:
        live.timeline.typing(conn.tenant, me, data["state"] == "start")
    event: dict[str, Any] = {
        "type": "typing",
        "conversation_id": state.conversation_id,
        "by": payloads.person(conn.role, conn.user_id, conn.name),
        "state": data["state"],
    }
    if note:
        event["note"] = True
    live.notifier.typing(conn.tenant, state.subscriptions, conn.user_id, note, event)
