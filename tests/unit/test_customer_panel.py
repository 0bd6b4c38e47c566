"""The customer panel (`GET /customers/{id}` on in-memory stores) after the merge with routing:
it lists the customer's conversations with their owner, and never a conversation the customer
only opened (`new`: invisible to agents until the customer writes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from tests.unit.conftest import WIDGET_KEY, Unit
from tests.unit.test_rest_handlers import call


@pytest.fixture
def http(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(wiring, "hub", lambda: unit.hub)
    from app import app

    with Client(app) as c:
        yield c.http


def test_the_panel_lists_started_conversations_with_their_owner(unit: Unit, http: Any) -> None:
    kim = call(http, "post", "/widget/session", body={"widget_key": WIDGET_KEY, "name": "Kim"}).json_body
    unit.hub.live.identify_and_bind("kim=", {"session": kim["token"]})
    ana_token = unit.agent_token("ana")
    path = f"/customers/{kim['customer_id']}"
    opened = unit.start("kim=")  # opened the widget, wrote nothing
    assert call(http, "get", path, ana_token).json_body["conversations"] == []
    unit.act("kim=", action="send", conversation_id=opened, client_id="m1", text="Where is my parcel?")
    [waiting] = call(http, "get", path, ana_token).json_body["conversations"]
    assert (waiting["id"], waiting["status"], waiting["owner"]) == (opened, "open", None)
    ana = unit.connect_agent("ana")
    unit.act(ana, action="take", conversation_id=opened)
    [owned] = call(http, "get", path, ana_token).json_body["conversations"]
    assert owned["owner"] == {"id": "sub-ana", "name": "Ana"}
    assert owned["preview"]["text"] == "Where is my parcel?"
