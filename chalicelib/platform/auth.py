"""Who is on the other end: Cognito ID tokens for agents, widget session tokens for customers,
and the Actor the work lanes record.

Both are verified here, once, at `$connect`; every later action uses the identity stored with
the connection. REST calls are verified by API Gateway's Cognito user-pool authorizer before
any function runs; the routes read the verified claims (`agent_from_claims`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from chalicelib.platform.config import Settings
from chalicelib.platform.errors import Unauthorized

if TYPE_CHECKING:
    import jwt

    from chalicelib.platform.clock import Clock

# PyJWT pulls in `cryptography` (~50 ms of import). Only $connect and the widget session route
# verify or sign tokens, and Chalice deploys each route as its own function, so the module is
# imported where it is used, not at cold start of every function.

TENANT_CLAIM = "custom:tenant"
USER_POOL_ARN_ENV = "COGNITO_USER_POOL_ARN"
PLACEHOLDER_USER_POOL_ARN = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_ReplacedByInfra"
WIDGET_ISSUER = "flow-hub"
WIDGET_AUDIENCE = "flow-hub-widget"


class Identity(Struct, frozen=True):
    """Who is on the other end of a connection or request, as verified from its credential."""

    tenant: str
    role: str  # "agent" | "customer"
    user_id: str
    name: str
    expires_at: float
    # A customer whose identity the tenant's server vouched for (identity verification).
    verified: bool = False


class Actor(Struct, frozen=True):
    """Who does something in a work lane: a verified agent or customer, or the scheduler."""

    tenant: str
    role: str  # "agent" | "customer" | "system"
    id: str
    name: str


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    import jwt

    # PyJWKClient caches the key set and refetches on an unknown `kid` (key rotation).
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


class AgentVerifier:
    """Verifies Cognito ID tokens: RS256 against the pool's JWKS, issuer, audience, use, expiry."""

    def __init__(self, settings: Settings, clock: Clock, keys: Callable[[str], Any] | None = None) -> None:
        self._settings = settings
        self._clock = clock
        # Production fetches the pool's JWKS over HTTPS; unit tests may hand in a key source.
        self._keys = keys or (lambda token: _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token).key)

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims of an agent's ID token: what API Gateway's Cognito authorizer
        checks (signature by the pool's key, issuer, expiry, an ID token) plus the app client.
        The local stack's REST gateway and the tests' Chalice client verify with this, so the
        REST routes they run see the claims API Gateway would put in the request context."""
        import jwt

        try:
            key = self._keys(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self._settings.app_client_id,
                issuer=self._settings.issuer,
                options={"require": ["exp", "iss", "aud", "sub", "token_use"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"agent token rejected: {exc}") from exc
        if claims.get("token_use") != "id":
            raise Unauthorized("agent token rejected: not an ID token")
        # Expiry is checked against the hub's clock so time rules stay testable.
        if float(claims["exp"]) <= self._clock.now():
            raise Unauthorized("agent token rejected: expired")
        return claims

    def verify(self, token: str) -> Identity:
        claims = self.claims(token)
        tenant = claims.get(TENANT_CLAIM)
        if not tenant:
            raise Unauthorized(f"agent token rejected: no {TENANT_CLAIM} claim")
        name = claims.get("name") or claims.get("cognito:username") or claims["sub"]
        return Identity(str(tenant), "agent", str(claims["sub"]), str(name), float(claims["exp"]))


def agent_from_claims(claims: Any, app_client_id: str) -> Identity:
    """The agent of a REST request, from the claims API Gateway's Cognito user-pool authorizer
    verified (signature, issuer, expiry) and put in `requestContext.authorizer.claims`. API
    Gateway hands every claim over as a string. Checked again here, for nothing: the claims
    must be there (a route without the authorizer has none), an ID token of the dashboard's
    app client, with a tenant."""
    if not isinstance(claims, dict) or not claims.get("sub"):
        raise Unauthorized("agent token rejected: no verified claims")
    if claims.get("token_use") != "id":
        raise Unauthorized("agent token rejected: not an ID token")
    if app_client_id and claims.get("aud") != app_client_id:
        raise Unauthorized("agent token rejected: issued to another app client")
    tenant = claims.get(TENANT_CLAIM)
    if not tenant:
        raise Unauthorized(f"agent token rejected: no {TENANT_CLAIM} claim")
    name = claims.get("name") or claims.get("cognito:username") or claims["sub"]
    return Identity(str(tenant), "agent", str(claims["sub"]), str(name), 0.0)


def user_pool_arn() -> str:
    """The agents' user pool, as the REST API's Cognito authorizer names it. Set where it is
    known (the local stack; the deployed functions); when Chalice packages the app for the
    synth it is not, and infra/api.py replaces the placeholder with the stack's pool."""
    return os.environ.get(USER_POOL_ARN_ENV) or PLACEHOLDER_USER_POOL_ARN


# ------------------------------------------------------------------ identity verification
def identity_hash(secret: str, user_id: str) -> str:
    """What the tenant's server computes for a signed-in customer and hands to the widget:
    HMAC-SHA256 of the user id with the tenant's verification secret, as lower-case hex
    (the scheme Intercom's identity verification uses)."""
    return hmac.new(secret.encode("utf-8"), user_id.encode("utf-8"), hashlib.sha256).hexdigest()


def identity_matches(secrets_in_force: Iterable[str], user_id: str, user_hash: str) -> bool:
    """True when `user_hash` is the HMAC of `user_id` under one of the secrets in force
    (compared in constant time, so the hash cannot be guessed byte by byte)."""
    given = user_hash.strip().lower().encode("ascii", "replace")
    return any(hmac.compare_digest(identity_hash(s, user_id).encode("ascii"), given) for s in secrets_in_force)


class WidgetTokens:
    """Issues and verifies customer session tokens (HS256, key held in Secrets Manager)."""

    def __init__(self, settings: Settings, clock: Clock, key: str | None = None) -> None:
        self._settings = settings
        self._clock = clock
        self._key = key

    def _signing_key(self) -> str:
        if self._key is None:
            # Powertools caches the secret for the container's lifetime (max_age below).
            from aws_lambda_powertools.utilities import parameters

            value = parameters.get_secret(self._settings.widget_secret_id, max_age=300)
            self._key = str(value)
        return self._key

    def issue(self, tenant: str, customer_id: str, name: str, verified: bool = False) -> tuple[str, float]:
        import jwt

        now = self._clock.now()
        exp = now + self._settings.widget_session_ttl
        claims = {
            "iss": WIDGET_ISSUER,
            "aud": WIDGET_AUDIENCE,
            "sub": customer_id,
            "tenant": tenant,
            "name": name,
            "verified": verified,
            "iat": int(now),
            "exp": int(exp),
            "jti": secrets.token_urlsafe(8),
        }
        return jwt.encode(claims, self._signing_key(), algorithm="HS256"), float(int(exp))

    def verify(self, token: str) -> Identity:
        import jwt

        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._signing_key(),
                algorithms=["HS256"],
                audience=WIDGET_AUDIENCE,
                issuer=WIDGET_ISSUER,
                options={"require": ["exp", "sub", "tenant"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"widget session rejected: {exc}") from exc
        if float(claims["exp"]) <= self._clock.now():
            raise Unauthorized("widget session rejected: expired")
        return Identity(
            str(claims["tenant"]),
            "customer",
            str(claims["sub"]),
            str(claims.get("name") or "Customer"),
            float(claims["exp"]),
            verified=claims.get("verified") is True,
        )
