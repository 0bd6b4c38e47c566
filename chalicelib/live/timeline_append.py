"""Appending an entry with its numbers: compare-and-set, else the atomic counter; resends, voids."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.live.lines import Line
from chalicelib.live.timeline_access import TimelineAccess
from chalicelib.platform.errors import ClientIdReused, NotFound, NotJoined
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store import keys
from chalicelib.store.models import ClientKey, Connection, Message, Participant
from chalicelib.store.ports import (
    Allocation,
    ClientIdTaken,
    ConversationState,
    NewEntry,
    ParticipantExists,
    SequenceConflict,
    SequenceTaken,
)

MAX_APPEND_ATTEMPTS = 8
CONTENDED_SECONDS = 5.0
# An allocation renews the contended mark only while writes still come this close together.
# Writes further apart than this never collide (a write's Query-to-transaction window is tens
# of milliseconds), so a conversation marked once by a collision — a customer's line and the
# hub's "assigned" line at the same moment — goes back to the one-write compare-and-set
# CONTENDED_SECONDS after that burst, however long the chat then runs.
BUSY_SECONDS = 1.0

# What a helper's join adds while appending its line: a new participant (None: already one).
Prepare = Callable[[ConversationState], Participant | None]


class TimelineAppend(TimelineAccess):
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
        """Stores an entry with its numbers. Returns (state, message, stored_now); stored_now is
        False for a resend of a client id (the message is the one stored before)."""
        state = load()
        for attempt in range(MAX_APPEND_ATTEMPTS):
            if attempt:
                state = load()
            new_participant = prepare(state) if prepare else None
            now = self.clock.now()
            if float(state.meta.contended_until or 0) <= now:
                attempted = int(state.meta.last_seq) + 1
                try:
                    msg = self.store.append(state, entry, now, new_participant)
                except SequenceConflict:
                    metrics.add_metric(name="SequenceRetries", unit=MetricUnit.Count, value=1)
                    mark = CONTENDED_SECONDS  # we lost a race: mark the conversation contended
                except ClientIdTaken as taken:
                    found = self._stored(state, entry, taken.key, attempted)
                    if found is not None:
                        return found
                    continue
                else:
                    self._joined(state, new_participant)
                    return state, msg, True
            else:
                key = self.store.get_client_key(tenant, conversation_id, entry.author_id, entry.client_id)
                if key is not None:
                    found = self._stored(state, entry, key, None)
                    if found is not None:
                        return found
                # Renewed only while the burst goes on (see BUSY_SECONDS).
                busy = now - float(state.meta.updated_at or 0) < BUSY_SECONDS
                mark = CONTENDED_SECONDS if busy else 0.0
            alloc = self.store.allocate(state, entry, now, mark)
            try:
                msg = self.store.write_allocated(state, entry, alloc, now, new_participant)
            except ClientIdTaken as taken:
                if taken.key is None or int(taken.key.seq) != alloc.seq:
                    self._void(tenant, conversation_id, alloc)  # our numbers must not stay empty
                found = self._stored(state, entry, taken.key, alloc.seq)
                if found is not None:
                    return found
                continue
            except SequenceTaken:
                metrics.add_metric(name="LateWriters", unit=MetricUnit.Count, value=1)
                continue
            except ParticipantExists:
                self._void(tenant, conversation_id, alloc)
                continue
            self._joined(state, new_participant)
            return state, msg, True
        raise SequenceConflict(f"gave up after {MAX_APPEND_ATTEMPTS} attempts")

    def _stored(
        self, state: ConversationState, entry: NewEntry, key: ClientKey | None, mine: int | None
    ) -> tuple[ConversationState, Message, bool] | None:
        """The entry an idempotency key points at: ours (`mine`: a retried request whose first
        try was applied) or an earlier send of this client id (`sent-again`). None when the key
        cannot be read yet (try again)."""
        tenant, conversation_id = state.tenant, state.conversation_id
        if key is None:
            key = self.store.get_client_key(tenant, conversation_id, entry.author_id, entry.client_id)
            if key is None:
                return None
        if key.text_hash != keys.text_hash(entry.text):
            raise ClientIdReused(
                f"client_id {entry.client_id!r} was already used for a different message; use a new client_id"
            )
        if key.created_at is not None:
            stored = Message(
                state.meta.pk,
                int(key.seq),
                conversation_id=conversation_id,
                kind=key.kind or entry.kind,
                author_role=entry.author_role,
                author_id=entry.author_id,
                author_name=entry.author_name,
                text=entry.text,
                client_id=entry.client_id,
                created_at=float(key.created_at),
                pseq=key.pseq,
                pfloor=int(key.pseq) if key.pseq is not None else 0,
                code=entry.code,  # a system line's key is its own: the same code and params
                params=entry.params,
            )
        else:  # a key written before keys carried their numbers
            found = self.store.get_message(tenant, conversation_id, int(key.seq))
            if found is None:
                raise RuntimeError(f"idempotency key points at missing entry {key.seq}")
            stored = found
        return state, stored, mine is not None and int(key.seq) == mine

    @staticmethod
    def _joined(state: ConversationState, new_participant: Participant | None) -> None:
        if new_participant is not None:
            state.participants[new_participant.user_id] = new_participant

    def _void(self, tenant: str, conversation_id: str, alloc: Allocation) -> None:
        if self.store.put_void(tenant, conversation_id, alloc, self.clock.now()):
            metrics.add_metric(name="VoidsFilled", unit=MetricUnit.Count, value=1)
