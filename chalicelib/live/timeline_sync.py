"""Sync reads in the reader's numbering: pages, `through`, reset, and filling lost numbers with voids."""

from __future__ import annotations

import msgspec
from msgspec import Struct, field

from chalicelib.contract.views.conversations import MessageEvent
from chalicelib.live import payloads
from chalicelib.live.timeline_access import TimelineAccess
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store.models import Connection, Message
from chalicelib.store.ports import Allocation, ConversationState

# A number still empty this long after a later one was taken has lost its writer: the Lambda
# that took it would have timed out (and a writer that is only late allocates again).
VOID_AFTER_SECONDS = 10.0
SYNC_PAGE_BYTES = 96 * 1024  # one sync event stays well under API Gateway's 128 KB


class Page(Struct):
    """One page of a sync, in the reader's numbering. `through`: every number up to it is in
    `messages` or was void (nothing the reader needs). `reset`: the reader's view was not the
    server's (it was ahead, or its last entry differs): this page starts again from 0."""

    messages: list[MessageEvent] = field(default_factory=list)
    complete: bool = True
    through: int = 0
    reset: bool = False


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


class TimelineSync(TimelineAccess):
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


def _number(item: Message, public: bool) -> int:
    return int(item.pseq or 0) if public else int(item.seq)


def _floor_before(item: Message) -> int:
    """The public count just before this entry."""
    return int(item.pfloor or 0) - (1 if item.pseq is not None else 0)


def _differs(item: Message, anchor: str | None) -> bool:
    return anchor is not None and item.kind != "void" and item.client_id != anchor
