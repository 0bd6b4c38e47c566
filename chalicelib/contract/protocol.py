"""The live-lane protocol: a JSON Schema for every action, and action parsing (the event schemas
are in `events.py`).

`docs/protocol.md` embeds these schemas (a test keeps them in step). Action
schemas are compiled by fastjsonschema on first use, not at import, to keep
cold starts short.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from chalicelib.platform.errors import BadJson, InvalidAction, PayloadTooLarge, UnknownAction, WrongTenant

# API Gateway closes a connection on any frame over 32 KB (browsers send a message as one frame),
# so the hub's own limit sits below it and answers with an error instead.
MAX_BODY_BYTES = 16 * 1024
MAX_TEXT_CHARS = 4000

_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}
_CLIENT_ID = {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$"}
_SEQ = {"type": "integer", "minimum": 0}
_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS}
STATUS = {"enum": ["available", "busy", "away", "offline"]}
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
    "presence": _action("presence", "Agent: set the chosen status.", {"status": STATUS}, ["status"]),
    "heartbeat": _action("heartbeat", "Keep the connection alive; agents prove reachability."),
    "close": _action(
        "close",
        "Agent: close a conversation (it leaves the active chats; the thread stays).",
        {"conversation_id": _ID},
        ["conversation_id"],
    ),
    "sync": _action(
        "sync",
        "Everything visible after `since` (in the sender's own numbering), plus the conversation's "
        "state; subscribes. `anchor`: the client id of the entry the client holds at `since`, so "
        "the hub can tell a client whose view is not the server's any more (answer: `reset`).",
        {"conversation_id": _ID, "since": _SEQ, "anchor": _CLIENT_ID},
        ["conversation_id", "since"],
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
