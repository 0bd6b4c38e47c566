"""The widget's REST bodies and answers: session, availability, CSAT rating, own callback."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.contract.common import MAX_NAME, MAX_NOTE, MAX_TOKEN, MAX_WIDGET_KEY, HubMode, Offer, Timestamp
from chalicelib.contract.rest.common import Body
from chalicelib.contract.views.agent_day import BusinessHoursView
from chalicelib.contract.views.conversations import CsatView
from chalicelib.contract.views.work import CustomerCallbackView


class WidgetSessionRequest(Body):
    widget_key: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_WIDGET_KEY,
            description="The tenant's public widget key (`wk_<tenant>_<random>`).",
        ),
    ]
    previous_token: (
        Annotated[
            str,
            Meta(
                max_length=MAX_TOKEN,
                description="A still-valid earlier session token of the same tenant keeps its customer id.",
            ),
        ]
        | None
    ) = None
    name: Annotated[str, Meta(max_length=MAX_NAME, description="Display name (trimmed; default `Visitor`).")] | None = (
        None
    )
    email: Annotated[str, Meta(max_length=254, description="What the host page knows; not verified.")] | None = None
    page_url: Annotated[str, Meta(max_length=2048, description="The page the widget is on (http or https).")] | None = (
        None
    )
    page_title: (
        Annotated[str, Meta(max_length=1000, description="The page's title (at most 200 characters kept).")] | None
    ) = None
    locale: Annotated[str, Meta(max_length=35, description="A language tag such as `sv-SE`.")] | None = None
    user_agent: (
        Annotated[str, Meta(max_length=4096, description="The browser's user agent (at most 512 characters kept).")]
        | None
    ) = None
    user_id: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=255,
                description="Identity verification: the tenant's own id of its signed-in user (with `user_hash`).",
            ),
        ]
        | None
    ) = None
    user_hash: (
        Annotated[
            str,
            Meta(
                pattern="^[0-9a-fA-F]{64}$",
                description="HMAC-SHA256 of `user_id` with the tenant's verification secret, hex (with `user_id`).",
            ),
        ]
        | None
    ) = None


class RatingRequest(Body):
    conversation_id: Annotated[
        str, Meta(pattern="^[A-Za-z0-9_-]{1,64}$", description="The customer's own conversation, closed.")
    ]
    rating: Annotated[int, Meta(ge=1, le=5)]
    comment: Annotated[str, Meta(max_length=MAX_NOTE)] | None = None


class WidgetSession(Struct, forbid_unknown_fields=True):
    token: Annotated[str, Meta(description="The widget session token: send it as `Authorization` (widgetSession).")]
    customer_id: str
    tenant: str
    expires_at: Timestamp
    verified: Annotated[bool, Meta(description="`user_id` and `user_hash` matched: one identity everywhere.")] = False
    conversation_id: (
        Annotated[str, Meta(description="A verified customer's open conversation (e.g. from another device).")] | None
    ) = None


class Availability(Struct, forbid_unknown_fields=True, kw_only=True):
    """What the tenant's widgets may offer now (`chalicelib/hub/availability.py`)."""

    agents_available: Annotated[bool, Meta(description="Whether an agent is available and reachable.")]
    offer: Annotated[
        Offer, Meta(description="chat, or leave a message / call me back (mode, presence and business hours).")
    ]
    mode: HubMode
    default_region: (
        Annotated[str, Meta(description="Region numbers without a country code are read in, e.g. `SE`.")]
        | UnsetType
        | None
    ) = UNSET
    open: Annotated[bool, Meta(description="Within the tenant's business hours.")] = True
    next_open_at: Annotated[Timestamp | None, Meta(description="When closed: the next opening.")] = None
    hours: Annotated[BusinessHoursView | None, Meta(description="null: open around the clock.")] = None


class Rating(Struct, forbid_unknown_fields=True):
    conversation_id: str
    csat: CsatView


class CustomerCallbackEnvelope(Struct, forbid_unknown_fields=True):
    callback: CustomerCallbackView
