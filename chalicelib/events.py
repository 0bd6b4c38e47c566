"""Server events: their payloads, and who receives each one (one small function per event)."""

from __future__ import annotations

from typing import Any

from chalicelib.clock import iso
from chalicelib.models import AgentPresence, ConversationMeta, Message, Participant, Subscription
from chalicelib.store import ConversationState

SYSTEM_AUTHOR = {"role": "system", "id": "hub", "name": "Hub"}


def person(role: str, user_id: str, name: str) -> dict[str, Any]:
    return {"role": role, "id": user_id, "name": name}


# ------------------------------------------------------------------ payloads
def message_event(msg: Message, viewer_role: str) -> dict[str, Any]:
    """`prev_seq` is the previous entry the viewer can see: customers never see notes."""
    author = SYSTEM_AUTHOR if msg.author_role == "system" else person(msg.author_role, msg.author_id, msg.author_name)
    prev = int(msg.prev_public_seq) if viewer_role == "customer" else int(msg.seq) - 1
    return {
        "type": "message",
        "conversation_id": msg.conversation_id,
        "seq": int(msg.seq),
        "prev_seq": prev,
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
        "participants": [participant_view(p) for p in state.participants.values()],
        "last_seq": int(meta.last_public_seq if viewer_role == "customer" else meta.last_seq),
        "preview": preview,
    }


def participant_view(p: Participant) -> dict[str, Any]:
    return {
        "role": p.role,
        "id": p.user_id,
        "name": p.name,
        "agent_role": p.agent_role,
        "delivered_seq": int(p.delivered_seq),
        "read_seq": int(p.read_seq),
    }


def presence_event(p: AgentPresence, reachable: bool) -> dict[str, Any]:
    return {
        "type": "presence",
        "agent": {"id": p.agent_id, "name": p.name},
        "status": p.status,
        "reachable": reachable,
        "heartbeat_at": iso(float(p.heartbeat_at)) if p.heartbeat_at else None,
    }


def is_reachable(p: AgentPresence, now: float, window: float) -> bool:
    return bool(p.heartbeat_at) and now - float(p.heartbeat_at) < window


def is_available(p: AgentPresence, now: float, window: float) -> bool:
    """Chosen status and real reachability are separate facts; both must hold."""
    return p.status == "available" and is_reachable(p, now, window)


# ------------------------------------------------------------------ recipients
def message_recipients(subs: list[Subscription], sender_connection: str, kind: str) -> dict[str, str]:
    """connection id → viewer role. Everyone subscribed but the sending connection;
    notes reach agents only."""
    return {
        s.connection_id: s.role
        for s in subs
        if s.connection_id != sender_connection and (kind != "note" or s.role == "agent")
    }


def typing_recipients(subs: list[Subscription], sender_user: str, note: bool) -> list[str]:
    """The other side only: never any connection of the typist; note typing reaches agents only."""
    return [s.connection_id for s in subs if s.user_id != sender_user and (not note or s.role == "agent")]


def receipt_recipients(subs: list[Subscription], sender_connection: str) -> list[str]:
    """Delivered/read: every other connection (the reader's other tabs clear their unread too)."""
    return [s.connection_id for s in subs if s.connection_id != sender_connection]
