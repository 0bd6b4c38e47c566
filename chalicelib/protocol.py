"""The live-lane protocol: a JSON Schema for every action and event, and action parsing.

`docs/protocol.md` embeds these schemas (a test keeps them in step). Action
schemas are compiled by fastjsonschema on first use, not at import, to keep
cold starts short.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from chalicelib.errors import BadJson, InvalidAction, PayloadTooLarge, UnknownAction, WrongTenant

# API Gateway closes a connection on any frame over 32 KB (browsers send a message as one frame),
# so the hub's own limit sits below it and answers with an error instead.
MAX_BODY_BYTES = 16 * 1024
MAX_TEXT_CHARS = 4000

_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}
_CLIENT_ID = {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$"}
_SEQ = {"type": "integer", "minimum": 0}
_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS}
_STATUS = {"enum": ["available", "busy", "away", "offline"]}
_BASE = {
    "action": {"type": "string"},
    "request_id": {"type": "string", "maxLength": 64},
    "tenant": {"type": "string", "description": "optional; must equal the connection's tenant"},
}


def _action(
    name: str, description: str, props: dict[str, Any] | None = None, required: list[str] | None = None
) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft-07/schema#",
        "title": name,
        "description": description,
        "type": "object",
        "properties": {**_BASE, "action": {"const": name}, **(props or {})},
        "required": ["action", *(required or [])],
        "additionalProperties": False,
    }


ACTION_SCHEMAS: dict[str, dict[str, Any]] = {
    "start": _action(
        "start",
        "Customer: open a new conversation, or resume their own with `conversation_id`.",
        {"conversation_id": _ID},
    ),
    "join": _action(
        "join",
        "Agent: join a conversation of the tenant (owner if it has none, else helper).",
        {"conversation_id": _ID, "role": {"enum": ["owner", "helper"]}},
        ["conversation_id"],
    ),
    "send": _action(
        "send",
        "Store a text message; `client_id` makes a resend idempotent.",
        {"conversation_id": _ID, "client_id": _CLIENT_ID, "text": _TEXT},
        ["conversation_id", "client_id", "text"],
    ),
    "note": _action(
        "note",
        "Agent: an internal note, delivered to agents only.",
        {"conversation_id": _ID, "client_id": _CLIENT_ID, "text": _TEXT},
        ["conversation_id", "client_id", "text"],
    ),
    "typing": _action(
        "typing",
        "Typing started or stopped; `note: true` while typing an internal note.",
        {"conversation_id": _ID, "state": {"enum": ["start", "stop"]}, "note": {"type": "boolean"}},
        ["conversation_id", "state"],
    ),
    "delivered": _action(
        "delivered",
        "The client has received every entry up to `seq`.",
        {"conversation_id": _ID, "seq": _SEQ},
        ["conversation_id", "seq"],
    ),
    "read": _action(
        "read",
        "The user has read every entry up to `seq`.",
        {"conversation_id": _ID, "seq": _SEQ},
        ["conversation_id", "seq"],
    ),
    "presence": _action("presence", "Agent: set the chosen status.", {"status": _STATUS}, ["status"]),
    "heartbeat": _action("heartbeat", "Keep the connection alive; agents prove reachability."),
    "close": _action(
        "close",
        "Agent: close a conversation (it leaves the active chats; the thread stays).",
        {"conversation_id": _ID},
        ["conversation_id"],
    ),
    "sync": _action(
        "sync",
        "Everything visible after `since`, plus the conversation's state; subscribes.",
        {"conversation_id": _ID, "since": _SEQ},
        ["conversation_id", "since"],
    ),
}

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
            "status": _STATUS,
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


@cache
def _validator(action: str) -> Callable[[Any], Any]:
    import fastjsonschema

    return fastjsonschema.compile(ACTION_SCHEMAS[action])


def parse_action(body: str | bytes | None, tenant: str) -> dict[str, Any]:
    """Decode and validate one frame; raises the HubError that names what is wrong."""
    raw = body or ""
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"frame is {size} bytes; the limit is {MAX_BODY_BYTES}")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJson(f"frame is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadJson("frame must be a JSON object")
    action = data.get("action")
    if not isinstance(action, str) or action not in ACTION_SCHEMAS:
        known = ", ".join(ACTION_SCHEMAS)
        raise UnknownAction(f"unknown action {action!r}; expected one of: {known}")
    claimed = data.get("tenant")
    if claimed is not None and claimed != tenant:
        raise WrongTenant("this connection belongs to another tenant; the tenant is fixed at connect")
    text = data.get("text")
    if isinstance(text, str) and len(text) > MAX_TEXT_CHARS:
        raise PayloadTooLarge(f"text is {len(text)} characters; the limit is {MAX_TEXT_CHARS}")
    import fastjsonschema

    try:
        _validator(action)(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise InvalidAction(f"{action}: {exc.message}") from None
    return data
