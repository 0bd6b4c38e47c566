"""What the REST docs say about the agent's day: canned replies, hours, search, customer panel."""

from __future__ import annotations

from chalicelib.contract.rest.agent_day import (
    CannedReplyChange,
    CannedReplyCreate,
    CannedReplyEnvelope,
    CannedReplyList,
    CustomerPanel,
    Deleted,
    Hours,
    HoursRequest,
    SearchAnswer,
)
from chalicelib.contract.routes.route import AGENT_ONLY, LIMITED, TOO_LARGE, Route

ROUTES: dict[tuple[str, str], Route] = {
    ("/canned", "GET"): Route(
        "The tenant's canned replies", "agent_day", CannedReplyList, description=AGENT_ONLY, errors={429: LIMITED}
    ),
    ("/canned", "POST"): Route(
        "Create a canned reply",
        "agent_day",
        CannedReplyEnvelope,
        description="Shortcuts are unique per tenant (409 `conflict`); the text may use `{customer.name}` and "
        "`{agent.name}` and no other placeholder.",
        request=CannedReplyCreate,
        errors={400: ("invalid_action",), 409: ("conflict",), 413: TOO_LARGE, 429: LIMITED},
    ),
    ("/canned/{reply_id}", "PATCH"): Route(
        "Change a canned reply",
        "agent_day",
        CannedReplyEnvelope,
        description="Absent fields stay as they are.",
        request=CannedReplyChange,
        request_required=False,
        errors={400: ("invalid_action",), 404: ("not_found",), 409: ("conflict",), 413: TOO_LARGE, 429: LIMITED},
    ),
    ("/canned/{reply_id}", "DELETE"): Route(
        "Delete a canned reply", "agent_day", Deleted, errors={404: ("not_found",), 409: ("conflict",), 429: LIMITED}
    ),
    ("/hours", "GET"): Route(
        "Business hours: open now, next opening, the weekly hours and holidays",
        "agent_day",
        Hours,
        errors={429: LIMITED},
    ),
    ("/hours", "PUT"): Route(
        "Set the tenant's business hours",
        "agent_day",
        Hours,
        description="Callback due times and waiting ages count open time only; the widget shows the hours when "
        "the team is closed and offers a callback instead of chat. The hours are read in the tenant's one time zone: "
        "a `time_zone` here changes that team setting too (as `PATCH /tenant` does).",
        request=HoursRequest,
        errors={400: ("invalid_action",), 413: TOO_LARGE, 429: LIMITED},
    ),
    ("/hours", "DELETE"): Route(
        "Remove the tenant's business hours (open around the clock again)", "agent_day", Hours, errors={429: LIMITED}
    ),
    ("/search", "GET"): Route(
        "Search customers, conversations, callbacks and tickets",
        "agent_day",
        SearchAnswer,
        description="By customer name or e-mail (prefix), phone number (E.164; a national number is read in "
        "`region`), or a conversation, ticket, callback or customer id. Tenant-scoped, never a Scan. Message "
        "text is not searchable (`not_searchable` says why).",
        query=(
            {
                "name": "q",
                "in": "query",
                "required": True,
                "description": "1 to 100 characters.",
                "schema": {"type": "string"},
            },
            {
                "name": "region",
                "in": "query",
                "required": False,
                "description": "ISO 3166 alpha-2 region for a national phone number (the agent's).",
                "schema": {"type": "string"},
            },
        ),
        errors={400: ("invalid_action",), 429: LIMITED},
    ),
    ("/customers/{customer_id}", "GET"): Route(
        "The customer panel: profile, page, earlier conversations, callbacks and tickets",
        "agent_day",
        CustomerPanel,
        errors={404: ("not_found",), 429: LIMITED},
    ),
}
