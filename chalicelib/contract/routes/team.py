"""What the REST docs say about the team's routes: the signed-in agent, the agents, team settings."""

from __future__ import annotations

from chalicelib.contract.rest.team import (
    AgentChangeRequest,
    AgentEnvelope,
    AgentList,
    Me,
    Reassigned,
    TenantChangeRequest,
    TenantSettingsEnvelope,
)
from chalicelib.contract.routes.route import AGENT_ONLY, LIMITED, TOO_LARGE, Route

ROUTES: dict[tuple[str, str], Route] = {
    ("/me", "GET"): Route("The calling agent and their presence", "agents", Me, errors={429: LIMITED}),
    ("/agents", "GET"): Route(
        "The tenant's agents (the directory: also those who never signed in)",
        "agents",
        AgentList,
        description=AGENT_ONLY + " With chosen status, reachability, chat capacity and open chats.",
        errors={429: LIMITED},
    ),
    ("/agents/{agent_id}", "PATCH"): Route(
        "Set an agent's own chat capacity",
        "agents",
        AgentEnvelope,
        description="`null` goes back to the tenant's `chat_capacity`. A raised capacity drains the queue.",
        request=AgentChangeRequest,
        errors={400: ("invalid_action",), 404: ("not_found",), 413: TOO_LARGE, 429: LIMITED},
    ),
    ("/agents/{agent_id}/reassign", "POST"): Route(
        "Reassign their chats",
        "agents",
        Reassigned,
        description="Every open chat the agent owns goes back to the queue (at its original place, with a line in "
        "the thread) and on to available colleagues with a free place: the fix the `presence_drift` launch "
        "blocker offers.",
        request_required=False,
        errors={404: ("not_found",), 429: LIMITED},
    ),
    ("/tenant", "GET"): Route("The tenant's team settings", "hub", TenantSettingsEnvelope, errors={429: LIMITED}),
    ("/tenant", "PATCH"): Route(
        "Change the tenant's team settings",
        "hub",
        TenantSettingsEnvelope,
        description="`time_zone` (IANA; callback windows and business hours are read in it), `default_region` "
        "(numbers without a "
        "country code), `chat_capacity` (open chats per agent unless their own is set). Only the named ones change.",
        request=TenantChangeRequest,
        errors={400: ("invalid_action",), 413: TOO_LARGE, 429: LIMITED},
    ),
}
