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
        "seq": {"type": "integer", "description": "in the receiver's numbering (customers: public entries only)"},
        "prev_seq": {"type": "integer", "description": "the previous number in the receiver's numbering (seq - 1)"},
        "client_id": {"type": "string"},
        "kind": {"enum": ["text", "note", "system"]},
        "author": _PERSON,
        "text": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
    },
    "required": ["type", "conversation_id", "seq", "prev_seq", "client_id", "kind", "author", "text", "created_at"],
}
_SNAPSHOT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "status": {"enum": ["open", "closed"]},
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
        {"request_id": {"type": "string"}, "conversation": _SNAPSHOT, "agents_available": {"type": "boolean"}},
        ["conversation"],
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
            "through": {
                "type": "integer",
                "description": "every number up to this one is in `messages` or holds nothing for the reader",
            },
            "reset": {
                "const": True,
                "description": "the client's view was not the server's (restored data): rebuild from these messages",
            },
        },
        ["conversation_id", "since", "messages", "conversation", "complete", "through"],
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
