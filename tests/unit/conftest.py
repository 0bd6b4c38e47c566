"""Unit-test harness: the real LiveLane on moto's in-process AWS, a recording sender,
a manual clock, and real Cognito ID tokens from moto's user pool."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.client import BaseClient
from moto import mock_aws

from chalicelib.clock import ManualClock
from chalicelib.config import TABLE_ENV_VARS
from chalicelib.live import LiveLane
from chalicelib.sender import Sender
from chalicelib.tables import ensure_tables
from chalicelib.tenants import Widgets, ensure_tenant
from local import inprocess

REGION = "us-east-1"
WIDGET_KEY = "wk_global_unit"
OTHER_WIDGET_KEY = "wk_acme_unit"


class RecordingSender(Sender):
    """Records what each connection was sent; connections in `gone` answer 410."""

    def __init__(self) -> None:
        super().__init__(None, REGION)
        self.sent: dict[str, list[dict[str, Any]]] = {}
        self.gone: set[str] = set()
        self.posts = 0
        self.log: list[tuple[str, dict[str, Any]]] = []  # every event ever delivered, in order

    def _post_bytes(self, connection_id: str, data: bytes) -> bool:
        self.posts += 1
        if connection_id in self.gone:
            return False
        event = json.loads(data)
        self.sent.setdefault(connection_id, []).append(event)
        self.log.append((connection_id, event))
        return True

    def take(self, connection_id: str) -> list[dict[str, Any]]:
        return self.sent.pop(connection_id, [])


@dataclass
class Harness:
    lane: LiveLane
    sender: RecordingSender
    clock: ManualClock
    cognito: Any
    pool_id: str
    client_id: str
    widgets: Widgets
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def agent_token(self, username: str, tenant: str = "global") -> str:
        try:
            self.cognito.admin_create_user(
                UserPoolId=self.pool_id,
                Username=username,
                UserAttributes=[
                    {"Name": "custom:tenant", "Value": tenant},
                    {"Name": "name", "Value": username.title()},
                ],
                MessageAction="SUPPRESS",
            )
            self.cognito.admin_set_user_password(
                UserPoolId=self.pool_id, Username=username, Password="Passw0rd!x", Permanent=True
            )
        except self.cognito.exceptions.UsernameExistsException:
            pass
        out = self.cognito.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": "Passw0rd!x"},
        )
        return str(out["AuthenticationResult"]["IdToken"])

    def connect_agent(self, username: str = "ana", tenant: str = "global") -> str:
        cid = f"agent{next(self._ids)}="
        self.lane.identify_and_bind(cid, {"token": self.agent_token(username, tenant)})
        return cid

    def connect_customer(self, widget_key: str = WIDGET_KEY, previous: str | None = None) -> tuple[str, str]:
        session = self.widgets.open_session(widget_key, previous, "Kim")
        cid = f"cust{next(self._ids)}="
        self.lane.identify_and_bind(cid, {"session": session.token})
        return cid, session.token

    def act(self, connection_id: str, **action: Any) -> list[dict[str, Any]]:
        """Sends one action and returns what the sender itself received."""
        self.lane.handle(connection_id, json.dumps(action))
        return self.sender.take(connection_id)

    def raw(self, connection_id: str, body: str) -> list[dict[str, Any]]:
        self.lane.handle(connection_id, body)
        return self.sender.take(connection_id)

    def start(self, customer: str) -> str:
        [event] = self.act(customer, action="start")
        return str(event["conversation"]["id"])


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for kind, var in TABLE_ENV_VARS.items():
        monkeypatch.setenv(var, f"unit-{kind}")
    with mock_aws():
        yield


@pytest.fixture
def hub(aws_env: None) -> Harness:
    ensure_tables()
    ensure_tenant("global", "Global", WIDGET_KEY)
    ensure_tenant("acme", "Acme", OTHER_WIDGET_KEY)
    clock = ManualClock(start=time.time())
    sender = RecordingSender()
    built = inprocess.build(sender, clock, "unit", signing_key="unit-test-signing-key-0123456789abcdef")
    lane = built.lane
    return Harness(
        lane, sender, clock, built.cognito, built.pool_id, built.client_id, Widgets(lane.store, lane.widgets, clock)
    )


@dataclass
class Work:
    """The work lanes wired to the harness's live lane, exactly as chalicelib.api wires them."""

    hub: Harness
    store: Any
    callbacks: Any
    tickets: Any
    overview: Any

    def agent(self, username: str, tenant: str = "global") -> tuple[str, Any]:
        """Connects an agent (so it receives pushes) and returns (connection id, Actor)."""
        from chalicelib.callbacks import Actor

        cid = self.hub.connect_agent(username, tenant)
        conn = self.hub.lane.store.get_connection(cid, self.hub.clock.now())
        assert conn is not None
        return cid, Actor(tenant, "agent", conn.user_id, conn.name)

    def customer_actor(self, customer_connection: str) -> Any:
        from chalicelib.callbacks import Actor

        conn = self.hub.lane.store.get_connection(customer_connection, self.hub.clock.now())
        assert conn is not None
        return Actor(conn.tenant, "customer", conn.user_id, conn.name)


@pytest.fixture
def work(hub: Harness) -> Work:
    from chalicelib.callbacks import Actor, Callbacks
    from chalicelib.overview import Overview
    from chalicelib.tickets import Tickets
    from chalicelib.work_store import WorkStore

    store = WorkStore(REGION)
    overview = Overview(store, hub.lane, hub.clock)
    callbacks = Callbacks(store, hub.lane, hub.clock, overview.push_counters)
    tickets = Tickets(store, hub.lane, hub.clock, overview.push_counters)
    hub.lane.conversation_changed = overview.push_counters
    hub.lane.delivery_failed = overview.record_delivery_failures
    hub.lane.customer_replied = lambda conn, meta: tickets.customer_replied(
        conn.tenant, str(meta.waiting_ticket_id), Actor(conn.tenant, "customer", conn.user_id, conn.name)
    )
    return Work(hub, store, callbacks, tickets, overview)


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process backend is not thread-safe (it mutates dicts while other threads
    iterate them); DynamoDB applies each request atomically. One lock per API call restores
    that, without serializing anything the hub itself does between calls."""
    lock = threading.Lock()
    original = BaseClient._make_api_call

    def atomic(self: Any, operation: str, params: Any) -> Any:
        with lock:
            return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", atomic)
    yield
