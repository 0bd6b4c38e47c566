"""Search, tenant-scoped and without a Scan: what an agent types is read as one of

- an id (`c_…` conversation, `tk_…` ticket, `cb_…` callback, `cu_…`/`cv_…` customer): one Get;
- an e-mail address (contains `@`): customers whose e-mail starts with it (AP-U2);
- a phone number (digits, `+`, spaces, dashes, brackets; at least 6 digits): normalized to
  E.164 with the tenant's default region (`Tenant.phone_region`; else the agent's), then the
  callbacks to that number
  (AP-B4);
- otherwise a name: customers with a name word starting with the first word typed (AP-U2),
  keeping those whose name matches every word typed.

Every result says what to open: a customer (the dashboard opens their panel and newest
conversation), a conversation, a callback or a ticket (and its conversation when it has one).

What cannot be searched: the text of messages and notes, ticket subjects and callback reasons.
Finding words inside free text needs an inverted index over every message (a search engine);
DynamoDB can only look items up by key, and a Scan over all messages on each keystroke costs
what the whole history weighs. `NOT_SEARCHABLE` says so to the agent.
"""

from __future__ import annotations

import re

from chalicelib.contract.rest.agent_day import SearchAnswer
from chalicelib.contract.views.agent_day import SearchResult
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import InvalidAction
from chalicelib.platform.terms import MIN_TERM, email_term, fold, words
from chalicelib.store.models import ConversationMeta
from chalicelib.store.ports import DirectoryStore, WorkStore
from chalicelib.store.work_models import Callback, Ticket
from chalicelib.work.callback_request import normalize_phone

MAX_QUERY = 100
MAX_RESULTS = 20
TERM_READ_LIMIT = 100
NOT_SEARCHABLE = (
    "Message text, notes, ticket subjects and callback reasons are not searchable: that needs a "
    "search engine. Search by name, e-mail, phone number or id."
)
_ID = re.compile(r"^(c|cb|tk|cu|cv)_[A-Za-z0-9_-]{4,64}$")
_PHONE = re.compile(r"^\+?[\d\s().-]+$")


def kind_of(query: str) -> str:
    """What a query is read as: "id", "email", "phone" or "name"."""
    if _ID.match(query):
        return "id"
    if "@" in query:
        return "email"
    if _PHONE.match(query) and sum(c.isdigit() for c in query) >= 6:
        return "phone"
    return "name"


class Search:
    def __init__(self, directory: DirectoryStore, work: WorkStore, clock: Clock) -> None:
        self.directory = directory
        self.work = work
        self.clock = clock

    def default_region(self, tenant_id: str) -> str | None:
        """The tenant's region for national phone numbers (`Tenant.phone_region`), if it set one."""
        tenant = self.work.get_tenant(tenant_id)
        return str(tenant.phone_region) if tenant is not None and tenant.phone_region else None

    def find(self, tenant: str, query: str, region: str | None = None) -> SearchAnswer:
        q = (query or "").strip()
        if not q or len(q) > MAX_QUERY:
            raise InvalidAction(f"q: 1 to {MAX_QUERY} characters")
        kind = kind_of(q)
        note: str | None = None
        if kind == "id":
            results = self._by_id(tenant, q)
        elif kind == "email":
            results = self._customers(tenant, "email", email_term(q) or "", [])
        elif kind == "phone":
            results, note = self._by_phone(tenant, q, self.default_region(tenant) or region)
        else:
            typed = words(q)
            if not typed or len(typed[0]) < MIN_TERM:
                raise InvalidAction(f"q: type at least {MIN_TERM} letters of a name")
            results = self._customers(tenant, "name", typed[0], typed)
        return SearchAnswer(q, kind, results[:MAX_RESULTS], note, NOT_SEARCHABLE)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ by kind
    def _customers(self, tenant: str, field: str, prefix: str, typed: list[str]) -> list[SearchResult]:
        """AP-U2: one Query; a customer result opens their newest conversation through the panel."""
        if len(prefix) < MIN_TERM:
            return []
        out: dict[str, SearchResult] = {}
        for term in self.directory.search_terms(tenant, field, prefix, TERM_READ_LIMIT):
            if term.customer_id not in out and _matches_all(str(term.name), typed[1:]):
                out[str(term.customer_id)] = _result(
                    "customer",
                    str(term.customer_id),
                    str(term.name),
                    term.email or ("Verified customer" if term.verified else "Visitor"),
                    customer_id=str(term.customer_id),
                    verified=bool(term.verified),
                )
        return list(out.values())

    def _by_phone(self, tenant: str, q: str, region: str | None) -> tuple[list[SearchResult], str | None]:
        try:
            e164 = normalize_phone(q, region)
        except InvalidAction as exc:
            hint = "" if region else " (type the number with its +country code)"
            return [], f"{exc.message}{hint}"
        results = [_callback(cb) for cb in self.directory.callbacks_by_phone(tenant, e164, MAX_RESULTS)]
        return results, None if results else f"No callback to {e164}."

    def _by_id(self, tenant: str, q: str) -> list[SearchResult]:
        prefix = q.split("_", 1)[0]
        if prefix == "c":
            meta = self.work.conversation(tenant, q)
            return [_conversation(meta)] if meta is not None else []
        if prefix == "cb":
            cb = self.work.get_callback(tenant, q)
            return [_callback(cb)] if cb is not None else []
        if prefix == "tk":
            t = self.work.get_ticket(tenant, q)
            return [_ticket(t)] if t is not None else []
        profile = self.directory.get_profile(tenant, q)
        if profile is None:
            return []
        return [
            _result(
                "customer",
                str(profile.customer_id),
                str(profile.name),
                profile.email or ("Verified customer" if profile.verified else "Visitor"),
                customer_id=str(profile.customer_id),
                conversation_id=profile.last_conversation_id,
                verified=bool(profile.verified),
                at=float(profile.last_seen),
            )
        ]


# ------------------------------------------------------------------ results
def _result(
    kind: str,
    item_id: str,
    title: str,
    detail: str,
    customer_id: str | None = None,
    conversation_id: str | None = None,
    verified: bool | None = None,
    at: float | None = None,
) -> SearchResult:
    return SearchResult(
        kind=kind,  # type: ignore[arg-type]
        id=item_id,
        title=title,
        detail=detail,
        customer_id=customer_id,
        conversation_id=conversation_id,
        verified=verified,
        at=iso(at) if at is not None else None,
    )


def _conversation(meta: ConversationMeta) -> SearchResult:
    return _result(
        "conversation",
        str(meta.conversation_id),
        str(meta.customer_name),
        f"Conversation {meta.status}",
        customer_id=str(meta.customer_id),
        conversation_id=str(meta.conversation_id),
        at=float(meta.updated_at),
    )


def _callback(cb: Callback) -> SearchResult:
    return _result(
        "callback",
        str(cb.callback_id),
        f"{cb.customer_name} · {cb.phone}",
        f"Callback {cb.status}",
        customer_id=cb.customer_id,
        conversation_id=cb.conversation_id,
        at=float(cb.created_at),
    )


def _ticket(t: Ticket) -> SearchResult:
    return _result(
        "ticket",
        str(t.ticket_id),
        str(t.subject),
        f"Ticket {str(t.status).replace('_', ' ')}",
        customer_id=t.customer_id,
        conversation_id=t.conversation_id,
        at=float(t.updated_at),
    )


def _matches_all(name: str, typed: list[str]) -> bool:
    """Every further word typed starts some word of the name ('kim and' finds 'Kim Andersson')."""
    have = words(fold(name))
    return all(any(w.startswith(t) for w in have) for t in typed)
