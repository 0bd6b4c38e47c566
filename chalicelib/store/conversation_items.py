"""The conversation's partition: load it (AP-V1), create and start it, the inbox (AP-V4), idempotency keys (AP-V2)."""

from __future__ import annotations

from pynamodb.connection import Connection as DynamoConnection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store import counters, keys
from chalicelib.store.dynamo_errors import TRANSACTION_CANCELED, error_code
from chalicelib.store.models import ClientKey, ConversationItem, ConversationMeta, Participant, Subscription
from chalicelib.store.ports import ConversationState
from chalicelib.store.timeline_appends import _failed
from chalicelib.store.work_models import HubCounters


class ConversationItems:
    _ddb: DynamoConnection

    # ------------------------------------------------------------------ conversations
    def load_conversation(self, tenant: str, conversation_id: str, now: float) -> ConversationState | None:
        """AP-V1: META, participants and live subscriptions in one Query."""
        pk = keys.conversation_pk(tenant, conversation_id)
        meta: ConversationMeta | None = None
        participants: dict[str, Participant] = {}
        subs: list[Subscription] = []
        for item in ConversationItem.query(pk, ConversationItem.sk >= keys.META_SK):
            if isinstance(item, ConversationMeta):
                meta = item
            elif isinstance(item, Participant):
                participants[item.user_id] = item
            elif isinstance(item, Subscription) and (item.expires_at is None or item.expires_at.timestamp() > now):
                subs.append(item)
        if meta is None:
            return None
        return ConversationState(meta, participants, subs)

    def create_conversation(self, meta: ConversationMeta, customer: Participant, now: float) -> None:
        """Stores a `new` conversation (it counts nowhere until `start_conversation`) under a
        fresh id. A retried call whose first try was applied (its answer lost) finds the META
        there: the id is new, so it can only be ours."""
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.save(meta, condition=ConversationMeta.pk.does_not_exist())
                tw.save(customer, condition=Participant.pk.does_not_exist())
                changes = counters.delta(None, meta)
                if changes:
                    tw.update(HubCounters(meta.tenant), actions=counters.update_actions(changes, now))
        except TransactWriteError as exc:
            if _failed(list(exc.cancellation_reasons or []), 0):
                return
            raise

    def start_conversation(self, meta: ConversationMeta, now: float) -> bool:
        """new → open: it enters the inbox (AP-V4), the open conversations (AP-V5), its customer's
        conversations (AP-V8: the customer panel never lists a conversation nobody wrote in) and
        the counters."""
        if meta.status != "new":
            return False
        started = ConversationMeta(meta.pk, meta.sk, status="open")
        customer_key = keys.customer_key(str(meta.tenant), str(meta.customer_id))
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.update(
                    meta,
                    actions=[
                        ConversationMeta.status.set("open"),
                        ConversationMeta.gsi_tenant.set(meta.tenant),
                        ConversationMeta.active_tenant.set(meta.tenant),
                        ConversationMeta.started_at.set(now),
                        ConversationMeta.updated_at.set(now),
                        ConversationMeta.customer_key.set(customer_key),
                    ],
                    condition=ConversationMeta.status == "new",
                )
                tw.update(HubCounters(meta.tenant), actions=counters.update_actions(counters.delta(meta, started), now))
        except TransactWriteError as exc:
            if error_code(exc) == TRANSACTION_CANCELED:
                return False
            raise
        meta.status, meta.gsi_tenant, meta.active_tenant = "open", meta.tenant, meta.tenant
        meta.started_at = meta.updated_at = now
        meta.customer_key = customer_key
        return True

    def list_conversations(self, tenant: str, limit: int) -> list[ConversationMeta]:
        """AP-V4: most recent activity first."""
        items = ConversationMeta.by_tenant_activity.query(tenant, scan_index_forward=False, limit=limit)
        return [item for item in items if isinstance(item, ConversationMeta)]

    def get_client_key(self, tenant: str, conversation_id: str, author_id: str, client_id: str) -> ClientKey | None:
        """AP-V2."""
        try:
            item = ClientKey.get(
                keys.conversation_pk(tenant, conversation_id), keys.client_key_sk(author_id, client_id)
            )
        except DoesNotExist:
            return None
        return item if isinstance(item, ClientKey) else None
