"""What the REST docs say about support command's routes and the health check."""

from __future__ import annotations

from chalicelib.contract.rest.hub import Health, HubModeRequest, ModeHistory
from chalicelib.contract.routes.route import LIMITED, TOO_LARGE, Route
from chalicelib.contract.views.hub import HubSnapshot

ROUTES: dict[tuple[str, str], Route] = {
    ("/health", "GET"): Route("Liveness check", "hub", Health, auth="public"),
    ("/hub", "GET"): Route(
        "Support command: counters, pressure, next move, launch check and mode",
        "hub",
        HubSnapshot,
        errors={400: ("invalid_action",), 429: LIMITED},
    ),
    ("/hub/mode", "POST"): Route(
        "Set the hub's mode",
        "hub",
        HubSnapshot,
        description="`live` only when the launch check passes (else 409 `launch_blocked` with the blockers); "
        "`ready` and `recovery` are always allowed. Returns the new snapshot.",
        request=HubModeRequest,
        errors={400: ("invalid_action",), 409: ("launch_blocked",), 413: TOO_LARGE, 429: LIMITED},
    ),
    ("/hub/mode", "GET"): Route("Who changed the mode, and when", "hub", ModeHistory, errors={429: LIMITED}),
}
