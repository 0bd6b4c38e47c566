"""`presence` (an agent chooses a status) and `heartbeat` (keep alive; agents prove reachability)."""

from __future__ import annotations

from chalicelib.contract.actions import Heartbeat, Presence
from chalicelib.contract.events import AckEvent
from chalicelib.live.context import Live
from chalicelib.store.models import Connection


def presence(live: Live, conn: Connection, action: Presence) -> None:
    after = live.connections.heartbeat(conn, action.status)
    if after is not None:
        # The change's `presence` event is posted before the ack: a client sends its next change
        # only once acked, so an earlier change's event can never reach it after a later one's
        # (it did, when the ack went first: the dashboard then showed the earlier status).
        live.notifier.presence(conn.tenant, after)
    live.notifier.reply(conn.connection_id, AckEvent(action="presence", request_id=action.request_id))


def heartbeat(live: Live, conn: Connection, action: Heartbeat) -> None:
    if conn.role == "agent":
        came_back = live.connections.heartbeat(conn)
        if came_back is not None:
            live.notifier.presence(conn.tenant, came_back)
    live.notifier.reply(conn.connection_id, AckEvent(action="heartbeat", request_id=action.request_id))
