"""What the REST docs say about the widget's routes: its session, availability, callbacks and rating."""

from __future__ import annotations

from chalicelib.contract.rest.callbacks import CallbackEnvelope, CallbackRequest
from chalicelib.contract.rest.widget import (
    Availability,
    CustomerCallbackEnvelope,
    Rating,
    RatingRequest,
    WidgetSession,
    WidgetSessionRequest,
)
from chalicelib.contract.routes.route import LIMITED, TOO_LARGE, Route

ROUTES: dict[tuple[str, str], Route] = {
    ("/widget/session", "POST"): Route(
        "Open (or resume) a widget session",
        "widget",
        WidgetSession,
        auth="public",
        description="Issues the customer's session token for the WebSocket (`?session=`) and `/widget/callbacks`.",
        request=WidgetSessionRequest,
        errors={400: ("invalid_action",), 403: ("unknown_widget_key",), 413: TOO_LARGE, 429: LIMITED},
    ),
    ("/widget/availability", "GET"): Route(
        "Can someone answer, and what the widget offers",
        "widget",
        Availability,
        auth="public",
        query=(
            {
                "name": "widget_key",
                "in": "query",
                "required": True,
                "description": "The tenant's public widget key (a missing key is an unknown one: 403).",
                "schema": {"type": "string"},
            },
        ),
        errors={403: ("unknown_widget_key",)},
    ),
    ("/widget/callbacks/{callback_id}", "GET"): Route(
        "Customer: my callback request",
        "widget",
        CustomerCallbackEnvelope,
        auth="widget",
        description="Its state as the widget shows it (queued, calling, completed, failed, cancelled); another "
        "customer's callback or an agent-logged missed call is `not_found`.",
        errors={401: ("unauthorized",), 404: ("not_found",)},
    ),
    ("/widget/callbacks", "POST"): Route(
        "Customer: request a callback",
        "widget",
        CallbackEnvelope,
        auth="widget",
        description="The callback's source is `widget`; its conversation, if any, must be the customer's own.",
        request=CallbackRequest,
        errors={400: ("invalid_action",), 401: ("unauthorized",), 404: ("not_found",), 413: TOO_LARGE},
    ),
    ("/widget/rating", "POST"): Route(
        "Customer: rate a closed conversation (CSAT)",
        "widget",
        Rating,
        auth="widget",
        description="1 to 5 with an optional comment, once per conversation and only by its customer. The same "
        "rating sent again answers as stored; a different one is 409 `already_rated`; an open conversation is "
        "409 `not_closed`.",
        request=RatingRequest,
        errors={
            400: ("invalid_action",),
            401: ("unauthorized",),
            404: ("not_found",),
            409: ("already_rated", "not_closed"),
            413: TOO_LARGE,
        },
    ),
}
