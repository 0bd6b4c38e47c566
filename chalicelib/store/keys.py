"""Every key format the hub writes, in one place.

The tenant is part of every key the hub builds. The one key without it is the
connection id: API Gateway assigns it (globally unique) and hands the Lambda
nothing else on later messages, so it is the lookup *from which* the tenant
bound at `$connect` is read.
"""

from __future__ import annotations

import hashlib
import secrets

META_SK = "META"
PARTICIPANT_PREFIX = "P#"
SUBSCRIPTION_PREFIX = "S#"
CLIENT_KEY_PREFIX = "K#"
PROFILE_SK = "PROFILE"
CANNED_PREFIX = "CANNED#"
SHORTCUT_PREFIX = "SHORTCUT#"
HOURS_SK = "HOURS"
IDENTITY_SK = "IDENTITY"
CSAT_PREFIX = "CSAT#"


def conversation_pk(tenant: str, conversation_id: str) -> str:
    return f"T#{tenant}#C#{conversation_id}"


def participant_sk(user_id: str) -> str:
    return f"{PARTICIPANT_PREFIX}{user_id}"


def subscription_sk(connection_id: str) -> str:
    return f"{SUBSCRIPTION_PREFIX}{connection_id}"


def client_key_sk(author_id: str, client_id: str) -> str:
    return f"{CLIENT_KEY_PREFIX}{author_id}#{client_id}"


def history_subject(tenant: str, kind: str, item_id: str) -> str:
    """The history partition of one subject: kind "CB" (callback), "TK" (ticket) or "MODE"."""
    return f"T#{tenant}#{kind}#{item_id}"


def customer_key(tenant: str, customer_id: str) -> str:
    """A customer within a tenant: the directory profile's partition and the `by_customer` GSIs."""
    return f"T#{tenant}#CU#{customer_id}"


def phone_key(tenant: str, e164: str) -> str:
    """GSI key: a tenant's callbacks to one number (search by phone)."""
    return f"T#{tenant}#P#{e164}"


def search_term_pk(tenant: str, field: str, term: str) -> str:
    """A search-term partition: one field's terms starting with the same two characters."""
    return f"T#{tenant}#S#{field}#{term[:2]}"


def search_term_sk(term: str, customer_id: str) -> str:
    return f"{term}#{customer_id}"


def canned_sk(reply_id: str) -> str:
    return f"{CANNED_PREFIX}{reply_id}"


def shortcut_sk(shortcut: str) -> str:
    return f"{SHORTCUT_PREFIX}{shortcut}"


def csat_day_sk(day: str) -> str:
    return f"{CSAT_PREFIX}{day}"


def new_reply_id() -> str:
    return "cr_" + secrets.token_urlsafe(9)


def verified_customer_id(tenant: str, external_id: str) -> str:
    """A verified customer's id, derived from the tenant's own user id: the same on every
    device and session, and never one a visitor is given (those start with `cu_`)."""
    digest = hashlib.sha256(f"{tenant}\x00{external_id}".encode()).hexdigest()
    return "cv_" + digest[:24]


def conversation_id_from_pk(pk: str) -> str:
    return pk.rsplit("#C#", 1)[-1]


def text_hash(text: str) -> str:
    """What an idempotency key remembers of its message: a resend must carry the same text."""
    return hashlib.sha256(text.encode()).hexdigest()  # str.encode is always UTF-8


def tenant_role(tenant: str, role: str) -> str:
    """GSI key: every live connection of one role in a tenant (agent fan-out)."""
    return f"{tenant}#{role}"


def tenant_user(tenant: str, role: str, user_id: str) -> str:
    """GSI key: every live connection of one user (presence reachability)."""
    return f"{tenant}#{role}#{user_id}"


def new_conversation_id() -> str:
    return "c_" + secrets.token_urlsafe(12)


def new_customer_id() -> str:
    return "cu_" + secrets.token_urlsafe(12)


def widget_key_tenant(widget_key: str) -> str | None:
    """Widget keys look like `wk_<tenant>_<random>`; the tenant part picks the record to check."""
    parts = widget_key.split("_")
    if len(parts) < 3 or parts[0] != "wk" or not parts[1]:
        return None
    return parts[1]
