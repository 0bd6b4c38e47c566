"""What a store reports when a write cannot happen (nothing was written then)."""

from __future__ import annotations

from chalicelib.store.models import ClientKey


# ------------------------------------------------------------------ outcomes a store reports
class SequenceConflict(Exception):
    """Another writer took the next sequence first; reload and try again."""


class ClientIdTaken(Exception):
    """This author already stored an entry with this client id in this conversation; `key` is
    the stored idempotency key when the store could read it back in the same call."""

    def __init__(self, key: ClientKey | None = None) -> None:
        super().__init__(key.seq if key is not None else None)
        self.key = key


class SequenceTaken(Exception):
    """The number allocated for an entry was filled as void meanwhile (its writer was later
    than readers wait for): nothing was written; allocate again."""


class ParticipantExists(Exception):
    """The participant a join adds is already there: nothing was written."""


class ConnectionGone(Exception):
    """The connection item no longer exists (its `$disconnect` ran first): nothing was written."""


class WriteConflict(Exception):
    """The item changed since it was read, or the caller's expectation does not hold."""


class OwnerConflict(WriteConflict):
    """The conversation's owner is no longer the one expected (or it is not open any more)."""


class AgentFull(WriteConflict):
    """The agent has no free chat place left (or is not in the tenant's agent directory)."""


class ShortcutTaken(Exception):
    """Another canned reply of the tenant already uses this shortcut."""
