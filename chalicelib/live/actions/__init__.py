"""One small module per WebSocket action: what the action does and what it answers.

`ACTIONS` maps each action of the protocol to its handler; `AGENT_ONLY` and `CUSTOMER_ONLY`
say which role may send it (checked before the handler runs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.live.actions.close import close
from chalicelib.live.actions.join import assign, join, take
from chalicelib.live.actions.presence import heartbeat, presence
from chalicelib.live.actions.receipts import receipt
from chalicelib.live.actions.send import send
from chalicelib.live.actions.start import start
from chalicelib.live.actions.sync import sync
from chalicelib.live.actions.typing_state import typing
from chalicelib.live.context import Live
from chalicelib.store.models import Connection

# Each handler takes the action type it is listed under (see `chalicelib/contract/actions.py`).
Handler = Callable[[Live, Connection, Any], None]

ACTIONS: dict[str, Handler] = {
    "start": start,
    "join": join,
    "take": take,
    "assign": assign,
    "send": send,
    "note": send,
    "typing": typing,
    "delivered": receipt,
    "read": receipt,
    "presence": presence,
    "heartbeat": heartbeat,
    "sync": sync,
    "close": close,
}
AGENT_ONLY = frozenset({"join", "take", "assign", "note", "presence", "close"})
CUSTOMER_ONLY = frozenset({"start"})
