"""DynamoDB access to the desk table (`desk_models.py`): canned replies with their unique
shortcuts, business hours, the identity-verification secret, and CSAT per day — the rating
itself is stored on the conversation in the same transaction as its day's counts."""

from __future__ import annotations

from pynamodb.connection import Connection as DynamoConnection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.store import keys
from chalicelib.store.desk_models import CannedReply, CsatDay, DeskItem, HoursItem, IdentitySecret, ShortcutClaim
from chalicelib.store.dynamo_errors import (
    CONDITION_FAILED,
    TRANSACTION_CANCELED,
    TRANSACTION_CONFLICT,
    describe,
    error_code,
)
from chalicelib.store.models import ConversationMeta
from chalicelib.store.ports import ShortcutTaken, WriteConflict


def _reasons(exc: TransactWriteError) -> list[str | None]:
    return [r.code if r else None for r in (exc.cancellation_reasons or [])]


class DynamoDeskStore:
    def __init__(self, region: str) -> None:
        self._ddb = DynamoConnection(region=region)

    # ------------------------------------------------------------------ canned replies
    def canned_replies(self, tenant: str) -> list[CannedReply]:
        """AP-D1."""
        items = DeskItem.query(tenant, DeskItem.sk.startswith(keys.CANNED_PREFIX), consistent_read=True)
        return [i for i in items if isinstance(i, CannedReply)]

    def get_canned(self, tenant: str, reply_id: str) -> CannedReply | None:
        """AP-D2."""
        try:
            item = DeskItem.get(tenant, keys.canned_sk(reply_id), consistent_read=True)
        except DoesNotExist:
            return None
        return item if isinstance(item, CannedReply) else None

    @staticmethod
    def _claim(reply: CannedReply) -> ShortcutClaim:
        return ShortcutClaim(reply.tenant, keys.shortcut_sk(str(reply.shortcut)), reply_id=reply.reply_id)

    def create_canned(self, reply: CannedReply) -> None:
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.save(reply, condition=DeskItem.sk.does_not_exist())
                tw.save(self._claim(reply), condition=DeskItem.sk.does_not_exist())
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in _reasons(exc):
                raise ShortcutTaken(str(reply.shortcut)) from exc
            raise

    def update_canned(self, reply: CannedReply, before: CannedReply) -> None:
        moved = reply.shortcut != before.shortcut
        try:
            with TransactWrite(connection=self._ddb) as tw:
                # The version attribute makes this save conditional on the version read.
                tw.save(reply)
                if moved:
                    tw.save(self._claim(reply), condition=DeskItem.sk.does_not_exist())
                    tw.delete(self._claim(before), condition=ShortcutClaim.reply_id == before.reply_id)
        except TransactWriteError as exc:
            reasons = _reasons(exc)
            # PynamoDB sends deletes before puts, each in call order: [old claim, reply, new claim].
            if moved and len(reasons) > 2 and reasons[2] == "ConditionalCheckFailed":
                raise ShortcutTaken(str(reply.shortcut)) from exc
            if error_code(exc) in (TRANSACTION_CANCELED, TRANSACTION_CONFLICT):
                raise WriteConflict(describe(exc)) from exc
            raise

    def delete_canned(self, reply: CannedReply) -> None:
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.delete(reply, condition=CannedReply.version == reply.version)
                tw.delete(self._claim(reply), condition=ShortcutClaim.reply_id == reply.reply_id)
        except TransactWriteError as exc:
            if error_code(exc) in (TRANSACTION_CANCELED, TRANSACTION_CONFLICT):
                raise WriteConflict(describe(exc)) from exc
            raise

    # ------------------------------------------------------------------ hours and identity
    def get_hours(self, tenant: str) -> HoursItem | None:
        """AP-D3."""
        try:
            item = DeskItem.get(tenant, keys.HOURS_SK)
        except DoesNotExist:
            return None
        return item if isinstance(item, HoursItem) else None

    def put_hours(self, item: HoursItem) -> None:
        item.save()

    def delete_hours(self, tenant: str) -> None:
        HoursItem(tenant, keys.HOURS_SK).delete()

    def get_identity_secret(self, tenant: str) -> IdentitySecret | None:
        """AP-D4."""
        try:
            item = DeskItem.get(tenant, keys.IDENTITY_SK, consistent_read=True)
        except DoesNotExist:
            return None
        return item if isinstance(item, IdentitySecret) else None

    def put_identity_secret(self, item: IdentitySecret, replaces: IdentitySecret | None) -> None:
        condition = (
            DeskItem.sk.does_not_exist() if replaces is None else IdentitySecret.rotated_at == replaces.rotated_at
        )
        try:
            item.save(condition=condition)
        except PutError as exc:
            if error_code(exc) == CONDITION_FAILED:
                raise WriteConflict("the secret was rotated meanwhile") from exc
            raise

    # ------------------------------------------------------------------ CSAT
    def record_rating(
        self,
        tenant: str,
        conversation_id: str,
        customer_id: str,
        rating: int,
        comment: str | None,
        now: float,
        day: str,
    ) -> bool:
        meta = ConversationMeta(keys.conversation_pk(tenant, conversation_id), keys.META_SK)
        actions: list[Action] = [ConversationMeta.csat_rating.set(rating), ConversationMeta.csat_at.set(now)]
        if comment:
            actions.append(ConversationMeta.csat_comment.set(comment))
        score = getattr(CsatDay, f"score_{rating}")
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.update(
                    meta,
                    actions=actions,
                    condition=ConversationMeta.csat_rating.does_not_exist()
                    & (ConversationMeta.customer_id == customer_id),
                )
                tw.update(
                    CsatDay(tenant, keys.csat_day_sk(day)),
                    actions=[
                        CsatDay.item_type.set(CsatDay),  # the discriminator of an item ADD creates
                        CsatDay.day.set(day),
                        CsatDay.ratings.add(1),
                        CsatDay.score_sum.add(rating),
                        score.add(1),
                    ],
                )
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in _reasons(exc):
                return False
            raise
        return True

    def csat_days(self, tenant: str, first_day: str, last_day: str) -> list[CsatDay]:
        """AP-D5."""
        items = DeskItem.query(
            tenant, DeskItem.sk.between(keys.csat_day_sk(first_day), keys.csat_day_sk(last_day)), consistent_read=True
        )
        return [i for i in items if isinstance(i, CsatDay)]
