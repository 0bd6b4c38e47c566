"""ConversationStore: a conversation's partition and its timeline (AP-V…, AP-M…)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from chalicelib.store.models import ClientKey, ConversationMeta, Message, Participant
from chalicelib.store.ports.values import Allocation, ConversationState, NewEntry, OwnerChange, QueuedConversation


class ConversationStore(Protocol):
    """A conversation's partition (meta, participants, subscriptions, idempotency keys) and its
    timeline of messages."""

    def load_conversation(self, tenant: str, conversation_id: str, now: float) -> ConversationState | None:
        """AP-V1: META, participants and live subscriptions in one Query."""
        ...

    def create_conversation(self, meta: ConversationMeta, customer: Participant, now: float) -> None:
        """Stores a `new` conversation: not in the inbox, the active chats or the counters yet."""
        ...

    def start_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """new → open (the customer wrote or asked for a callback): it enters the inbox (AP-V4),
        the open conversations (AP-V5) and the active-chats counter. False if it was not new."""
        ...

    def change_owner(self, state: ConversationState, change: OwnerChange, now: float) -> None:
        """One transaction: the conversation's owner (conditioned on `expect_owner` and on being
        open), the owners' participant roles, both agents' open-chat counts (the new one
        conditioned on `capacity`), the queue entry and the history record.
        Raises OwnerConflict or AgentFull."""
        ...

    def queue(self, tenant: str, limit: int) -> list[QueuedConversation]:
        """AP-V7: conversations waiting for an agent, first come first."""
        ...

    def queue_place(self, tenant: str, queued_at: float) -> int:
        """AP-V7: 1 + how many conversations wait ahead of one queued at `queued_at` (a COUNT)."""
        ...

    def close_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """Closes an open conversation; False when it was already closed."""
        ...

    def reopen_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """A customer wrote into a closed conversation: it is active again; False if it was not closed."""
        ...

    def list_conversations(self, tenant: str, limit: int) -> list[ConversationMeta]:
        """AP-V4: most recent activity first."""
        ...

    def get_client_key(self, tenant: str, conversation_id: str, author_id: str, client_id: str) -> ClientKey | None:
        """AP-V2."""
        ...

    def append(
        self,
        state: ConversationState,
        entry: NewEntry,
        now: float,
        new_participant: Participant | None = None,
    ) -> Message:
        """Stores one entry with the next numbers by compare-and-set, atomically (see the
        DynamoDB store). Raises SequenceConflict or ClientIdTaken; nothing is written then."""
        ...

    def allocate(
        self,
        state: ConversationState,
        entry: NewEntry,
        now: float,
        contended_for: float = 0.0,
    ) -> Allocation:
        """Takes the next numbers with an atomic counter (never conflicts). The owner never
        changes here: only `change_owner` does."""
        ...

    def write_allocated(
        self,
        state: ConversationState,
        entry: NewEntry,
        alloc: Allocation,
        now: float,
        new_participant: Participant | None = None,
    ) -> Message:
        """Writes an entry under allocated numbers, with its idempotency key. Raises
        ClientIdTaken, SequenceTaken or ParticipantExists; nothing is written then."""
        ...

    def put_void(self, tenant: str, conversation_id: str, void: Allocation, now: float) -> bool:
        """Fills an empty number with a `void` entry; False when an entry is already there."""
        ...

    def get_message(self, tenant: str, conversation_id: str, seq: int) -> Message | None: ...

    def entries_from(self, tenant: str, conversation_id: str, first: int, last: int | None = None) -> Iterator[Message]:
        """AP-M1: every entry (voids included) from seq `first` (to `last`), ascending, consistent."""
        ...

    def public_from(self, tenant: str, conversation_id: str, first: int) -> Iterator[Message]:
        """AP-M2: public entries (and public voids) from public number `first`, ascending, consistent."""
        ...

    def advance_cursor(self, participant: Participant, field_name: str, seq: int, pseq: int) -> bool:
        """Moves a delivered/read cursor forward in both numberings (read implies delivered);
        False when it was already at or past `seq`."""
        ...

    def set_typing(self, tenant: str, participant: Participant, at: float | None) -> None: ...
