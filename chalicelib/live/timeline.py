"""The timeline of each conversation: who may see it, appending an entry with its numbers,
reading everything since N in the reader's own numbering, and the delivered/read cursors and
typing state of its participants.

Two numberings, both gapless: `seq` numbers every entry (agents), `pseq` the public entries
(customers, who never learn a note existed). How an entry gets its numbers (see
docs/architecture.md, "Sequences without contention"):

1. A quiet conversation: one compare-and-set transaction (META `last_seq` N → N+1, the
   message, its idempotency key). One write.
2. When another writer took N+1, or the conversation was marked contended in the last
   `CONTENDED_SECONDS`: the numbers come from an atomic counter (`UpdateItem ADD`, which never
   conflicts), then one transaction writes the message and its key under them. Two writes
   whatever the concurrency, and every allocation keeps the conversation marked contended,
   so concurrent writers skip the compare-and-set.
3. A number whose writer died between those two writes stays empty. A reader that finds it
   empty with a later entry (or the last allocation) older than `VOID_AFTER_SECONDS` fills it
   with a `void` entry by conditional put; every reader skips voids. A writer that was only
   late finds its number taken and allocates again, so nothing is lost and no hole stays.

A resend of a stored message costs two calls: the conversation's Query and the transaction
that finds its key (the stored key comes back in the same call), or in a contended
conversation a key read instead of the transaction.
"""

from __future__ import annotations

from msgspec import Struct

from chalicelib.live.timeline_append import CONTENDED_SECONDS, MAX_APPEND_ATTEMPTS, Prepare, TimelineAppend
from chalicelib.live.timeline_sync import SYNC_PAGE_BYTES, VOID_AFTER_SECONDS, Page, TimelineSync, voids_for
from chalicelib.platform.errors import InvalidAction
from chalicelib.store.models import Participant
from chalicelib.store.ports import ConversationState

__all__ = [
    "CONTENDED_SECONDS",
    "MAX_APPEND_ATTEMPTS",
    "SYNC_PAGE_BYTES",
    "TYPING_REFRESH_SECONDS",
    "VOID_AFTER_SECONDS",
    "Cursor",
    "Page",
    "Prepare",
    "Timeline",
    "voids_for",
]


# A typing indicator is written again only when the stored one is older than this: twice the
# clients' repeat (chat.ts TYPING_THROTTLE_MS, 10 s), so every other repeated `start` writes
# nothing, and well under the drift sweep's stale age (`hub/drift.py`, TYPING_STALE_SECONDS), so a
# person still typing is never swept.
TYPING_REFRESH_SECONDS = 20.0


class Cursor(Struct, frozen=True):
    """A receipt as stored: where the cursor is now in both numberings."""

    seq: int
    pseq: int


class Timeline(TimelineAppend, TimelineSync):
    # ------------------------------------------------------------------ participants' state
    def advance(self, state: ConversationState, me: Participant, kind: str, seq: int, role: str) -> Cursor | None:
        """Moves the delivered or read cursor forward; `read` implies `delivered` (both move in
        one write). `seq` is in the reader's numbering; the cursor is kept in both, so each side
        reads it in its own. None when nothing moved: a receipt at or below the cursor read with
        the conversation writes nothing (and one that lost a race with another changed nothing)."""
        customer = role == "customer"
        last = int(state.meta.last_pseq or 0) if customer else int(state.meta.last_seq)
        if seq > last:
            raise InvalidAction(f"{kind}: seq {seq} is beyond the conversation's last entry ({last})")
        if seq <= _held(me, kind, customer):
            return None
        if customer:
            internal, public = self._internal_of(state, seq), seq
        else:
            internal, public = seq, self._public_at(state, seq)
        if not self.store.advance_cursor(me, kind, internal, public):
            return None
        return Cursor(internal, public)

    def _internal_of(self, state: ConversationState, pseq: int) -> int:
        if pseq == 0:
            return 0
        if pseq == int(state.meta.last_pseq or 0):
            # The usual receipt: everything public is read, so is every entry up to the last
            # (the rest are notes and lines customers never see). No read needed.
            return int(state.meta.last_seq)
        entry = next(iter(self.store.public_from(state.tenant, state.conversation_id, pseq)), None)
        if entry is None or int(entry.pseq or 0) != pseq:
            raise InvalidAction(f"no entry {pseq} yet")
        return int(entry.seq)

    def _public_at(self, state: ConversationState, seq: int) -> int:
        if seq == 0:
            return 0
        if seq == int(state.meta.last_seq):  # the usual receipt: no read needed
            return int(state.meta.last_pseq or 0)
        entry = self.store.get_message(state.tenant, state.conversation_id, seq)
        if entry is None:
            raise InvalidAction(f"no entry {seq} yet")
        return int(entry.pfloor or 0)

    def typing(self, tenant: str, me: Participant, started: bool) -> bool:
        """Stores a typing indicator turning on or off; False when that changes nothing (already
        off, or on and far from going stale): then nothing is written."""
        now = self.clock.now()
        stored = None if me.typing_at is None else float(me.typing_at)
        fresh = stored is not None and now - stored < TYPING_REFRESH_SECONDS
        if fresh if started else stored is None:
            return False
        self.store.set_typing(tenant, me, now if started else None)
        me.typing_at = now if started else None
        return True


def _held(me: Participant, kind: str, customer: bool) -> int:
    """Where the reader's cursor already is, in their own numbering (read implies delivered)."""
    if customer:
        read, delivered = int(me.read_pseq or 0), int(me.delivered_pseq or 0)
    else:
        read, delivered = int(me.read_seq or 0), int(me.delivered_seq or 0)
    return read if kind == "read" else max(read, delivered)
