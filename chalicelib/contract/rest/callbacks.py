"""The callback lane's REST bodies and answers: a request or missed call, a step, the queue."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from chalicelib.contract.common import MAX_NAME, MAX_NOTE, MAX_PHONE, MAX_REASON, CallbackWindow
from chalicelib.contract.rest.common import Body
from chalicelib.contract.views.work import CallbackView, HistoryItem


class CallbackRequest(Body):
    phone: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_PHONE,
            description="Any common notation; stored as E.164. Without `+<country>` the `region` is needed.",
        ),
    ]
    region: (
        Annotated[
            str, Meta(pattern="^[A-Za-z]{2}$", description="ISO 3166 alpha-2 region for a national number, e.g. `SE`.")
        ]
        | None
    ) = None
    window: Annotated[CallbackWindow, Meta(description="When to call; `asap` when absent or null.")] | None = None
    reason: Annotated[str, Meta(max_length=MAX_REASON)] | None = None
    conversation_id: (
        Annotated[
            str,
            Meta(
                pattern="^[A-Za-z0-9_-]{1,64}$",
                description="Attach the callback to a conversation (for the widget: the customer's own).",
            ),
        ]
        | None
    ) = None
    customer_name: (
        Annotated[
            str,
            Meta(
                max_length=MAX_NAME,
                description="Default: the conversation's customer; else the widget session's name, or `Caller` for "
                "a missed call.",
            ),
        ]
        | None
    ) = None


class CallbackStepRequest(Body):
    note: (
        Annotated[
            str, Meta(max_length=MAX_NOTE, description="Kept in the history of `complete`, `no-answer` and `cancel`.")
        ]
        | None
    ) = None


class CallbackEnvelope(Struct, forbid_unknown_fields=True):
    callback: CallbackView


class CallbackList(Struct, forbid_unknown_fields=True):
    """Open callbacks, due first."""

    callbacks: list[CallbackView]


class CallbackDetail(Struct, forbid_unknown_fields=True):
    callback: CallbackView
    history: list[HistoryItem]
