"""The key formats `test_rules_keys.py` left open (found by `make mutation`), as
docs/architecture.md and docs/agent-day.md lay them out: items already stored under these keys
are found only while the formats hold, and the tenant is in every one of them.
"""

from __future__ import annotations

import hashlib
import re

from chalicelib.store import keys


def test_the_directory_and_index_keys_carry_the_tenant() -> None:
    """directory: `T#<tenant>#CU#<id>` profiles; by_customer / by_phone GSIs (architecture.md)."""
    assert keys.customer_key("acme", "cu_1") == "T#acme#CU#cu_1"
    assert keys.phone_key("acme", "+15555550100") == "T#acme#P#+15555550100"
    assert keys.customer_key("acme", "cu_1") != keys.customer_key("globex", "cu_1")


def test_a_search_term_lives_in_the_partition_of_its_first_two_characters() -> None:
    """`T#<tenant>#S#<field>#<first two characters>` / `<term>#<id>`: every prefix a search
    types from two characters on reads the one partition its terms were written to."""
    assert keys.search_term_pk("acme", "name", "kimberly") == "T#acme#S#name#ki"
    assert keys.search_term_pk("acme", "name", "ki") == keys.search_term_pk("acme", "name", "kimberly")
    assert keys.search_term_pk("acme", "name", "k") == "T#acme#S#name#k"
    assert keys.search_term_sk("kimberly", "cu_1") == "kimberly#cu_1"


def test_desk_items_are_named_by_kind() -> None:
    """desk table: `CANNED#<id>`, `SHORTCUT#<shortcut>`, `CSAT#<day>` (AP-D1, AP-D2, AP-D5)."""
    assert keys.canned_sk("cr_1") == "CANNED#cr_1"
    assert keys.shortcut_sk("/refund") == "SHORTCUT#/refund"
    assert keys.csat_day_sk("2026-12-02") == "CSAT#2026-12-02"
    # AP-D5 reads the days between two keys: ISO days sort as the days do.
    assert keys.csat_day_sk("2026-11-30") < keys.csat_day_sk("2026-12-01") < keys.csat_day_sk("2026-12-02")


def test_new_reply_ids_are_random_and_prefixed() -> None:
    ids = {keys.new_reply_id() for _ in range(50)}
    assert len(ids) == 50 and all(re.fullmatch(r"cr_[A-Za-z0-9_-]{12}", i) for i in ids)


def test_a_verified_customer_id_is_the_sha256_of_tenant_and_user_id() -> None:
    """agent-day.md: `cv_` + SHA-256 of tenant and user id (the first 24 hex digits), with a
    separator that keeps `("ab", "c")` and `("a", "bc")` apart."""
    digest = hashlib.sha256(b"acme\x00user-42").hexdigest()
    assert keys.verified_customer_id("acme", "user-42") == "cv_" + digest[:24]
    assert keys.verified_customer_id("ab", "c") != keys.verified_customer_id("a", "bc")
    assert re.fullmatch(r"cv_[0-9a-f]{24}", keys.verified_customer_id("global", "é"))
