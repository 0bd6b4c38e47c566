"""`typing`: typing started or stopped, told to the other side only (note typing to agents only).

The indicator is stored (so the drift sweep can switch off one a client left on) only when it
changes: a repeated `start` far from going stale, or a `stop` when none is on, writes nothing.
The `start` that opens a spell of typing (`first: true`) is not stored either: most messages are
sent before the client's next `start` (3 s on), and a send or a `stop` then has nothing to
switch off; a person still typing is stored by that next `start`. The other side is told every
time (their clients show a `start` for 6 s, so one left on by a client gone in its first
seconds of typing goes out there without the sweep, which does not count it as drift)."""

from __future__ import annotations

from msgspec import UNSET

from chalicelib.contract.actions import Typing
from chalicelib.contract.events import TypingEvent
from chalicelib.live import payloads
from chalicelib.live.context import Live
from chalicelib.platform.errors import Forbidden
from chalicelib.store.models import Connection


def typing(live: Live, conn: Connection, action: Typing) -> None:
    state = live.timeline.conversation(conn, action.conversation_id)
    note = action.note is True
    if note and conn.role != "agent":
        raise Forbidden("only agents type notes")
    me = state.participants.get(conn.user_id)
    opens_a_spell = action.state == "start" and action.first is True
    if me is not None and not opens_a_spell:
        live.timeline.typing(conn.tenant, me, action.state == "start")
    event = TypingEvent(
        conversation_id=state.conversation_id,
        by=payloads.person(conn.role, conn.user_id, conn.name),
        state=action.state,
        note=True if note else UNSET,
    )
    live.notifier.typing(conn.tenant, state.subscriptions, conn.user_id, event)
