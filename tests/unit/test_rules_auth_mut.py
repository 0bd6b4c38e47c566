"""Who may connect, the checks `test_rules_auth.py` left open (found by `make mutation`): each
test names the credential and what the hub does with it — the identity it binds, or the refusal
and its words.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import jwt
import pytest

from chalicelib.platform.auth import (
    Identity,
    agent_from_claims,
    identity_hash,
    identity_matches,
    user_pool_arn,
)
from chalicelib.platform.errors import Unauthorized
from tests.unit.test_rules_auth import NOW, WIDGET_KEY_SECRET, widget

DAY = 24 * 3600


# ------------------------------------------------------------------ identity verification
def test_the_identity_hash_is_hmac_sha256_of_the_user_id_under_the_secret_in_lower_case_hex() -> None:
    """What the tenant's server computes (Intercom's scheme): RFC 4231's test case 2 is the
    digest a server following the documentation gets, whatever the hub's code does."""
    rfc4231 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert identity_hash("Jefe", "what do ya want for nothing?") == rfc4231
    assert identity_matches(["Jefe"], "what do ya want for nothing?", rfc4231)
    # Non-ASCII secrets and ids are hashed as UTF-8, as a server in any other language does.
    expected = hmac.new("sécret".encode(), "usér-7".encode(), hashlib.sha256).hexdigest()
    assert identity_hash("sécret", "usér-7") == expected


def test_a_hash_made_for_another_user_or_under_no_secret_in_force_is_refused() -> None:
    good = identity_hash("secret", "user-7")
    assert identity_matches(["secret"], "user-7", good)
    assert not identity_matches(["secret"], "user-8", good)
    assert not identity_matches(["other"], "user-7", good)
    assert not identity_matches([], "user-7", good)  # the tenant has no verification secret
    assert not identity_matches(["secret"], "user-7", "")


# ------------------------------------------------------------------ REST: the authorizer's claims
GOOD = {"sub": "sub-ana", "token_use": "id", "aud": "dashboard-client", "custom:tenant": "acme", "name": "Ana"}


def test_without_an_app_client_configured_any_audience_is_accepted() -> None:
    """The local stack runs without an app client id: the claims still need a subject, an ID
    token and a tenant, but the audience is not compared with nothing."""
    assert agent_from_claims({**GOOD, "aud": "whatever"}, "") == Identity("acme", "agent", "sub-ana", "Ana", 0.0)
    with pytest.raises(Unauthorized) as refused:
        agent_from_claims({**GOOD, "token_use": "access"}, "")
    assert refused.value.message == "agent token rejected: not an ID token"


def test_a_claims_dict_that_is_not_a_dict_is_refused_without_a_crash() -> None:
    for claims in ([("sub", "sub-ana")], "", 0, {"sub": None}):
        with pytest.raises(Unauthorized) as refused:
            agent_from_claims(claims, "dashboard-client")
        assert refused.value.message == "agent token rejected: no verified claims"


def test_a_rest_tenant_is_the_claims_tenant_and_never_missing() -> None:
    no_tenant = {k: v for k, v in GOOD.items() if k != "custom:tenant"}
    with pytest.raises(Unauthorized) as refused:
        agent_from_claims(no_tenant, "dashboard-client")
    assert refused.value.message == "agent token rejected: no custom:tenant claim"


# ------------------------------------------------------------------ the REST authorizer's pool
def test_the_rest_authorizer_names_the_pool_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    arn = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc"
    monkeypatch.setenv("COGNITO_USER_POOL_ARN", arn)
    assert user_pool_arn() == arn


@pytest.mark.parametrize("value", [None, ""])
def test_without_a_pool_the_authorizer_names_the_placeholder_infra_replaces(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    """Chalice packages the app for the synth without the pool: the ARN is a well-formed one
    in a fake account, so the template validates, and infra/api.py overrides it."""
    if value is None:
        monkeypatch.delenv("COGNITO_USER_POOL_ARN", raising=False)
    else:
        monkeypatch.setenv("COGNITO_USER_POOL_ARN", value)
    assert user_pool_arn() == "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_ReplacedByInfra"


# ------------------------------------------------------------------ widget sessions
def forged(**claims: Any) -> str:
    base: dict[str, Any] = {"iss": "flow-hub", "aud": "flow-hub-widget", "sub": "cu_1", "tenant": "global"}
    return jwt.encode({**base, **claims}, WIDGET_KEY_SECRET, algorithm="HS256")


def test_a_widget_session_is_valid_by_the_hubs_clock_even_when_the_wall_clock_says_expired() -> None:
    """Two days ago by the wall clock the session was issued for a day: on a hub clock that
    stands at that time it is valid (one clock decides), an hour later on it still is."""
    then = NOW - 2 * DAY
    token, exp = widget(then).issue("global", "cu_1", "Kim")
    assert exp == then + DAY < NOW
    assert widget(then + 3600).verify(token) == Identity("global", "customer", "cu_1", "Kim", then + DAY)


def test_a_widget_session_is_verified_only_when_the_claim_is_true() -> None:
    """Only the hub signs sessions, but the flag is read strictly: only `true` is verified."""
    exp = int(NOW + 60)
    assert widget().verify(forged(exp=exp, verified=True)).verified is True
    for value in ("true", 1, "yes", False, None):
        assert widget().verify(forged(exp=exp, verified=value)).verified is False
    assert widget().verify(forged(exp=exp)).verified is False
    token, _ = widget().issue("global", "cu_1", "Kim", verified=True)
    assert widget().verify(token).verified is True
    token, _ = widget().issue("global", "cu_1", "Kim")
    assert widget().verify(token).verified is False


def test_an_issued_widget_session_carries_exactly_the_claims_the_verifier_reads() -> None:
    token, exp = widget().issue("acme", "cu_9", "Bo", verified=True)
    raw = jwt.decode(token, WIDGET_KEY_SECRET, algorithms=["HS256"], audience="flow-hub-widget", issuer="flow-hub")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert {k: raw[k] for k in ("sub", "tenant", "name", "verified", "iat", "exp")} == {
        "sub": "cu_9",
        "tenant": "acme",
        "name": "Bo",
        "verified": True,
        "iat": int(NOW),
        "exp": int(NOW) + DAY,
    }
    assert exp == float(int(NOW) + DAY)
    assert isinstance(raw["jti"], str) and raw["jti"]
