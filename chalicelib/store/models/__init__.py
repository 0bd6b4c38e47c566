"""PynamoDB models of the live lane (connections, conversations, messages, presence) and tenants:
the one definition of each table, index and access pattern (`AP-…`), one module per seam —
`connections` (connections and presence), `conversations` (conversations and messages),
`tenants`, `limits` — re-exported here, the one import path every store and lane uses.

The work lanes' models are in `work_models.py`. Table creation and the CloudFormation
resources come from both (`tables.py`). No access pattern uses Scan.
"""

from chalicelib.store.models.connections import AgentPresence, Connection, ConnectionsByTenantRole, ConnectionsByUser
from chalicelib.store.models.conversations import (
    ActiveConversations,
    ClientKey,
    ConversationItem,
    ConversationMeta,
    ConversationsByActivity,
    ConversationsByCustomer,
    Message,
    MessagesByPublicSeq,
    Participant,
    QueuedConversations,
    Subscription,
    TypingNow,
)
from chalicelib.store.models.limits import LimitWindow
from chalicelib.store.models.meta import ModelMeta
from chalicelib.store.models.tenants import AllTenants, Tenant

__all__ = [
    "ActiveConversations",
    "AgentPresence",
    "AllTenants",
    "ClientKey",
    "Connection",
    "ConnectionsByTenantRole",
    "ConnectionsByUser",
    "ConversationItem",
    "ConversationMeta",
    "ConversationsByActivity",
    "ConversationsByCustomer",
    "LimitWindow",
    "Message",
    "MessagesByPublicSeq",
    "ModelMeta",
    "Participant",
    "QueuedConversations",
    "Subscription",
    "Tenant",
    "TypingNow",
]
