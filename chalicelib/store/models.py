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


class QueuedConversations(GlobalSecondaryIndex["ConversationItem"]):
    """AP-V7: a tenant's conversations waiting for an agent, in arrival order (sparse:
    `queue_tenant` exists only while the conversation waits in the queue). A customer's place
    is a count of this index below their `queued_at`; routing reads its head."""

    class Meta:
        index_name = "queue_by_tenant"
        # PynamoDB filters a discriminated table's reads on `type`, so it must be projected.
        projection = IncludeProjection(["type", "conversation_id", "customer_id"])

    queue_tenant = UnicodeAttribute(hash_key=True)
    queued_at = NumberAttribute(range_key=True)


class ConversationMeta(ConversationItem, discriminator="meta"):
    """The conversation. `status` is "new" (the customer opened the widget but has neither
    written nor asked for a callback: invisible to agents and counters), "open" or "closed".
    `owner_id` is the agent handling it (`live/ownership.py`), `queued_at` when it waits for one."""

    tenant = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    gsi_tenant = UnicodeAttribute(null=True)  # set once the conversation starts (sparse AP-V4)
    status = UnicodeAttribute(default="open")  # new | open | closed
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
    started_at = NumberAttribute(null=True)  # the customer's first message or callback request
    assigned_at = NumberAttribute(null=True)  # when the current owner got it
    queue_tenant = UnicodeAttribute(null=True)
    queued_at = NumberAttribute(null=True)

    by_tenant_activity = ConversationsByActivity()
    active_by_tenant = ActiveConversations()
    queue_by_tenant = QueuedConversations()


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
    # System lines: what happened as a code and its parameters, so each client words it in its
    # own language (`live/lines.py`); `text` is the English wording.
    code = UnicodeAttribute(null=True)
    params = UnicodeAttribute(null=True)  # a JSON object of strings


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
    # IANA time zone the callback windows (and later business hours) are read in.
    time_zone = UnicodeAttribute(default="UTC")
    # Open chats routing gives an agent whose own capacity is not set.
    chat_capacity = NumberAttribute(default=3)
    # Set by the admin CLI (tools/admin.py) and the dashboard's team settings (`PATCH /tenant`).
    allowed_origins = UnicodeSetAttribute(null=True)  # sites the widget may be embedded on
    # ISO 3166 region a phone number without +country is read in (the API calls it `default_region`).
    phone_region = UnicodeAttribute(null=True)

    all_tenants = AllTenants()
