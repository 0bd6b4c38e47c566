"""Connections and presence: connections bound at `$connect` (AP-C…), the agent directory (AP-P…)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.store.models.meta import ModelMeta


# --------------------------------------------------------------------------- connections
class ConnectionsByTenantRole(GlobalSecondaryIndex["Connection"]):
    """AP-C2: live connections of one role in a tenant, with their user (presence, lobby and
    callback-alert fan-out to agents)."""

    class Meta:
        index_name = "by_tenant_role"
        projection = IncludeProjection(["user_id"])

    tenant_role = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)


class ConnectionsByUser(GlobalSecondaryIndex["Connection"]):
    """AP-C3: live connections of one user (is this agent still connected anywhere?)."""

    class Meta:
        index_name = "by_user"
        projection = KeysOnlyProjection()

    tenant_user = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)


class Connection(Model):
    """A WebSocket connection bound at `$connect` to a verified identity.

    AP-C1: get by connection id (every `$default` and `$disconnect` invocation).
    Items expire through `expires_at` (TTL); reads treat an expired item as absent.
    """

    class Meta(ModelMeta):
        pass

    connection_id = UnicodeAttribute(hash_key=True)
    tenant = UnicodeAttribute()
    role = UnicodeAttribute()  # "agent" | "customer"
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    connected_at = NumberAttribute()
    auth_expires_at = NumberAttribute()
    expires_at = TTLAttribute()
    tenant_role = UnicodeAttribute()
    tenant_user = UnicodeAttribute()
    conversations = UnicodeSetAttribute(null=True)  # subscriptions to remove at disconnect

    by_tenant_role = ConnectionsByTenantRole()
    by_user = ConnectionsByUser()


# --------------------------------------------------------------------------- presence
class AgentPresence(Model):
    """The tenant's agent directory: one item per agent, with their chosen status and last
    heartbeat (kept apart, `live/presence.py`), their chat capacity and how many open chats
    they own.

    Written by the admin CLI and the local bootstrap when an agent is created (`ensure_agent`),
    so agents who never signed in are listed too, and by every sign-in and heartbeat.
    AP-P1: Get (tenant, agent). AP-P2: Query tenant → every agent of the tenant (owner pickers,
    presence, routing's candidates).
    `open_chats` changes only inside the transaction that changes a conversation's owner, closes
    or reopens it (`store/conversations.py`), guarded by `open_chats < capacity` when routing
    assigns: two chats racing for an agent's last free place cannot both get it.
    """

    class Meta(ModelMeta):
        pass

    tenant = UnicodeAttribute(hash_key=True)
    agent_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    status = UnicodeAttribute(default="offline")  # the status the agent chose
    status_at = NumberAttribute()
    heartbeat_at = NumberAttribute(default=0)
    # Set by the drift sweep when heartbeats stopped: "away" or "offline"; the chosen status stays.
    drift_status = UnicodeAttribute(null=True)
    left_at = NumberAttribute(null=True)  # their last connection closed (silence counts from here)
    capacity = NumberAttribute(null=True)  # open chats routing may give them; None: the tenant's default
    open_chats = NumberAttribute(default=0)
    last_assigned_at = NumberAttribute(default=0)  # routing's tie-break: longest since the last chat first
    # +1 on every write others hear about (a chosen status, reachable again, gone, drifting):
    # `presence` events carry it, and a client keeps the highest it heard. Events of two writes
    # racing can arrive in either order; this says which one the store kept last.
    version = NumberAttribute(null=True)
