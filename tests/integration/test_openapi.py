"""docs/openapi.json (generated from the contract; tests/unit/test_contract.py) covers exactly the
routes Chalice registered with the right security, is valid OpenAPI 3.1, and the real bodies match its schemas."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from chalicelib import wiring
from chalicelib.contract import routes
from tests.integration.conftest import WIDGET_KEY, Work
from tools import openapi

WIDGET_ROUTES = {("/widget/callbacks", "POST"), ("/widget/callbacks/{callback_id}", "GET"), ("/widget/rating", "POST")}
MEDIA = "application/json"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(openapi.DOC.read_text(encoding="utf-8"))
    return loaded


def test_every_registered_route_is_documented_with_its_methods_and_security(doc: dict[str, Any]) -> None:
    from app import app

    assert set(doc["paths"]) == set(app.routes)
    for path, methods in app.routes.items():
        documented = doc["paths"][path]
        assert {m.lower() for m in methods} == set(documented), path
        for method, route in methods.items():
            op = documented[method.lower()]
            if route.authorizer is not None:
                assert route.authorizer.name == "agent_auth", (method, path)
                expected: list[dict[str, list[str]]] = [{"agentToken": []}]
            elif (path, method) in WIDGET_ROUTES:
                expected = [{"widgetSession": []}]
            else:
                expected = []
            assert op.get("security", []) == expected, (method, path)
            params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            assert params == route.view_args, (method, path)


def test_generation_refuses_an_undocumented_route(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(routes.ROUTES, ("/hub", "GET"))
    with pytest.raises(ValueError, match="GET /hub is not documented"):
        openapi.build()


def test_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    validate(doc, cls=OpenAPIV31SpecValidator)
    assert doc["openapi"].startswith("3.1")
    schemes = doc["components"]["securitySchemes"]
    for name in ("agentToken", "widgetSession"):
        assert schemes[name] | {"description": ""} == {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "",
        }


# ------------------------------------------------------------------ real bodies against the schemas
def closed(node: Any) -> Any:
    """The schemas with no undocumented properties allowed, so a view that grows a field fails here."""
    if isinstance(node, dict):
        out = {k: closed(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [closed(v) for v in node]
    return node


class Checker:
    """Calls the app and validates each answer against the documented response for its status."""

    def __init__(self, http: Any, doc: dict[str, Any], pace: Any = None) -> None:
        self.http = http
        self.pace = pace  # called before each request: the walk goes at a person's pace
        self.doc = closed(copy.deepcopy(doc))
        self.registry: Registry[Any] = Registry().with_resource(
            "urn:openapi", Resource.from_contents(self.doc, default_specification=DRAFT202012)
        )
        self.covered: set[tuple[str, str, int]] = set()

    def call(
        self,
        method: str,
        template: str,
        status: int,
        path: str | None = None,
        token: str | None = None,
        body: Any = None,
        raw: str | None = None,
        content_type: str = "application/json",
    ) -> Any:
        if self.pace is not None:
            self.pace()
        headers = {"Content-Type": content_type}
        if token:
            headers["Authorization"] = token
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        res = getattr(self.http, method.lower())(path or template, headers=headers, body=data)
        assert res.status_code == status, (method, path or template, res.status_code, res.body)
        where = ["paths", template, method.lower(), "responses", str(status)]
        response = self.doc["paths"][template][method.lower()]["responses"][str(status)]
        if "$ref" in response:  # a shared response: #/components/responses/<name>
            where = response["$ref"].split("/")[1:]
        pointer = "/".join(part.replace("~", "~0").replace("/", "~1") for part in [*where, "content", MEDIA, "schema"])
        validator = Draft202012Validator(
            {"$ref": f"urn:openapi#/{pointer}"},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        body_json = json.loads(res.body)
        validator.validate(body_json)
        self.covered.add((template, method.upper(), status))
        return body_json


@pytest.fixture
def checker(work: Work, monkeypatch: pytest.MonkeyPatch, doc: dict[str, Any]) -> Iterator[Checker]:
    monkeypatch.setattr(wiring, "hub", lambda: work.hub.built)
    from app import app

    # One agent makes most of the walk's requests: a tenth of a second apart, they stay within
    # the agent's request rate (10 a second, issue 9) however many operations the API grows.
    with Client(app) as c:
        yield Checker(c.http, doc, pace=lambda: work.hub.clock.advance(0.1))


def test_every_operation_answers_as_documented(work: Work, checker: Checker, doc: dict[str, Any]) -> None:
    hub, c = work.hub, checker
    ana_conn, _ = work.agent("ana")
    hub.act(ana_conn, action="presence", status="away")
    ana = hub.agent_token("ana")
    customer, session = hub.connect_customer()
    conv = hub.start(customer)
    hub.act(customer, action="send", conversation_id=conv, client_id="c1", text="My zipper broke")
    hub.act(ana_conn, action="take", conversation_id=conv)

    c.call("GET", "/health", 200)
    c.call("POST", "/widget/session", 200, body={"widget_key": WIDGET_KEY, "name": "Kim", "previous_token": session})
    c.call("POST", "/widget/session", 400, body={})
    c.call("POST", "/widget/session", 403, body={"widget_key": "wk_nobody_x"})
    c.call("POST", "/widget/session", 400, raw="{not json")
    c.call("POST", "/widget/session", 415, raw="x", content_type="text/plain")
    c.call("GET", "/widget/availability", 200, f"/widget/availability?widget_key={WIDGET_KEY}")
    c.call("GET", "/widget/availability", 403)

    assert c.call("GET", "/me", 200, token=ana)["presence"]["status"] == "away"
    c.call("GET", "/me", 401)
    c.call("GET", "/me", 401, token="forged")
    agents = c.call("GET", "/agents", 200, token=ana)["agents"]
    assert any(a["status"] == "away" and a["available"] is False for a in agents)
    ana_id = next(a["id"] for a in agents if a["name"] == "Ana")
    agent_path = "/agents/{agent_id}"
    changed = c.call("PATCH", agent_path, 200, f"/agents/{ana_id}", ana, {"capacity": 2})["agent"]
    assert changed["capacity"] == 2 and changed["own_capacity"] is True and changed["open_chats"] == 1
    c.call("PATCH", agent_path, 400, f"/agents/{ana_id}", ana, {"capacity": 99})
    c.call("PATCH", agent_path, 404, "/agents/nobody", ana, {"capacity": None})
    settings = c.call(
        "PATCH", "/tenant", 200, token=ana, body={"time_zone": "Europe/Stockholm", "default_region": "se"}
    )
    assert settings["settings"]["default_region"] == "SE"
    c.call("PATCH", "/tenant", 400, token=ana, body={"time_zone": "Mars/Base"})
    c.call("PATCH", "/tenant", 400, token=ana, body={"colour": "red"})
    assert c.call("GET", "/tenant", 200, token=ana)["settings"]["time_zone"] == "Europe/Stockholm"
    [snapshot] = c.call("GET", "/conversations", 200, token=ana)["conversations"]
    assert snapshot["owner"] is not None and snapshot["preview"] is not None

    phone = {"phone": "0701234567", "region": "SE"}
    cb = c.call("POST", "/widget/callbacks", 200, token=session, body={**phone, "conversation_id": conv})["callback"]
    c.call("POST", "/widget/callbacks", 400, token=session, body={"phone": "not a phone"})
    c.call("POST", "/widget/callbacks", 401, token="forged", body=phone)
    c.call("POST", "/widget/callbacks", 404, token=session, body={**phone, "conversation_id": "c_nope"})
    mine = c.call("GET", "/widget/callbacks/{callback_id}", 200, f"/widget/callbacks/{cb['id']}", session)
    assert mine["callback"]["status"] == "queued"
    c.call("GET", "/widget/callbacks/{callback_id}", 404, "/widget/callbacks/cb_nope", session)
    c.call("GET", "/widget/callbacks/{callback_id}", 401, f"/widget/callbacks/{cb['id']}", "forged")
    missed = c.call("POST", "/callbacks", 200, token=ana, body={**phone, "window": "evening", "reason": "Missed"})
    assert missed["callback"]["source"] == "missed_call"
    c.call("POST", "/callbacks", 400, token=ana, body={**phone, "window": "midnight"})
    c.call("POST", "/callbacks", 404, token=ana, body={**phone, "conversation_id": "c_nope"})
    assert len(c.call("GET", "/callbacks", 200, token=ana)["callbacks"]) == 2
    step = "/callbacks/{callback_id}/{step}"
    claimed = c.call("POST", step, 200, f"/callbacks/{cb['id']}/claim", ana)["callback"]
    assert claimed["claimed_by"] is not None
    c.call("POST", step, 409, f"/callbacks/{cb['id']}/claim", hub.agent_token("bo"))
    c.call("POST", step, 404, "/callbacks/cb_nope/claim", ana)
    c.call("POST", step, 200, f"/callbacks/{cb['id']}/complete", ana, {"note": "Booked a repair"})
    detail = c.call("GET", "/callbacks/{callback_id}", 200, f"/callbacks/{cb['id']}", ana)
    assert [h["action"] for h in detail["history"]] == ["requested", "claimed", "completed"]
    c.call("GET", "/callbacks/{callback_id}", 404, "/callbacks/cb_nope", ana)
    # The documented steps are exactly the ones the hub accepts.
    unknown = c.call("POST", step, 400, "/callbacks/cb_nope/teleport", ana)["message"]
    accepted = unknown.split("expected one of ")[1].split(", ")
    assert accepted == doc["paths"][step]["post"]["parameters"][1]["schema"]["enum"]

    ticket = c.call("POST", "/tickets", 200, token=ana, body={"subject": "Broken zipper", "conversation_id": conv})
    tid = ticket["ticket"]["id"]
    assert ticket["ticket"]["customer"] is not None
    c.call("POST", "/tickets", 400, token=ana, body={"subject": " "})
    c.call("POST", "/tickets", 404, token=ana, body={"subject": "x", "conversation_id": "c_nope"})
    c.call("POST", "/tickets", 400, token=ana, raw="{not json")
    bo_conn, bo = work.agent("bo")  # an owner must be an agent of the tenant
    hub.act(bo_conn, action="presence", status="away")  # (nobody available: the launch check below)
    change = {"status": "waiting_internal", "waiting_on": "Warehouse", "owner": {"id": bo.id, "name": "Bo"}}
    c.call("PATCH", "/tickets/{ticket_id}", 200, f"/tickets/{tid}", ana, change)
    c.call("PATCH", "/tickets/{ticket_id}", 400, f"/tickets/{tid}", ana, {"status": "lost"})
    c.call("PATCH", "/tickets/{ticket_id}", 404, "/tickets/tk_nope", ana, {})
    assert [t["id"] for t in c.call("GET", "/tickets", 200, token=ana)["tickets"]] == [tid]
    history = c.call("GET", "/tickets/{ticket_id}", 200, f"/tickets/{tid}", ana)["history"]
    assert [h["action"] for h in history] == ["created", "status", "waiting_on", "owner"]
    c.call("GET", "/tickets/{ticket_id}", 404, "/tickets/tk_nope", ana)

    assert c.call("GET", "/hub", 200, token=ana)["launch"]["ready"] is False
    moved = c.call("POST", "/agents/{agent_id}/reassign", 200, f"/agents/{ana_id}/reassign", ana)
    assert moved["requeued"] == 1
    c.call("POST", "/agents/{agent_id}/reassign", 404, "/agents/nobody/reassign", ana)
    blocked = c.call("POST", "/hub/mode", 409, token=ana, body={"mode": "live"})
    assert blocked["code"] == "launch_blocked" and blocked["blockers"]
    c.call("POST", "/hub/mode", 400, token=ana, body={"mode": "party"})
    hub.act(ana_conn, action="presence", status="available")
    assert c.call("POST", "/hub/mode", 200, token=ana, body={"mode": "live"})["mode"]["mode"] == "live"
    assert c.call("GET", "/hub/mode", 200, token=ana)["history"][0]["change"] == "ready → live"

    # ---- the agent's day
    reply = {"title": "Greeting", "shortcut": "hello", "text": "Hi {customer.name}"}
    rid = c.call("POST", "/canned", 200, token=ana, body=reply)["reply"]["id"]
    c.call("POST", "/canned", 409, token=ana, body=reply)
    c.call("POST", "/canned", 400, token=ana, body={**reply, "shortcut": "other", "text": "{oops.x}"})
    assert [r["id"] for r in c.call("GET", "/canned", 200, token=ana)["replies"]] == [rid]
    c.call("PATCH", "/canned/{reply_id}", 200, f"/canned/{rid}", ana, {"text": "Hello {agent.name}"})
    c.call("PATCH", "/canned/{reply_id}", 400, f"/canned/{rid}", ana, {"color": "red"})
    c.call("PATCH", "/canned/{reply_id}", 404, "/canned/cr_nope", ana, {"title": "x"})
    c.call("DELETE", "/canned/{reply_id}", 200, f"/canned/{rid}", ana)
    c.call("DELETE", "/canned/{reply_id}", 404, f"/canned/{rid}", ana)
    week = {"time_zone": "Europe/Stockholm", "weekly": {"mon": [{"open": "09:00", "close": "17:00"}]}}
    assert c.call("PUT", "/hours", 200, token=ana, body=week)["hours"]["time_zone"] == "Europe/Stockholm"
    c.call("PUT", "/hours", 400, token=ana, body={**week, "time_zone": "Nowhere/Else"})
    assert c.call("GET", "/hours", 200, token=ana)["hours"] is not None
    assert c.call("DELETE", "/hours", 200, token=ana)["hours"] is None
    found = c.call("GET", "/search", 200, "/search?q=0701234567&region=SE", ana)
    assert [r["kind"] for r in found["results"]] == ["callback", "callback"]
    c.call("GET", "/search", 200, f"/search?q={conv}", ana)
    c.call("GET", "/search", 400, "/search?q=", ana)
    customer_id = hub.widgets.tokens.verify(session).user_id
    panel = c.call("GET", "/customers/{customer_id}", 200, f"/customers/{customer_id}", ana)
    assert [x["id"] for x in panel["conversations"]] == [conv]
    c.call("GET", "/customers/{customer_id}", 404, "/customers/cu_nobody", ana)
    rating = {"conversation_id": conv, "rating": 4}
    c.call("POST", "/widget/rating", 409, token=session, body=rating)  # still open
    hub.act(ana_conn, action="close", conversation_id=conv)
    assert c.call("POST", "/widget/rating", 200, token=session, body=rating)["csat"]["rating"] == 4
    c.call("POST", "/widget/rating", 409, token=session, body={**rating, "rating": 1})
    c.call("POST", "/widget/rating", 400, token=session, body={**rating, "rating": 9})
    c.call("POST", "/widget/rating", 401, token="forged", body=rating)
    c.call("POST", "/widget/rating", 404, token=session, body={**rating, "conversation_id": "c_nope"})
    assert c.call("GET", "/hub", 200, token=ana)["csat"]["ratings"] == 1

    every_operation = {(p, m.upper()) for p, item in doc["paths"].items() for m in item}
    assert {(p, m) for p, m, status in c.covered if status == 200} == every_operation
