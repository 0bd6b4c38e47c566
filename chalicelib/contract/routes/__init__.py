"""What the REST API's documentation says about each route beyond its types: summary, tag, who
may call it, and the error codes it answers with — one module per lane (`ROUTES` joins them).
`tools/openapi.py` joins this with the Chalice routes of `app.py` (a route missing here, or an
entry without a route, fails the build) and the contract's types. Never imported at runtime."""

from __future__ import annotations

from chalicelib.contract.routes import agent_day, callbacks, conversations, hub, team, tickets, widget
from chalicelib.contract.routes.route import Route

ROUTES: dict[tuple[str, str], Route] = {
    **hub.ROUTES,
    **widget.ROUTES,
    **team.ROUTES,
    **conversations.ROUTES,
    **callbacks.ROUTES,
    **tickets.ROUTES,
    **agent_day.ROUTES,
}

TAGS = [
    {"name": "widget", "description": "Public widget entry points and the customer's callback request."},
    {"name": "agents", "description": "The signed-in agent, the tenant's agents, capacity and reassignment."},
    {"name": "live_chat", "description": "Conversations (the live lane itself is the WebSocket API)."},
    {"name": "callbacks", "description": "Callback recovery."},
    {"name": "tickets", "description": "Tickets."},
    {"name": "hub", "description": "Support command and health."},
    {"name": "agent_day", "description": "Canned replies, business hours, search and the customer panel."},
]
