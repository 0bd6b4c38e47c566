"""Test harness: the whole hub wired as production wires it (`chalicelib.wiring.build`) on moto's
in-process AWS, a recording sender, a manual clock, and real Cognito ID tokens from moto's user pool."""

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

from chalicelib.live.lane import LiveLane
from chalicelib.live.widgets import Widgets
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import ManualClock
from chalicelib.platform.config import TABLE_ENV_VARS
from chalicelib.platform.sender import Sender
from chalicelib.store.models import Tenant
from chalicelib.store.tables import ensure_tables
from chalicelib.store.tenants import ensure_tenant
from chalicelib.wiring import Hub
from local import inprocess

REGION = "us-east-1"
WIDGET_KEY = "wk_global_unit"
OTHER_WIDGET_KEY = "wk_acme_unit"


class RecordingSender(Sender):
    """Records what each connection was sent; connections in `gone` answer 410."""

    def __init__(self) -> None:
        super().__init__("http://recording.invalid", REGION)
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
    built: Hub
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
        # A newly reachable agent makes the counters go out to every agent, this one included;
        # tests ask about what happens after the connect, so its own inbox starts empty.
        self.sender.take(cid)
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

    def capacity(self, chats: int, tenant: str = "global") -> None:
        """The tenant's chat capacity per agent (the fixture starts at 0: routing stays out)."""
        self.built.team.store.update_tenant(tenant, {"chat_capacity": chats})


@pytest.fixture(scope="session", autouse=True)
def moto_setup_once_per_process() -> Iterator[None]:
    """Each test here starts a fresh moto (tables, a Cognito user pool, new clients); two parts
    of that repeat the same work every time and are done once per process instead:
    - botocore parses a service's JSON model (cognito-idp, dynamodb: ~0.1 s) once per session,
      and every test's clients come from a new session (moto resets boto3's default one);
    - moto's Cognito parses and checks its one fixed RSA signing key for every user pool (~0.1 s).
    Both results are read-only once made. Measured: a test's setup 0.34 → 0.18 s (median), which
    is most of what `make mutation` spends per integration test. Written here because neither
    library has a switch for it."""
    import json

    from botocore.loaders import Loader
    from joserfc.jwk import RSAKey  # what moto's Cognito parses its key with

    models: dict[tuple[str, str, str | None], Any] = {}
    load_model = Loader.load_service_model

    def load_service_model(self: Loader, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        key = (service_name, type_name, api_version)
        if key not in models:
            models[key] = load_model(self, service_name, type_name, api_version)
        return models[key]

    import_key = RSAKey.import_key
    keys: dict[str, Any] = {}

    def import_fixed_key(value: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(value, dict):
            return import_key(value, *args, **kwargs)
        text = json.dumps(value, sort_keys=True)
        if text not in keys:
            keys[text] = import_key(value)
        return keys[text]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Loader, "load_service_model", load_service_model)
        patch.setattr(RSAKey, "import_key", import_fixed_key)
        yield


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
    # Routing gives agents no chat here unless a test raises the capacity (tests/integration/
    # test_routing.py): the other tests take, help and assign by hand. (Set before the clock
    # starts: tokens are checked against it, so time spent here would age them.)
    for tenant in ("global", "acme"):
        Tenant(tenant).update(actions=[Tenant.chat_capacity.set(0)])
    clock = ManualClock(start=time.time())
    sender = RecordingSender()
    built = inprocess.build(sender, clock, "unit", signing_key="unit-test-signing-key-0123456789abcdef")
    h = built.hub
    return Harness(h, h.live, sender, clock, built.cognito, built.pool_id, built.client_id, h.widgets)


@dataclass
class Work:
    """The work lanes and the hub, as `chalicelib.wiring.build` wires them to the harness's live lane."""

    hub: Harness

    @property
    def store(self) -> Any:
        return self.hub.built.callbacks.store

    @property
    def callbacks(self) -> Any:
        return self.hub.built.callbacks

    @property
    def tickets(self) -> Any:
        return self.hub.built.tickets

    @property
    def counters(self) -> Any:
        return self.hub.built.counters

    @property
    def command(self) -> Any:
        return self.hub.built.command

    @property
    def mode(self) -> Any:
        return self.hub.built.mode

    @property
    def drift(self) -> Any:
        return self.hub.built.drift

    def agent(self, username: str, tenant: str = "global") -> tuple[str, Actor]:
        """Connects an agent (so it receives pushes) and returns (connection id, Actor)."""
        cid = self.hub.connect_agent(username, tenant)
        conn = self.hub.lane.connections.store.get_connection(cid, self.hub.clock.now())
        assert conn is not None
        return cid, Actor(tenant, "agent", conn.user_id, conn.name)

    def customer_actor(self, customer_connection: str) -> Actor:
        conn = self.hub.lane.connections.store.get_connection(customer_connection, self.hub.clock.now())
        assert conn is not None
        return Actor(conn.tenant, "customer", conn.user_id, conn.name)


@pytest.fixture
def work(hub: Harness) -> Work:
    return Work(hub)


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
