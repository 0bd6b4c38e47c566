"""The WebSocket actions a client sends (`$default`, routed on `action`), and `parse_action`.

Each action is a Struct tagged by its `action` field; unknown fields are refused. A frame is
decoded straight into its action type in one pass (msgspec), and every way it can be wrong
gets its own error code: `payload_too_large`, `bad_json`, `unknown_action`, `wrong_tenant`,
`invalid_action`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.contract.common import (
    MAX_BODY_BYTES,
    MAX_TEXT_CHARS,
    ClientId,
    Id,
    PresenceStatus,
    RequestId,
    Seq,
    Text,
)
from chalicelib.platform.errors import (
    BadJson,
    InvalidAction,
    PayloadTooLarge,
    UnknownAction,
    WrongTenant,
    lone_surrogate,
    not_utf8,
)


class BaseAction(Struct, tag_field="action", forbid_unknown_fields=True, kw_only=True):
    request_id: RequestId | UnsetType = UNSET
    tenant: Annotated[str, Meta(description="optional; must equal the connection's tenant")] | UnsetType = UNSET

    @property
    def name(self) -> str:
        return str(type(self).__struct_config__.tag)


class Start(BaseAction, tag="start"):
    """Customer: open a new conversation, or resume their own with `conversation_id`."""

    conversation_id: Id | UnsetType = UNSET


class Join(BaseAction, tag="join"):
    """Agent: help in a conversation of the tenant, as a helper (never its owner). Reading one is `sync`."""

    conversation_id: Id
    role: Literal["helper"] | UnsetType = UNSET


AgentId = Annotated[str, Meta(min_length=1, max_length=128)]


class Take(BaseAction, tag="take"):
    """Agent: take ownership. `expect_owner` is the owner the agent saw (absent or null: none); if
    someone else owns it by now the answer is `conflict` naming them (two agents, one chat: one
    owner). Naming the current owner takes it over from them."""

    conversation_id: Id
    expect_owner: AgentId | None = None


class Assign(BaseAction, tag="assign"):
    """Agent: assign the conversation to a colleague of the tenant, on the same terms as `take`."""

    conversation_id: Id
    agent_id: AgentId
    expect_owner: AgentId | None = None


class Send(BaseAction, tag="send"):
    """Store a text message; `client_id` makes a resend idempotent."""

    conversation_id: Id
    client_id: ClientId
    text: Text


class Note(BaseAction, tag="note"):
    """Agent: an internal note, delivered to agents only."""

    conversation_id: Id
    client_id: ClientId
    text: Text


class Typing(BaseAction, tag="typing"):
    """Typing started or stopped; `note: true` while typing an internal note; `first: true` on the
    `start` that opens a spell of typing (told to the other side, not stored: the next `start`,
    10 s later if the person keeps typing, stores it)."""

    conversation_id: Id
    state: Literal["start", "stop"]
    note: bool | UnsetType = UNSET
    first: bool | UnsetType = UNSET


class Delivered(BaseAction, tag="delivered"):
    """The client has received every entry up to `seq`."""

    conversation_id: Id
    seq: Seq


class Read(BaseAction, tag="read"):
    """The user has read every entry up to `seq`; implies `delivered` up to `seq` (both cursors
    move; send no separate `delivered`)."""

    conversation_id: Id
    seq: Seq


class Presence(BaseAction, tag="presence"):
    """Agent: set the chosen status."""

    status: PresenceStatus


class Heartbeat(BaseAction, tag="heartbeat"):
    """Keep the connection alive; agents prove reachability."""


class Close(BaseAction, tag="close"):
    """Agent: close a conversation (it leaves the active chats; the thread stays)."""

    conversation_id: Id


class Sync(BaseAction, tag="sync"):
    """Everything visible after `since` (in the sender's own numbering), plus the conversation's
    state; subscribes. `anchor`: the client id of the entry the client holds at `since`, so the
    hub can tell a client whose view is not the server's any more (the answer is a `reset`)."""

    conversation_id: Id
    since: Seq
    anchor: ClientId | UnsetType = UNSET


Action = Start | Join | Take | Assign | Send | Note | Typing | Delivered | Read | Presence | Heartbeat | Close | Sync
ACTION_TYPES: tuple[type[BaseAction], ...] = (
    Start,
    Join,
    Take,
    Assign,
    Send,
    Note,
    Typing,
    Delivered,
    Read,
    Presence,
    Heartbeat,
    Close,
    Sync,
)
ACTION_NAMES: tuple[str, ...] = tuple(str(t.__struct_config__.tag) for t in ACTION_TYPES)

_decoder = msgspec.json.Decoder(Action)
_top = msgspec.json.Decoder(dict[str, msgspec.Raw])


def parse_action(body: str | bytes | None, tenant: str) -> Action:
    """Decode and validate one frame; raises the HubError that names what is wrong."""
    raw = body or b""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"frame is {len(data)} bytes; the limit is {MAX_BODY_BYTES}")
    try:
        action: Action = _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise _why(data, tenant, exc) from None
    except msgspec.DecodeError as exc:
        surrogate = lone_surrogate(data)
        if surrogate:
            raise InvalidAction(f"frame: {surrogate}") from None
        raise BadJson(f"frame is not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise InvalidAction(f"frame: {not_utf8(data)}") from None
    except RecursionError:
        raise BadJson("frame is nested too deeply") from None
    if not isinstance(action.tenant, UnsetType) and action.tenant != tenant:
        raise WrongTenant("this connection belongs to another tenant; the tenant is fixed at connect")
    return action


def _why(data: bytes, tenant: str, exc: msgspec.ValidationError) -> Exception:
    """Which error a frame that failed validation gets. Only the failure path reads the frame's
    top level a second time (values stay undecoded), so a valid frame is parsed once."""
    try:
        top = _top.decode(data)
    except msgspec.ValidationError:
        return BadJson("frame must be a JSON object")
    except (msgspec.DecodeError, RecursionError):
        return BadJson("frame is nested too deeply")
    action = _field(top, "action")
    if not isinstance(action, str) or action not in ACTION_NAMES:
        return UnknownAction(f"unknown action {action!r}; expected one of: {', '.join(ACTION_NAMES)}")
    claimed = _field(top, "tenant")
    if claimed is not None and claimed != tenant:
        return WrongTenant("this connection belongs to another tenant; the tenant is fixed at connect")
    text = _field(top, "text")
    if isinstance(text, str) and len(text) > MAX_TEXT_CHARS:
        return PayloadTooLarge(f"text is {len(text)} characters; the limit is {MAX_TEXT_CHARS}")
    return InvalidAction(f"{action}: {exc}")


def _field(top: dict[str, msgspec.Raw], name: str) -> Any:
    if name not in top:
        return None
    try:
        return msgspec.json.decode(top[name])
    except (msgspec.DecodeError, RecursionError):
        return None
