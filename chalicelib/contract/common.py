"""Shared pieces of the contract: limits, constrained scalars, enums and small records.

Why msgspec: a Struct is the type, the validator and the JSON Schema at once
(`msgspec.json.schema_components`), tagged unions dispatch on `action` / `type` while decoding,
and it is cheap at cold start. Measured on this machine (`python -X importtime` and
perf_counter, best of 7, beyond the stdlib modules the app imports anyway): importing msgspec,
defining 30 tagged Structs and building their decoder costs about 7 ms; compiling one schema with
fastjsonschema (today's validator) about 6 ms; pydantic v2 for the same 30 models about 100 ms.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

# API Gateway closes a connection on any frame over 32 KB (browsers send a message as one frame),
# so the hub's own limit sits below it and answers with an error instead.
MAX_BODY_BYTES = 16 * 1024
MAX_TEXT_CHARS = 4000
MAX_REASON = 500
MAX_SUBJECT = 200

Id = Annotated[str, Meta(pattern="^[A-Za-z0-9_-]{1,64}$")]
ClientId = Annotated[str, Meta(pattern="^[A-Za-z0-9._:-]{1,64}$")]
Seq = Annotated[int, Meta(ge=0)]
Text = Annotated[str, Meta(min_length=1, max_length=MAX_TEXT_CHARS)]
RequestId = Annotated[str, Meta(max_length=64)]
Timestamp = Annotated[
    str, Meta(description="ISO-8601 UTC with milliseconds", extra_json_schema={"format": "date-time"})
]

Role = Literal["customer", "agent", "system"]
PresenceStatus = Literal["available", "busy", "away", "offline"]
MessageKind = Literal["text", "note", "system"]
# new: the customer opened the widget but has neither written nor asked for a callback (only they see it)
ConversationStatus = Literal["new", "open", "closed"]
CallbackStatus = Literal["queued", "claimed", "completed", "failed", "cancelled"]
# A callback as its customer's widget shows it (claimed reads "calling").
CustomerCallbackStatus = Literal["queued", "calling", "completed", "failed", "cancelled"]
# What the widget offers a new visitor: live chat, or leave a message / call me back.
Offer = Literal["chat", "callback"]
CallbackWindow = Literal["asap", "morning", "afternoon", "evening"]
CallbackSource = Literal["widget", "missed_call"]
CallbackPriority = Literal["normal", "high"]
TicketStatus = Literal["open", "waiting_internal", "waiting_customer", "solved"]
HubMode = Literal["ready", "live", "recovery"]
Lane = Literal["live_chat", "tickets", "callbacks", "support_command"]
Severity = Literal["calm", "attention", "urgent"]
ErrorCode = Literal[
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
    "unauthorized",
    "unknown_widget_key",
    "conflict",
    "at_capacity",
    "launch_blocked",
    "internal",
]


class Person(Struct, forbid_unknown_fields=True):
    """Who wrote, typed or read something."""

    role: Role
    id: str
    name: str


class Ref(Struct, forbid_unknown_fields=True):
    """An agent or customer by id and name."""

    id: str
    name: str
