"""Generates the OpenAPI 3.1 document of the hub's REST API (docs/openapi.json) from the contract.

Paths, methods, path parameters, operation ids, media types and which routes the agent
authorizer guards come from the Chalice routes of `app.py`; each route's summary, tag and error
codes from `chalicelib/contract/routes/`; every body and answer schema from the contract's
types (`msgspec.json.schema_components`). `python -m tools.contract` regenerates it with the
other generated files; `tests/unit/test_contract.py` fails when it drifts, and
`tests/integration/test_openapi.py` validates real answers against it.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from chalicelib.contract.routes import ROUTES, TAGS
from chalicelib.contract.routes.route import Route

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "openapi.json"
Schema = dict[str, Any]
AGENT_AUTHORIZER = "agent_auth"
_AGENT_ONLY = "Agents only: the tenant is the one in the caller's ID token."


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def error_codes() -> dict[str, int]:
    """code → HTTP status, from every `HubError` subclass the REST handlers can raise."""
    from chalicelib import wiring  # noqa: F401 - imports every module that defines a HubError
    from chalicelib.hub.mode import LaunchBlocked
    from chalicelib.platform.errors import HubError

    codes: dict[str, int] = {}
    pending: list[type[HubError]] = [HubError]
    while pending:
        cls = pending.pop(0)
        pending.extend(cls.__subclasses__())
        if cls is not LaunchBlocked:
            codes.setdefault(cls.code, cls.http_status)
    return dict(sorted(codes.items(), key=lambda kv: (kv[1], kv[0])))


def schemas() -> dict[str, Schema]:
    """The contract's REST types (and what they reference), plus the two shapes that are not the
    hub's own: Chalice's errors and API Gateway's authorizer answers."""
    import msgspec

    from chalicelib.contract.rest.common import Error
    from chalicelib.contract.rest.hub import LaunchBlockedError

    types = {route.response for route in ROUTES.values()} | {r.request for r in ROUTES.values() if r.request}
    _, components = msgspec.json.schema_components(
        sorted([*types, Error, LaunchBlockedError], key=lambda t: t.__name__),
        ref_template="#/components/schemas/{name}",
    )
    codes = ", ".join(f"`{code}` ({status})" for code, status in error_codes().items())
    components["Error"]["properties"]["code"]["description"] = (
        f"Machine-readable error code. Every code the hub defines (HTTP status): {codes}; "
        "each operation lists the ones it answers with (the rest are WebSocket-only)."
    )
    components["ChaliceError"] = {
        "type": "object",
        "description": "Raised by Chalice itself before the hub's code runs: a Content-Type other than "
        "application/json (415), an unhandled exception (500).",
        "properties": {
            "Code": {"type": "string", "examples": ["BadRequestError", "UnsupportedMediaType"]},
            "Message": {"type": "string"},
        },
        "required": ["Code", "Message"],
        "additionalProperties": False,
    }
    components["GatewayError"] = {
        "type": "object",
        "description": "Answered by API Gateway's Cognito user-pool authorizer (or the local stack's "
        'emulation of it), before any function runs: 401 `{"message": "Unauthorized"}` for a missing, '
        "malformed, forged, expired or other pool's token.",
        "properties": {"message": {"type": "string"}},
        "required": ["message"],
    }
    return dict(sorted(components.items()))


MEDIA = "application/json"


def _json(schema: Schema, description: str) -> dict[str, Any]:
    return {"description": description, "content": {MEDIA: {"schema": schema}}}


def _codes(codes: tuple[str, ...]) -> str:
    return ", ".join(f"`{c}`" for c in codes)


def _responses(op: Route) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": _json(ref(op.response.__name__), "OK")}
    errors = dict(op.errors)
    if op.request:
        errors.setdefault(400, ())
    for status in sorted({*errors, *((401,) if op.auth == "agent" else ())}):
        codes = errors.get(status, ())
        if status == 400:
            if op.request:
                schema = {"anyOf": [ref("Error"), ref("ChaliceError")]}
                text = f"{_codes(codes)}; or a body that is not JSON (`BadRequestError`, Chalice's shape)"
                responses["400"] = _json(schema, text if codes else "A body that is not JSON (`BadRequestError`)")
            else:
                responses["400"] = _json(ref("Error"), _codes(codes))
        elif status == 401 and op.auth == "agent" and not codes:
            responses["401"] = {"$ref": "#/components/responses/NoToken"}
        elif codes == ("launch_blocked",):
            responses[str(status)] = _json(ref("LaunchBlockedError"), "`launch_blocked`, with the blockers")
        else:
            responses[str(status)] = _json(ref("Error"), _codes(codes))
    if op.request:
        responses["415"] = {"$ref": "#/components/responses/UnsupportedMediaType"}
    return responses


def _operation(op: Route, route: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": route.view_name, "summary": op.summary, "tags": [op.tag]}
    description = " ".join(d for d in (op.description, _AGENT_ONLY if op.auth == "agent" else "") if d)
    if description:
        out["description"] = description
    if op.auth != "public":
        out["security"] = [{"agentToken" if op.auth == "agent" else "widgetSession": []}]
    params = [
        {"name": name, "in": "path", "required": True, "schema": op.path_params.get(name, {"type": "string"})}
        for name in route.view_args
    ]
    if set(op.path_params) - set(route.view_args):
        raise ValueError(f"{route.uri_pattern}: unknown path parameters {set(op.path_params) - set(route.view_args)}")
    if params or op.query:
        out["parameters"] = [*params, *op.query]
    if op.request:
        out["requestBody"] = {
            "required": op.request_required,
            "content": {media: {"schema": ref(op.request.__name__)} for media in route.content_types},
        }
    out["responses"] = _responses(op)
    return out


def _check_auth(path: str, method: str, op: Route, route: Any) -> None:
    authorizer = None if route.authorizer is None else getattr(route.authorizer, "name", repr(route.authorizer))
    if authorizer != (AGENT_AUTHORIZER if op.auth == "agent" else None):
        raise ValueError(f"{method} {path}: documented auth {op.auth!r} but the route's authorizer is {authorizer!r}")


def paths() -> dict[str, Any]:
    from app import app

    out: dict[str, Any] = {}
    seen: set[tuple[str, str]] = set()
    for path, methods in app.routes.items():
        item: dict[str, Any] = {}
        for method, route in methods.items():
            op = ROUTES.get((path, method))
            if op is None:
                raise ValueError(
                    f"{method} {path} is not documented: add it to its lane's ROUTES in chalicelib/contract/routes/"
                )
            _check_auth(path, method, op, route)
            item[method.lower()] = _operation(op, route)
            seen.add((path, method))
        out[path] = item
    stale = sorted(set(ROUTES) - seen)
    if stale:
        raise ValueError(f"ROUTES documents routes app.py does not have: {stale}")
    return out


def build() -> dict[str, Any]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Flow Conversation Live Hub REST API",
            "version": project["version"],
            "description": "The hub's REST routes (`app.py`). The live lane itself is the WebSocket API "
            "(docs/protocol.md). Generated by `python -m tools.openapi`; see docs/rest.md.",
        },
        "servers": [
            {"url": "http://127.0.0.1:8787/api", "description": "Local stack (`make run`)"},
            {
                "url": "https://{restApiId}.execute-api.{region}.amazonaws.com/api",
                "description": "Deployed stage",
                "variables": {"restApiId": {"default": "example"}, "region": {"default": "us-east-1"}},
            },
        ],
        "tags": TAGS,
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "responses": {
                "NoToken": _json(
                    {"anyOf": [ref("GatewayError"), ref("Error")]},
                    "The Cognito authorizer refused the token (missing, forged, expired, another pool's, not an "
                    'ID token): `{"message": "Unauthorized"}`; or the route did (another app client\'s token, no '
                    "`custom:tenant` claim): `unauthorized`",
                ),
                "UnsupportedMediaType": _json(ref("ChaliceError"), "A Content-Type other than application/json"),
            },
            "securitySchemes": {
                "agentToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "An agent's Cognito ID token (not the access token), the raw token with no "
                    "`Bearer ` before it. Checked by API Gateway's Cognito user-pool authorizer `agent_auth` "
                    "(RS256 by the pool's key, issuer, expiry, an ID token), then by the route (the dashboard's "
                    "app client, a `custom:tenant` claim).",
                },
                "widgetSession": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "A widget session token from `POST /widget/session`, bare or as `Bearer <token>`. "
                    "Checked by the route itself: a bad or expired one is 401 `unauthorized`.",
                },
            },
        },
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
