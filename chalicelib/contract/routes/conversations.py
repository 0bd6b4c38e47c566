"""What the REST docs say about the tenant's conversation list."""

from __future__ import annotations

from chalicelib.contract.rest.conversations import ConversationList
from chalicelib.contract.routes.route import LIMITED, Route

ROUTES: dict[tuple[str, str], Route] = {
    ("/conversations", "GET"): Route(
        "The tenant's conversations",
        "live_chat",
        ConversationList,
        description="Most recent activity first; at most 100.",
        errors={429: LIMITED},
    ),
}
