"""The agent's day: business hours, canned replies, the customer's profile and a search result."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from chalicelib.contract.common import Timestamp

ClockTime = Annotated[str, Meta(pattern="^([01][0-9]|2[0-4]):[0-5][0-9]$", description="HH:MM, 00:00-24:00")]


class OpeningInterval(Struct, forbid_unknown_fields=True):
    open: ClockTime
    close: ClockTime


class WeeklyHours(Struct, forbid_unknown_fields=True):
    """Opening intervals per weekday (a day not listed is closed); each within one day."""

    mon: list[OpeningInterval] = []
    tue: list[OpeningInterval] = []
    wed: list[OpeningInterval] = []
    thu: list[OpeningInterval] = []
    fri: list[OpeningInterval] = []
    sat: list[OpeningInterval] = []
    sun: list[OpeningInterval] = []


class BusinessHoursView(Struct, forbid_unknown_fields=True):
    """Weekly hours in the tenant's time zone, and closed days."""

    time_zone: Annotated[str, Meta(max_length=64, description="IANA time zone, e.g. `Europe/Stockholm`")]
    weekly: WeeklyHours
    holidays: Annotated[list[str], Meta(max_length=100, description="yyyy-mm-dd dates the team is closed")] = []


class CannedReplyView(Struct, forbid_unknown_fields=True):
    id: str
    title: str
    shortcut: Annotated[str, Meta(description="Typed after `/` in the composer.")]
    text: Annotated[str, Meta(description="May contain `{customer.name}` and `{agent.name}`.")]
    updated_at: Timestamp
    updated_by: str


class CustomerPage(Struct, forbid_unknown_fields=True):
    url: str
    title: str | None


class CustomerProfileView(Struct, forbid_unknown_fields=True):
    """Who the customer is, as the widget told on their last visit."""

    id: str
    name: str
    verified: Annotated[bool, Meta(description="The tenant's server vouched for this identity (HMAC).")]
    email: str | None = None
    external_id: Annotated[str | None, Meta(description="The tenant's user id (verified only).")] = None
    page: Annotated[CustomerPage | None, Meta(description="The page the customer is on.")] = None
    locale: str | None = None
    user_agent: str | None = None
    first_seen: Timestamp | None = None
    last_seen: Timestamp | None = None
    last_conversation_id: str | None = None


class SearchResult(Struct, forbid_unknown_fields=True):
    kind: Literal["customer", "conversation", "callback", "ticket"]
    id: str
    title: str
    detail: str
    customer_id: str | None
    conversation_id: Annotated[str | None, Meta(description="The thread to open, when there is one.")]
    verified: bool | None
    at: Timestamp | None
