"""The REST routes: read the request (the agent bound by the authorizer, the body as its contract
type), call one service, and answer with a contract view. `rest_errors` is the one place a domain
error becomes an HTTP response, and where a view becomes JSON (`common`, with the authorizer and
what reads a request). One module a lane, as in contract/rest/: widget, team, callbacks, tickets,
hub, agent_day; re-exported here, the names app.py calls."""

from chalicelib.handlers.rest.agent_day import (
    canned_change,
    canned_create,
    canned_delete,
    canned_list,
    customer_panel,
    hours_clear,
    hours_get,
    hours_set,
    search,
)
from chalicelib.handlers.rest.callbacks import callback_detail, callback_queue, callback_step, log_missed_call
from chalicelib.handlers.rest.common import rest_errors
from chalicelib.handlers.rest.hub import hub_mode, hub_mode_history, hub_snapshot
from chalicelib.handlers.rest.team import (
    agent_change,
    agent_reassign,
    list_agents,
    list_conversations,
    me,
    tenant_change,
    tenant_settings,
)
from chalicelib.handlers.rest.tickets import ticket_change, ticket_create, ticket_detail, ticket_list
from chalicelib.handlers.rest.widget import (
    widget_availability,
    widget_callback,
    widget_callback_status,
    widget_rating,
    widget_session,
)

__all__ = [
    "agent_change",
    "agent_reassign",
    "callback_detail",
    "callback_queue",
    "callback_step",
    "canned_change",
    "canned_create",
    "canned_delete",
    "canned_list",
    "customer_panel",
    "hours_clear",
    "hours_get",
    "hours_set",
    "hub_mode",
    "hub_mode_history",
    "hub_snapshot",
    "list_agents",
    "list_conversations",
    "log_missed_call",
    "me",
    "rest_errors",
    "search",
    "tenant_change",
    "tenant_settings",
    "ticket_change",
    "ticket_create",
    "ticket_detail",
    "ticket_list",
    "widget_availability",
    "widget_callback",
    "widget_callback_status",
    "widget_rating",
    "widget_session",
]
