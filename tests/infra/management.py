"""API Gateway's WebSocket management API (`POST /{stage}/@connections/{id}`), recording what
the functions push.

Hand-written because the test must see *where* each push went: the artifact test points
`WS_MANAGEMENT_ENDPOINT` (the API's `https://{api}.execute-api…/{stage}`) at this server
with the stage path kept, so a push from a function that never learned the endpoint lands
on another path (or on AWS) and the test says so.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Post:
    stage: str | None  # None: posted without a stage in the path (no configured endpoint)
    connection_id: str
    data: Any


class ManagementApi:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.gone: set[str] = set()
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = unquote(self.path).split("/@connections/", 1)
                if len(parts) != 2:
                    self._answer(404, {"message": f"no route {self.path}"})
                    return
                stage = parts[0].strip("/") or None
                connection_id = parts[1]
                try:
                    data: Any = json.loads(body)
                except ValueError:
                    data = body.decode("utf-8", "replace")
                with api._lock:
                    api.posts.append(Post(stage, connection_id, data))
                if connection_id in api.gone:
                    self._answer(410, {"message": "Gone"}, error="GoneException")
                    return
                self._answer(200, None)

            def _answer(self, status: int, body: Any, error: str | None = None) -> None:
                raw = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                if error:
                    self.send_header("x-amzn-ErrorType", error)
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> ManagementApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def to(self, connection_id: str) -> list[Post]:
        with self._lock:
            return [p for p in self.posts if p.connection_id == connection_id]

    def events(self, connection_id: str, type_: str, stage: str | None = None) -> list[dict[str, Any]]:
        return [
            p.data
            for p in self.to(connection_id)
            if isinstance(p.data, dict) and p.data.get("type") == type_ and (stage is None or p.stage == stage)
        ]
