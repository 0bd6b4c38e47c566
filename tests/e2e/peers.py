"""A small synchronous WebSocket peer for end-to-end tests (websockets' sync client)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import quote

from websockets.sync.client import ClientConnection, connect

from local.testing import LocalHub


class Peer:
    """One real WebSocket connection; keeps what arrived so tests can look for events."""

    def __init__(self, url: str, name: str) -> None:
        self.name = name
        self.ws: ClientConnection = connect(url, open_timeout=10, max_size=256 * 1024, legacy=True)
        self.inbox: list[dict[str, Any]] = []

    @classmethod
    def agent(cls, hub: LocalHub, username: str | None = None) -> Peer:
        return cls(f"{hub.ws_url}?token={quote(hub.agent_token(username))}", username or hub.agent_username)

    @classmethod
    def customer(cls, hub: LocalHub, token: str | None = None, name: str = "Kim") -> tuple[Peer, str]:
        token = token or str(hub.widget_session(name)["token"])
        return cls(f"{hub.ws_url}?session={quote(token)}", name), token

    def send(self, **action: Any) -> None:
        self.ws.send(json.dumps(action))

    def send_raw(self, data: str) -> None:
        self.ws.send(data)

    def _pull(self, timeout: float) -> bool:
        try:
            raw = self.ws.recv(timeout=timeout)
        except TimeoutError:
            return False
        self.inbox.append(json.loads(raw))
        return True

    def expect(self, type_: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The first event of this type (and these field values), waiting for it if needed."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.inbox):
                if event.get("type") == type_ and all(event.get(k) == v for k, v in match.items()):
                    return self.inbox.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.name}: no {type_} {match} within {timeout}s; got {self.inbox}")
            self._pull(left)

    def drain(self, quiet: float = 0.4) -> list[dict[str, Any]]:
        """Everything that arrives until nothing has for `quiet` seconds."""
        while self._pull(quiet):
            pass
        out, self.inbox = self.inbox, []
        return out

    def request(self, type_: str, **action: Any) -> dict[str, Any]:
        request_id = uuid.uuid4().hex[:12]
        self.send(request_id=request_id, **action)
        deadline = time.monotonic() + 10
        while True:
            for i, event in enumerate(self.inbox):
                if event.get("request_id") == request_id:
                    self.inbox.pop(i)
                    assert event["type"] == type_, event
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.name}: no answer to {action}")
            self._pull(left)

    def close(self) -> None:
        self.ws.close()


def new_client_id() -> str:
    return uuid.uuid4().hex
