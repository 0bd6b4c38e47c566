"""The agent's day over REST: canned replies, business hours, search and the customer panel."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.contract.common import MAX_TIME_ZONE, Timestamp
from chalicelib.contract.rest.common import Body
from chalicelib.contract.views.agent_day import (
    BusinessHoursView,
    CannedReplyView,
    CustomerProfileView,
    SearchResult,
    WeeklyHours,
)
from chalicelib.contract.views.conversations import ConversationItem
from chalicelib.contract.views.work import CallbackView, TicketView


class CannedReplyCreate(Body):
    title: Annotated[str, Meta(min_length=1, max_length=80)]
    shortcut: Annotated[str, Meta(pattern="^/?[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", description="Stored in lower case.")]
    text: Annotated[
        str, Meta(min_length=1, max_length=4000, description="May use `{customer.name}` and `{agent.name}`.")
    ]


class CannedReplyChange(Body):
    """Absent fields stay as they are."""

    title: Annotated[str, Meta(min_length=1, max_length=80)] | UnsetType = UNSET
    shortcut: Annotated[str, Meta(pattern="^/?[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")] | UnsetType = UNSET
    text: Annotated[str, Meta(min_length=1, max_length=4000)] | UnsetType = UNSET


class HoursRequest(Body):
    """The tenant's weekly hours and holidays (replace what was set), and optionally its time zone."""

    weekly: WeeklyHours
    holidays: Annotated[
        list[Annotated[str, Meta(max_length=10)]],
        Meta(max_length=100, description="yyyy-mm-dd dates the team is closed"),
    ] = []
    time_zone: (
        Annotated[
            str,
            Meta(
                max_length=MAX_TIME_ZONE,
                description="IANA, e.g. `Europe/Stockholm`: the tenant's one time zone (as `PATCH /tenant` sets "
                "it; callback windows are read in it too). Omitted: unchanged.",
            ),
        ]
        | UnsetType
    ) = UNSET


class Hours(Struct, forbid_unknown_fields=True):
    """Open now or not, the next opening, the hours (null: open around the clock) and the tenant's
    one time zone they are read in (also when none are set: the editor starts from it)."""

    open: bool
    next_open_at: Timestamp | None
    hours: BusinessHoursView | None
    time_zone: Annotated[str, Meta(description="IANA: the team setting (`PATCH /tenant`), callback windows too.")]


class CannedReplyList(Struct, forbid_unknown_fields=True):
    """By shortcut."""

    replies: list[CannedReplyView]


class CannedReplyEnvelope(Struct, forbid_unknown_fields=True):
    reply: CannedReplyView


class Deleted(Struct, forbid_unknown_fields=True):
    deleted: str


class SearchAnswer(Struct, forbid_unknown_fields=True):
    query: str
    kind: Annotated[Literal["id", "email", "phone", "name"], Meta(description="How the query was read.")]
    results: list[SearchResult]
    note: Annotated[str | None, Meta(description="Why nothing was found (e.g. not a phone number).")]
    not_searchable: Annotated[str, Meta(description="What cannot be searched, and why.")]


class CustomerPanel(Struct, forbid_unknown_fields=True):
    """The customer side panel: who, where, and their earlier work (newest first, at most 20 each)."""

    customer: CustomerProfileView
    conversations: list[ConversationItem]
    callbacks: list[CallbackView]
    tickets: list[TicketView]
