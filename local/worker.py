"""One Lambda function of the app, in a process of its own (started by `local.lambda_runtime`).

`python -m local.worker --fd N --app app:app --handler app.ws_message --stage dev` imports
the app with the environment the hub built for this function, then answers invocations on
the socket `N`: one JSON line in (`{"id", "event"}`, or `{"id", "rest"}` for the REST API),
one JSON line out (`{"id", "value"}` or `{"id", "error"}`). Invocations run concurrently on
threads, as concurrent Lambda containers of one function would. The REST API goes through
chalice's own `LocalGateway` (routing, authorizers, the event), as `chalice local` does.
The process exits when the hub closes the socket.
"""

from __future__ import annotations

import argparse
import base64
import gc
import importlib
import json
import logging
import os
import socket
import sys
import threading
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import LambdaContext, LocalChalice, LocalGateway, LocalGatewayException

from local.ids import aws_id, now_ms, request_time
from local.lambda_runtime import ACCOUNT_ID, API_HANDLER, REGION
from local.procutil import log_gc_pauses, short_gc_pauses
from local.rest_gateway import CognitoClaims, Refused

log = logging.getLogger("local.worker")
ROOT = Path(__file__).resolve().parent.parent


class _ThreadLocalChalice(LocalChalice):
    """`current_request` (from LocalChalice) and `lambda_context` per thread: REST requests
    run concurrently and must not see each other's request."""

    _CONTEXT = threading.local()

    @property
    def lambda_context(self) -> Any:
        return getattr(self._CONTEXT, "value", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._CONTEXT.value = value


def make_thread_safe(app: Chalice) -> None:
    """What `chalice local` does to the app object, on a private subclass."""
    app.__class__ = type("LocalHubChalice", (_ThreadLocalChalice, app.__class__), {})


def share_botocore_session() -> None:
    """One botocore session for the worker's invocation threads, as a Lambda container has one.

    PynamoDB keeps a botocore session per thread, and a new session loads botocore's service data
    again: 65-140 ms of CPU for each of the pool's threads as load ramps up, seconds in all, where
    a container pays it once at its cold start. The threads share one session here; sessions are
    not thread-safe, so clients are created from it under a lock (the clients themselves are)."""
    import botocore.session
    from pynamodb.connection import base

    shared = botocore.session.get_session()
    lock = threading.Lock()
    create_client = shared.create_client

    def locked_create_client(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return create_client(*args, **kwargs)

    shared.create_client = locked_create_client
    base.get_session = lambda: shared  # type: ignore[attr-defined]


def resolve(module: ModuleType, app: Chalice, handler: str) -> Callable[[Any, Any], Any]:
    """The entry point a chalice handler string names. Chalice writes "app." for handlers
    defined in the app module whatever its real module name is."""
    module_name, _, attr = handler.rpartition(".")
    if module_name not in ("app", module.__name__):
        module = importlib.import_module(module_name)
    fn = getattr(module, attr, None) or app.handler_map.get(attr)
    if fn is None or not callable(fn):
        raise LookupError(f"no Lambda entry point {handler!r}")
    return fn


class RestApi:
    """The `api_handler` function: chalice's LocalGateway plus what API Gateway also puts in
    the event (request ids, stage, times, single-value query, multi-value headers)."""

    def __init__(self, app: Chalice, config: Config) -> None:
        self._gateway = LocalGateway(app, config)
        # The hub's gateway ran API Gateway's Cognito authorizer (local.rest_gateway) and sends
        # the verified claims with the request; chalice's own unverified decoding never runs.
        self._current = threading.local()
        self._gateway._authorizer = CognitoClaims(app, self._verified_claims)
        self._stage = str(config.api_gateway_stage or "api")
        self._convert = self._gateway.event_converter.create_lambda_event
        self._gateway.event_converter.create_lambda_event = self._create_event  # type: ignore[method-assign]

    def _create_event(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> dict[str, Any]:
        event: dict[str, Any] = self._convert(method=method, path=path, headers=headers, body=body)
        at = now_ms()
        context = event["requestContext"]
        source_ip = getattr(self._current, "source_ip", None)
        if source_ip:
            context["identity"]["sourceIp"] = source_ip
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

    def _verified_claims(self, _token: str, _authorizer: Any) -> dict[str, Any]:
        claims = getattr(self._current, "value", None)
        if not isinstance(claims, dict):
            raise Refused("the gateway verified no token for this request")
        return claims

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        body = base64.b64decode(request["body"]) if request.get("body") is not None else None
        self._current.value = request.get("claims")
        self._current.source_ip = request.get("source_ip")
        try:
            response: dict[str, Any] = self._gateway.handle_request(
                method=request["method"], path=request["path"], headers=request["headers"], body=body
            )
        except LocalGatewayException as exc:
            response = {"statusCode": exc.CODE, "headers": dict(exc.headers), "body": exc.body}
        if isinstance(response.get("body"), bytes):  # chalice decoded a binary response
            response["body"] = base64.b64encode(response["body"]).decode("ascii")
            response["isBase64Encoded"] = True
        return response


class Worker:
    def __init__(self, sock: socket.socket, invoke: Callable[[dict[str, Any]], Any], concurrency: int) -> None:
        self._sock = sock
        self._invoke = invoke
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="invocation")
        self._send_lock = threading.Lock()

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, default=str).encode("utf-8") + b"\n"
        with self._send_lock:
            self._sock.sendall(data)

    def _run(self, message: dict[str, Any]) -> None:
        try:
            answer = {"id": message["id"], "value": self._invoke(message)}
        except Exception as exc:
            log.error("%s raised:\n%s", os.environ.get("AWS_LAMBDA_FUNCTION_NAME"), traceback.format_exc())
            answer = {"id": message["id"], "error": f"{type(exc).__name__}: {exc}"}
        try:
            self._send(answer)
        except OSError:
            os._exit(0)  # the hub is gone

    def serve(self) -> None:
        self._send({"ready": True})
        with self._sock.makefile("rb") as lines:
            for line in lines:
                self._pool.submit(self._run, json.loads(line))
        os._exit(0)  # the hub closed the socket: running handlers die with the process


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--app", required=True, help="module:attribute of the Chalice app")
    parser.add_argument("--handler", default="", help="the entry point; empty for the REST API")
    parser.add_argument("--stage", required=True, help="the chalice stage whose configuration applies")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=60.0, help="the function timeout, in seconds")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    # Handlers log to stdout (Powertools); lines reach the hub's log as they are written.
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s %(levelname)-7s {function_name}: %(message)s", stream=sys.stderr
    )
    for noisy in ("botocore", "boto3", "pynamodb", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    share_botocore_session()
    log_gc_pauses(function_name)
    module_name, _, attr = args.app.partition(":")
    module = importlib.import_module(module_name)
    app = getattr(module, attr or "app")
    make_thread_safe(app)
    invoke: Callable[[dict[str, Any]], Any]
    if not args.handler:
        config_path = ROOT / ".chalice" / "config.json"
        on_disk = json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else None
        rest = RestApi(app, Config(chalice_stage=args.stage, function_name=API_HANDLER, config_from_disk=on_disk))
        invoke = lambda message: rest(message["rest"])  # noqa: E731
    else:
        fn = resolve(module, app, args.handler)
        memory = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        timeout_ms = int(args.timeout * 1000)

        def invoke(message: dict[str, Any]) -> Any:
            context = LambdaContext(function_name, memory, max_runtime_ms=timeout_ms)
            context.aws_request_id = message["id"]
            context.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
            context.log_group_name = f"/aws/lambda/{function_name}"
            return fn(message["event"], context)

    # Its threads share one interpreter: a full collection over everything the import built
    # (130,000 objects, 40 to 65 ms in `bench.latency`) stalled every frame in flight. On AWS each
    # container serves one frame at a time, so only the local stack pays it this way.
    gc.collect()
    gc.freeze()
    short_gc_pauses()
    Worker(sock, invoke, args.concurrency).serve()


if __name__ == "__main__":
    main()
