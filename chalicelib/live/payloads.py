"""Wire payloads built from stored records: messages, conversation snapshots, presence (who
receives each one is decided in `notifier.py`; their types are in `chalicelib/contract`)."""

from __future__ import annotations

from msgspec import UNSET

from chalicelib.contract.common import Person, Ref
from chalicelib.contract.events import PresenceEvent
from chalicelib.contract.views import ConversationSnapshot, MessageEvent, Participant, Preview
from chalicelib.live.lines import params_of
from chalicelib.platform.clock import iso
from chalicelib.store.models import AgentPresence, Message
from chalicelib.store.models import Participant as StoredParticipant
from chalicelib.store.ports import ConversationState

SYSTEM_AUTHOR = Person("system", "hub", "Hub")


def person(role: str, user_id: str, name: str) -> Person:
    return Person(role, user_id, name)  # type: ignore[arg-type]  # roles are written by the hub itself


def message_event(msg: Message, viewer_role: str) -> MessageEvent:
    """`prev_seq` is the previous entry the viewer can see: customers never see notes."""
    author = SYSTEM_AUTHOR if msg.author_role == "system" else person(msg.author_role, msg.author_id, msg.author_name)
    prev = int(msg.prev_public_seq) if viewer_role == "customer" else int(msg.seq) - 1
    event = MessageEvent(
        conversation_id=msg.conversation_id,
        seq=int(msg.seq),
        prev_seq=prev,
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
        participants=[participant_view(p) for p in state.participants.values()],
        last_seq=int(meta.last_public_seq if viewer_role == "customer" else meta.last_seq),
        preview=preview,
        queued=meta.queued_at is not None,
        queue_place=queue_place if queue_place is not None else UNSET,
    )


def participant_view(p: StoredParticipant) -> Participant:
    return Participant(
        role=p.role,  # type: ignore[arg-type]
        id=p.user_id,
        name=p.name,
        agent_role=p.agent_role,  # type: ignore[arg-type]
        delivered_seq=int(p.delivered_seq),
        read_seq=int(p.read_seq),
    )


def presence_event(p: AgentPresence, reachable: bool) -> PresenceEvent:
    return PresenceEvent(
        agent=Ref(p.agent_id, p.name),
        status=p.status,  # type: ignore[arg-type]
        reachable=reachable,
        heartbeat_at=iso(float(p.heartbeat_at)) if p.heartbeat_at else None,
    )
