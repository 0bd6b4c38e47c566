"""Who each customer is: the context the widget passes (name, e-mail, page, locale, user agent),
checked and bounded, kept as the customer's profile with the search terms that find them.

`CustomerContext.parse` is the one place the widget's context is validated: a malformed e-mail,
URL or locale is refused with the field named; free text is trimmed to its bound. `Profiles`
records a visit (one read and one transaction per page load) and keeps the search terms of
name and e-mail in step with the profile (`platform/terms.py`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from msgspec import Struct
from msgspec.structs import replace

from chalicelib.platform.errors import InvalidAction
from chalicelib.platform.observability import logger
from chalicelib.platform.terms import email_term, name_terms
from chalicelib.store import keys
from chalicelib.store.directory_models import CustomerProfile, SearchTerm
from chalicelib.store.ports import DirectoryStore, WriteConflict

MAX_NAME = 80
MAX_EMAIL = 254
MAX_URL = 2048
MAX_TITLE = 200
MAX_USER_AGENT = 512
MAX_USER_ID = 255
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$")
_HASH = re.compile(r"^[0-9a-fA-F]{64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean(value: str, bound: int) -> str:
    return _CONTROL.sub(" ", value).strip()[:bound]


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidAction(f"{name}: a string is expected")
    return value


class CustomerContext(Struct, frozen=True):
    """What the host page knows about the customer. Nothing here is verified: a verified
    identity comes from `user_id` + `user_hash` alone."""

    name: str | None = None
    email: str | None = None
    page_url: str | None = None
    page_title: str | None = None
    locale: str | None = None
    user_agent: str | None = None

    @classmethod
    def parse(cls, body: dict[str, Any]) -> CustomerContext:
        name = _optional_str(body, "name")
        email = _optional_str(body, "email")
        page_url = _optional_str(body, "page_url")
        page_title = _optional_str(body, "page_title")
        locale = _optional_str(body, "locale")
        user_agent = _optional_str(body, "user_agent")
        if email is not None:
            email = email.strip()
            if len(email) > MAX_EMAIL or not _EMAIL.match(email):
                raise InvalidAction("email: not an e-mail address")
            email = email.casefold()
        if page_url is not None:
            parts = urlsplit(page_url.strip()) if len(page_url) <= MAX_URL else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                raise InvalidAction(f"page_url: an http(s) URL of at most {MAX_URL} characters is expected")
            # The fragment is the page's own client-side state (OAuth's implicit flow puts tokens
            # there): never kept.
            page_url = parts._replace(fragment="").geturl()
        if locale is not None and not _LOCALE.match(locale):
            raise InvalidAction("locale: a language tag such as 'sv-SE' is expected")
        return cls(
            name=_clean(name, MAX_NAME) or None if name is not None else None,
            email=email or None,
            page_url=page_url,
            page_title=_clean(page_title, MAX_TITLE) or None if page_title is not None else None,
            locale=locale,
            user_agent=_clean(user_agent, MAX_USER_AGENT) or None if user_agent is not None else None,
        )

    def with_name(self, name: str) -> CustomerContext:
        return replace(self, name=_clean(name, MAX_NAME) or None)


def parse_identity(body: dict[str, Any]) -> tuple[str, str] | None:
    """`user_id` and `user_hash` from the widget, both or neither."""
    user_id, user_hash = _optional_str(body, "user_id"), _optional_str(body, "user_hash")
    if user_id is None and user_hash is None:
        return None
    if not user_id or not user_hash:
        raise InvalidAction("user_id and user_hash go together: send both or neither")
    if len(user_id) > MAX_USER_ID or _CONTROL.search(user_id):
        raise InvalidAction(f"user_id: at most {MAX_USER_ID} printable characters")
    if not _HASH.match(user_hash):
        raise InvalidAction("user_hash: the HMAC-SHA256 of user_id as 64 hex characters is expected")
    return user_id, user_hash.lower()


def profile_terms(tenant: str, p: CustomerProfile) -> list[SearchTerm]:
    """The search terms a profile should have: each word of its name, and its e-mail address."""
    wanted: list[tuple[str, str]] = [("name", t) for t in name_terms(p.name)]
    mail = email_term(p.email)
    if mail:
        wanted.append(("email", mail))
    return [
        SearchTerm(
            keys.search_term_pk(tenant, field, term),
            keys.search_term_sk(term, str(p.customer_id)),
            tenant=tenant,
            field=field,
            term=term,
            customer_id=p.customer_id,
            name=p.name,
            email=p.email,
            verified=bool(p.verified),
        )
        for field, term in wanted
    ]


def _term_ids(terms: list[SearchTerm]) -> set[str]:
    return {f"{t.field}:{t.term}" for t in terms}


class Profiles:
    def __init__(self, store: DirectoryStore) -> None:
        self.store = store

    def visit(
        self,
        tenant: str,
        customer_id: str,
        context: CustomerContext,
        now: float,
        verified: bool,
        external_id: str | None,
        fallback_name: str,
    ) -> CustomerProfile:
        """Records a page load of the widget: the context replaces what the last visit said
        (the name and e-mail only when given). Returns the profile as stored."""
        for _attempt in range(3):
            before = self.store.get_profile(tenant, customer_id)
            profile = self._merge(tenant, customer_id, before, context, now, verified, external_id, fallback_name)
            old = profile_terms(tenant, before) if before is not None else []
            new = profile_terms(tenant, profile)
            identity_changed = before is None or (before.name, before.email, bool(before.verified)) != (
                profile.name,
                profile.email,
                bool(profile.verified),
            )
            if identity_changed:
                # A term carries the name, e-mail and verification it shows, so all are rewritten.
                add, remove = new, [t for t in old if f"{t.field}:{t.term}" not in _term_ids(new)]
                profile.revision = int(before.revision) + 1 if before is not None else 1
            else:
                add, remove = [], []
            profile.terms = _term_ids(new) or None
            try:
                self.store.save_profile(profile, before, add, remove)
            except WriteConflict:
                continue  # another tab of this customer changed the profile: read it again
            return profile
        logger.warning("customer profile not updated after 3 attempts", extra={"tenant": tenant})
        return profile

    @staticmethod
    def _merge(
        tenant: str,
        customer_id: str,
        before: CustomerProfile | None,
        ctx: CustomerContext,
        now: float,
        verified: bool,
        external_id: str | None,
        fallback_name: str,
    ) -> CustomerProfile:
        def kept(new: str | None, old: str | None) -> str | None:
            return new if new is not None else old

        return CustomerProfile(
            keys.customer_key(tenant, customer_id),
            keys.PROFILE_SK,
            tenant=tenant,
            customer_id=customer_id,
            name=ctx.name or (before.name if before is not None else None) or fallback_name,
            email=kept(ctx.email, before.email if before is not None else None),
            verified=verified,
            external_id=external_id,
            page_url=kept(ctx.page_url, before.page_url if before is not None else None),
            page_title=ctx.page_title if ctx.page_url is not None else (before.page_title if before else None),
            locale=kept(ctx.locale, before.locale if before is not None else None),
            user_agent=kept(ctx.user_agent, before.user_agent if before is not None else None),
            first_seen=float(before.first_seen) if before is not None else now,
            last_seen=now,
            last_conversation_id=before.last_conversation_id if before is not None else None,
            revision=int(before.revision) if before is not None else 0,
        )
