"""Customer identity and context from the widget (REST `/widget/session` on in-memory stores):

- identity verification as Intercom does it: HMAC-SHA256(tenant secret, user id); a verified
  customer keeps one id on every device and finds the same thread; a forged hash is refused; a
  visitor can never claim a verified identity; a rotated secret keeps working for a day;
- the context the host page passes (name, e-mail, page, locale, user agent), validated and
  bounded, kept in the customer's profile.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.live.widgets import ROTATION_GRACE_SECONDS
from chalicelib.platform.auth import identity_hash
from chalicelib.store import keys
from tests.unit.conftest import WIDGET_KEY, Unit
from tests.unit.test_rest_handlers import call


@pytest.fixture
def http(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(wiring, "hub", lambda: unit.hub)
    from app import app

    with Client(app) as c:
        yield c.http


@pytest.fixture
def secret(unit: Unit) -> str:
    return unit.hub.widgets.rotate_identity_secret("global")


def session(http: Any, **body: Any) -> Any:
    return call(http, "post", "/widget/session", body={"widget_key": WIDGET_KEY, **body})


def test_a_verified_customer_is_one_customer_on_every_device(unit: Unit, http: Any, secret: str) -> None:
    signed = {"user_id": "user-42", "user_hash": identity_hash(secret, "user-42"), "name": "Kim Andersson"}
    laptop = session(http, **signed).json_body
    phone = session(http, **signed).json_body  # another device: no previous token
    assert laptop["verified"] is True and phone["verified"] is True
    assert laptop["customer_id"] == phone["customer_id"] == keys.verified_customer_id("global", "user-42")
    assert unit.hub.widget_tokens.verify(phone["token"]).verified is True
    profile = unit.store.profiles[("global", laptop["customer_id"])]
    assert (profile.verified, profile.external_id, profile.name) == (True, "user-42", "Kim Andersson")
    # Another tenant's user with the same id is another customer.
    assert keys.verified_customer_id("acme", "user-42") != laptop["customer_id"]


def test_the_second_device_sees_the_same_thread(unit: Unit, http: Any, secret: str) -> None:
    signed = {"user_id": "user-7", "user_hash": identity_hash(secret, "user-7")}
    first = session(http, **signed).json_body
    assert first["conversation_id"] is None
    laptop = "laptop="
    unit.hub.live.identify_and_bind(laptop, {"session": first["token"]})
    conversation_id = unit.start(laptop)
    unit.act(laptop, action="send", conversation_id=conversation_id, client_id="m1", text="My order is late")

    second = session(http, **signed).json_body
    assert second["conversation_id"] == conversation_id
    phone = "phone="
    unit.hub.live.identify_and_bind(phone, {"session": second["token"]})
    [resumed] = unit.act(phone, action="start", conversation_id=second["conversation_id"])
    assert resumed["conversation"]["id"] == conversation_id
    [synced] = unit.act(phone, action="sync", conversation_id=conversation_id, since=0)
    assert [m["text"] for m in synced["messages"]] == ["My order is late"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"user_id": "user-42", "user_hash": "0" * 64}, 401, "identity_rejected"),
        ({"user_id": "user-43", "user_hash": "SIGNED-FOR-42"}, 401, "identity_rejected"),
        ({"user_id": "user-42"}, 400, "invalid_action"),
        ({"user_hash": "a" * 64}, 400, "invalid_action"),
        ({"user_id": "user-42", "user_hash": "not hex"}, 400, "invalid_action"),
    ],
)
def test_a_forged_or_half_identity_is_refused(
    unit: Unit, http: Any, secret: str, body: dict[str, Any], status: int, code: str
) -> None:
    if body.get("user_hash") == "SIGNED-FOR-42":
        body = {**body, "user_hash": identity_hash(secret, "user-42")}  # a real hash, for another user
    res = session(http, **body)
    assert (res.status_code, res.json_body["code"]) == (status, code), res.json_body
    assert unit.store.profiles == {}  # nothing recorded for a refused session


def test_without_a_secret_no_identity_can_be_verified(unit: Unit, http: Any) -> None:
    res = session(http, user_id="user-42", user_hash=identity_hash("guessed", "user-42"))
    assert (res.status_code, res.json_body["code"]) == (401, "identity_rejected")
    assert "not set up" in res.json_body["message"]


def test_a_visitor_never_becomes_a_verified_customer(unit: Unit, http: Any, secret: str) -> None:
    verified_id = keys.verified_customer_id("global", "user-42")
    visitor = session(http, name="Mallory").json_body
    assert visitor["verified"] is False and visitor["customer_id"].startswith("cu_")
    # A reload keeps the visitor a visitor.
    again = session(http, previous_token=visitor["token"]).json_body
    assert again["customer_id"] == visitor["customer_id"] and again["verified"] is False
    # Claiming the verified user's id with a wrong hash is refused, whatever the earlier token.
    claim = session(http, previous_token=visitor["token"], user_id="user-42", user_hash="f" * 64)
    assert claim.status_code == 401
    # A verified session carried to a page without the signed-in user does not stay verified.
    signed = session(http, user_id="user-42", user_hash=identity_hash(secret, "user-42")).json_body
    signed_out = session(http, previous_token=signed["token"]).json_body
    assert signed_out["verified"] is False and signed_out["customer_id"] not in (verified_id, visitor["customer_id"])
    assert unit.store.profiles[("global", signed_out["customer_id"])].verified is False


def test_a_rotated_secret_keeps_working_for_a_day(unit: Unit, http: Any, secret: str) -> None:
    old_hash = identity_hash(secret, "user-42")
    new_secret = unit.hub.widgets.rotate_identity_secret("global")
    assert new_secret != secret
    assert session(http, user_id="user-42", user_hash=identity_hash(new_secret, "user-42")).json_body["verified"]
    assert session(http, user_id="user-42", user_hash=old_hash).json_body["verified"]
    unit.clock.advance(ROTATION_GRACE_SECONDS + 1)
    assert session(http, user_id="user-42", user_hash=old_hash).status_code == 401


def test_the_host_pages_context_is_kept_in_the_profile(unit: Unit, http: Any) -> None:
    ua = "Mozilla/5.0 " + "x" * 2000
    first = session(
        http,
        name="  Kim\nAndersson  ",
        email="Kim@Example.COM",
        page_url="https://shop.example/cart?step=2",
        page_title="Your cart",
        locale="sv-SE",
        user_agent=ua,
    ).json_body
    p = unit.store.profiles[("global", first["customer_id"])]
    assert (p.name, p.email, p.page_url, p.page_title, p.locale) == (
        "Kim Andersson",
        "kim@example.com",
        "https://shop.example/cart?step=2",
        "Your cart",
        "sv-SE",
    )
    assert p.user_agent == ua[:512] and p.verified is False
    # The next page load moves the page on and keeps what it does not repeat; a fragment (where
    # OAuth's implicit flow puts tokens) is never kept.
    session(http, previous_token=first["token"], page_url="https://shop.example/checkout#access_token=secret")
    p = unit.store.profiles[("global", first["customer_id"])]
    assert (p.page_url, p.email, p.name) == ("https://shop.example/checkout", "kim@example.com", "Kim Andersson")
    assert not p.page_title  # the title belonged to the page before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("page_url", "javascript:alert(1)"),
        ("page_url", "https://x.example/" + "a" * 2100),
        ("locale", "en_US; DROP"),
        ("email", 42),
    ],
)
def test_bad_context_is_refused_with_the_field_named(unit: Unit, http: Any, field: str, value: Any) -> None:
    res = session(http, **{field: value})
    assert (res.status_code, res.json_body["code"]) == (400, "invalid_action")
    assert field in res.json_body["message"]
    assert unit.store.profiles == {}
