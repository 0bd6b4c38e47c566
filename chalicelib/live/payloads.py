"""Wire payloads built from stored records: messages, conversation snapshots, presence (who
receives each one is decided in `notifier.py`; their types are in `chalicelib/contract`)."""

from __future__ import annotations

from msgspec import UNSET

from chalicelib.contract.common import Person, Ref
from chalicelib.contract.events import PresenceEvent
from chalicelib.contract.views.conversations import ConversationSnapshot, CsatView, MessageEvent, Participant, Preview
from chalicelib.live.lines import params_of
from chalicelib.platform.clock import iso
from chalicelib.store.models import AgentPresence, ConversationMeta, Message
from chalicelib.store.models import Participant as StoredParticipant
from chalicelib.store.ports import ConversationState

SYSTEM_AUTHOR = Person("system", "hub", "Hub")


def person(role: str, user_id: str, name: str) -> Person:
    return Person(role, user_id, name)  # type: ignore[arg-type]  # roles are written by the hub itself


def visible_seq(msg: Message, viewer_role: str) -> int:
    """The entry's number in the viewer's numbering: customers count public entries only, so
    their numbers have no holes where notes are (and never reveal one)."""
    if viewer_role == "customer" and msg.pseq is not None:
        return int(msg.pseq)
    return int(msg.seq)


def message_event(msg: Message, viewer_role: str) -> MessageEvent:
    """`seq` and `prev_seq` (always `seq - 1`) in the viewer's own numbering."""
    author = SYSTEM_AUTHOR if msg.author_role == "system" else person(msg.author_role, msg.author_id, msg.author_name)
    seq = visible_seq(msg, viewer_role)
    event = MessageEvent(
        conversation_id=msg.conversation_id,
        seq=seq,
        prev_seq=seq - 1,
        client_id=msg.client_id,
        kind=msg.kind,  # type: ignore[arg-type]
        author=author,
        text=msg.text,
        created_at=iso(float(msg.created_at)),
    )
    if msg.code:  # a system line: clients word it in their language (`live/lines.py`)
        event.code = msg.code
        event.params = params_of(msg.params)
    return event


def snapshot(state: ConversationState, viewer_role: str, queue_place: int | None = None) -> ConversationSnapshot:
    """The conversation as `viewer_role` sees it; `queue_place` when the caller knows it (the
    customer's place while it waits for an agent)."""
    meta = state.meta
    owner = Ref(meta.owner_id, meta.owner_name or "") if meta.owner_id else None
    preview = None
    if meta.preview_text is not None:
        preview = Preview(meta.preview_text, meta.preview_role, iso(float(meta.preview_at or 0)))  # type: ignore[arg-type]
    return ConversationSnapshot(
        id=meta.conversation_id,
        status=meta.status,  # type: ignore[arg-type]
        created_at=iso(float(meta.created_at)),
        updated_at=iso(float(meta.updated_at)),
        customer=Ref(meta.customer_id, meta.customer_name),
        owner=owner,
        participants=[participant_view(p, viewer_role) for p in state.participants.values()],
        last_seq=int(meta.last_pseq or 0) if viewer_role == "customer" else int(meta.last_seq),
        preview=preview,
        queued=meta.queued_at is not None,
        queue_place=queue_place if queue_place is not None else UNSET,
        csat=csat_view(meta),
    )


def csat_view(meta: ConversationMeta) -> CsatView | None:
    """The customer's rating of the conversation (`work/csat.py`), once given."""
    if meta.csat_rating is None:
        return None
    return CsatView(int(meta.csat_rating), meta.csat_comment, iso(float(meta.csat_at or 0)))


def participant_view(p: StoredParticipant, viewer_role: str = "agent") -> Participant:
    """Cursors in the viewer's numbering."""
    public = viewer_role == "customer"
    return Participant(
        role=p.role,  # type: ignore[arg-type]
        id=p.user_id,
        name=p.name,
        agent_role=p.agent_role,  # type: ignore[arg-type]
        delivered_seq=int((p.delivered_pseq if public else p.delivered_seq) or 0),
        read_seq=int((p.read_pseq if public else p.read_seq) or 0),
    )


def presence_event(p: AgentPresence, reachable: bool, agents_available: int) -> PresenceEvent:
    return PresenceEvent(
        agent=Ref(p.agent_id, p.name),
        status=p.status,  # type: ignore[arg-type]
        reachable=reachable,
        heartbeat_at=iso(float(p.heartbeat_at)) if p.heartbeat_at else None,
        agents_available=agents_available,
        version=int(p.version or 0),
    )
