"""The app's REST routes under `/api/...`, through chalice's own local API Gateway.

`chalice.local.LocalGateway` does the routing, the custom authorizers and the event
shape exactly as `chalice local` does; this adapter only strips the `/api` prefix (the
REST API's stage), runs the call on the Lambda thread pool and applies API Gateway's
29-second integration timeout.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from typing import Any

from aiohttp import web
from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException

from local.ids import aws_id, now_ms, request_time
from local.lambda_runtime import ACCOUNT_ID, LambdaRuntime

log = logging.getLogger("local.rest")

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}


class RestGateway:
    def __init__(
        self, runtime: LambdaRuntime, config: Config, *, prefix: str = "/api", integration_timeout: float = 29.0
    ) -> None:
        self.runtime = runtime
        self.prefix = prefix
        self.integration_timeout = integration_timeout
        self._gateway = LocalGateway(runtime.app, config)
        self._pending: set[asyncio.Future[Any]] = set()
        self._stage = str(config.api_gateway_stage or "api")
        self._convert = self._gateway.event_converter.create_lambda_event
        self._gateway.event_converter.create_lambda_event = self._create_event  # type: ignore[method-assign]

    def _create_event(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> dict[str, Any]:
        """chalice's event plus what API Gateway also sends (request ids, stage, times, the
        single-value query and multi-value headers), for handlers and Powertools that read them."""
        event: dict[str, Any] = self._convert(method=method, path=path, headers=headers, body=body)
        at = now_ms()
        context = event["requestContext"]
        context.setdefault("stage", self._stage)
        context.setdefault("requestId", str(uuid.uuid4()))
        context.setdefault("extendedRequestId", aws_id())
        context.setdefault("requestTime", request_time(at))
        context.setdefault("requestTimeEpoch", at)
        context.setdefault("protocol", "HTTP/1.1")
        context.setdefault("accountId", ACCOUNT_ID)
        event.setdefault("resource", context["resourcePath"])
        event.setdefault("httpMethod", method)
        event.setdefault("path", context["path"])
        multi = event.get("multiValueQueryStringParameters")
        event.setdefault("queryStringParameters", {k: v[-1] for k, v in multi.items()} if multi else None)
        event.setdefault("multiValueHeaders", {k: [v] for k, v in event["headers"].items()})
        event.setdefault("isBase64Encoded", False)
        return event

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", self.prefix + "{tail:(/.*)?}", self.handle)

    def _call(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> dict[str, Any]:
        try:
            response: dict[str, Any] = self._gateway.handle_request(
                method=method, path=path, headers=headers, body=body
            )
            return response
        except LocalGatewayException as exc:
            return {
                "statusCode": exc.CODE,
                "headers": dict(exc.headers),
                "multiValueHeaders": {},
                "body": exc.body,
            }

    async def handle(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info.get("tail") or "/"
        path = tail + (f"?{request.query_string}" if request.query_string else "")
        headers = {k: v for k, v in request.headers.items()}
        body = await request.read() if request.can_read_body else None
        call = self.runtime.invoke(
            self._call, request.method, path, headers, body or None, label=f"{request.method} {tail}"
        )
        task = asyncio.ensure_future(call)
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
