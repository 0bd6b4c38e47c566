"""A conversation as its viewer sees it: snapshot, participants, preview, timeline entry, CSAT."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.contract.common import ConversationStatus, MessageKind, Person, Ref, Role, Seq, Timestamp


class Participant(Struct, forbid_unknown_fields=True):
    role: Literal["customer", "agent"]
    id: str
    name: str
    agent_role: Literal["owner", "helper"] | None
    delivered_seq: Seq
    read_seq: Seq


class Preview(Struct, forbid_unknown_fields=True):
    """The last thing a person said (never a system line)."""

    text: Annotated[str, Meta(description="at most 140 characters")]
    author_role: Role
    at: Timestamp


class CsatView(Struct, forbid_unknown_fields=True):
    """The customer's rating of a closed conversation (at most one per conversation)."""

    rating: Annotated[int, Meta(ge=1, le=5)]
    comment: str | None
    at: Timestamp


class ConversationSnapshot(Struct, forbid_unknown_fields=True, kw_only=True):
    """A conversation as its viewer sees it (`last_seq`: the last entry visible to that viewer)."""

    id: str
    status: ConversationStatus
    created_at: Timestamp
    updated_at: Timestamp
    customer: Ref
    owner: Ref | None
    participants: list[Participant]
    last_seq: Seq
    preview: Preview | None
    queued: Annotated[bool, Meta(description="Waiting in the queue for an agent with a free place.")] = False
    queue_place: Annotated[int, Meta(ge=1, description="The customer's place (1 = next), when known.")] | UnsetType = (
        UNSET
    )
    csat: Annotated[CsatView | None, Meta(description="The customer's rating, once given.")] = None


class MessageEvent(Struct, forbid_unknown_fields=True, tag="message", tag_field="type", kw_only=True):
    """A timeline entry, numbered in the receiver's own numbering: agents see every entry,
    customers only the public ones, numbered without holes (they never learn a note existed).
    `prev_seq` is always `seq - 1` in that numbering, so a gap is always detectable. A system
    line also carries `code` and `params` (`chalicelib/live/lines.py`): clients word it in their
    language and fall back to `text`."""

    conversation_id: str
    seq: int
    prev_seq: int
    client_id: str
    kind: MessageKind
    author: Person
    text: Annotated[str, Meta(description="For a system line: its English wording.")]
    created_at: Timestamp
    code: Annotated[str, Meta(description="System lines: what happened, e.g. `agent_joined`.")] | UnsetType = UNSET
    params: dict[str, str] | UnsetType = UNSET


class ConversationItem(Struct, forbid_unknown_fields=True):
    """A conversation in a customer's history."""

    id: str
    status: ConversationStatus
    created_at: Timestamp
    updated_at: Timestamp
    owner: Ref | None
    preview: Preview | None
    csat: CsatView | None
