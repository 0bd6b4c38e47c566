"""`presence` (an agent chooses a status) and `heartbeat` (keep alive; agents prove reachability)."""

from __future__ import annotations

from typing import Any

from chalicelib.live.context import Live, request_id
from chalicelib.store.models import Connection


def presence(live: Live, conn: Connection, data: dict[str, Any]) -> None:
    after = live.connections.heartbeat(conn, data["status"])
    live.notifier.reply(conn.connection_id, {"type": "ack", "action": "presence", **request_id(data)})
    if after is not None:
        live.notifier.presence(conn.tenant, after)


def heartbeat(live: Live, conn: Connection, data: dict[str, Any]) -> None:
    if conn.role == "agent":
        came_back = live.connections.heartbeat(conn)
        if came_back is not None:
            live.notifier.presence(conn.tenant, came_back)
    live.notifier.reply(conn.connection_id, {"type": "ack", "action": "heartbeat", **request_id(data)})
