"""What the REST docs say about the callback routes, and the steps a callback is worked in."""

from __future__ import annotations

from chalicelib.contract.rest.callbacks import (
    CallbackDetail,
    CallbackEnvelope,
    CallbackList,
    CallbackRequest,
    CallbackStepRequest,
)
from chalicelib.contract.routes.route import LIMITED, TOO_LARGE, Route

# Callback steps accepted by `POST /callbacks/{callback_id}/{step}` (handlers.rest.callback_step;
# the unit test checks this list against the hub's own "unknown step" answer).
CALLBACK_STEPS = ("claim", "release", "complete", "no-answer", "cancel")

ROUTES: dict[tuple[str, str], Route] = {
    ("/callbacks", "GET"): Route("The callback queue", "callbacks", CallbackList, errors={429: LIMITED}),
    ("/callbacks", "POST"): Route(
        "Agent: log a missed call",
        "callbacks",
        CallbackEnvelope,
        description="Creates a callback with source `missed_call`.",
        request=CallbackRequest,
        errors={400: ("invalid_action",), 404: ("not_found",), 413: TOO_LARGE, 429: LIMITED},
    ),
    ("/callbacks/{callback_id}", "GET"): Route(
        "A callback and its history", "callbacks", CallbackDetail, errors={404: ("not_found",), 429: LIMITED}
    ),
    ("/callbacks/{callback_id}/{step}", "POST"): Route(
        "Work a callback",
        "callbacks",
        CallbackEnvelope,
        description="`claim` (exactly one agent wins), `release`, `complete`, `no-answer` (requeued after the "
        "tenant's retry delay, or `failed` after the last attempt) and `cancel`. `release`, `complete` and "
        "`no-answer` need the caller's own claim.",
        request=CallbackStepRequest,
        request_required=False,
        path_params={"step": {"type": "string", "enum": list(CALLBACK_STEPS)}},
        errors={
            400: ("invalid_action",),
            404: ("not_found",),
            409: ("conflict",),
            413: TOO_LARGE,
            429: LIMITED,
        },
    ),
}
