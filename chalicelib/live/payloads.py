"""The live lane's wire payloads: messages, conversation snapshots, presence (who receives each
one is decided in `notifier.py`)."""

from __future__ import annotations

from typing import Any

from chalicelib.platform.clock import iso
from chalicelib.store.models import AgentPresence, ConversationMeta, Message, Participant
from chalicelib.store.ports import ConversationState

SYSTEM_AUTHOR = {"role": "system", "id": "hub", "name": "Hub"}


def person(role: str, user_id: str, name: str) -> dict[str, Any]:
    return {"role": role, "id": user_id, "name": name}


def visible_seq(msg: Message, viewer_role: str) -> int:
    """The entry's number in the viewer's numbering: customers count public entries only, so
    their numbers have no holes where notes are (and never reveal one)."""
    if viewer_role == "customer" and msg.pseq is not None:
        return int(msg.pseq)
    return int(msg.seq)


def message_event(msg: Message, viewer_role: str) -> dict[str, Any]:
    """`seq` and `prev_seq` (always `seq - 1`) in the viewer's own numbering."""
    author = SYSTEM_AUTHOR if msg.author_role == "system" else person(msg.author_role, msg.author_id, msg.author_name)
    seq = visible_seq(msg, viewer_role)
    return {
        "type": "message",
        "conversation_id": msg.conversation_id,
        "seq": seq,
        "prev_seq": seq - 1,
        "client_id": msg.client_id,
        "kind": msg.kind,
        "author": author,
        "text": msg.text,
        "created_at": iso(float(msg.created_at)),
    }


def snapshot(state: ConversationState, viewer_role: str) -> dict[str, Any]:
    meta: ConversationMeta = state.meta
    owner = None
    if meta.owner_id:
        owner = {"id": meta.owner_id, "name": meta.owner_name or ""}
    preview = None
    if meta.preview_text is not None:
        preview = {"text": meta.preview_text, "author_role": meta.preview_role, "at": iso(float(meta.preview_at or 0))}
    return {
        "id": meta.conversation_id,
        "status": meta.status,
        "created_at": iso(float(meta.created_at)),
        "updated_at": iso(float(meta.updated_at)),
        "customer": {"id": meta.customer_id, "name": meta.customer_name},
        "owner": owner,
        "participants": [participant_view(p, viewer_role) for p in state.participants.values()],
        "last_seq": int(meta.last_pseq or 0) if viewer_role == "customer" else int(meta.last_seq),
        "preview": preview,
    }


def participant_view(p: Participant, viewer_role: str = "agent") -> dict[str, Any]:
    """Cursors in the viewer's numbering."""
    public = viewer_role == "customer"
    return {
        "role": p.role,
        "id": p.user_id,
        "name": p.name,
        "agent_role": p.agent_role,
        "delivered_seq": int((p.delivered_pseq if public else p.delivered_seq) or 0),
        "read_seq": int((p.read_pseq if public else p.read_seq) or 0),
    }


def receipt_event(kind: str, conversation_id: str, by: dict[str, Any], seq: int) -> dict[str, Any]:
    return {"type": kind, "conversation_id": conversation_id, "by": by, "seq": seq}


def presence_event(p: AgentPresence, reachable: bool) -> dict[str, Any]:
    return {
        "type": "presence",
        "agent": {"id": p.agent_id, "name": p.name},
        "status": p.status,
        "reachable": reachable,
        "heartbeat_at": iso(float(p.heartbeat_at)) if p.heartbeat_at else None,
    }
