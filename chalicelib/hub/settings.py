"""A tenant's team settings and each agent's chat capacity, as the dashboard changes them:
the time zone callback windows are read in, the region a phone number without a country code
is read in, and how many open chats routing gives an agent. Every change is recorded."""

from __future__ import annotations

from typing import Any

from chalicelib.contract.rest import AgentItem, TenantSettings
from chalicelib.live.presence import PresenceRule
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import Clock
from chalicelib.platform.errors import InvalidAction, NotFound
from chalicelib.store.keys import history_subject
from chalicelib.store.models import AgentPresence, Tenant
from chalicelib.store.ports import ConnectionStore, HubStore
from chalicelib.store.work import history_entry
from chalicelib.work.callback_window import zone

MAX_CAPACITY = 50


def settings_view(t: Tenant) -> TenantSettings:
    return TenantSettings(
        tenant=t.tenant_id,
        name=t.name,
        time_zone=t.time_zone,
        default_region=t.phone_region,
        chat_capacity=int(t.chat_capacity),
        callback_sla_minutes=int(t.callback_sla_minutes),
        mode=t.mode,  # type: ignore[arg-type]
    )


def agent_view(p: AgentPresence, tenant: Tenant, rule: PresenceRule, now: float) -> AgentItem:
    """An agent of the directory: status, reachability, capacity (own or the tenant's) and load."""
    return AgentItem(
        id=p.agent_id,
        name=p.name,
        status=p.status,  # type: ignore[arg-type]
        reachable=rule.reachable(p, now),
        available=rule.available(p, now),
        capacity=int(p.capacity) if p.capacity is not None else int(tenant.chat_capacity),
        own_capacity=p.capacity is not None,
        open_chats=int(p.open_chats or 0),
    )


def _capacity(value: Any, name: str, allow_none: bool) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CAPACITY:
        raise InvalidAction(f"{name}: a whole number from 0 to {MAX_CAPACITY}{' or null' if allow_none else ''}")
    return value


def _region(value: Any) -> str | None:
    if value is None:
        return None
    import phonenumbers

    if not isinstance(value, str) or value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidAction("default_region: an ISO 3166 region code such as SE, US or GB, or null")
    return value.upper()


def _time_zone(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidAction("time_zone: an IANA time zone such as Europe/Stockholm")
    try:
        zone(value)
    except ValueError:
        raise InvalidAction(f"time_zone: {value!r} is not an IANA time zone such as Europe/Stockholm") from None
    return value


class TeamSettings:
    def __init__(self, store: HubStore, connections: ConnectionStore, clock: Clock) -> None:
        self.store = store
        self.connections = connections
        self.clock = clock

    def get(self, tenant_id: str) -> Tenant:
        tenant = self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound(f"no tenant {tenant_id!r}")
        return tenant

    def change(self, actor: Actor, body: dict[str, Any]) -> Tenant:
        """PATCH semantics: only the named settings change; an unknown one is an error."""
        known = {"time_zone": _time_zone, "default_region": _region}
        changes: dict[str, Any] = {}
        for name, value in body.items():
            if name == "chat_capacity":
                changes[name] = _capacity(value, name, allow_none=False)
            elif name in known:
                # `default_region` is stored as the tenant's `phone_region` (the admin CLI's name too).
                changes["phone_region" if name == "default_region" else name] = known[name](value)
            else:  # the REST body type refuses unknown fields first; this guards other callers
                raise InvalidAction(f"{name}: not a setting; expected time_zone, default_region or chat_capacity")
        if not changes:
            raise InvalidAction("nothing to change: send time_zone, default_region or chat_capacity")
        tenant = self.store.update_tenant(actor.tenant, changes)
        if tenant is None:
            raise NotFound(f"no tenant {actor.tenant!r}")
        detail = ", ".join(f"{k} = {v}" for k, v in sorted(changes.items()))
        self._record(actor, "SETTINGS", actor.tenant, detail)
        return tenant

    def set_capacity(self, actor: Actor, agent_id: str, value: Any) -> AgentPresence:
        capacity = _capacity(value, "capacity", allow_none=True)
        agent = self.connections.set_capacity(actor.tenant, agent_id, capacity)
        if agent is None:
            raise NotFound(f"no agent {agent_id!r} in this tenant")
        self._record(actor, "AGENT", agent_id, f"capacity = {capacity if capacity is not None else 'tenant default'}")
        fresh = self.connections.get_presence(actor.tenant, agent_id)
        return fresh or agent

    def _record(self, actor: Actor, kind: str, item: str, detail: str) -> None:
        self.store.add_history(
            history_entry(
                history_subject(actor.tenant, kind, item), self.clock.now(), "settings", actor.id, actor.name, detail
            )
        )
