"""The app's REST API under `/<api_gateway_stage>/...` (i.e. `/api`), served by its
`api_handler` function.

The function's process runs chalice's own `LocalGateway` (routing, custom authorizers,
the event), as `chalice local` does (see `local.worker.RestApi`); this side strips the
stage prefix, hands the request over and applies API Gateway's 29-second integration
timeout.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any

from aiohttp import web

from local.ids import aws_id
from local.lambda_runtime import API_HANDLER, LambdaRuntime

log = logging.getLogger("local.rest")

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}


class RestGateway:
    def __init__(self, runtime: LambdaRuntime, *, stage: str = "api", integration_timeout: float = 29.0) -> None:
        self.runtime = runtime
        self.prefix = f"/{stage}"
        self.integration_timeout = integration_timeout
        self._pending: set[asyncio.Future[Any]] = set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", self.prefix + "{tail:(/.*)?}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if API_HANDLER not in self.runtime.functions:
            return _error(403, "Missing Authentication Token")
        tail = request.match_info.get("tail") or "/"
        body = await request.read() if request.can_read_body else b""
        rest = {
            "method": request.method,
            "path": tail + (f"?{request.query_string}" if request.query_string else ""),
            "headers": dict(request.headers),
            "body": base64.b64encode(body).decode("ascii") if body else None,
        }
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


def _error(status: int, message: str) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps({"message": message}),
        content_type="application/json",
        headers={"x-amzn-ErrorType": "InternalServerErrorException" if status >= 500 else "BadRequestException"},
    )
