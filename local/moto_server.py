"""moto's server with one request at a time: `python -m local.moto_server -H 127.0.0.1 -p PORT`.

The same WSGI app as `python -m moto.server`, but requests are handled under one lock.
moto's backends have no locking of their own, so two threads could interleave the
check and the write of a conditional write or a transaction; DynamoDB never does, and
the hub relies on it (sequence numbers, atomic callback claims). Serialising requests
makes conditional writes and `TransactWriteItems` atomic, as they are on AWS.

moto answers anyone, and holds the widget signing secret: `LocalOnly` refuses a request
whose `Host` is not this machine's (a DNS-rebinding page) or that a browser sent from a
page other than the hub's own (`--allow-origin`; moto itself allows every origin).

Connections stay open between requests (`keep_alive_handler`): werkzeug's development server
closes each one after its answer, so every call of the hub's clients paid a new connection and
moto a new thread.

DynamoDB's JSON calls (`X-Amz-Target: DynamoDB_20120810.*`, nearly all of the hub's) reach
moto's `DynamoHandler` without Flask (`DynamoFastPath`): ~40% of moto's time under load went
between the socket and the handler, ~10% of it in Flask. 0.86x moto's CPU per call (3.20 ->
2.75-2.82 ms over botocore Query/UpdateItem/TransactWriteItems calls to a server process).
Every other request goes through moto's whole app.

`MotoProcess` starts it as a subprocess on a free loopback port and stops it.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from local.procutil import free_port, local_hosts, log_gc_pauses, short_gc_pauses, watch_parent

StartResponse = Callable[..., Any]


class SerializedApp:
    """WSGI middleware: one request at a time, body fully produced inside the lock."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


class LocalOnly:
    """WSGI middleware: only this machine's Host names, and only the hub's pages as Origin."""

    def __init__(
        self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]], port: int, origins: Iterable[str]
    ) -> None:
        self.app = app
        self.hosts = local_hosts(port)
        self.origins = frozenset(origins)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if environ.get("HTTP_HOST") not in self.hosts or (origin is not None and origin not in self.origins):
            start_response("403 Forbidden", [("Content-Type", "application/json")])
            return [b'{"message": "moto of the local stack: this Host or Origin is not allowed"}']
        return self.app(environ, start_response)


# The X-Amz-Target prefix of the DynamoDB calls `DynamoFastPath` takes (not DynamoDB Streams').
DYNAMODB_TARGET = "DynamoDB_20120810."


class DynamoFastPath:
    """WSGI middleware around moto's `DomainDispatcherApplication`: a DynamoDB JSON call goes
    straight to moto's `DynamoHandler.dispatch`, every other request to moto's app as before.

    Under load only ~60% of moto's time went to `DynamoHandler.call_action`; ~10% went to Flask
    (request context, URL routing, `full_dispatch_request`, `finalize_request`) for a Flask app
    with one rule (`/` -> `DynamoHandler.dispatch`) and one `after_request` function (flask-cors).
    moto builds the handler's request itself (`moto.core.request.Request`, as in its other modes)
    and its handler builds the whole answer (`setup_class`, `call_action`, errors, checksum), so
    only the few lines between are written here, as moto's and Flask's code runs them for that
    app (moto has no entry point for a request without Flask):

    - the call is routed by moto's own `DomainDispatcherApplication.get_application`, and taken
      only when that picks the `dynamodb` app, for a `POST /` with `DYNAMODB_TARGET`;
    - the request is moto's `Request` marked as a server's (`from_wsgi_server`, as moto's
      `BackendRequest`: no `Date` from moto), recorded by moto's recorder, handed to
      `DynamoHandler.dispatch` and its answer made a Flask `Response`, as
      `moto.core.utils.convert_to_flask_response` does (a botocore `ClientError` is a 400);
    - an `HTTPException` escaping the handler is answered as Flask answers it (no error handler
      is registered): raised when Flask traps it (`trap_http_exception`, debug mode), else the
      exception's own response; any other exception propagates, as Flask (in debug, moto's
      setting) lets it;
    - flask-cors's headers are added with flask-cors's own `get_cors_headers`, with the options
      `CORS(app)` computed (moto registers it with no arguments, for every path).

    An app that has anything else registered (other rules, hooks, error handlers) is not
    bypassed. The fast path runs where the app ran: inside `SerializedApp`'s lock, behind
    `LocalOnly`. tests/local/test_moto_fast_path.py compares its answers with the full app's.
    """

    def __init__(self, dispatcher: Any) -> None:
        from moto.core.request import Request

        class ServerRequest(Request):
            from_wsgi_server = True  # as moto's `BackendRequest`: the server writes `Date`

        self.dispatcher = dispatcher
        self.request_class = ServerRequest
        self._bypassable: dict[int, tuple[Any, Any] | None] = {}  # id(flask app) -> (app, cors options)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") == "POST"
            and environ.get("PATH_INFO") == "/"
            and environ.get("HTTP_X_AMZ_TARGET", "").startswith(DYNAMODB_TARGET)
        ):
            flask_app = self.dispatcher.get_application(environ)
            bypass = self._bypass(flask_app)
            if bypass is not None:
                return self._dynamodb(flask_app, bypass[1], environ, start_response)
            return flask_app(environ, start_response)  # type: ignore[no-any-return]
        return self.dispatcher(environ, start_response)  # type: ignore[no-any-return]

    def _bypass(self, flask_app: Any) -> tuple[Any, Any] | None:
        """(app, CORS options or None) if `flask_app` is moto's DynamoDB app as described, else None."""
        key = id(flask_app)
        if key in self._bypassable:
            known = self._bypassable[key]
            return known if known is None or known[0] is flask_app else self._check(flask_app)
        return self._check(flask_app)

    def _check(self, flask_app: Any) -> tuple[Any, Any] | None:
        from flask_cors.core import get_cors_options
        from moto.dynamodb.responses import DynamoHandler

        rules = list(flask_app.url_map.iter_rules())
        after = flask_app.after_request_funcs.get(None, [])
        plain = (
            getattr(flask_app, "service", None) == "dynamodb"
            and len(rules) == 1
            and rules[0].rule == "/"
            and getattr(flask_app.view_functions.get(rules[0].endpoint), "callback", None) == DynamoHandler.dispatch
            and [f.__name__ for f in after] in ([], ["cors_after_request"])
            and not any(flask_app.after_request_funcs.get(k) for k in flask_app.after_request_funcs if k is not None)
            and not any(flask_app.before_request_funcs.values())
            and not any(flask_app.url_value_preprocessors.values())
            and not any(flask_app.teardown_request_funcs.values())
            and not any(flask_app.error_handler_spec.values())
            and not flask_app.blueprints
        )
        # `CORS(app)` as moto calls it: default options for the one resource `/*`.
        bypass = (flask_app, get_cors_options(flask_app, {}, {}) if after else None) if plain else None
        self._bypassable[id(flask_app)] = bypass
        return bypass

    def _dynamodb(
        self, flask_app: Any, cors: Any, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        from botocore.exceptions import ClientError
        from flask_cors.core import get_cors_headers
        from moto.dynamodb.responses import DynamoHandler
        from moto.moto_api import recorder
        from werkzeug.exceptions import HTTPException

        request = self.request_class(environ)
        try:
            # moto's `convert_to_flask_response.__call__`, for this one view.
            try:
                recorder._record_request(request)
                result = DynamoHandler.dispatch(request, request.raw_url, dict(request.headers))
            except ClientError as exc:
                result = 400, {}, exc.response["Error"]["Message"]
            if len(result) == 3:
                status, headers, content = result
            else:
                status, headers, content = 200, {}, result
            response = flask_app.response_class(response=content, status=status, headers=headers)
        except HTTPException as error:  # Flask's `handle_user_exception`, no handler registered
            if flask_app.trap_http_exception(error):
                raise
            response = flask_app.response_class.force_type(error, environ)
        # flask-cors's `cors_after_request` for the path `/` (it leaves an answer that has its own).
        if cors is not None and not response.headers.get("Access-Control-Allow-Origin"):
            for name, value in get_cors_headers(cors, request.headers, request.method).items():
                response.headers.add(name, value)
        return response(environ, start_response)  # type: ignore[no-any-return]


def keep_alive_handler() -> type[Any]:
    """`KeepAliveHandler`, built on moto's request handler (imported here: moto's import is slow)."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.exceptions import InternalServerError

    requests_logged = logging.getLogger("werkzeug")

    class KeepAliveHandler(MotoRequestHandler):
        """moto's request handler, keeping connections open and writing each answer in one send.

        werkzeug's development server closes the connection after every answer (`Connection:
        close`), so each call of a client opened a new connection and moto started a new thread
        for it; and it writes the status line and headers, then the body, in separate sends. Here
        the request body is read to its end before the app runs (so the next request starts where
        it should on the same connection), the answer goes in one `sendall` with its
        `Content-Length`, and Nagle's algorithm is off. A request without a length (chunked) or
        one that expects `100 Continue` is left to werkzeug, which closes the connection after it.
        """

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def run_wsgi(self) -> None:
            length = self.headers.get("Content-Length", "0").strip()
            if self.headers.get("Transfer-Encoding") or self.headers.get("Expect") or not length.isdigit():
                self.close_connection = True
                super().run_wsgi()
                return
            body = self.rfile.read(int(length)) if int(length) else b""
            if len(body) < int(length):  # the client went away mid-body
                self.close_connection = True
                return
            environ = self.make_environ()
            environ["wsgi.input"] = io.BytesIO(body)
            answer: list[Any] = []

            def start_response(
                status: str, headers: list[tuple[str, str]], exc_info: Any = None
            ) -> Callable[[bytes], None]:
                answer[:] = [status, headers]
                return lambda data: None  # the apps here return their body

            try:
                chunks = self.server.app(environ, start_response)
                try:
                    data = b"".join(chunks)
                finally:
                    close = getattr(chunks, "close", None)
                    if close is not None:
                        close()
                head = self.answer_head(answer[0], answer[1], len(data))
            except Exception as error:  # as werkzeug answers it: a 500, the traceback in the log
                from werkzeug.debug.tbtools import DebugTraceback

                self.server.log("error", f"Error on request:\n{DebugTraceback(error).render_traceback_text()}")
                self.close_connection = True
                data = b"".join(InternalServerError()(environ, start_response))
                head = self.answer_head(answer[0], answer[1], len(data))
            self.wfile.write(head if self.command == "HEAD" else head + data)
            if requests_logged.isEnabledFor(logging.INFO):
                self.log_request(answer[0].split(None, 1)[0], len(data))

        def answer_head(self, status: str, headers: list[tuple[str, str]], length: int) -> bytes:
            """The status line and headers of an answer, as werkzeug writes them, and its length."""
            code = int(status.split(None, 1)[0])
            lines = [
                f"{self.protocol_version} {status}",
                f"Server: {self.version_string()}",
                f"Date: {self.date_time_string()}",
            ]
            lines += [f"{name}: {value}" for name, value in headers]
            names = {name.lower() for name, _ in headers}
            if "content-length" not in names and not (100 <= code < 200 or code in (204, 304)):
                lines.append(f"Content-Length: {length}")
            if self.close_connection:
                lines.append("Connection: close")
            return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    return KeepAliveHandler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--exit-with-parent", action="store_true", help="exit when the process that started it dies")
    parser.add_argument("--allow-origin", action="append", default=[], help="a page allowed to call moto (the hub's)")
    args = parser.parse_args(argv)

    # Imported here so `MotoProcess` users do not pay for moto's import.
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.exit_with_parent:
        watch_parent(lambda: os._exit(0))
    from local.moto_patches import install

    install()  # transactions and queries cost what they touch, not the size of the table
    short_gc_pauses()  # its tables live in this process: no full pass over all of them
    log_gc_pauses("moto")
    # One log line per request cost moto ~14% of its time under load; errors still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = DomainDispatcherApplication(create_backend_app)
    served = LocalOnly(SerializedApp(DynamoFastPath(app)), args.port, args.allow_origin)
    run_simple(args.host, args.port, served, threaded=True, request_handler=keep_alive_handler())


class MotoProcess:
    """A `local.moto_server` subprocess on a free loopback port."""

    def __init__(
        self, host: str = "127.0.0.1", log_path: Path | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.host = host
        self.log_path = log_path
        self.env = env or {}
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0, allowed_origins: Iterable[str] = ()) -> str:
        origins = [arg for origin in allowed_origins for arg in ("--allow-origin", origin)]
        for _attempt in range(3):
            self.port = free_port(self.host)
            if self.log_path is not None:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                self._log = self.log_path.open("ab")
            env = dict(os.environ, **self.env)
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "local.moto_server",
                    "-H",
                    self.host,
                    "-p",
                    str(self.port),
                    "--exit-with-parent",
                    *origins,
                ],
                stdout=self._log or subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(Path(__file__).resolve().parent.parent),
                # Its own process group: a Ctrl-C in the terminal reaches the hub only, which
                # then takes its final snapshot before stopping moto itself.
                start_new_session=True,
            )
            if self._wait_ready(timeout):
                return self.url
            self.stop()
        raise RuntimeError(f"moto did not start (log: {self.log_path})")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1) as response:  # noqa: S310 - http to moto
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        return False

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


if __name__ == "__main__":
    main()
