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

from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from chalicelib.contract.views.conversations import MessageEvent
from chalicelib.live import payloads
from chalicelib.live.lines import Line
from chalicelib.platform.clock import Clock
from chalicelib.platform.errors import ClientIdReused, InvalidAction, NotFound, NotJoined
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store import keys
from chalicelib.store.models import ClientKey, Connection, Message, Participant
from chalicelib.store.ports import (
    Allocation,
    ClientIdTaken,
    ConversationState,
    ConversationStore,
    NewEntry,
    ParticipantExists,
    SequenceConflict,
    SequenceTaken,
)

MAX_APPEND_ATTEMPTS = 8
CONTENDED_SECONDS = 5.0
# A number still empty this long after a later one was taken has lost its writer: the Lambda
# that took it would have timed out (and a writer that is only late allocates again).
VOID_AFTER_SECONDS = 10.0
SYNC_PAGE_BYTES = 96 * 1024  # one sync event stays well under API Gateway's 128 KB

# What a helper's join adds while appending its line: a new participant (None: already one).
Prepare = Callable[[ConversationState], Participant | None]


@dataclass
class Page:
    """One page of a sync, in the reader's numbering. `through`: every number up to it is in
    `messages` or was void (nothing the reader needs). `reset`: the reader's view was not the
    server's (it was ahead, or its last entry differs): this page starts again from 0."""

    messages: list[MessageEvent] = field(default_factory=list)
    complete: bool = True
    through: int = 0
    reset: bool = False


@dataclass(frozen=True)
class Cursor:
    """A receipt as stored: did it move, and where it is in both numberings."""

    moved: bool
    seq: int
    pseq: int


def voids_for(first: int, last: int, floor_before: int, floor_after: int) -> list[Allocation]:
    """The void entries for the empty numbers `first..last`, between an entry at which the
    public count was `floor_before` and the next entry, before which it is `floor_after`.

    The difference is how many of the lost allocations were public; they take the public
    numbers in between (which of the empty numbers held them cannot be known, and does not
    matter: every reader skips voids)."""
    holes = list(range(first, last + 1))
    public = max(0, min(len(holes), floor_after - floor_before))
    out = []
    for i, seq in enumerate(holes):
        if i < public:
            out.append(Allocation(seq, floor_before + i + 1, floor_before + i + 1))
        else:
            out.append(Allocation(seq, None, floor_before + public))
    return out


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
            alloc = self.store.allocate(state, entry, now, CONTENDED_SECONDS)
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

    # ------------------------------------------------------------------ read
    def page_since(self, conn: Connection, state: ConversationState, since: int, anchor: str | None = None) -> Page:
        """Message events after `since` in this reader's numbering, at most one page.

        `anchor` is the client id of the entry the reader holds at `since`: when the server
        has no such entry, or a different one, or `since` is beyond its last number, the
        reader's view is stale (a restore moved the sequence back) and the page is a reset:
        everything from 0."""
        page = self._page(conn.role, state, since, anchor)
        if page is None:
            metrics.add_metric(name="StaleViewsReset", unit=MetricUnit.Count, value=1)
            page = self._page(conn.role, state, 0, None) or Page()
            page.reset = True
        return page

    def _page(self, role: str, state: ConversationState, since: int, anchor: str | None) -> Page | None:
        public = role == "customer"
        last = int(state.meta.last_pseq or 0) if public else int(state.meta.last_seq)
        if since > last:
            return None
        tenant, cid = state.tenant, state.conversation_id
        entries = (
            self.store.public_from(tenant, cid, max(since, 1))
            if public
            else self.store.entries_from(tenant, cid, max(since, 1))
        )
        items = iter(entries)
        floor, prev_seq = 0, 0  # public count and internal seq at number `since`
        if since > 0:
            first = next(items, None)
            if first is None or _number(first, public) != since or _differs(first, anchor):
                return None
            floor, prev_seq = int(first.pfloor or 0), int(first.seq)
        page = Page(through=since)
        size = 0
        now = self.clock.now()
        for item in items:
            number = _number(item, public)
            if number > page.through + 1:
                newer = float(item.created_at)
                filled = (
                    self._fill_window(tenant, cid, prev_seq, int(item.seq), _floor_before(item), newer, now)
                    if public
                    else self._fill(tenant, cid, page.through + 1, number - 1, floor, _floor_before(item), newer, now)
                )
                if filled != number - page.through - 1:
                    return page  # a number is still being written: what we have, up to it
                page.through = number - 1
            if item.kind != "void":
                event = payloads.message_event(item, role)
                size += len(msgspec.json.encode(event))
                if page.messages and size > SYNC_PAGE_BYTES:
                    page.complete = False
                    return page
                page.messages.append(event)
            page.through = number
            floor, prev_seq = int(item.pfloor or 0), int(item.seq)
        if page.through < last:  # numbers taken at the end and not written (yet)
            newer = float(state.meta.updated_at)
            end_floor = int(state.meta.last_pseq or 0)
            if public:
                end = int(state.meta.last_seq) + 1
                filled = self._fill_window(tenant, cid, prev_seq, end, end_floor, newer, now)
            else:
                filled = self._fill(tenant, cid, page.through + 1, last, floor, end_floor, newer, now)
            if filled == last - page.through:
                page.through = last
        return page

    def _fill(
        self,
        tenant: str,
        cid: str,
        first: int,
        last: int,
        floor_before: int,
        floor_after: int,
        newer_at: float,
        now: float,
    ) -> int:
        """Fills the empty numbers `first..last` with voids once a later number is older than
        `VOID_AFTER_SECONDS`. Returns how many were filled (0 while they may still be written)."""
        if now - newer_at < VOID_AFTER_SECONDS:
            return 0
        filled = 0
        for void in voids_for(first, last, floor_before, floor_after):
            if not self.store.put_void(tenant, cid, void, now):
                return 0  # its writer made it after all: it is read next time
            filled += 1
        metrics.add_metric(name="VoidsFilled", unit=MetricUnit.Count, value=filled)
        return filled

    def _fill_window(
        self, tenant: str, cid: str, after: int, before: int, floor_at_end: int, newer_at: float, now: float
    ) -> int:
        """A customer's sync found public numbers missing between the public entries at
        internal `after` and `before`: fill the empty internal numbers in that window. Returns
        how many public numbers the voids took (0 while they may still be written)."""
        if now - newer_at < VOID_AFTER_SECONDS or before - after < 2:
            return 0
        window = list(self.store.entries_from(tenant, cid, max(after, 1), before - 1))
        floor = 0
        expected = after + 1
        voids: list[Allocation] = []
        for item in window:
            seq = int(item.seq)
            if seq <= after:
                floor = int(item.pfloor or 0)
                continue
            if seq > expected:
                voids += voids_for(expected, seq - 1, floor, _floor_before(item))
            floor, expected = int(item.pfloor or 0), seq + 1
        if expected < before:
            voids += voids_for(expected, before - 1, floor, floor_at_end)
        for void in voids:
            if not self.store.put_void(tenant, cid, void, now):
                return 0
        metrics.add_metric(name="VoidsFilled", unit=MetricUnit.Count, value=len(voids))
        return sum(1 for v in voids if v.pseq is not None)

    # ------------------------------------------------------------------ participants' state
    def advance(self, state: ConversationState, me: Participant, kind: str, seq: int, role: str) -> Cursor:
        """Moves the delivered or read cursor forward (read implies delivered). `seq` is in the
        reader's numbering; the cursor is kept in both, so each side reads it in its own."""
        if role == "customer":
            last = int(state.meta.last_pseq or 0)
            if seq > last:
                raise InvalidAction(f"{kind}: seq {seq} is beyond the conversation's last entry ({last})")
            internal, public = self._internal_of(state, seq), seq
        else:
            last = int(state.meta.last_seq)
            if seq > last:
                raise InvalidAction(f"{kind}: seq {seq} is beyond the conversation's last entry ({last})")
            internal, public = seq, self._public_at(state, seq)
        moved = self.store.advance_cursor(me, kind, internal, public)
        return Cursor(moved, internal, public)

    def _internal_of(self, state: ConversationState, pseq: int) -> int:
        if pseq == 0:
            return 0
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

    def typing(self, tenant: str, me: Participant, started: bool) -> None:
        self.store.set_typing(tenant, me, self.clock.now() if started else None)


def _number(item: Message, public: bool) -> int:
    return int(item.pseq or 0) if public else int(item.seq)


def _floor_before(item: Message) -> int:
    """The public count just before this entry."""
    return int(item.pfloor or 0) - (1 if item.pseq is not None else 0)


def _differs(item: Message, anchor: str | None) -> bool:
    return anchor is not None and item.kind != "void" and item.client_id != anchor
