"""The plain values the ports pass: conversation state, new entries, owner changes, allocations."""

from __future__ import annotations

from msgspec import Struct, field

from chalicelib.store.models import ConversationMeta, Participant, Subscription
from chalicelib.store.work_models import HistoryEntry


# ------------------------------------------------------------------ values
class ConversationState(Struct):
    """Everything in a conversation's partition except its idempotency keys (AP-V1)."""

    meta: ConversationMeta
    participants: dict[str, Participant] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    # Who spoke last before the entry just appended ("customer" means it was already waiting).
    spoke_last_before: str | None = None

    @property
    def tenant(self) -> str:
        return str(self.meta.tenant)

    @property
    def conversation_id(self) -> str:
        return str(self.meta.conversation_id)


class NewEntry(Struct, frozen=True):
    kind: str  # "text" | "note" | "system"
    author_role: str
    author_id: str
    author_name: str
    text: str
    client_id: str
    code: str | None = None  # system lines: what happened (`live/lines.py`)
    params: str | None = None  # system lines: JSON object of the code's parameters

    @property
    def public(self) -> bool:
        return self.kind != "note"


class OwnerChange(Struct, frozen=True):
    """One change of a conversation's owner, applied atomically by `ConversationStore.change_owner`."""

    to: tuple[str, str] | None  # (agent id, name); None: back to the queue
    expect_owner: str | None  # the owner it must still have (None: it must have none)
    capacity: int | None  # when set, the new owner must have fewer open chats than this
    queue_at: float | None = None  # with `to=None`: its place in the queue (AP-V7)
    record: HistoryEntry | None = None  # the assignment history entry written with it


class QueuedConversation(Struct, frozen=True):
    """A conversation waiting for an agent (AP-V7)."""

    conversation_id: str
    customer_id: str
    queued_at: float


class Allocation(Struct, frozen=True):
    """The numbers of one timeline entry: `seq` (every entry), `pseq` (public entries only)
    and `pfloor` (the public count at this entry)."""

    seq: int
    pseq: int | None
    pfloor: int


class TypingIndicator(Struct, frozen=True):
    """A participant's typing indicator that is switched on (AP-V6)."""

    tenant: str
    conversation_id: str
    user_id: str
    typing_at: float
