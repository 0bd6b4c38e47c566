"""PynamoDB models: the one definition of every table, index and access pattern.

Local table creation (`chalicelib.tables`) and the CloudFormation resources in
`infra/` are generated from these classes. No access pattern uses Scan.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    DiscriminatorAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib import config


class _Meta:
    billing_mode = "PAY_PER_REQUEST"
    table_name: str | None = None


# --------------------------------------------------------------------------- connections
class ConnectionsByTenantRole(GlobalSecondaryIndex["Connection"]):
    """AP-C2: live connections of one role in a tenant (presence and lobby fan-out to agents)."""

    class Meta:
        index_name = "by_tenant_role"
        projection = KeysOnlyProjection()

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

    class Meta(_Meta):
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

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    expires_at = TTLAttribute(null=True)


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

    by_tenant_activity = ConversationsByActivity()


class Participant(ConversationItem, discriminator="participant"):
    role = UnicodeAttribute()  # "customer" | "agent"
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    agent_role = UnicodeAttribute(null=True)  # "owner" | "helper"
    delivered_seq = NumberAttribute(default=0)
    read_seq = NumberAttribute(default=0)
    joined_at = NumberAttribute()
    typing_at = NumberAttribute(null=True)


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

    class Meta(_Meta):
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

    class Meta(_Meta):
        pass

    tenant = UnicodeAttribute(hash_key=True)
    agent_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    status = UnicodeAttribute(default="offline")
    status_at = NumberAttribute()
    heartbeat_at = NumberAttribute(default=0)


# --------------------------------------------------------------------------- tenants
class Tenant(Model):
    """AP-T1: Get by tenant id (widget key check, settings)."""

    class Meta(_Meta):
        pass

    tenant_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    widget_keys = UnicodeSetAttribute()
    created_at = NumberAttribute()


# The model whose schema defines each table (ConversationMeta carries the table's GSI).
TABLES: dict[str, type[Model]] = {
    "connections": Connection,
    "conversations": ConversationMeta,
    "messages": Message,
    "presence": AgentPresence,
    "tenants": Tenant,
}


def bind_tables() -> None:
    """Point every model at the table named in the environment (fails loudly if unset)."""
    for kind, model in TABLES.items():
        name = config.table_name(kind)
        meta: Any = model.Meta
        if meta.table_name != name:
            meta.table_name = name
