"""An API Gateway WebSocket API in front of the Chalice app's `on_ws_*` handlers.

What it reproduces (docs/local-stack.md has the full list and the differences):
- `$connect` runs before the handshake completes; a non-2xx `statusCode` (or a raising
  handler: 500) refuses the upgrade with that HTTP status, and nothing is connected.
- Connection ids, request ids and the CONNECT / MESSAGE / DISCONNECT events have the
  shapes AWS sends to a Lambda proxy integration.
- Route selection on `$request.body.action`, falling back to `$default`;
  no matching route and no `$default` answers a `Forbidden` frame, as AWS does.
- Messages of one connection are invoked concurrently (a thread pool, like Lambda).
- The handler's return value on a message route is ignored (no route responses);
  a raising handler yields AWS's `{"message": "Internal server error", ...}` frame and
  a slow one `{"message": "Endpoint request timed out", ...}` after the integration timeout.
- Binary frames are refused as AWS refuses them: close 1003, no invocation.
- Quotas: 32 KB frames (close 1009, no invocation; see `GatewayLimits`), the 10-minute
  idle timeout, the 2-hour connection limit and 500 new connections per second, each
  configurable; `$disconnect` runs exactly once whatever closed the connection.
- The `@connections` management API (POST / GET / DELETE under the stage), answering 410
  `GoneException` for unknown or closed connections and 413 `PayloadTooLargeException` for
  posts over 128 KB, so the unchanged boto3 `apigatewaymanagementapi` client behaves as
  against AWS. Only requests signed with the hub's per-run function credentials get in
  (403 otherwise), as only identities allowed `execute-api:ManageConnections` do on AWS.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WebSocketError, WSMsgType, web

from local import sigv4
from local.ids import aws_id, iso_ms, now_ms, request_time, trace_id
from local.lambda_runtime import REGION, WEBSOCKET_FUNCTIONS, LambdaRuntime, Outcome

log = logging.getLogger("local.ws")

CONNECT, DISCONNECT, DEFAULT = "$connect", "$disconnect", "$default"
# API Gateway's own answer when the integration (29 s) times out; a Lambda that times
# out on its own (function timeout) is an integration failure: "Internal server error".
ENDPOINT_TIMED_OUT = "Endpoint request timed out"


@dataclass(frozen=True)
class GatewayLimits:
    """API Gateway's quotas. A client message is limited to `max_frame_bytes` through
    aiohttp's public `max_msg_size`, which counts a fragmented message as a whole: exact for
    browsers (one frame per message), stricter than AWS for a client that fragments (AWS takes
    up to 128 KB in 32 KB frames). `max_message_bytes` limits `PostToConnection` (413)."""

    max_frame_bytes: int = 32 * 1024
    max_message_bytes: int = 128 * 1024
    idle_timeout: float = 10 * 60
    max_connection_duration: float = 2 * 60 * 60
    integration_timeout: float = 29.0
    max_connects_per_second: int = 500


# Close codes and the `disconnectReason` we report for each way a connection ends.
# AWS does not document the reason strings; these follow what it is seen to send.
CLIENT_NO_STATUS = (1005, "Client-side close frame status not set")
CLIENT_ABNORMAL = (1006, "Client-side connection closed abnormally")
IDLE_TIMEOUT = (1001, "Going away")
MAX_DURATION = (1001, "Going away")
DELETED = (1000, "Connection closed by the server (DeleteConnection)")
MESSAGE_TOO_BIG = (1009, "Message too big")
# "API Gateway WebSocket APIs don't currently support binary frames in incoming message
# payloads. If a client app sends a binary frame, API Gateway rejects it and disconnects
# the client with code 1003." (developer guide, websocket-api-develop-binary-media-types)
BINARY_FRAME = (1003, "Binary frames are not supported")
SHUTDOWN = (1001, "Going away")


@dataclass
class Connection:
    connection_id: str
    ws: web.WebSocketResponse
    connected_at_ms: int
    source_ip: str
    user_agent: str
    last_active_ms: int
    last_active_mono: float = field(default_factory=time.monotonic)
    connected_mono: float = field(default_factory=time.monotonic)
    # Set by the gateway when it closes the connection itself (idle, DELETE, ...).
    close_cause: tuple[int, str] | None = None
    finalized: bool = False

    def touch(self) -> None:
        self.last_active_ms = now_ms()
        self.last_active_mono = time.monotonic()


class WebSocketGateway:
    def __init__(
        self,
        runtime: LambdaRuntime,
        *,
        stage: str,
        api_id: str,
        domain_name: str,
        limits: GatewayLimits,
        credentials: sigv4.FunctionCredentials,
    ) -> None:
        self.runtime = runtime
        self.stage = stage
        self.api_id = api_id
        self.domain_name = domain_name
        self.limits = limits
        self.credentials = credentials
        # route key -> the function chalice deploys for it
        self.routes: dict[str, str] = {
            route_key: WEBSOCKET_FUNCTIONS.get(route_key, config.name)
            for route_key, config in runtime.app.websocket_handlers.items()
        }
        self.connections: dict[str, Connection] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        # Connections whose receive loop has not ended yet (ids).
        self._live: set[str] = set()
        self._connect_times: deque[float] = deque()
        self._accepting = True
        # Every $disconnect invocation, for tests and the shutdown path.
        self.disconnects = 0

    # ------------------------------------------------------------------ routing
    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(f"/{self.stage}", self.handle_websocket)
        for method in ("POST", "GET", "DELETE"):
            app.router.add_route(method, "/{stage}/@connections/{connection_id}", self.handle_management)

    def select_route(self, body: str) -> str:
        """The route key for a message: `$request.body.action` (chalice's route selection
        expression) if it names a route, else $default."""
        try:
            value: Any = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested too deep to parse here
            return DEFAULT
        if not isinstance(value, dict) or "action" not in value:
            return DEFAULT
        value = value["action"]
        if isinstance(value, bool):
            key = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            key = str(value)
        else:
            return DEFAULT
        if key in self.routes and key not in (CONNECT, DISCONNECT):
            return key
        return DEFAULT

    # ------------------------------------------------------------------ events
    def _context(
        self, conn_id: str, connected_at: int, route_key: str, event_type: str, identity: dict[str, str]
    ) -> dict[str, Any]:
        request_id = aws_id()
        at = now_ms()
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": request_time(at),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": connected_at,
            "requestTimeEpoch": at,
            "identity": identity,
            "requestId": request_id,
            "domainName": self.domain_name,
            "connectionId": conn_id,
            "apiId": self.api_id,
        }

    def connect_event(self, request: web.Request, conn_id: str, connected_at: int) -> dict[str, Any]:
        source_ip = _peer_ip(request)
        headers: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for raw_name, raw_value in request.raw_headers:
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            headers[name] = value
            multi.setdefault(name, []).append(value)
        lower = {name.lower() for name in headers}
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        added = {
            "X-Amzn-Trace-Id": trace_id(connected_at),
            "X-Forwarded-For": source_ip,
            "X-Forwarded-Port": str(sockname[1]) if sockname else "",
            "X-Forwarded-Proto": request.scheme,
        }
        for name, value in added.items():
            if name.lower() not in lower:
                headers[name] = value
                multi[name] = [value]
        identity = {"sourceIp": source_ip}
        user_agent = request.headers.get("User-Agent")
        if user_agent is not None:
            identity["userAgent"] = user_agent
        event: dict[str, Any] = {
            "headers": headers,
            "multiValueHeaders": multi,
            "requestContext": self._context(conn_id, connected_at, CONNECT, "CONNECT", identity),
            "isBase64Encoded": False,
        }
        pairs = parse_qsl(request.query_string, keep_blank_values=True)
        if pairs:
            # AWS omits both keys when the URL has no query string.
            single: dict[str, str] = {}
            multi_q: dict[str, list[str]] = {}
            for key, value in pairs:
                single[key] = value
                multi_q.setdefault(key, []).append(value)
            event["queryStringParameters"] = single
            event["multiValueQueryStringParameters"] = multi_q
        return event

    def message_event(self, conn: Connection, route_key: str, body: str) -> dict[str, Any]:
        context = self._context(conn.connection_id, conn.connected_at_ms, route_key, "MESSAGE", self._identity(conn))
        context["messageId"] = aws_id()
        return {"requestContext": context, "body": body, "isBase64Encoded": False}

    def disconnect_event(self, conn: Connection, code: int, reason: str) -> dict[str, Any]:
        context = self._context(
            conn.connection_id, conn.connected_at_ms, DISCONNECT, "DISCONNECT", self._identity(conn)
        )
        context["disconnectStatusCode"] = code
        context["disconnectReason"] = reason
        headers = {"Host": self.domain_name, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
        return {
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "requestContext": context,
            "isBase64Encoded": False,
        }

    @staticmethod
    def _identity(conn: Connection) -> dict[str, str]:
        identity = {"sourceIp": conn.source_ip}
        if conn.user_agent:
            identity["userAgent"] = conn.user_agent
        return identity

    # ------------------------------------------------------------------ invocation
    async def _invoke(self, route_key: str, event: dict[str, Any], timeout: float | None) -> Outcome | None:
        """None when the route has no integration."""
        function = self.routes.get(route_key)
        if function is None:
            return None
        request_id = event["requestContext"]["requestId"]
        label = f"{route_key} {event['requestContext']['connectionId']}"
        call = self.runtime.invoke(function, {"event": event}, label=label)
        if timeout is None:
            return await call
        task = asyncio.ensure_future(call)
        try:
            return await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            # API Gateway stops waiting; the Lambda itself runs on to its own timeout.
            self._track(task)
            return Outcome(error=ENDPOINT_TIMED_OUT, timed_out=True, request_id=request_id)

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _connect_allowed(self) -> bool:
        now = time.monotonic()
        while self._connect_times and now - self._connect_times[0] >= 1.0:
            self._connect_times.popleft()
        if len(self._connect_times) >= self.limits.max_connects_per_second:
            return False
        self._connect_times.append(now)
        return True

    # ------------------------------------------------------------------ WebSocket
    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return _json_response(426, {"message": "Upgrade Required"})
        if not self._accepting:
            return _json_response(503, {"message": "Service Unavailable"})
        if not self._connect_allowed():
            return _json_response(429, {"message": "Too Many Requests"})
        conn_id = aws_id()
        connected_at = now_ms()
        event = self.connect_event(request, conn_id, connected_at)
        outcome = await self._invoke(CONNECT, event, self.limits.integration_timeout)
        protocols: tuple[str, ...] = ()
        if outcome is not None:
            if not outcome.ok:
                status = 504 if outcome.error == ENDPOINT_TIMED_OUT else 500
                return _json_response(status, {"message": "Internal server error"})
            response = outcome.value if isinstance(outcome.value, dict) else {}
            status = int(response.get("statusCode", 200))
            if not 200 <= status < 300:
                log.info("$connect refused %s with %s", conn_id, status)
                return _handler_response(status, response)
            subprotocol = _header(response, "Sec-WebSocket-Protocol")
            if subprotocol:
                protocols = (subprotocol,)

        ws = web.WebSocketResponse(
            # aiohttp refuses sizes >= max_msg_size, before buffering the payload.
            max_msg_size=self.limits.max_frame_bytes + 1,
            protocols=protocols,
            compress=False,
            autoping=True,
        )
        conn = Connection(
            connection_id=conn_id,
            ws=ws,
            connected_at_ms=connected_at,
            source_ip=_peer_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            last_active_ms=connected_at,
        )
        try:
            await ws.prepare(request)
        except (ConnectionError, RuntimeError) as exc:
            # The client left while $connect ran: what $connect stored gets its $disconnect.
            log.info("client of %s left during $connect: %s", conn_id, exc)
            self._finalize(conn, CLIENT_ABNORMAL)
            return web.Response(status=400)
        self.connections[conn_id] = conn
        self._live.add(conn_id)
        log.info("connected %s", conn_id)
        watchdog = asyncio.create_task(self._watch(conn))
        cause: tuple[int, str] = CLIENT_ABNORMAL
        try:
            while True:
                msg = await ws.receive()
                if msg.type is WSMsgType.TEXT:
                    self._on_message(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    log.info("closed %s with 1003: a binary frame", conn_id)
                    self.begin_close(conn, BINARY_FRAME)
                elif msg.type is WSMsgType.CLOSE:
                    code = int(msg.data or 0)
                    cause = (code, msg.extra or "") if code else CLIENT_NO_STATUS
                    break
                elif msg.type is WSMsgType.ERROR:
                    error = msg.data
                    if isinstance(error, WebSocketError) and error.code == MESSAGE_TOO_BIG[0]:
                        cause = MESSAGE_TOO_BIG
                        log.info("closed %s with 1009: %s", conn_id, error)
                    else:
                        cause = (ws.close_code or CLIENT_ABNORMAL[0], str(error))
                    break
                else:  # CLOSING / CLOSED
                    break
        finally:
            watchdog.cancel()
            self._finalize(conn, conn.close_cause or cause)
        return ws

    def _on_message(self, conn: Connection, body: str) -> None:
        if conn.finalized or conn.close_cause is not None:
            return
        conn.touch()
        route_key = self.select_route(body)
        event = self.message_event(conn, route_key, body)
        self._track(asyncio.create_task(self._run_message(conn, route_key, event)))

    async def _run_message(self, conn: Connection, route_key: str, event: dict[str, Any]) -> None:
        request_id = event["requestContext"]["requestId"]
        outcome = await self._invoke(route_key, event, self.limits.integration_timeout)
        if outcome is None:
            await self._send_gateway_error(conn, "Forbidden", request_id)
        elif outcome.error == ENDPOINT_TIMED_OUT:
            await self._send_gateway_error(conn, ENDPOINT_TIMED_OUT, request_id)
        elif not outcome.ok:
            await self._send_gateway_error(conn, "Internal server error", request_id)

    async def _send_gateway_error(self, conn: Connection, message: str, request_id: str) -> None:
        if conn.finalized or conn.close_cause is not None:
            return
        frame = json.dumps({"message": message, "connectionId": conn.connection_id, "requestId": request_id})
        try:
            await conn.ws.send_str(frame)
            conn.touch()
        except (ConnectionError, RuntimeError):
            pass

    async def _watch(self, conn: Connection) -> None:
        """Closes the connection when it has been idle, or open, for too long."""
        while not conn.finalized:
            now = time.monotonic()
            idle_at = conn.last_active_mono + self.limits.idle_timeout
            max_at = conn.connected_mono + self.limits.max_connection_duration
            if now >= max_at:
                self.begin_close(conn, MAX_DURATION)
                return
            if now >= idle_at:
                self.begin_close(conn, IDLE_TIMEOUT)
                return
            await asyncio.sleep(min(idle_at, max_at) - now)

    def begin_close(self, conn: Connection, cause: tuple[int, str]) -> bool:
        """Closes from the gateway's side: from now on the connection is gone for the
        management API; the close frame goes out on a task of its own and `$disconnect`
        follows from the receive loop."""
        if conn.close_cause is not None or conn.finalized:
            return False
        conn.close_cause = cause
        self.connections.pop(conn.connection_id, None)
        self._track(asyncio.create_task(self._close_socket(conn, cause)))
        return True

    @staticmethod
    async def _close_socket(conn: Connection, cause: tuple[int, str]) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await conn.ws.close(code=cause[0], message=cause[1].encode("utf-8")[:123])

    def _finalize(self, conn: Connection, cause: tuple[int, str]) -> None:
        """Once per connection: forget it and invoke `$disconnect` (not awaited by the caller)."""
        if conn.finalized:
            return
        conn.finalized = True
        self.connections.pop(conn.connection_id, None)
        self._live.discard(conn.connection_id)
        log.info("disconnected %s (%s %s)", conn.connection_id, cause[0], cause[1])
        event = self.disconnect_event(conn, cause[0], cause[1])
        self.disconnects += 1
        self._track(asyncio.create_task(self._invoke(DISCONNECT, event, None)))

    # ------------------------------------------------------------------ @connections
    async def handle_management(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["stage"] != self.stage:
            return _aws_error(403, "ForbiddenException", "Forbidden")
        data = await request.read()
        url = f"{request.scheme}://{request.host}{request.raw_path}"
        refused = sigv4.verify(request.method, url, request.headers, data, self.credentials, REGION)
        if refused is not None:
            log.warning("@connections %s %s refused: %s", request.method, request.path, refused)
            return _aws_error(403, "ForbiddenException", refused)
        conn_id = request.match_info["connection_id"]
        conn = self.connections.get(conn_id)
        if request.method == "POST":
            if len(data) > self.limits.max_message_bytes:
                return _aws_error(413, "PayloadTooLargeException", "Message too long")
            if conn is None or conn.close_cause is not None:
                return _gone()
            try:
                try:
                    await conn.ws.send_str(data.decode("utf-8"))
                except UnicodeDecodeError:
                    await conn.ws.send_bytes(data)
            except (ConnectionError, RuntimeError):
                return _gone()
            conn.touch()
            return web.Response(status=200, headers={"x-amzn-RequestId": aws_id()})
        if conn is None or conn.close_cause is not None:
            return _gone()
        if request.method == "GET":
            body = {
                "connectedAt": iso_ms(conn.connected_at_ms),
                "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
                "lastActiveAt": iso_ms(conn.last_active_ms),
            }
            return _json_response(200, body)
        # DELETE: answer at once; the close and `$disconnect` follow asynchronously, so a
        # handler that deletes a connection never waits on that connection's `$disconnect`.
        self.begin_close(conn, DELETED)
        return web.Response(status=204, headers={"x-amzn-RequestId": aws_id()})

    # ------------------------------------------------------------------ lifecycle
    async def shutdown(self, timeout: float) -> None:
        """Closes every connection (1001) and waits for the `$disconnect` invocations."""
        self._accepting = False
        for conn in list(self.connections.values()):
            self.begin_close(conn, SHUTDOWN)
        deadline = time.monotonic() + timeout
        while (self._tasks or self._live) and time.monotonic() < deadline:
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=max(0.0, deadline - time.monotonic()))
            else:
                await asyncio.sleep(0.01)


def _peer_ip(request: web.Request) -> str:
    return request.remote or "127.0.0.1"


def _header(response: dict[str, Any], name: str) -> str | None:
    for key, value in (response.get("headers") or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _json_response(status: int, body: Any) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


def _handler_response(status: int, response: dict[str, Any]) -> web.Response:
    body = response.get("body")
    if body is None:
        return web.Response(status=status)
    if response.get("isBase64Encoded"):
        return web.Response(status=status, body=base64.b64decode(body))
    return web.Response(status=status, text=str(body), content_type="application/json")


def _aws_error(status: int, error_type: str, message: str | None) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps({"message": message}),
        content_type="application/json",
        headers={"x-amzn-ErrorType": error_type, "x-amzn-RequestId": aws_id()},
    )


def _gone() -> web.Response:
    return _aws_error(410, "GoneException", None)
