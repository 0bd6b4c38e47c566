"""Key formats and counter contributions: the tenant is in every key the hub builds (so no
query can reach another tenant's items), and each item adds to its tenant's counters exactly
what it is."""

from __future__ import annotations

import hashlib

import pytest

from chalicelib.store import counters, keys
from chalicelib.store.models import ConversationMeta
from chalicelib.store.work_models import Callback, Ticket


def test_every_key_carries_its_tenant() -> None:
    assert keys.conversation_pk("acme", "c_1") == "T#acme#C#c_1"
    assert keys.history_subject("acme", "TK", "tk_1") == "T#acme#TK#tk_1"
    assert keys.tenant_role("acme", "agent") == "acme#agent"
    assert keys.tenant_user("acme", "agent", "sub-ana") == "acme#agent#sub-ana"
    assert keys.tenant_role("acme", "agent") != keys.tenant_role("global", "agent")


def test_sort_keys_name_what_they_hold() -> None:
    assert keys.participant_sk("cu_1") == "P#cu_1"
    assert keys.subscription_sk("abc=") == "S#abc="
    assert keys.client_key_sk("cu_1", "m1") == "K#cu_1#m1"
    # AP-V1 reads `sk >= META`: participants and subscriptions sort after it, keys before it.
    assert keys.client_key_sk("cu_1", "m1") < keys.META_SK < keys.participant_sk("a") < keys.subscription_sk("a")


def test_the_conversation_is_read_back_from_its_key_whatever_the_tenant() -> None:
    assert keys.conversation_id_from_pk(keys.conversation_pk("global", "c_1")) == "c_1"
    assert keys.conversation_id_from_pk(keys.conversation_pk("a#C#b", "c_2")) == "c_2"


def test_a_message_is_remembered_by_the_hash_of_its_text() -> None:
    assert keys.text_hash("héllo") == hashlib.sha256("héllo".encode()).hexdigest()
    assert keys.text_hash("a") != keys.text_hash("b")


def test_new_ids_are_random_and_prefixed() -> None:
    ids = {keys.new_conversation_id() for _ in range(50)}
    assert len(ids) == 50 and all(i.startswith("c_") and len(i) == 18 for i in ids)
    customers = {keys.new_customer_id() for _ in range(50)}
    assert len(customers) == 50 and all(i.startswith("cu_") and len(i) == 19 for i in customers)


@pytest.mark.parametrize(
    ("widget_key", "tenant"),
    [
        ("wk_acme_x1", "acme"),
        ("wk_acme_x1_more", "acme"),
        ("wk_acme", None),
        ("wk__x1", None),
        ("pk_acme_x1", None),
        ("acme", None),
        ("", None),
    ],
)
def test_a_widget_key_names_its_tenant_only_in_its_shape(widget_key: str, tenant: str | None) -> None:
    assert keys.widget_key_tenant(widget_key) == tenant


def cb(status: str, overdue: bool = False) -> Callback:
    return Callback("t", "cb", status=status, overdue=overdue)


def ticket(status: str) -> Ticket:
    return Ticket("t", "tk", status=status)


def meta(status: str) -> ConversationMeta:
    return ConversationMeta("pk", "META", status=status)


@pytest.mark.parametrize(
    ("item", "adds"),
    [
        (None, {}),
        (ticket("open"), {"open_tickets": 1}),
        (ticket("waiting_customer"), {"open_tickets": 1}),
        (ticket("waiting_internal"), {"open_tickets": 1, "waiting_internal": 1}),
        (ticket("solved"), {}),
        (cb("queued"), {"callback_queued": 1}),
        (cb("queued", overdue=True), {"callback_queued": 1, "callback_overdue": 1}),
        (cb("claimed", overdue=True), {"callback_overdue": 1}),
        (cb("claimed"), {}),
        (cb("completed", overdue=True), {}),
        (cb("failed", overdue=True), {}),
        (meta("open"), {"active_chats": 1}),
        (meta("closed"), {}),
        ("something else", {}),
    ],
)
def test_what_each_item_adds_to_the_counters(item: object, adds: dict[str, int]) -> None:
    assert dict(counters.contribution(item)) == adds


def test_a_change_applies_the_difference_only() -> None:
    assert counters.delta(None, ticket("waiting_internal")) == {"open_tickets": 1, "waiting_internal": 1}
    assert counters.delta(ticket("waiting_internal"), ticket("solved")) == {"open_tickets": -1, "waiting_internal": -1}
    assert counters.delta(ticket("open"), ticket("waiting_customer")) == {}
    assert counters.delta(cb("queued", overdue=True), cb("claimed", overdue=True)) == {"callback_queued": -1}
    assert counters.delta(meta("open"), meta("closed")) == {"active_chats": -1}
    assert counters.delta(meta("closed"), None) == {}
