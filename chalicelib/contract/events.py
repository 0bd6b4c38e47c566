"""The JSON Schema of every event the hub sends over the WebSocket (`docs/protocol.md` embeds them)."""

from __future__ import annotations

from typing import Any

from chalicelib.contract.protocol import STATUS

_PERSON = {
    "type": "object",
    "properties": {
        "role": {"enum": ["customer", "agent", "system"]},
        "id": {"type": "string"},
        "name": {"type": "string"},
    },
    "required": ["role", "id", "name"],
}
_MESSAGE = {
    "type": "object",
    "properties": {
        "type": {"const": "message"},
        "conversation_id": {"type": "string"},
        "seq": {"type": "integer"},
        "prev_seq": {"type": "integer", "description": "previous entry visible to the receiver"},
        "client_id": {"type": "string"},
        "kind": {"enum": ["text", "note", "system"]},
        "author": _PERSON,
        "text": {"type": "string", "description": "for a system line: its English wording"},
        "created_at": {"type": "string", "format": "date-time"},
        "code": {
            "type": "string",
            "description": "system lines only: what happened (`chalicelib/live/lines.py`); clients word it "
            "in their language and fall back to `text` for a code they do not know",
        },
        "params": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["type", "conversation_id", "seq", "prev_seq", "client_id", "kind", "author", "text", "created_at"],
}
_SNAPSHOT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "status": {
            "enum": ["new", "open", "closed"],
            "description": "new: the customer opened the widget but has not written yet (only they see it)",
        },
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "customer": {"type": "object"},
        "owner": {"type": ["object", "null"]},
        "participants": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "role": {"enum": ["customer", "agent"]},
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "agent_role": {"enum": ["owner", "helper", None]},
                    "delivered_seq": {"type": "integer"},
                    "read_seq": {"type": "integer"},
                },
                "required": ["role", "id", "name", "delivered_seq", "read_seq"],
            },
        },
        "last_seq": {"type": "integer", "description": "last entry visible to the receiver"},
        "preview": {"type": ["object", "null"]},
        "queued": {"type": "boolean", "description": "waiting in the queue for an agent with a free place"},
        "queue_place": {"type": "integer", "minimum": 1, "description": "the customer's place (1 = next)"},
    },
    "required": ["id", "status", "customer", "owner", "participants", "last_seq", "preview"],
}


_CALLBACK = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "status": {"enum": ["queued", "claimed", "completed", "failed", "cancelled"]},
        "overdue": {"type": "boolean"},
        "priority": {"enum": ["normal", "high"]},
        "phone": {"type": "string", "pattern": "^\\+[1-9][0-9]{6,14}$"},
        "due_at": {"type": "string"},
        "attempts": {"type": "integer"},
        "claimed_by": {"type": ["object", "null"]},
    },
    "required": ["id", "status", "overdue", "priority", "phone", "due_at", "attempts", "claimed_by"],
}


_OFFER = {
    "enum": ["chat", "callback"],
    "description": "what the widget offers a new visitor: live chat, or leave a message / call me back",
}


def _event(name: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft-07/schema#",
        "title": name,
        "type": "object",
        "properties": {"type": {"const": name}, **props},
        "required": ["type", *required],
    }
    if "#/definitions/callback" in repr(props):
        schema["definitions"] = {"callback": _CALLBACK}
    return schema


EVENT_SCHEMAS: dict[str, dict[str, Any]] = {
    "message": {"$schema": "https://json-schema.org/draft-07/schema#", "title": "message", **_MESSAGE},
    "ack": _event(
        "ack",
        {
            "action": {"type": "string"},
            "request_id": {"type": "string"},
            "conversation_id": {"type": "string"},
            "client_id": {"type": "string"},
            "seq": {"type": "integer"},
            "status": {"enum": ["sent", "sent-again"]},
            "created_at": {"type": "string"},
        },
        ["action"],
    ),
    "delivered": _event(
        "delivered",
        {"conversation_id": {"type": "string"}, "by": _PERSON, "seq": {"type": "integer"}},
        ["conversation_id", "by", "seq"],
    ),
    "read": _event(
        "read",
        {"conversation_id": {"type": "string"}, "by": _PERSON, "seq": {"type": "integer"}},
        ["conversation_id", "by", "seq"],
    ),
    "typing": _event(
        "typing",
        {
            "conversation_id": {"type": "string"},
            "by": _PERSON,
            "state": {"enum": ["start", "stop"]},
            "note": {"type": "boolean"},
        },
        ["conversation_id", "by", "state"],
    ),
    "presence": _event(
        "presence",
        {
            "agent": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
            "status": STATUS,
            "reachable": {"type": "boolean"},
            "heartbeat_at": {"type": ["string", "null"]},
        },
        ["agent", "status", "reachable"],
    ),
    "conversation": _event(
        "conversation",
        {
            "request_id": {"type": "string"},
            "conversation": _SNAPSHOT,
            "agents_available": {"type": "boolean"},
            "offer": _OFFER,
            "mode": {"enum": ["ready", "live", "recovery"]},
        },
        ["conversation"],
    ),
    "assigned": _event(
        "assigned",
        {
            "conversation_id": {"type": "string"},
            "agent": {"type": "object", "required": ["id", "name"]},
            "by": {"type": "object", "required": ["id", "name"]},
            "reason": {"enum": ["take", "takeover", "assign", "route"]},
            "at": {"type": "string"},
            "conversation": _SNAPSHOT,
        },
        ["conversation_id", "agent", "by", "reason", "at", "conversation"],
    ),
    "queue": _event(
        "queue",
        {"conversation_id": {"type": "string"}, "place": {"type": "integer", "minimum": 1}},
        ["conversation_id", "place"],
    ),
    "availability": _event(
        "availability",
        {
            "agents_available": {"type": "boolean"},
            "offer": _OFFER,
            "mode": {"enum": ["ready", "live", "recovery"]},
        },
        ["agents_available", "offer", "mode"],
    ),
    "callback_status": _event(
        "callback_status",
        {
            "callback": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "status": {"enum": ["queued", "calling", "completed", "failed", "cancelled"]},
                    "window": {"enum": ["asap", "morning", "afternoon", "evening"]},
                    "not_before": {"type": ["string", "null"]},
                    "due_at": {"type": "string"},
                    "attempts": {"type": "integer"},
                    "conversation_id": {"type": ["string", "null"]},
                },
                "required": ["id", "status", "window", "due_at", "attempts"],
            }
        },
        ["callback"],
    ),
    "sync": _event(
        "sync",
        {
            "request_id": {"type": "string"},
            "conversation_id": {"type": "string"},
            "since": {"type": "integer"},
            "messages": {"type": "array", "items": _MESSAGE},
            "conversation": _SNAPSHOT,
            "complete": {"type": "boolean"},
            "next_since": {"type": "integer"},
        },
        ["conversation_id", "since", "messages", "conversation", "complete"],
    ),
    "callback": _event(
        "callback",
        {"action": {"type": "string"}, "callback": {"$ref": "#/definitions/callback"}},
        ["action", "callback"],
    ),
    "callback_alert": _event("callback_alert", {"callback": {"$ref": "#/definitions/callback"}}, ["callback"]),
    "ticket": _event(
        "ticket", {"ticket": {"type": "object", "required": ["id", "subject", "status", "owner"]}}, ["ticket"]
    ),
    "counters": _event(
        "counters",
        {
            "counters": {
                "type": "object",
                "properties": {
                    k: {"type": "integer", "minimum": 0}
                    for k in (
                        "open_tickets",
                        "waiting_internal",
                        "callback_queued",
                        "callback_overdue",
                        "active_chats",
                        "agents_available",
                    )
                },
                "required": [
                    "open_tickets",
                    "waiting_internal",
                    "callback_queued",
                    "callback_overdue",
                    "active_chats",
                    "agents_available",
                ],
            }
        },
        ["counters"],
    ),
    "mode": _event(
        "mode",
        {"mode": {"enum": ["ready", "live", "recovery"]}, "by": {"type": "string"}, "at": {"type": "string"}},
        ["mode", "by", "at"],
    ),
    "error": _event(
        "error",
        {
            "code": {
                "enum": [
                    "bad_json",
                    "unknown_action",
                    "invalid_action",
                    "payload_too_large",
                    "forbidden",
                    "wrong_tenant",
                    "not_found",
                    "not_joined",
                    "client_id_reused",
                    "session_expired",
                    "conflict",
                    "at_capacity",
                    "internal",
                ]
            },
            "message": {"type": "string"},
            "request_id": {"type": "string"},
            "action": {"type": "string"},
            "client_id": {"type": "string"},
            "conversation_id": {"type": "string"},
        },
        ["code", "message"],
    ),
}
