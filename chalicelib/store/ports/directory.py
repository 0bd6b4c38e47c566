"""DirectoryStore: customer profiles, search terms, the customer and phone indexes (AP-U…)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.store.directory_models import CustomerProfile, SearchTerm
from chalicelib.store.models import ConversationMeta
from chalicelib.store.work_models import Callback, Ticket


class DirectoryStore(Protocol):
    """Customer profiles and the search index (the directory table, AP-U…), and the customer
    and phone indexes of conversations, callbacks and tickets."""

    def get_profile(self, tenant: str, customer_id: str) -> CustomerProfile | None:
        """AP-U1."""
        ...

    def save_profile(
        self, profile: CustomerProfile, before: CustomerProfile | None, add: list[SearchTerm], remove: list[SearchTerm]
    ) -> None:
        """Creates or updates a profile with its search-term changes, in one transaction (guarded
        by the revision read in `before`). Raises WriteConflict."""
        ...

    def set_last_conversation(self, tenant: str, customer_id: str, conversation_id: str) -> None:
        """Points an existing profile at the customer's newest conversation (no profile: nothing)."""
        ...

    def search_terms(self, tenant: str, field: str, prefix: str, limit: int) -> list[SearchTerm]:
        """AP-U2: terms of `field` starting with `prefix` (two characters at least)."""
        ...

    def customer_conversations(self, tenant: str, customer_id: str, limit: int) -> list[ConversationMeta]:
        """AP-V8: newest first."""
        ...

    def customer_callbacks(self, tenant: str, customer_id: str, limit: int) -> list[Callback]:
        """AP-B3: newest first."""
        ...

    def customer_tickets(self, tenant: str, customer_id: str, limit: int) -> list[Ticket]:
        """AP-K3: newest first."""
        ...

    def callbacks_by_phone(self, tenant: str, e164: str, limit: int) -> list[Callback]:
        """AP-B4: newest first."""
        ...
