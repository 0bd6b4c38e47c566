"""The timeline of each conversation: who may see it, appending an entry with the next sequence
(retrying when another writer won the race), reading everything since N, and the delivered/read
cursors and typing state of its participants."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import msgspec

from chalicelib.contract.views import MessageEvent
from chalicelib.live import payloads
from chalicelib.live.lines import Line
from chalicelib.platform.clock import Clock
from chalicelib.platform.errors import ClientIdReused, NotFound, NotJoined
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store import keys
from chalicelib.store.models import Connection, Message, Participant
from chalicelib.store.ports import ClientIdTaken, ConversationState, ConversationStore, NewEntry, SequenceConflict

MAX_APPEND_ATTEMPTS = 40
SYNC_PAGE_BYTES = 96 * 1024  # one sync event stays well under API Gateway's 128 KB

# What a helper's join adds while appending its line: a new participant (None: already one).
Prepare = Callable[[ConversationState], Participant | None]


def backoff(attempt: int) -> None:
    """Exponential pause with full jitter between optimistic retries, so racing senders spread out."""
    time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))


class Timeline:
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

    # ------------------------------------------------------------------ append
    def append(
        self, conn: Connection, conversation_id: str, entry: NewEntry, prepare: Prepare | None = None
    ) -> tuple[ConversationState, Message, bool]:
        """An entry written by this connection (agents must have joined first)."""

        def load() -> ConversationState:
            state = self.conversation(conn, conversation_id)
            if entry.author_role == "agent" and conn.user_id not in state.participants:
                raise NotJoined(f"join conversation {conversation_id!r} before writing to it")
            return state

        return self._append(conn.tenant, conversation_id, load, entry, prepare)

    def system_entry(
        self, tenant: str, conversation_id: str, line: Line, key: str
    ) -> tuple[ConversationState, Message, bool]:
        """A system line (owner, callback and ticket changes). `key` makes it idempotent: the
        same key never adds a second line."""

        def load() -> ConversationState:
            state = self.store.load_conversation(tenant, conversation_id, self.clock.now())
            if state is None:
                raise NotFound(f"no conversation {conversation_id!r}")
            return state

        entry = NewEntry("system", "system", "hub", "Hub", line.text, key, line.code, line.params_json)
        return self._append(tenant, conversation_id, load, entry)

    def _append(
        self,
        tenant: str,
        conversation_id: str,
        load: Callable[[], ConversationState],
        entry: NewEntry,
        prepare: Prepare | None = None,
    ) -> tuple[ConversationState, Message, bool]:
        """Stores an entry with the next sequence, retrying when another writer won the race.

        Returns (state, message, stored_now); stored_now is False for a resend of a client id.
        """
        for attempt in range(MAX_APPEND_ATTEMPTS):
            state = load()
            new_participant = prepare(state) if prepare else None
            try:
                msg = self.store.append(state, entry, self.clock.now(), new_participant)
            except SequenceConflict:
                metrics.add_metric(name="SequenceRetries", unit=MetricUnit.Count, value=1)
                backoff(attempt)
                continue
            except ClientIdTaken:
                key = self.store.get_client_key(tenant, conversation_id, entry.author_id, entry.client_id)
                if key is None:  # the key vanished between the write and the read: try again
                    continue
                if key.text_hash != keys.text_hash(entry.text):
                    raise ClientIdReused(
                        f"client_id {entry.client_id!r} was already used for a different message; use a new client_id"
                    ) from None
                stored = self.store.get_message(tenant, conversation_id, int(key.seq))
                if stored is None:
                    raise RuntimeError(f"idempotency key points at missing entry {key.seq}") from None
                return state, stored, False
            if new_participant is not None:
                state.participants[new_participant.user_id] = new_participant
            return state, msg, True
        raise SequenceConflict(f"gave up after {MAX_APPEND_ATTEMPTS} attempts")

    # ------------------------------------------------------------------ read
    def page_since(self, conn: Connection, state: ConversationState, since: int) -> tuple[list[MessageEvent], bool]:
        """Message events after `since` as this viewer sees them, at most one page; and whether
        that was everything."""
        out: list[MessageEvent] = []
        size = 0
        for msg in self.store.messages_since(
            conn.tenant, state.conversation_id, since, include_notes=conn.role == "agent"
        ):
            event = payloads.message_event(msg, conn.role)
            size += len(msgspec.json.encode(event))
            if out and size > SYNC_PAGE_BYTES:
                return out, False
            out.append(event)
        return out, True

    # ------------------------------------------------------------------ participants' state
    def advance(self, me: Participant, kind: str, seq: int) -> bool:
        """Moves the delivered or read cursor forward (read implies delivered); False when it
        was already there."""
        moved = self.store.advance_cursor(me, kind, seq)
        if kind == "read" and moved and int(me.delivered_seq) < seq:
            self.store.advance_cursor(me, "delivered", seq)
        return moved

    def typing(self, tenant: str, me: Participant, started: bool) -> None:
        self.store.set_typing(tenant, me, self.clock.now() if started else None)
