"""The store ports: what each lane may ask of persistence, as small Protocols, one module a port
(`tenants`, `connections`, `conversations`, `work`, `hub`, `desk`, `directory`), with the
outcomes a store reports (`outcomes`) and the values they pass (`values`) — re-exported here,
the one import path every lane and store uses.

The lanes depend on these, never on PynamoDB queries; `chalicelib.wiring` plugs in the DynamoDB
stores (`store/connections.py`, `conversations.py`, `work.py`, `hub.py`, `tenants.py`), unit
tests plug in in-memory fakes. Records are the PynamoDB model classes used as plain values:
a lane reads and sets their attributes, but only a store ever saves, updates or queries.
"""

from chalicelib.store.ports.connections import ConnectionStore
from chalicelib.store.ports.conversations import ConversationStore
from chalicelib.store.ports.desk import DeskStore
from chalicelib.store.ports.directory import DirectoryStore
from chalicelib.store.ports.hub import HubStore
from chalicelib.store.ports.outcomes import (
    AgentFull,
    ClientIdTaken,
    ConnectionGone,
    OwnerConflict,
    ParticipantExists,
    SequenceConflict,
    SequenceTaken,
    ShortcutTaken,
    WriteConflict,
)
from chalicelib.store.ports.tenants import TenantStore
from chalicelib.store.ports.values import (
    Allocation,
    ConversationState,
    NewEntry,
    OwnerChange,
    QueuedConversation,
    TypingIndicator,
)
from chalicelib.store.ports.work import WorkStore

__all__ = [
    "AgentFull",
    "Allocation",
    "ClientIdTaken",
    "ConnectionGone",
    "ConnectionStore",
    "ConversationState",
    "ConversationStore",
    "DeskStore",
    "DirectoryStore",
    "HubStore",
    "NewEntry",
    "OwnerChange",
    "OwnerConflict",
    "ParticipantExists",
    "QueuedConversation",
    "SequenceConflict",
    "SequenceTaken",
    "ShortcutTaken",
    "TenantStore",
    "TypingIndicator",
    "WorkStore",
    "WriteConflict",
]
