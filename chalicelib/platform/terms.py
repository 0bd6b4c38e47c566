"""Search terms (pure): how a customer's name and e-mail become the terms the directory indexes,
and how a query is read the same way — case-folded, accents dropped, split into words.

"Åsa Öberg" is found by "asa", "öberg" or "OBERG"; an e-mail address is one term (lower case).
Terms shorter than MIN_TERM characters are not indexed: a term partition is keyed by its
first two characters (`store/keys.search_term_pk`).
"""

from __future__ import annotations

import re
import unicodedata

MIN_TERM = 2
MAX_NAME_TERMS = 5
MAX_TERM = 64
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*", re.UNICODE)
# Names the widget gives when the customer said nothing: not worth indexing.
PLACEHOLDER_NAMES = frozenset({"visitor", "customer", "caller", "besökare", "kund"})


def fold(text: str) -> str:
    """Lower case without accents: 'Åsa' → 'asa'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return [w[:MAX_TERM] for w in _WORD.findall(fold(text))]


def name_terms(name: str | None) -> list[str]:
    """The words of a name worth indexing (placeholders like 'Visitor' are not)."""
    if not name or fold(name.strip()) in PLACEHOLDER_NAMES:
        return []
    out: list[str] = []
    for w in words(name):
        if len(w) >= MIN_TERM and w not in out:
            out.append(w)
    return out[:MAX_NAME_TERMS]


def email_term(email: str | None) -> str | None:
    if not email:
        return None
    term = email.strip().casefold()[:MAX_TERM]
    return term if len(term) >= MIN_TERM else None
