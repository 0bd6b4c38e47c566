"""The signed-in agent, the agents (change, reassign), team settings, and the conversation list."""

from __future__ import annotations

import msgspec
from chalice.app import Request

from chalicelib import wiring
from chalicelib.contract.rest.conversations import ConversationList
from chalicelib.contract.rest.team import (
    AgentChangeRequest,
    AgentEnvelope,
    AgentList,
    Me,
    MyPresence,
    Reassigned,
    TenantChangeRequest,
    TenantSettingsEnvelope,
)
from chalicelib.handlers.rest.common import LIST_LIMIT, _agent, _body, actor, rest_errors
from chalicelib.hub.settings import agent_view, settings_view
from chalicelib.live import payloads
from chalicelib.store.ports import ConversationState


# ------------------------------------------------------------------ the agent and the live lane
@rest_errors
def me(request: Request | None) -> Me:
    agent, h = _agent(request), wiring.hub()
    presence = h.live.connections.store.get_presence(agent["tenant"], agent["agent_id"])
    reachable = presence is not None and h.rule.reachable(presence, h.clock.now())
    status = presence.status if presence else "offline"
    version = int(presence.version or 0) if presence else 0
    return Me(agent["agent_id"], agent["name"], agent["tenant"], MyPresence(status, reachable, version))  # type: ignore[arg-type]


@rest_errors
def list_agents(request: Request | None) -> AgentList:
    """Every agent of the tenant — the directory, so also those who never signed in — with their
    chosen status, reachability, capacity and open chats (owner pickers, assignment, presence)."""
    agent, h = _agent(request), wiring.hub()
    tenant, now = h.team.get(agent["tenant"]), h.clock.now()
    return AgentList(
        [agent_view(p, tenant, h.rule, now) for p in h.live.connections.store.tenant_presence(agent["tenant"])]
    )


@rest_errors
def agent_change(request: Request | None, agent_id: str) -> AgentEnvelope:
    """`{"capacity": n | null}`: the agent's own chat capacity (null: the tenant's default)."""
    agent, h = _agent(request), wiring.hub()
    body = _body(request, AgentChangeRequest)
    changed = h.team.set_capacity(actor(agent), agent_id, body.capacity)
    h.routing.drain(agent["tenant"])  # a raised capacity may take someone from the queue
    return AgentEnvelope(agent_view(changed, h.team.get(agent["tenant"]), h.rule, h.clock.now()))


@rest_errors
def agent_reassign(request: Request | None, agent_id: str) -> Reassigned:
    """ "Reassign their chats": the agent's open chats go back to the queue, then to colleagues."""
    agent, h = _agent(request), wiring.hub()
    moved = h.routing.requeue_agent(actor(agent), agent_id)
    return Reassigned(moved, h.command.snapshot(agent["tenant"]))


@rest_errors
def tenant_settings(request: Request | None) -> TenantSettingsEnvelope:
    return TenantSettingsEnvelope(settings_view(wiring.hub().team.get(_agent(request)["tenant"])))


@rest_errors
def tenant_change(request: Request | None) -> TenantSettingsEnvelope:
    """PATCH `{time_zone?, default_region?, chat_capacity?}`: only the named settings change."""
    agent, h = _agent(request), wiring.hub()
    body = _body(request, TenantChangeRequest)
    changes = {f: getattr(body, f) for f in body.__struct_fields__ if getattr(body, f) is not msgspec.UNSET}
    tenant = h.team.change(actor(agent), changes)
    h.routing.drain(agent["tenant"])
    return TenantSettingsEnvelope(settings_view(tenant))


@rest_errors
def list_conversations(request: Request | None) -> ConversationList:
    agent = _agent(request)
    metas = wiring.hub().live.timeline.store.list_conversations(agent["tenant"], LIST_LIMIT)
    return ConversationList([payloads.snapshot(ConversationState(m), "agent") for m in metas])
