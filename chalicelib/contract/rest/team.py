"""The team's REST bodies and answers: the signed-in agent, the agents, the team settings."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.contract.common import MAX_REGION, MAX_TIME_ZONE, HubMode, PresenceStatus
from chalicelib.contract.rest.common import Body
from chalicelib.contract.views.hub import HubSnapshot


class AgentItem(Struct, forbid_unknown_fields=True):
    """An agent of the tenant's directory (also those who never signed in)."""

    id: Annotated[str, Meta(description="The Cognito `sub`.")]
    name: str
    status: Annotated[PresenceStatus, Meta(description="Chosen status.")]
    reachable: Annotated[bool, Meta(description="Heartbeats arrive within the window.")]
    available: Annotated[bool, Meta(description="Chosen available and reachable.")]
    capacity: Annotated[int, Meta(ge=0, description="Open chats routing gives them (own, else the tenant's).")]
    own_capacity: Annotated[bool, Meta(description="Their own capacity is set (else the tenant's default).")]
    open_chats: Annotated[int, Meta(ge=0)]


class AgentEnvelope(Struct, forbid_unknown_fields=True):
    agent: AgentItem


class AgentChangeRequest(Body):
    capacity: Annotated[int, Meta(ge=0, le=50, description="null: the tenant's default.")] | None


class Reassigned(Struct, forbid_unknown_fields=True):
    requeued: Annotated[int, Meta(ge=0, description="How many open chats went back to the queue.")]
    hub: HubSnapshot


class TenantSettings(Struct, forbid_unknown_fields=True):
    tenant: str
    name: str
    time_zone: Annotated[str, Meta(description="IANA time zone the callback windows are read in.")]
    default_region: Annotated[str, Meta(description="ISO 3166 region for numbers without a country code.")] | None
    chat_capacity: Annotated[int, Meta(ge=0, description="Open chats per agent unless their own is set.")]
    callback_sla_minutes: int
    mode: HubMode


class TenantSettingsEnvelope(Struct, forbid_unknown_fields=True):
    settings: TenantSettings


class TenantChangeRequest(Body):
    """Only the named settings change."""

    time_zone: (
        Annotated[str, Meta(max_length=MAX_TIME_ZONE, description="IANA, e.g. `Europe/Stockholm`.")] | UnsetType
    ) = UNSET
    default_region: (
        Annotated[str, Meta(max_length=MAX_REGION, description="ISO 3166, e.g. `SE`; null clears it.")]
        | UnsetType
        | None
    ) = UNSET
    chat_capacity: Annotated[int, Meta(ge=0, le=50)] | UnsetType = UNSET


class AgentList(Struct, forbid_unknown_fields=True):
    agents: list[AgentItem]


class MyPresence(Struct, forbid_unknown_fields=True):
    status: Annotated[PresenceStatus, Meta(description="Chosen status.")]
    reachable: Annotated[bool, Meta(description="Heartbeats arrive within the window.")]
    version: Annotated[
        int, Meta(ge=0, description="The presence version read (as in `presence` events): newer events win.")
    ] = 0


class Me(Struct, forbid_unknown_fields=True):
    agent_id: Annotated[str, Meta(description="The Cognito `sub`.")]
    name: str
    tenant: str
    presence: MyPresence
