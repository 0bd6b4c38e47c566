"""Reading a timeline (in either numbering), the delivered/read cursors and typing indicators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.store import keys
from chalicelib.store.dynamo_errors import CONDITION_FAILED, error_code
from chalicelib.store.models import Message, Participant


class TimelineReads:
    # ------------------------------------------------------------------ reading the timeline
    def get_message(self, tenant: str, conversation_id: str, seq: int) -> Message | None:
        try:
            return Message.get(keys.conversation_pk(tenant, conversation_id), seq, consistent_read=True)
        except DoesNotExist:
            return None

    def entries_from(self, tenant: str, conversation_id: str, first: int, last: int | None = None) -> Iterator[Message]:
        """AP-M1: every entry (voids included) from `first` (to `last`), ascending, consistent."""
        pk = keys.conversation_pk(tenant, conversation_id)
        condition = Message.seq >= first if last is None else Message.seq.between(first, last)
        return Message.query(pk, condition, scan_index_forward=True, consistent_read=True, page_size=100)

    def public_from(self, tenant: str, conversation_id: str, first: int) -> Iterator[Message]:
        """AP-M2: public entries (voids with a public number included) from public number
        `first`, ascending, consistent (a local index reads its writes)."""
        return Message.by_public_seq.query(
            keys.conversation_pk(tenant, conversation_id),
            Message.pseq >= first,
            scan_index_forward=True,
            consistent_read=True,
            page_size=100,
        )

    def advance_cursor(self, participant: Participant, field_name: str, seq: int, pseq: int) -> bool:
        """Moves a delivered/read cursor forward in both numberings, in one conditional write;
        `read` moves `delivered` with it (read implies delivered) in that same write. False when
        it was already at or past `seq` (nothing written). Mirrors what it stored on `participant`.

        The caller decides from the cursors it read whether there is anything to move (a receipt
        that moves nothing must not write); the condition only settles a race with another receipt."""
        internal, public = _cursor(field_name)
        actions: list[Any] = [internal.set(seq), public.set(pseq)]
        condition = (internal < seq) & Participant.sk.exists()
        implied = field_name == "read" and int(participant.delivered_seq) < seq
        if implied:
            actions += [Participant.delivered_seq.set(seq), Participant.delivered_pseq.set(pseq)]
            # Never move delivered back: a `delivered` past `seq` may have landed since our read.
            condition &= Participant.delivered_seq <= seq
        try:
            participant.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
            if not implied:
                return False
            # Rare: a concurrent receipt moved delivered past `seq` (or read to it). Read alone.
            return self.advance_cursor(_without_delivered(participant, seq), field_name, seq, pseq)
        return True

    def set_typing(self, tenant: str, participant: Participant, at: float | None) -> None:
        actions: list[Any]
        if at is not None:
            actions = [Participant.typing_at.set(at), Participant.typing_tenant.set(tenant)]
        else:
            actions = [Participant.typing_at.remove(), Participant.typing_tenant.remove()]
        participant.update(actions=actions)


def _cursor(field_name: str) -> tuple[Any, Any]:
    """The cursor's two attributes: internal and public numbering."""
    if field_name == "delivered":
        return Participant.delivered_seq, Participant.delivered_pseq
    return Participant.read_seq, Participant.read_pseq


def _without_delivered(participant: Participant, seq: int) -> Participant:
    """`participant` with delivered taken as past `seq`, so a retried `read` leaves it alone."""
    participant.delivered_seq = max(int(participant.delivered_seq), seq)
    return participant
