"""Canned replies: a tenant's saved answers, each with a title, a shortcut (typed after `/` in
the composer) and a text that may carry `{customer.name}` and `{agent.name}`.

The dashboard fills the placeholders when it inserts a reply (it knows both names); the hub
keeps the texts, refuses placeholders it does not know, and keeps shortcuts unique per tenant
(a claim item in the same transaction: `store/desk.py`).
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.contract.views.agent_day import CannedReplyView
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import AlreadyTaken, InvalidAction, NotFound
from chalicelib.store import keys
from chalicelib.store.desk_models import CannedReply
from chalicelib.store.ports import DeskStore, ShortcutTaken, WriteConflict

MAX_TITLE = 80
MAX_TEXT = 4000  # what one message may carry
MAX_REPLIES = 500
PLACEHOLDERS = ("{customer.name}", "{agent.name}")
SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_PLACEHOLDER = re.compile(r"\{[^{}\s]{1,40}\}")


def canned_view(r: CannedReply) -> CannedReplyView:
    return CannedReplyView(
        id=r.reply_id,
        title=r.title,
        shortcut=r.shortcut,
        text=r.text,
        updated_at=iso(float(r.updated_at)),
        updated_by=r.updated_by,
    )


def _title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_TITLE:
        raise InvalidAction(f"title: 1 to {MAX_TITLE} characters")
    return value.strip()


def _shortcut(value: Any) -> str:
    shortcut = value.strip().lstrip("/").lower() if isinstance(value, str) else ""
    if not SHORTCUT.match(shortcut):
        raise InvalidAction("shortcut: 1 to 32 of a-z, 0-9, '-' and '_', starting with a letter or digit")
    return shortcut


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise InvalidAction(f"text: 1 to {MAX_TEXT} characters")
    unknown = sorted({p for p in _PLACEHOLDER.findall(value) if p not in PLACEHOLDERS})
    if unknown:
        raise InvalidAction(f"text: unknown placeholder {unknown[0]}; use {' or '.join(PLACEHOLDERS)}")
    return value.strip()


class CannedReplies:
    def __init__(self, store: DeskStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def list(self, tenant: str) -> list[CannedReply]:
        """AP-D1, by shortcut."""
        return sorted(self.store.canned_replies(tenant), key=lambda r: str(r.shortcut))

    def create(self, actor: Actor, title: Any, shortcut: Any, text: Any) -> CannedReply:
        reply_title, reply_shortcut, reply_text = _title(title), _shortcut(shortcut), _text(text)
        if len(self.store.canned_replies(actor.tenant)) >= MAX_REPLIES:
            raise InvalidAction(f"a tenant keeps at most {MAX_REPLIES} canned replies")
        now = self.clock.now()
        reply_id = keys.new_reply_id()
        reply = CannedReply(
            actor.tenant,
            keys.canned_sk(reply_id),
            reply_id=reply_id,
            title=reply_title,
            shortcut=reply_shortcut,
            text=reply_text,
            created_at=now,
            created_by=actor.name,
            updated_at=now,
            updated_by=actor.name,
        )
        try:
            self.store.create_canned(reply)
        except ShortcutTaken:
            raise AlreadyTaken(f"the shortcut /{reply_shortcut} is already used by another reply") from None
        return reply

    def change(self, actor: Actor, reply_id: str, changes: dict[str, Any]) -> CannedReply:
        unknown = set(changes) - {"title", "shortcut", "text"}
        if unknown:
            raise InvalidAction(f"unknown field(s): {', '.join(sorted(unknown))}")
        before = self._get(actor.tenant, reply_id)
        reply = CannedReply.from_raw_data(before.serialize())
        if "title" in changes:
            reply.title = _title(changes["title"])
        if "shortcut" in changes:
            reply.shortcut = _shortcut(changes["shortcut"])
        if "text" in changes:
            reply.text = _text(changes["text"])
        reply.updated_at, reply.updated_by = self.clock.now(), actor.name
        try:
            self.store.update_canned(reply, before)
        except ShortcutTaken:
            raise AlreadyTaken(f"the shortcut /{reply.shortcut} is already used by another reply") from None
        except WriteConflict:
            raise AlreadyTaken("the reply changed meanwhile; reload it") from None
        return reply

    def delete(self, actor: Actor, reply_id: str) -> None:
        reply = self._get(actor.tenant, reply_id)
        try:
            self.store.delete_canned(reply)
        except WriteConflict:
            raise AlreadyTaken("the reply changed meanwhile; reload it") from None

    def _get(self, tenant: str, reply_id: str) -> CannedReply:
        reply = self.store.get_canned(tenant, reply_id) if reply_id.startswith("cr_") else None
        if reply is None:
            raise NotFound(f"no canned reply {reply_id!r}")
        return reply
