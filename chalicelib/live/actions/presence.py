"""`presence` (an agent chooses a status) and `heartbeat` (keep alive; agents prove reachability)."""

from __future__ import annotations

from chalicelib.contract.actions import Heartbeat, Presence
from chalicelib.contract.events import AckEvent
from chalicelib.live.context import Live
from chalicelib.store.models import Connection


def presence(live: Live, conn: Connection, action: Presence) -> None:
    after = live.connections.heartbeat(conn, action.status)
    live.notifier.reply(conn.connection_id, AckEvent(action="presence", request_id=action.request_id))
    if after is not None:
        live.notifier.presence(conn.tenant, after)


def heartbeat(live: Live, conn: Connection, action: Heartbeat) -> None:
    if conn.role == "agent":
        came_back = live.connections.heartbeat(conn)
        if came_back is not None:
            live.notifier.presence(conn.tenant, came_back)
    live.notifier.reply(conn.connection_id, AckEvent(action="heartbeat", request_id=action.request_id))
