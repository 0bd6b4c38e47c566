"""PynamoDB models of the live lane (connections, conversations, messages, presence) and tenants:
the one definition of each table, index and access pattern (`AP-…`).

The work lanes' models are in `work_models.py`. Table creation and the CloudFormation
resources come from both (`tables.py`). No access pattern uses Scan.
"""

from __future__ import annotations

from pynamodb.attributes import (
    DiscriminatorAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model


class ModelMeta:
    billing_mode = "PAY_PER_REQUEST"
    table_name: str | None = None


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


# --------------------------------------------------------------------------- conversations
class ConversationsByActivity(GlobalSecondaryIndex["ConversationItem"]):
    """AP-V4: a tenant's conversations, most recent activity first (sparse: META items only)."""

    class Meta:
        index_name = "by_tenant_activity"
        projection = AllProjection()

    gsi_tenant = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class TypingNow(GlobalSecondaryIndex["ConversationItem"]):
    """AP-V6: participants whose typing indicator is on, oldest first (sparse: `typing_tenant`
    exists only while typing), so the drift sweep reads live indicators only."""

    class Meta:
        index_name = "typing_by_tenant"
        # PynamoDB filters a discriminated table's reads on `type`, so it must be projected.
        projection = IncludeProjection(["type"])

    typing_tenant = UnicodeAttribute(hash_key=True)
    typing_at = NumberAttribute(range_key=True)


class ConversationItem(Model):
    """One partition per conversation (`pk = T#<tenant>#C#<id>`), holding:

    - `META`           the conversation itself and its sequence counter,
    - `P#<user>`       its participants with their delivered/read cursors,
    - `S#<connection>` the live connections subscribed to it (TTL),
    - `K#<author>#<client id>` one idempotency key per stored message.

    AP-V1: Query `pk`, `sk >= "META"` → conversation, participants and live
    subscriptions in one call (authorization, sequence and recipients of a send).
    AP-V2: Get `K#…` → the sequence an earlier send with that client id got.
    AP-V3: Get `P#…` / `META` by key.
    """

    class Meta(ModelMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    expires_at = TTLAttribute(null=True)
    # Participants only (declared here so the index belongs to the whole table).
    typing_tenant = UnicodeAttribute(null=True)
    typing_at = NumberAttribute(null=True)

    typing_by_tenant = TypingNow()


class ActiveConversations(GlobalSecondaryIndex["ConversationItem"]):
    """AP-V5: a tenant's open conversations only (sparse: `active_tenant` is removed on close).
    Counters and the next move read open work here, never history."""

    class Meta:
        index_name = "active_by_tenant"
        projection = AllProjection()

    active_tenant = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class ConversationMeta(ConversationItem, discriminator="meta"):
    tenant = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    gsi_tenant = UnicodeAttribute()
    status = UnicodeAttribute(default="open")
    customer_id = UnicodeAttribute()
    customer_name = UnicodeAttribute()
    owner_id = UnicodeAttribute(null=True)
    owner_name = UnicodeAttribute(null=True)
    last_seq = NumberAttribute(default=0)
    last_public_seq = NumberAttribute(default=0)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    preview_text = UnicodeAttribute(null=True)
    preview_role = UnicodeAttribute(null=True)
    preview_at = NumberAttribute(null=True)
    active_tenant = UnicodeAttribute(null=True)
    closed_at = NumberAttribute(null=True)
    # The linked ticket waiting on this customer: their next message reopens it.
    waiting_ticket_id = UnicodeAttribute(null=True)

    by_tenant_activity = ConversationsByActivity()
    active_by_tenant = ActiveConversations()


class Participant(ConversationItem, discriminator="participant"):
    role = UnicodeAttribute()  # "customer" | "agent"
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    agent_role = UnicodeAttribute(null=True)  # "owner" | "helper"
    delivered_seq = NumberAttribute(default=0)
    read_seq = NumberAttribute(default=0)
    joined_at = NumberAttribute()


class Subscription(ConversationItem, discriminator="subscription"):
    connection_id = UnicodeAttribute()
    role = UnicodeAttribute()
    user_id = UnicodeAttribute()


class ClientKey(ConversationItem, discriminator="client_key"):
    seq = NumberAttribute()
    text_hash = UnicodeAttribute()


# --------------------------------------------------------------------------- messages
class Message(Model):
    """Timeline entries of a conversation, keyed by their sequence.

    AP-M1: Query `pk`, `seq > N` ascending, paged → sync / thread recovery.
    """

    class Meta(ModelMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    conversation_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # "text" | "note" | "system"
    author_role = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute()
    text = UnicodeAttribute()
    client_id = UnicodeAttribute()
    created_at = NumberAttribute()
    prev_public_seq = NumberAttribute()


# --------------------------------------------------------------------------- presence
class AgentPresence(Model):
    """An agent's chosen status and last heartbeat, kept apart.

    AP-P1: Get (tenant, agent). AP-P2: Query tenant → every agent's presence.
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


# --------------------------------------------------------------------------- tenants
class AllTenants(GlobalSecondaryIndex["Tenant"]):
    """AP-T2: every tenant (scheduled jobs walk tenants, then each tenant's open work)."""

    class Meta:
        index_name = "all_tenants"
        projection = KeysOnlyProjection()

    registry = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute(range_key=True)


class Tenant(Model):
    """AP-T1: Get by tenant id (widget key check, settings, mode). AP-T2 through `all_tenants`."""

    class Meta(ModelMeta):
        pass

    tenant_id = UnicodeAttribute(hash_key=True)
    registry = UnicodeAttribute(default="tenants")
    name = UnicodeAttribute()
    widget_keys = UnicodeSetAttribute()
    created_at = NumberAttribute()
    mode = UnicodeAttribute(default="ready")  # "ready" | "live" | "recovery"
    mode_at = NumberAttribute(null=True)
    mode_by = UnicodeAttribute(null=True)
    callback_sla_minutes = NumberAttribute(default=15)
    callback_max_attempts = NumberAttribute(default=3)
    callback_retry_minutes = NumberAttribute(default=10)
    # Set by the admin CLI (tools/admin.py).
    allowed_origins = UnicodeSetAttribute(null=True)  # sites the widget may be embedded on
    phone_region = UnicodeAttribute(null=True)  # ISO 3166 region for callback numbers without +country

    all_tenants = AllTenants()
