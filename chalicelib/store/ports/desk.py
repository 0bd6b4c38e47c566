"""DeskStore: canned replies, business hours, the identity secret, CSAT per day (AP-D…)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.store.desk_models import CannedReply, CsatDay, HoursItem, IdentitySecret


class DeskStore(Protocol):
    """What a tenant sets up for its agents' day and counts per day (the desk table, AP-D…)."""

    def canned_replies(self, tenant: str) -> list[CannedReply]:
        """AP-D1."""
        ...

    def get_canned(self, tenant: str, reply_id: str) -> CannedReply | None:
        """AP-D2."""
        ...

    def create_canned(self, reply: CannedReply) -> None:
        """Stores a new reply and claims its shortcut. Raises ShortcutTaken."""
        ...

    def update_canned(self, reply: CannedReply, before: CannedReply) -> None:
        """Saves a changed reply (guarded by its version), moving the shortcut claim when the
        shortcut changed. Raises ShortcutTaken or WriteConflict."""
        ...

    def delete_canned(self, reply: CannedReply) -> None:
        """Removes a reply and its shortcut claim. Raises WriteConflict when it changed meanwhile."""
        ...

    def get_hours(self, tenant: str) -> HoursItem | None:
        """AP-D3."""
        ...

    def put_hours(self, item: HoursItem) -> None: ...

    def delete_hours(self, tenant: str) -> None:
        """The tenant sets no hours any more: open around the clock."""
        ...

    def get_identity_secret(self, tenant: str) -> IdentitySecret | None:
        """AP-D4."""
        ...

    def put_identity_secret(self, item: IdentitySecret, replaces: IdentitySecret | None) -> None:
        """Stores a (rotated) secret; `replaces` is what was read (WriteConflict if it changed)."""
        ...

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
        """Stores a conversation's rating and counts it in its day, in one transaction; False when
        the conversation was rated already (nothing changes then)."""
        ...

    def csat_days(self, tenant: str, first_day: str, last_day: str) -> list[CsatDay]:
        """AP-D5: the days with ratings between two days (inclusive), oldest first."""
        ...
