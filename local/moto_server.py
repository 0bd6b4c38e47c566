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
    served = LocalOnly(SerializedApp(app), args.port, args.allow_origin)
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
