"""DynamoDB access for the hub: counters, the open work they are recomputed from, presence and
typing drift, and the tenant's mode. Reads walk sparse open-work indexes only, never history."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.store import keys
from chalicelib.store.dynamo_errors import error_code
from chalicelib.store.models import (
    AgentPresence,
    Connection,
    ConversationItem,
    ConversationMeta,
    Participant,
    Tenant,
)
from chalicelib.store.ports import TypingIndicator
from chalicelib.store.work import OpenWorkReads
from chalicelib.store.work_models import HistoryEntry, HubCounters


class DynamoHubStore(OpenWorkReads):
    def __init__(self) -> None:
        super().__init__(consistent_reads=True)

    # ------------------------------------------------------------------ counters
    def get_counters(self, tenant: str) -> HubCounters | None:
        """AP-H1."""
        try:
            return HubCounters.get(tenant, consistent_read=True)
        except DoesNotExist:
            return None

    def set_counters(self, tenant: str, values: dict[str, int], now: float) -> None:
        HubCounters(tenant).update(
            actions=[getattr(HubCounters, k).set(v) for k, v in values.items()] + [HubCounters.recomputed_at.set(now)]
        )

    def reset_delivery_failures(self, tenant: str, failed: int, now: float) -> None:
        HubCounters(tenant).update(
            actions=[HubCounters.delivery_failures.set(failed), HubCounters.delivery_window_at.set(now)]
        )

    def add_delivery_failures(self, tenant: str, failed: int) -> None:
        HubCounters(tenant).update(actions=[HubCounters.delivery_failures.add(failed)])

    def set_drift_figures(self, tenant: str, presence_drift: int, typing_drift: int) -> None:
        HubCounters(tenant).update(
            actions=[HubCounters.presence_drift.set(presence_drift), HubCounters.typing_drift.set(typing_drift)]
        )

    def set_widget_offer(self, tenant: str, offer: str) -> bool:
        """Records what the widgets were told; False when it was already `offer` (the write is
        conditional, so of two racing flips exactly one returns True)."""
        try:
            HubCounters(tenant).update(
                actions=[HubCounters.widget_offer.set(offer)],
                condition=HubCounters.widget_offer.does_not_exist() | (HubCounters.widget_offer != offer),
            )
        except UpdateError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # ------------------------------------------------------------------ open work and presence
    def active_conversations(self, tenant: str) -> list[ConversationMeta]:
        """AP-V5: open conversations only."""
        return [m for m in ConversationMeta.active_by_tenant.query(tenant) if isinstance(m, ConversationMeta)]

    def tenant_presence(self, tenant: str) -> list[AgentPresence]:
        """AP-P2."""
        return list(AgentPresence.query(tenant))

    def open_connections(self, tenant: str, role: str) -> int:
        """AP-C2, counted (`Select=COUNT`: DynamoDB returns no items)."""
        return int(Connection.by_tenant_role.count(keys.tenant_role(tenant, role)))

    # ------------------------------------------------------------------ drift
    def mark_presence_drift(self, presence: AgentPresence, target: str) -> bool:
        try:
            presence.update(
                actions=[AgentPresence.drift_status.set(target), AgentPresence.version.add(1)],
                condition=AgentPresence.heartbeat_at == presence.heartbeat_at,
            )
        except UpdateError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False  # a heartbeat arrived meanwhile
            raise
        return True

    def stale_typing(self, tenant: str, older_than: float) -> list[TypingIndicator]:
        """AP-V6: typing indicators switched on before `older_than` and never switched off."""
        return [
            TypingIndicator(
                tenant,
                keys.conversation_id_from_pk(item.pk),
                item.sk.removeprefix(keys.PARTICIPANT_PREFIX),
                float(item.typing_at or 0),
            )
            for item in ConversationItem.typing_by_tenant.query(tenant, ConversationItem.typing_at < older_than)
        ]

    def clear_typing(self, indicator: TypingIndicator) -> bool:
        pk = keys.conversation_pk(indicator.tenant, indicator.conversation_id)
        try:
            Participant(pk, keys.participant_sk(indicator.user_id)).update(
                actions=[Participant.typing_at.remove(), Participant.typing_tenant.remove()],
                condition=Participant.typing_at == indicator.typing_at,
            )
        except UpdateError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # ------------------------------------------------------------------ mode
    def add_history(self, entry: HistoryEntry) -> None:
        entry.save()

    def record_mode(self, tenant: str, mode: str, now: float, by: str, entry: HistoryEntry) -> None:
        Tenant(tenant).update(actions=[Tenant.mode.set(mode), Tenant.mode_at.set(now), Tenant.mode_by.set(by)])
        entry.save()
