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


def conversation_id_from_pk(pk: str) -> str:
    return pk.rsplit("#C#", 1)[-1]


def text_hash(text: str) -> str:
    """What an idempotency key remembers of its message: a resend must carry the same text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
