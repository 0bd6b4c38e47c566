"""What the REST docs say about the ticket routes."""

from __future__ import annotations

from chalicelib.contract.rest.tickets import (
    TicketChangeRequest,
    TicketCreateRequest,
    TicketDetail,
    TicketEnvelope,
    TicketList,
)
from chalicelib.contract.routes.route import LIMITED, TOO_LARGE, Route

ROUTES: dict[tuple[str, str], Route] = {
    ("/tickets", "GET"): Route("Unsolved tickets", "tickets", TicketList, errors={429: LIMITED}),
    ("/tickets", "POST"): Route(
        "Create a ticket",
        "tickets",
        TicketEnvelope,
        request=TicketCreateRequest,
        errors={400: ("invalid_action",), 404: ("not_found",), 413: TOO_LARGE, 429: LIMITED},
    ),
    ("/tickets/{ticket_id}", "GET"): Route(
        "A ticket and its history", "tickets", TicketDetail, errors={404: ("not_found",), 429: LIMITED}
    ),
    ("/tickets/{ticket_id}", "PATCH"): Route(
        "Change a ticket's status, waiting_on or owner",
        "tickets",
        TicketEnvelope,
        description="Absent or null fields stay as they are; a change that changes nothing returns the ticket.",
        request=TicketChangeRequest,
        request_required=False,
        errors={400: ("invalid_action",), 404: ("not_found",), 409: ("conflict",), 413: TOO_LARGE, 429: LIMITED},
    ),
}
