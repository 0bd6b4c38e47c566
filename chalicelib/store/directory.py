"""DynamoDB access to the directory table (`directory_models.py`): customer profiles and the
name/e-mail search index; and the customer and phone indexes of conversations, callbacks and
tickets (AP-V8, AP-B3, AP-B4, AP-K3). Every read is a Get or a Query on a key — no Scan."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.connection import Connection as DynamoConnection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.store import keys
from chalicelib.store.directory_models import CustomerProfile, DirectoryItem, SearchTerm
from chalicelib.store.dynamo_errors import (
    CONDITION_FAILED,
    TRANSACTION_CANCELED,
    TRANSACTION_CONFLICT,
    describe,
    error_code,
)
from chalicelib.store.models import ConversationMeta
from chalicelib.store.ports import WriteConflict
from chalicelib.store.work_models import Callback, Ticket


class DynamoDirectoryStore:
    def __init__(self, region: str) -> None:
        self._ddb = DynamoConnection(region=region)

    # ------------------------------------------------------------------ profiles
    def get_profile(self, tenant: str, customer_id: str) -> CustomerProfile | None:
        """AP-U1."""
        try:
            item = DirectoryItem.get(keys.customer_key(tenant, customer_id), keys.PROFILE_SK, consistent_read=True)
        except DoesNotExist:
            return None
        return item if isinstance(item, CustomerProfile) else None

    def save_profile(
        self, profile: CustomerProfile, before: CustomerProfile | None, add: list[SearchTerm], remove: list[SearchTerm]
    ) -> None:
        if before is None:
            condition: Condition = DirectoryItem.pk.does_not_exist()
        else:
            condition = CustomerProfile.revision == before.revision
        # Every field but the latest conversation, which `set_last_conversation` owns.
        actions = [
            CustomerProfile.name.set(profile.name),
            _set_or_remove(CustomerProfile.email, profile.email),
            CustomerProfile.verified.set(bool(profile.verified)),
            _set_or_remove(CustomerProfile.external_id, profile.external_id),
            _set_or_remove(CustomerProfile.page_url, profile.page_url),
            _set_or_remove(CustomerProfile.page_title, profile.page_title),
            _set_or_remove(CustomerProfile.locale, profile.locale),
            _set_or_remove(CustomerProfile.user_agent, profile.user_agent),
            CustomerProfile.last_seen.set(profile.last_seen),
            _set_or_remove(CustomerProfile.terms, profile.terms or None),
            CustomerProfile.revision.set(profile.revision),
        ]
        if before is not None and not add and not remove:
            # Most page loads change only the page and last_seen: one plain write, not a transaction.
            try:
                profile.update(actions=actions, condition=condition)
            except UpdateError as exc:
                if error_code(exc) == CONDITION_FAILED:
                    raise WriteConflict("the profile changed meanwhile") from exc
                raise
            return
        try:
            with TransactWrite(connection=self._ddb) as tw:
                if before is None:
                    tw.save(profile, condition=condition)
                else:
                    tw.update(profile, actions=actions, condition=condition)
                for term in add:
                    tw.save(term)
                for term in remove:
                    tw.delete(term)
        except TransactWriteError as exc:
            if error_code(exc) in (TRANSACTION_CANCELED, TRANSACTION_CONFLICT):
                raise WriteConflict(describe(exc)) from exc
            raise

    def set_last_conversation(self, tenant: str, customer_id: str, conversation_id: str) -> None:
        profile = CustomerProfile(keys.customer_key(tenant, customer_id), keys.PROFILE_SK)
        try:
            profile.update(
                actions=[CustomerProfile.last_conversation_id.set(conversation_id)],
                condition=DirectoryItem.pk.exists(),
            )
        except UpdateError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise

    def search_terms(self, tenant: str, field: str, prefix: str, limit: int) -> list[SearchTerm]:
        """AP-U2."""
        items = DirectoryItem.query(
            keys.search_term_pk(tenant, field, prefix), DirectoryItem.sk.startswith(prefix), limit=limit
        )
        return [i for i in items if isinstance(i, SearchTerm)]

    # ------------------------------------------------------------------ a customer's work, by index
    def customer_conversations(self, tenant: str, customer_id: str, limit: int) -> list[ConversationMeta]:
        """AP-V8."""
        items = ConversationMeta.by_customer.query(
            keys.customer_key(tenant, customer_id), scan_index_forward=False, limit=limit
        )
        return [m for m in items if isinstance(m, ConversationMeta)]

    def customer_callbacks(self, tenant: str, customer_id: str, limit: int) -> list[Callback]:
        """AP-B3."""
        return list(
            Callback.by_customer.query(keys.customer_key(tenant, customer_id), scan_index_forward=False, limit=limit)
        )

    def customer_tickets(self, tenant: str, customer_id: str, limit: int) -> list[Ticket]:
        """AP-K3."""
        return list(
            Ticket.by_customer.query(keys.customer_key(tenant, customer_id), scan_index_forward=False, limit=limit)
        )

    def callbacks_by_phone(self, tenant: str, e164: str, limit: int) -> list[Callback]:
        """AP-B4."""
        return list(Callback.by_phone.query(keys.phone_key(tenant, e164), scan_index_forward=False, limit=limit))


def _set_or_remove(attr: Attribute[Any], value: Any) -> Action:
    return attr.set(value) if value is not None else attr.remove()
