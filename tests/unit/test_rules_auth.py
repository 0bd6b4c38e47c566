"""Who may connect: the agent token and widget session checks, one refused credential at a time.

Each refusal is asserted where the user meets it (`$connect` refused, nothing bound) and in the
verifier's own words; each accepted credential by the identity it binds.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from chalicelib.platform.auth import (
    AgentVerifier,
    Identity,
    WidgetTokens,
    agent_from_claims,
    identity_hash,
    identity_matches,
)
from chalicelib.platform.clock import ManualClock
from chalicelib.platform.config import Settings
from chalicelib.platform.errors import Unauthorized
from tests.unit.conftest import CLIENT, POOL, REGION, Unit, _signing_key

SETTINGS = Settings(REGION, "unit", POOL, CLIENT, "unused", "unused", None)
NOW = float(int(time.time()))  # PyJWT checks `iat` against the wall clock
WIDGET_KEY_SECRET = "unit-widget-signing-key-0123456789abcdef"


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sub": "sub-ana",
        "name": "Ana",
        "custom:tenant": "global",
        "token_use": "id",
        "aud": CLIENT,
        "iss": SETTINGS.issuer,
        "iat": int(NOW),
        "exp": int(NOW + 3600),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def agent_token(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), _signing_key(), algorithm="RS256")


def verifier(now: float = NOW) -> AgentVerifier:
    public = _signing_key().public_key()
    return AgentVerifier(SETTINGS, ManualClock(start=now), keys=lambda token: public)


def refused(token: str, now: float = NOW) -> str:
    with pytest.raises(Unauthorized) as caught:
        verifier(now).verify(token)
    return caught.value.message


def test_a_cognito_id_token_binds_its_tenant_user_name_and_expiry() -> None:
    assert verifier().verify(agent_token()) == Identity("global", "agent", "sub-ana", "Ana", NOW + 3600)


def test_an_access_token_is_refused() -> None:
    """Access tokens carry no tenant the user pool vouches for as an identity: ID tokens only."""
    assert refused(agent_token(token_use="access")) == "agent token rejected: not an ID token"


def test_a_token_without_token_use_is_refused() -> None:
    assert "token_use" in refused(agent_token(token_use=None))


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"aud": "another-app-client"}, "audience"),
        ({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"}, "issuer"),
        ({"exp": None}, "exp"),
        ({"sub": None}, "sub"),
        ({"iss": None}, "iss"),
        ({"aud": None}, "aud"),
    ],
)
def test_a_token_for_another_pool_or_client_or_incomplete_is_refused(overrides: dict[str, Any], words: str) -> None:
    message = refused(agent_token(**overrides))
    assert message.startswith("agent token rejected: ") and words in message.lower()


def test_a_token_signed_with_another_key_or_algorithm_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert "Signature verification failed" in refused(jwt.encode(claims(), other, algorithm="RS256"))
    hs = jwt.encode(claims(), "a-shared-secret-long-enough-for-hs256!", algorithm="HS256")
    assert refused(hs).startswith("agent token rejected: ")


def test_expiry_is_read_on_the_hubs_clock() -> None:
    token = agent_token(exp=int(NOW + 60))
    assert verifier(NOW + 59).verify(token).expires_at == NOW + 60
    assert refused(token, NOW + 60) == "agent token rejected: expired"
    assert refused(token, NOW + 61) == "agent token rejected: expired"


def test_a_token_without_a_tenant_is_refused() -> None:
    assert refused(agent_token(**{"custom:tenant": None})) == "agent token rejected: no custom:tenant claim"
    assert refused(agent_token(**{"custom:tenant": ""})) == "agent token rejected: no custom:tenant claim"


def test_the_name_falls_back_to_the_username_then_the_subject() -> None:
    by_username = agent_token(name=None, **{"cognito:username": "ana.k"})
    assert verifier().verify(by_username).name == "ana.k"
    assert verifier().verify(agent_token(name=None)).name == "sub-ana"


# ------------------------------------------------------------------ widget sessions
def widget(now: float = NOW, key: str = WIDGET_KEY_SECRET) -> WidgetTokens:
    return WidgetTokens(SETTINGS, ManualClock(start=now), key=key)


def test_a_widget_session_carries_tenant_customer_and_a_day_of_validity() -> None:
    token, exp = widget().issue("global", "cu_1", "Kim")
    assert exp == NOW + 24 * 3600
    assert widget(NOW + 10).verify(token) == Identity("global", "customer", "cu_1", "Kim", NOW + 24 * 3600)
    raw = jwt.decode(token, options={"verify_signature": False})
    assert (raw["iss"], raw["aud"], raw["iat"]) == ("flow-hub", "flow-hub-widget", int(NOW))
    other, _ = widget().issue("global", "cu_1", "Kim")
    assert jwt.decode(other, options={"verify_signature": False})["jti"] != raw["jti"]


def test_a_widget_session_expires_on_the_hubs_clock() -> None:
    token, exp = widget().issue("global", "cu_1", "Kim")
    assert widget(exp - 1).verify(token).user_id == "cu_1"
    with pytest.raises(Unauthorized) as caught:
        widget(exp).verify(token)
    assert caught.value.message == "widget session rejected: expired"


def test_a_widget_session_signed_elsewhere_or_for_something_else_is_refused() -> None:
    token, _ = widget(key="another-tenant-key-0123456789abcdef-xx").issue("global", "cu_1", "Kim")
    with pytest.raises(Unauthorized) as caught:
        widget().verify(token)
    assert caught.value.message.startswith("widget session rejected: ")
    for override in ({"aud": "flow-hub-agent"}, {"iss": "someone"}):
        forged = jwt.encode(
            {"iss": "flow-hub", "aud": "flow-hub-widget", "sub": "cu_1", "tenant": "global", "exp": int(NOW + 60)}
            | override,
            WIDGET_KEY_SECRET,
            algorithm="HS256",
        )
        with pytest.raises(Unauthorized):
            widget().verify(forged)
    no_tenant = jwt.encode(
        {"iss": "flow-hub", "aud": "flow-hub-widget", "sub": "cu_1", "exp": int(NOW + 60)},
        WIDGET_KEY_SECRET,
        algorithm="HS256",
    )
    with pytest.raises(Unauthorized):
        widget().verify(no_tenant)
    nameless = jwt.encode(
        {"iss": "flow-hub", "aud": "flow-hub-widget", "sub": "cu_1", "tenant": "acme", "exp": int(NOW + 60)},
        WIDGET_KEY_SECRET,
        algorithm="HS256",
    )
    assert widget().verify(nameless) == Identity("acme", "customer", "cu_1", "Customer", NOW + 60)


# ------------------------------------------------------------------ where users meet it: $connect
def test_connecting_with_an_access_token_binds_nothing(unit: Unit) -> None:
    now = unit.clock.now()
    access = jwt.encode(
        {**claims(iat=int(now), exp=int(now + 3600)), "token_use": "access"}, _signing_key(), algorithm="RS256"
    )
    with pytest.raises(Unauthorized):
        unit.hub.live.identify_and_bind("tab=", {"token": access})
    assert unit.store.connections == {}
    assert unit.store.presence == {}


def test_connecting_without_a_credential_is_refused_and_says_how(unit: Unit) -> None:
    for query in ({}, {"token": ""}, {"session": ""}):
        with pytest.raises(Unauthorized) as caught:
            unit.hub.live.identify_and_bind("tab=", query)
        assert "connect with ?token=" in caught.value.message
    assert unit.store.connections == {}


def test_an_agent_and_a_customer_are_bound_as_verified(unit: Unit) -> None:
    agent = unit.connect_agent("ana", tenant="acme")
    stored = unit.store.connections[agent]
    assert (stored.tenant, stored.role, stored.user_id, stored.name) == ("acme", "agent", "sub-ana", "Ana")
    assert stored.tenant_role == "acme#agent" and stored.tenant_user == "acme#agent#sub-ana"
    customer = unit.connect_customer()
    cust = unit.store.connections[customer]
    assert (cust.tenant, cust.role) == ("global", "customer") and cust.user_id.startswith("cu_")
    assert float(cust.connected_at) == unit.clock.now()
    assert cust.expires_at.timestamp() == pytest.approx(unit.clock.now() + unit.hub.settings.connection_ttl)


# ------------------------------------------------------------------ where the keys come from
def test_the_signing_key_is_the_one_the_token_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production asks the pool's JWKS for the key of the token's `kid` (rotation keeps two)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    old = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    asked: list[tuple[str, str]] = []

    class Jwks:
        def __init__(self, url: str) -> None:
            self.url = url

        def get_signing_key_from_jwt(self, token: str) -> Any:
            kid = jwt.get_unverified_header(token)["kid"]
            asked.append((self.url, kid))
            key = {"new": _signing_key(), "old": old}[kid].public_key()
            return type("SigningKey", (), {"key": key})()

    monkeypatch.setattr("chalicelib.platform.auth._jwks_client", Jwks)
    settings = Settings(REGION, "unit", POOL, CLIENT, "https://jwks.example/keys.json", "unused", None)
    live = AgentVerifier(settings, ManualClock(start=NOW))
    new_token = jwt.encode(claims(), _signing_key(), algorithm="RS256", headers={"kid": "new"})
    old_token = jwt.encode(claims(sub="sub-bo"), old, algorithm="RS256", headers={"kid": "old"})
    assert live.verify(new_token).user_id == "sub-ana"
    assert live.verify(old_token).user_id == "sub-bo"
    assert asked == [("https://jwks.example/keys.json", "new"), ("https://jwks.example/keys.json", "old")]
    swapped = jwt.encode(claims(), old, algorithm="RS256", headers={"kid": "new"})
    with pytest.raises(Unauthorized):
        live.verify(swapped)


def test_expiry_is_the_hubs_clock_not_the_wall_clock() -> None:
    """A token the wall clock calls expired is valid while the hub's clock says so (and the other
    way round): one clock decides, so time rules stay testable and consistent."""
    hub_now = NOW - 7200
    token = agent_token(iat=int(hub_now - 60), exp=int(NOW - 3600))
    assert verifier(hub_now).verify(token).expires_at == NOW - 3600
    session, _ = widget(hub_now).issue("global", "cu_1", "Kim")
    assert widget(hub_now + 60).verify(session).user_id == "cu_1"


def test_the_widget_signing_key_is_read_once_from_secrets_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_lambda_powertools.utilities import parameters

    fetched: list[tuple[str, int]] = []

    def get_secret(name: str, max_age: int) -> str:
        fetched.append((name, max_age))
        return "secret-from-secrets-manager-0123456789abcdef"

    monkeypatch.setattr(parameters, "get_secret", get_secret)
    settings = Settings(REGION, "unit", POOL, CLIENT, "unused", "widget-secret-id", None)
    tokens = WidgetTokens(settings, ManualClock(start=NOW))
    token, _ = tokens.issue("global", "cu_1", "Kim")
    assert tokens.verify(token).user_id == "cu_1"
    assert fetched == [("widget-secret-id", 300)]  # once per container, refreshed within 5 minutes
    secret = "secret-from-secrets-manager-0123456789abcdef"
    assert jwt.decode(token, secret, algorithms=["HS256"], audience="flow-hub-widget")["sub"] == "cu_1"


@pytest.mark.parametrize("missing", ["exp", "sub"])
def test_a_widget_session_missing_a_required_claim_is_refused(missing: str) -> None:
    full = {"iss": "flow-hub", "aud": "flow-hub-widget", "sub": "cu_1", "tenant": "global", "exp": int(NOW + 60)}
    del full[missing]
    with pytest.raises(Unauthorized) as caught:
        widget().verify(jwt.encode(full, WIDGET_KEY_SECRET, algorithm="HS256"))
    assert caught.value.message.startswith("widget session rejected: ") and missing in caught.value.message


# ------------------------------------------------------------ REST: the Cognito authorizer's claims
GOOD_CLAIMS = {
    "sub": "sub-ana",
    "token_use": "id",
    "aud": "dashboard-client",
    "custom:tenant": "acme",
    "name": "Ana",
    "cognito:username": "ana@acme.example",
}


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        (None, "agent token rejected: no verified claims"),
        ("sub-ana", "agent token rejected: no verified claims"),
        ({**GOOD_CLAIMS, "sub": ""}, "agent token rejected: no verified claims"),
        ({k: v for k, v in GOOD_CLAIMS.items() if k != "sub"}, "agent token rejected: no verified claims"),
        ({**GOOD_CLAIMS, "token_use": "access"}, "agent token rejected: not an ID token"),
        ({**GOOD_CLAIMS, "aud": "someone-elses-client"}, "agent token rejected: issued to another app client"),
        ({**GOOD_CLAIMS, "custom:tenant": ""}, "agent token rejected: no custom:tenant claim"),
    ],
)
def test_a_rest_request_without_the_claims_of_a_dashboard_id_token_is_refused_saying_why(claims: Any, why: str) -> None:
    with pytest.raises(Unauthorized) as refused:
        agent_from_claims(claims, "dashboard-client")
    assert refused.value.message == why


def test_the_rest_agent_is_who_the_claims_name_with_a_name_to_show() -> None:
    assert agent_from_claims(GOOD_CLAIMS, "dashboard-client") == Identity("acme", "agent", "sub-ana", "Ana", 0.0)
    unnamed = {k: v for k, v in GOOD_CLAIMS.items() if k != "name"}
    assert agent_from_claims(unnamed, "dashboard-client").name == "ana@acme.example"
    bare = {k: v for k, v in unnamed.items() if k != "cognito:username"}
    assert agent_from_claims(bare, "dashboard-client").name == "sub-ana"


def test_a_user_hash_that_is_not_ascii_hex_is_a_mismatch_not_a_crash() -> None:
    """The widget hands over whatever the page gave it: any text that is not the hex digest is
    refused like a wrong digest, whatever characters it holds."""
    good = identity_hash("secret", "user-7")
    assert identity_matches(["old", "secret"], "user-7", f"  {good.upper()} ")
    assert not identity_matches(["secret"], "user-7", "é" * 64)
    assert not identity_matches(["secret"], "user-7", good[:-1] + "ü")
