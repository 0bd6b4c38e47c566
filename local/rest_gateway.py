"""The app's REST API under `/<api_gateway_stage>/...` (i.e. `/api`), served by its
`api_handler` function.

The function's process runs chalice's own `LocalGateway` (routing, custom authorizers,
the event), as `chalice local` does (see `local.worker.RestApi`); this side strips the
stage prefix, runs API Gateway's Cognito user-pool authorizer, hands the request over and
applies API Gateway's 29-second integration timeout.

The Cognito authorizer (`COGNITO_USER_POOLS`, chalice's `CognitoUserPoolAuthorizer`) runs
here, in the gateway, before any function, as on AWS: the raw ID token in the authorizer's
header (`Authorization`) must be signed (RS256) by a key of one of the authorizer's user pools
(their JWKS, served by moto's Cognito), issued by that pool, unexpired and an ID token;
otherwise 401 `{"message": "Unauthorized"}` and no function runs. The verified claims go to
the function in `requestContext.authorizer.claims`, every value a string and `exp`/`iat` in
API Gateway's date format, as API Gateway hands them over. chalice's own local emulation of
this authorizer decodes the token without verifying it and lets a request without one
through; `CognitoClaims` replaces it (also in Chalice's test client, `use_verified_claims`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import jwt
from aiohttp import web
from chalice.app import Chalice, CognitoUserPoolAuthorizer
from chalice.local import EventType, LambdaContext, LocalGatewayAuthorizer, NotAuthorizedError, RouteMatcher

from local.ids import aws_id
from local.lambda_runtime import API_HANDLER, LambdaRuntime

log = logging.getLogger("local.rest")

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}


# ------------------------------------------------------------------ the Cognito authorizer
class Refused(Exception):
    """API Gateway's Cognito authorizer refused the request (401); the reason is for the log only."""


def user_pool_of(arn: str) -> tuple[str, str]:
    """(region, pool id) of `arn:aws:cognito-idp:{region}:{account}:userpool/{pool id}`."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "cognito-idp" or not parts[5].startswith("userpool/"):
        raise ValueError(f"not a Cognito user pool ARN: {arn!r}")
    return parts[3], parts[5].removeprefix("userpool/")


def api_gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """The claims as API Gateway puts them in `requestContext.authorizer.claims`: strings, the
    times `exp` and `iat` as `Wed Dec 02 01:00:00 UTC 2026`, booleans in lower case."""

    def text(name: str, value: Any) -> str:
        if name in ("exp", "iat") and isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value)

    return {name: text(name, value) for name, value in claims.items()}


@lru_cache(maxsize=16)
def _jwks(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


class UserPoolTokens:
    """What API Gateway checks of an ID token for a `COGNITO_USER_POOLS` authorizer: RS256 with a
    key of one of the authorizer's pools (`{jwks_base}/{pool}/.well-known/jwks.json`, moto's
    Cognito), issued by that pool, unexpired, an ID token (the authorizer has no OAuth scopes).
    It does not check the audience: the route checks the app client (`agent_from_claims`)."""

    def __init__(self, jwks_base: str, clock: Callable[[], float] = time.time) -> None:
        self.jwks_base = jwks_base.rstrip("/")
        self.clock = clock

    def claims(self, token: str, provider_arns: list[str]) -> dict[str, Any]:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Refused(f"not a JWT: {exc}") from exc
        pools = {
            f"https://cognito-idp.{region}.amazonaws.com/{pool}": pool
            for region, pool in map(user_pool_of, provider_arns)
        }
        issuer = unverified.get("iss")
        if issuer not in pools:
            raise Refused(f"issued by {issuer!r}, not by the authorizer's user pools")
        try:
            key = _jwks(f"{self.jwks_base}/{pools[issuer]}/.well-known/jwks.json").get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=issuer,
                options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False, "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise Refused(f"token rejected: {exc}") from exc
        if float(claims["exp"]) <= self.clock():
            raise Refused("token expired")
        if claims.get("token_use") != "id":
            raise Refused("not an ID token")
        return claims


def cognito_authorizer(app: Chalice, method: str, path: str) -> CognitoUserPoolAuthorizer | None:
    """The Cognito authorizer of the route `method path` (path without the stage) matches, if any."""
    try:
        route = RouteMatcher(list(app.routes)).match_route(path).route
    except ValueError:
        return None
    entry = app.routes[route].get(method.upper())
    authorizer = entry.authorizer if entry is not None else None
    return authorizer if isinstance(authorizer, CognitoUserPoolAuthorizer) else None


def authorizer_token(authorizer: CognitoUserPoolAuthorizer, headers: Mapping[str, str]) -> str:
    """The authorizer's identity source, taken as it is: the raw token (no `Bearer ` is removed)."""
    name = str(authorizer.to_swagger()["name"]).lower()
    token = next((v for k, v in headers.items() if k.lower() == name), "")
    if not token:
        raise Refused(f"no {name} header")
    return token


def provider_arns(authorizer: CognitoUserPoolAuthorizer) -> list[str]:
    return list(authorizer.to_swagger()["x-amazon-apigateway-authorizer"]["providerARNs"])


class CognitoClaims(LocalGatewayAuthorizer):
    """chalice's local authorizer with the Cognito user-pool one replaced: `claims(token, route's
    authorizer)` verifies (or raises `Refused`: 401), and the claims land in
    `requestContext.authorizer.claims` as API Gateway puts them. Custom authorizers run as before."""

    def __init__(self, app: Chalice, claims: Callable[[str, CognitoUserPoolAuthorizer], Mapping[str, Any]]) -> None:
        super().__init__(app)
        self._claims = claims

    def authorize(self, raw_path: str, lambda_event: EventType, lambda_context: LambdaContext) -> Any:
        entry = self._route_for_event(lambda_event)
        authorizer = entry.authorizer if entry is not None else None
        if not isinstance(authorizer, CognitoUserPoolAuthorizer):
            return super().authorize(raw_path, lambda_event, lambda_context)
        try:
            claims = self._claims(authorizer_token(authorizer, lambda_event.get("headers") or {}), authorizer)
        except Refused as exc:
            log.info("cognito authorizer refused %s: %s", raw_path, exc)
            raise NotAuthorizedError(
                {"x-amzn-RequestId": lambda_context.aws_request_id, "x-amzn-ErrorType": "UnauthorizedException"},
                b'{"message":"Unauthorized"}',
            ) from exc
        lambda_event["requestContext"]["authorizer"] = {"claims": api_gateway_claims(claims)}
        return lambda_event, lambda_context


@contextmanager
def use_verified_claims(verify: Callable[[str], Mapping[str, Any]]) -> Iterator[None]:
    """Chalice's in-process gateways (its test `Client`) run the Cognito authorizer as API Gateway
    does, `verify` checking the token (raising for a bad one), instead of chalice's unverified
    decoding. For tests that drive the routes without the local stack."""
    import chalice.local

    def claims(token: str, _authorizer: CognitoUserPoolAuthorizer) -> Mapping[str, Any]:
        try:
            return verify(token)
        except Exception as exc:
            raise Refused(str(exc)) from exc

    original = chalice.local.LocalGatewayAuthorizer
    chalice.local.LocalGatewayAuthorizer = lambda app: CognitoClaims(app, claims)  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        chalice.local.LocalGatewayAuthorizer = original  # type: ignore[misc]


# ------------------------------------------------------------------ the gateway
class RestGateway:
    def __init__(
        self,
        runtime: LambdaRuntime,
        *,
        stage: str = "api",
        integration_timeout: float = 29.0,
        user_pools: UserPoolTokens | None = None,
    ) -> None:
        self.runtime = runtime
        self.prefix = f"/{stage}"
        self.integration_timeout = integration_timeout
        self.user_pools = user_pools
        self._pending: set[asyncio.Future[Any]] = set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", self.prefix + "{tail:(/.*)?}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if API_HANDLER not in self.runtime.functions:
            return _error(403, "Missing Authentication Token")
        tail = request.match_info.get("tail") or "/"
        body = await request.read() if request.can_read_body else b""
        rest: dict[str, Any] = {
            "method": request.method,
            "path": tail + (f"?{request.query_string}" if request.query_string else ""),
            "headers": dict(request.headers),
            # API Gateway's `identity.sourceIp`: the peer's address (chalice's own converter
            # writes 127.0.0.1 for every request, which made per-address limits per-tenant here).
            "source_ip": request.remote or "127.0.0.1",
            "body": base64.b64encode(body).decode("ascii") if body else None,
        }
        authorizer = cognito_authorizer(self.runtime.app, request.method, tail)
        if authorizer is not None:
            # API Gateway's Cognito authorizer: before (and instead of) any function.
            try:
                if self.user_pools is None:
                    raise Refused("no user pools to verify against")
                token = authorizer_token(authorizer, request.headers)
                rest["claims"] = api_gateway_claims(self.user_pools.claims(token, provider_arns(authorizer)))
            except Refused as exc:
                log.info("cognito authorizer refused %s %s: %s", request.method, tail, exc)
                return _error(401, "Unauthorized", "UnauthorizedException")
        task = asyncio.ensure_future(self.runtime.invoke(API_HANDLER, {"rest": rest}, label=f"{request.method} {tail}"))
        try:
            outcome = await asyncio.wait_for(asyncio.shield(task), self.integration_timeout)
        except TimeoutError:
            # API Gateway gives up after 29 s; the Lambda runs on to its own timeout.
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            return _error(504, "Endpoint request timed out")
        if not outcome.ok or not isinstance(outcome.value, dict):
            # A Lambda that timed out or crashed outside chalice's own error handling.
            return _error(502, "Internal server error")
        return _to_response(outcome.value)


def _to_response(result: dict[str, Any]) -> web.Response:
    status = int(result.get("statusCode", 200))
    raw_body = result.get("body")
    if result.get("isBase64Encoded") and raw_body is not None:
        body = base64.b64decode(raw_body)
    elif raw_body is None:
        body = b""
    elif isinstance(raw_body, bytes):
        body = raw_body
    else:
        body = str(raw_body).encode("utf-8")
    response = web.Response(status=status, body=body)
    single = result.get("headers") or {}
    content_type = None
    for name, value in single.items():
        if name.lower() == "content-type":
            content_type = str(value)
        elif name.lower() not in _HOP_BY_HOP:
            response.headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if name.lower() in _HOP_BY_HOP:
            continue
        if name.lower() == "content-type":
            content_type = str(values[-1])
            continue
        response.headers.popall(name, None)
        for value in values:
            response.headers.add(name, str(value))
    if body:
        response.headers["Content-Type"] = content_type or "application/json"
    response.headers.setdefault("x-amzn-RequestId", aws_id())
    return response


def _error(status: int, message: str, error_type: str | None = None) -> web.Response:
    kind = error_type or ("InternalServerErrorException" if status >= 500 else "BadRequestException")
    return web.Response(
        status=status,
        text=json.dumps({"message": message}),
        content_type="application/json",
        headers={"x-amzn-ErrorType": kind, "x-amzn-RequestId": aws_id()},
    )
