"""The REST API's Cognito user-pool authorizer on the local stack, as API Gateway runs it: the
gateway verifies the raw ID token in `Authorization` against the pool's JWKS (moto's Cognito)
before any function runs; a missing, expired, forged or other pool's token is 401
`{"message": "Unauthorized"}`, and a good one reaches the route with its verified claims.

The tokens that must be refused are made with moto's own signing key (the one its JWKS
publishes), so each differs from an accepted one in exactly the property under test."""

from __future__ import annotations

import gzip
import json
import time
import urllib.error
from importlib import resources
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.testing import LocalHub

pytestmark = pytest.mark.e2e


def moto_signing_key() -> Any:
    """The private key moto signs every Cognito token with (its JWKS has the public half)."""
    path = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz")
    return jwt.PyJWK.from_dict(json.loads(gzip.decompress(path.read_bytes()))).key


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def sign(claims: dict[str, Any], key: Any = None) -> str:
    return jwt.encode(claims, key or moto_signing_key(), algorithm="RS256", headers={"kid": "dummy"})


def call(hub: LocalHub, token: str | None, path: str = "/me") -> tuple[int, Any]:
    headers = {"Authorization": token} if token is not None else {}
    try:
        return 200, hub.request("GET", hub.api_url + path, headers=headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


UNAUTHORIZED = (401, {"message": "Unauthorized"})


def test_a_good_id_token_reaches_the_route_with_its_tenant(local_hub: LocalHub) -> None:
    token = local_hub.agent_token()
    status, me = call(local_hub, token)
    assert status == 200 and me["tenant"] == "global"
    # The same claims, re-signed with the pool's key: accepted (what the refusals below change is all that differs).
    status, again = call(local_hub, sign(claims_of(token)))
    assert status == 200 and again["tenant"] == "global"


def test_a_missing_or_malformed_token_is_refused_before_any_function(local_hub: LocalHub) -> None:
    assert call(local_hub, None) == UNAUTHORIZED
    assert call(local_hub, "") == UNAUTHORIZED
    assert call(local_hub, "garbage") == UNAUTHORIZED
    assert call(local_hub, None, "/tickets") == UNAUTHORIZED
    # Public routes need no token.
    assert call(local_hub, None, "/health") == (200, {"status": "ok"})


def test_an_expired_token_is_refused(local_hub: LocalHub) -> None:
    claims = claims_of(local_hub.agent_token())
    now = int(time.time())
    assert call(local_hub, sign({**claims, "iat": now - 7200, "exp": now - 60})) == UNAUTHORIZED


def test_a_forged_token_is_refused(local_hub: LocalHub) -> None:
    token = local_hub.agent_token()
    claims = claims_of(token)
    # Signed by a key that is not the pool's.
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert call(local_hub, sign(claims, stranger)) == UNAUTHORIZED
    # The pool's signature over other claims: another tenant pasted into a real token.
    header, _, signature = token.split(".")
    body = jwt.utils.base64url_encode(json.dumps({**claims, "custom:tenant": "acme"}).encode()).decode()
    assert call(local_hub, f"{header}.{body}.{signature}") == UNAUTHORIZED
    # Unsigned.
    assert call(local_hub, jwt.encode(claims, "", algorithm="none")) == UNAUTHORIZED


def test_a_token_of_another_pool_or_not_an_id_token_is_refused(local_hub: LocalHub) -> None:
    claims = claims_of(local_hub.agent_token())
    other_pool = claims["iss"].rsplit("/", 1)[0] + "/us-east-1_SomeoneElse"
    # Signed with the same (moto's) key, but issued by a pool the authorizer does not name.
    assert call(local_hub, sign({**claims, "iss": other_pool})) == UNAUTHORIZED
    # The pool's access token is not what an authorizer without OAuth scopes accepts.
    assert call(local_hub, sign({**claims, "token_use": "access"})) == UNAUTHORIZED


def test_the_route_checks_the_app_client_and_tenant_the_authorizer_does_not(local_hub: LocalHub) -> None:
    """API Gateway checks no audience and no custom claim: the route does (`agent_from_claims`)."""
    claims = claims_of(local_hub.agent_token())
    status, body = call(local_hub, sign({**claims, "aud": "another-app-client"}))
    assert (status, body["code"]) == (401, "unauthorized")
    no_tenant = {k: v for k, v in claims.items() if k != "custom:tenant"}
    status, body = call(local_hub, sign(no_tenant))
    assert (status, body["code"]) == (401, "unauthorized")
