"""rest_errors (a domain error becomes an HTTP response, a view JSON), and reading a request: the
agent API Gateway's Cognito authorizer verified (and their limits), the body as its contract
type, the address, an owner."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import msgspec
from chalice.app import Request, Response

from chalicelib import wiring
from chalicelib.contract.common import AgentRef
from chalicelib.contract.rest.common import Body, Error, decode_body
from chalicelib.contract.rest.hub import LaunchBlockedError
from chalicelib.hub.command import blocker_view
from chalicelib.hub.mode import LaunchBlocked
from chalicelib.platform.auth import Actor, agent_from_claims
from chalicelib.platform.errors import HubError, InvalidAction, RateLimited

LIST_LIMIT = 100
P = ParamSpec("P")
B = TypeVar("B", bound=Body)


def rest_errors(view: Callable[P, msgspec.Struct]) -> Callable[P, Any]:
    """The one place a domain error becomes an HTTP response (`Error`, or `LaunchBlockedError`),
    and a view becomes the JSON Chalice sends."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return msgspec.to_builtins(view(*args, **kwargs))
        except LaunchBlocked as exc:
            blockers = [blocker_view(b) for b in exc.decision.blockers]
            body = LaunchBlockedError("launch_blocked", exc.message, blockers)
            return Response(body=msgspec.to_builtins(body), status_code=409)
        except RateLimited as exc:
            body = msgspec.to_builtins(Error(exc.code, exc.message, exc.retry_after))
            return Response(body=body, status_code=exc.http_status, headers={"Retry-After": str(exc.retry_after)})
        except HubError as exc:
            return Response(body=msgspec.to_builtins(Error(exc.code, exc.message)), status_code=exc.http_status)

    return wrapper


# ------------------------------------------------------------------ reading a request
def _bearer(value: str) -> str:
    """A widget session token, with or without `Bearer ` (agent tokens are API Gateway's)."""
    return value[7:] if value.lower().startswith("bearer ") else value


def _agent(request: Request | None) -> dict[str, Any]:
    """The agent API Gateway's Cognito user-pool authorizer verified for this request (its
    claims in `requestContext.authorizer.claims`: agent and tenant); every agent route reads it
    first, so it is where the agent's request limits apply (a request that changes something
    also counts against their write limit)."""
    assert request is not None  # set by Chalice for every REST invocation
    claims = (request.context.get("authorizer") or {}).get("claims")
    hub = wiring.hub()
    who = agent_from_claims(claims, hub.settings.app_client_id)
    agent = {"tenant": who.tenant, "agent_id": who.user_id, "name": who.name}
    writes = request.method in ("POST", "PATCH", "PUT", "DELETE")
    hub.limits.agent_request(who.tenant, who.user_id, writes)
    return agent


def _client_address(request: Request) -> str:
    """The caller's address as API Gateway saw it (`requestContext.identity.sourceIp`)."""
    identity = request.context.get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def actor(agent: dict[str, Any]) -> Actor:
    return Actor(agent["tenant"], "agent", agent["agent_id"], agent["name"])


def _body(request: Request | None, body_type: type[B]) -> B:
    assert request is not None
    return decode_body(request.raw_body, body_type)


def _owner(tenant: str, owner: AgentRef | None) -> tuple[str, str] | None:
    """A ticket owner must be an agent of the caller's tenant (one the hub has seen: the ones
    `GET /agents` lists); the name stored is the one the hub knows, not the one sent."""
    if owner is None:
        return None
    known = wiring.hub().live.connections.store.get_presence(tenant, owner.id)
    if known is None:
        raise InvalidAction(f"owner: {owner.id!r} is not an agent of this tenant (see GET /agents)")
    return str(known.agent_id), str(known.name)
