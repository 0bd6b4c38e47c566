"""Unit tier: the whole hub wired as production wires it (`chalicelib.wiring.build`), on in-memory
fakes of the store ports (`tests/unit/fakes.py`), a recording sender, a manual clock and locally
signed tokens. No moto, no AWS, and the network is blocked: a test that reaches for a socket fails.

The moto-backed tests of the real DynamoDB stores are in `tests/integration/`.
"""

from __future__ import annotations

import itertools
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.platform.auth import AgentVerifier, WidgetTokens
from chalicelib.platform.clock import ManualClock
from chalicelib.platform.config import Settings
from chalicelib.platform.sender import Sender
from chalicelib.wiring import Hub, Stores, build
from tests.unit.fakes import MemoryStore

REGION = "us-east-1"
POOL = "us-east-1_unitpool"
CLIENT = "unit-client"
WIDGET_KEY = "wk_global_unit"
OTHER_WIDGET_KEY = "wk_acme_unit"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests never touch the network: any attempt to connect a socket fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("network access in a unit test (use tests/integration for moto or AWS)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@cache
def _signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class RecordingSender(Sender):
    """Records what each connection was sent; connections in `gone` answer 410, in `broken` fail."""

    def __init__(self) -> None:
        super().__init__("http://recording.invalid", REGION)
        self.sent: dict[str, list[dict[str, Any]]] = {}
        self.gone: set[str] = set()
        self.broken: set[str] = set()

    def _post_bytes(self, connection_id: str, data: bytes) -> bool:
        if connection_id in self.broken:
            raise ConnectionError("PostToConnection failed")
        if connection_id in self.gone:
            return False
        self.sent.setdefault(connection_id, []).append(json.loads(data))
        return True

    def take(self, connection_id: str) -> list[dict[str, Any]]:
        return self.sent.pop(connection_id, [])


@dataclass
class Unit:
    hub: Hub
    store: MemoryStore
    sender: RecordingSender
    clock: ManualClock
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def agent_token(self, username: str, tenant: str = "global", ttl: float = 3600) -> str:
        now = self.clock.now()
        claims = {
            "sub": f"sub-{username}",
            "name": username.title(),
            "custom:tenant": tenant,
            "token_use": "id",
            "aud": CLIENT,
            "iss": self.hub.settings.issuer,
            "iat": int(now),
            "exp": int(now + ttl),
        }
        return jwt.encode(claims, _signing_key(), algorithm="RS256")

    def connect_agent(self, username: str = "ana", tenant: str = "global") -> str:
        cid = f"agent{next(self._ids)}="
        self.hub.live.identify_and_bind(cid, {"token": self.agent_token(username, tenant)})
        self.sender.take(cid)  # what its own connect pushed to it (the counters) is not under test
        return cid

    def connect_customer(self, widget_key: str = WIDGET_KEY) -> str:
        session = self.hub.widgets.open_session(widget_key, None, "Kim")
        cid = f"cust{next(self._ids)}="
        self.hub.live.identify_and_bind(cid, {"session": session.token})
        return cid

    def act(self, connection_id: str, **action: Any) -> list[dict[str, Any]]:
        """Sends one action and returns what the sender itself received."""
        self.hub.live.handle(connection_id, json.dumps(action))
        return self.sender.take(connection_id)

    def raw(self, connection_id: str, body: str) -> list[dict[str, Any]]:
        self.hub.live.handle(connection_id, body)
        return self.sender.take(connection_id)

    def start(self, customer: str) -> str:
        """Opens the widget's conversation: `new`, invisible to agents until the customer writes."""
        [event] = [e for e in self.act(customer, action="start") if e["type"] == "conversation"]
        return str(event["conversation"]["id"])

    def started(self, customer: str, text: str = "Hello") -> str:
        """A conversation its customer has written in (so it started: agents see it); the
        customer's own inbox is drained."""
        conv = self.start(customer)
        self.act(customer, action="send", conversation_id=conv, client_id="first", text=text)
        self.sender.take(customer)
        return conv

    def texts(self, conversation_id: str, tenant: str = "global") -> list[str]:
        return [m.text for _, m in sorted(self.store.messages[(tenant, conversation_id)].items())]


@pytest.fixture
def unit() -> Unit:
    store = MemoryStore()
    # Routing gives agents no chat here (capacity 0): these tests take, help and assign by hand;
    # routing has its own tests (tests/integration/test_routing.py).
    store.add_tenant("global", WIDGET_KEY, chat_capacity=0)
    store.add_tenant("acme", OTHER_WIDGET_KEY, chat_capacity=0)
    clock = ManualClock(start=time.time())  # PyJWT checks `iat` against the wall clock
    sender = RecordingSender()
    settings = Settings(REGION, "unit", POOL, CLIENT, "unused", "unused", None)
    public = _signing_key().public_key()
    hub = build(
        settings,
        clock,
        sender,
        AgentVerifier(settings, clock, keys=lambda token: public),
        WidgetTokens(settings, clock, key="unit-widget-signing-key-0123456789abcdef"),
        Stores(store, store, store, store, store, store, store, store),
    )
    return Unit(hub, store, sender, clock)


@pytest.fixture
def http(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The REST API (`app.py`) through Chalice's test client, on this test's hub."""
    from chalice.test import Client

    from app import app
    from chalicelib import wiring

    monkeypatch.setattr(wiring, "hub", lambda: unit.hub)
    with Client(app) as c:
        yield c.http


# ------------------------------------------------------------------ helpers shared by the rule tests
def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def chat(unit: Unit, agent_name: str = "ana") -> tuple[str, str, str]:
    """A customer's conversation (started by its first message, "Hello") taken by an agent;
    every inbox emptied. (customer connection, conversation id, agent connection)"""
    customer = unit.connect_customer()
    conv = unit.started(customer)
    agent = unit.connect_agent(agent_name)
    unit.act(agent, action="take", conversation_id=conv)
    unit.sender.sent.clear()
    return customer, conv, agent


@pytest.fixture
def fresh_metrics() -> Iterator[None]:
    """Powertools' metrics start empty and are left empty (use with `counted`)."""
    from chalicelib.platform.observability import metrics

    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


def counted() -> dict[str, float]:
    """Metric name → the sum of its values, each asserted to be a Count."""
    from chalicelib.platform.observability import metrics

    out: dict[str, float] = {}
    for name, metric in metrics.metric_set.items():
        assert metric["Unit"] == "Count", (name, metric)
        out[name] = float(sum(metric["Value"]))
    return out
