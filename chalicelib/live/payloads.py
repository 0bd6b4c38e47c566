"""The live lane's wire payloads: messages, conversation snapshots, presence (who receives each
one is decided in `notifier.py`)."""

from __future__ import annotations

from typing import Any

from chalicelib.live.lines import params_of
from chalicelib.platform.clock import iso
from chalicelib.store.models import AgentPresence, ConversationMeta, Message, Participant
from chalicelib.store.ports import ConversationState

SYSTEM_AUTHOR = {"role": "system", "id": "hub", "name": "Hub"}


def person(role: str, user_id: str, name: str) -> dict[str, Any]:
    return {"role": role, "id": user_id, "name": name}


def message_event(msg: Message, viewer_role: str) -> dict[str, Any]:
    """`prev_seq` is the previous entry the viewer can see: customers never see notes."""
    author = SYSTEM_AUTHOR if msg.author_role == "system" else person(msg.author_role, msg.author_id, msg.author_name)
    prev = int(msg.prev_public_seq) if viewer_role == "customer" else int(msg.seq) - 1
    event: dict[str, Any] = {
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
    if msg.code:  # a system line: clients word it in their language (`live/lines.py`)
        event["code"] = msg.code
        event["params"] = params_of(msg.params)
    return event


def snapshot(state: ConversationState, viewer_role: str, queue_place: int | None = None) -> dict[str, Any]:
    """The conversation as `viewer_role` sees it; `queue_place` when the caller knows it (the
    customer's place while it waits for an agent)."""
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
        "queued": meta.queued_at is not None,
        **({"queue_place": queue_place} if queue_place is not None else {}),
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
