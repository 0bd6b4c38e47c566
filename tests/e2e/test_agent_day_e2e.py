"""The agent's day on the local stack, over real WebSockets and the REST API (issue 11):

- a colleague's @mention reaches an agent who does not follow the conversation;
- canned replies: CRUD with unique shortcuts;
- a verified customer keeps one identity on a second device and sees the same thread; a forged
  HMAC is refused;
- search finds a callback by phone number, a customer by name, a conversation by id;
- outside business hours the widget is told when the team opens, and a callback asked for then
  is due after the next opening;
- a rating of a closed conversation reaches the dashboards and the support command.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from chalicelib.platform.auth import identity_hash
from local.bootstrap import stage_variables
from local.testing import LocalHub
from tests.e2e.peers import Peer

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def api(hub: LocalHub, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Authorization": token} if token else {}
    return hub.request(method, hub.api_url + path, body, headers=headers)


def refused(hub: LocalHub, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, str]:
    with pytest.raises(urllib.error.HTTPError) as caught:
        api(hub, method, path, body, token)
    return caught.value.code, json.loads(caught.value.read())["code"]


@pytest.fixture
def identity_secret(local_hub: LocalHub) -> str:
    """The demo tenant's verification secret, as the admin's rotation stores it (desk table, AP-D4)."""
    value = secrets.token_hex(32)
    local_hub.aws_client("dynamodb").put_item(
        TableName=stage_variables(ROOT)["DESK_TABLE"],
        Item={
            "tenant": {"S": "global"},
            "sk": {"S": "IDENTITY"},
            "type": {"S": "identity"},
            "current": {"S": value},
            "rotated_at": {"N": str(time.time())},
        },
    )
    return value


@pytest.fixture
def closed_today(local_hub: LocalHub) -> Iterator[str]:
    """Hours (UTC) closed all of today and open every other day; yields tomorrow's opening."""
    token = local_hub.agent_token()
    today = datetime.now(UTC)
    weekly = {d: [{"open": "00:00", "close": "24:00"}] for i, d in enumerate(DAYS) if i != today.weekday()}
    api(local_hub, "PUT", "/hours", {"time_zone": "UTC", "weekly": weekly}, token)
    tomorrow = (today + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        yield tomorrow.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    finally:
        api(local_hub, "DELETE", "/hours", token=token)


def test_a_mention_reaches_an_agent_who_does_not_follow_the_chat(local_hub: LocalHub, peers: list[Peer]) -> None:
    customer, _ = Peer.customer(local_hub)
    writer = Peer.agent(local_hub)
    colleague = Peer.agent(local_hub, local_hub.agent2_username)
    peers += [customer, writer, colleague]
    # Busy: routing gives the colleague no chat, so they surely do not follow this one.
    colleague.request("ack", action="presence", status="busy")
    conv = customer.request("conversation", action="start")["conversation"]["id"]
    # A chat starts with its customer's first message; ownership is explicit (routing, issue 10).
    customer.request("ack", action="send", conversation_id=conv, client_id=uuid.uuid4().hex[:12], text="Hello")
    writer.request("conversation", action="take", conversation_id=conv)
    colleague.drain(0.3)
    text = f"@Demo Agent 2 can you call them? {uuid.uuid4().hex[:6]}"
    ack = writer.request("ack", action="note", conversation_id=conv, client_id=uuid.uuid4().hex[:12], text=text)
    mention = colleague.expect("mention", conversation_id=conv)
    assert (mention["seq"], mention["text"], mention["by"]["name"]) == (ack["seq"], text, "Demo Agent")
    assert not any(e["type"] == "mention" for e in writer.drain(0.5))
    assert not any(e.get("kind") == "note" for e in customer.drain(0.3))


def test_canned_replies_over_rest(local_hub: LocalHub) -> None:
    token = local_hub.agent_token()
    shortcut = f"e2e-{uuid.uuid4().hex[:6]}"
    reply = api(
        local_hub, "POST", "/canned", {"title": "Hi", "shortcut": shortcut, "text": "Hi {customer.name}!"}, token
    )
    assert reply["reply"]["shortcut"] == shortcut
    assert shortcut in [r["shortcut"] for r in api(local_hub, "GET", "/canned", token=token)["replies"]]
    taken = {"title": "Again", "shortcut": shortcut, "text": "x"}
    assert refused(local_hub, "POST", "/canned", taken, token) == (409, "conflict")
    api(local_hub, "DELETE", f"/canned/{reply['reply']['id']}", token=token)
    assert shortcut not in [r["shortcut"] for r in api(local_hub, "GET", "/canned", token=token)["replies"]]


def test_a_verified_customer_sees_the_same_thread_on_a_second_device(
    local_hub: LocalHub, peers: list[Peer], identity_secret: str
) -> None:
    user_id = f"user-{uuid.uuid4().hex[:8]}"
    signed = {
        "widget_key": local_hub.widget_key,
        "name": "Vera Verified",
        "user_id": user_id,
        "user_hash": identity_hash(identity_secret, user_id),
    }
    laptop_session = api(local_hub, "POST", "/widget/session", signed)
    assert laptop_session["verified"] is True and laptop_session["customer_id"].startswith("cv_")
    laptop, _ = Peer.customer(local_hub, laptop_session["token"])
    peers.append(laptop)
    conv = laptop.request("conversation", action="start")["conversation"]["id"]
    laptop.request("ack", action="send", conversation_id=conv, client_id="m1", text="Where is my parcel?")

    phone_session = api(local_hub, "POST", "/widget/session", signed)
    assert phone_session["customer_id"] == laptop_session["customer_id"]
    assert phone_session["conversation_id"] == conv
    phone, _ = Peer.customer(local_hub, phone_session["token"])
    peers.append(phone)
    phone.request("conversation", action="start", conversation_id=conv)
    synced = phone.request("sync", action="sync", conversation_id=conv, since=0)
    assert [m["text"] for m in synced["messages"] if m["kind"] == "text"] == ["Where is my parcel?"]

    forged = {**signed, "user_hash": identity_hash("not-the-secret", user_id)}
    assert refused(local_hub, "POST", "/widget/session", forged) == (401, "identity_rejected")
    # A visitor cannot open that thread, whatever it claims.
    visitor, _ = Peer.customer(local_hub, name="Vera Verified")
    peers.append(visitor)
    assert visitor.request("error", action="start", conversation_id=conv)["code"] == "not_found"


def test_search_finds_a_callback_by_phone_a_customer_by_name_and_an_id(local_hub: LocalHub) -> None:
    token = local_hub.agent_token()
    # Letters only: a hex tail of six digits (6 % of them) would be searched as a phone number.
    name = f"Searchable {''.join(secrets.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(6))}"
    session = local_hub.widget_session(name)
    local_digits = f"70{secrets.randbelow(10**7):07d}"
    cb = api(local_hub, "POST", "/widget/callbacks", {"phone": f"0{local_digits}", "region": "SE"}, session["token"])
    phone = "/search?" + urlencode({"q": f"0{local_digits[:2]}-{local_digits[2:5]} {local_digits[5:]}", "region": "SE"})
    found = api(local_hub, "GET", phone, token=token)
    assert found["kind"] == "phone"
    assert [(r["kind"], r["id"]) for r in found["results"]] == [("callback", cb["callback"]["id"])]
    by_name = api(local_hub, "GET", "/search?q=" + quote(name.split()[1]), token=token)
    assert [r["id"] for r in by_name["results"]] == [session["customer_id"]]
    assert by_name["not_searchable"].startswith("Message text")
    by_id = api(local_hub, "GET", "/search?q=" + cb["callback"]["id"], token=token)
    assert [r["kind"] for r in by_id["results"]] == ["callback"]


def test_outside_hours_the_widget_offers_a_callback_due_at_the_next_opening(
    local_hub: LocalHub, closed_today: str
) -> None:
    seen = api(local_hub, "GET", f"/widget/availability?widget_key={local_hub.widget_key}")
    assert (seen["open"], seen["next_open_at"]) == (False, closed_today)
    assert seen["hours"]["time_zone"] == "UTC"
    session = local_hub.widget_session("Night Owl")
    cb = api(local_hub, "POST", "/widget/callbacks", {"phone": "+46701234567"}, session["token"])["callback"]
    sla = timedelta(minutes=15)  # the demo tenant's callback SLA, counted from the opening
    opening = datetime.fromisoformat(closed_today.replace("Z", "+00:00"))
    assert cb["due_at"] == (opening + sla).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    snapshot = api(local_hub, "GET", "/hub", token=local_hub.agent_token())
    assert snapshot["team"] == {"open": False, "next_open_at": closed_today}
    assert "outside_hours" in [b["code"] for b in snapshot["launch"]["blockers"]]


def test_a_rating_reaches_the_dashboard_and_the_support_command(local_hub: LocalHub, peers: list[Peer]) -> None:
    customer, token = Peer.customer(local_hub, name="Rita Rater")
    agent = Peer.agent(local_hub)
    colleague = Peer.agent(local_hub, local_hub.agent2_username)
    peers += [customer, agent, colleague]
    conv = customer.request("conversation", action="start")["conversation"]["id"]
    customer.request("ack", action="send", conversation_id=conv, client_id="m1", text="Thanks, solved!")
    agent.request("conversation", action="join", conversation_id=conv)
    before = api(local_hub, "GET", "/hub", token=local_hub.agent_token())["csat"]["ratings"]
    assert refused(local_hub, "POST", "/widget/rating", {"conversation_id": conv, "rating": 5}, token) == (
        409,
        "not_closed",
    )
    agent.request("conversation", action="close", conversation_id=conv)
    colleague.drain(0.3)
    rated = api(local_hub, "POST", "/widget/rating", {"conversation_id": conv, "rating": 5, "comment": "Great"}, token)
    assert rated["csat"]["rating"] == 5
    event = colleague.expect("csat", conversation_id=conv)
    assert event["csat"] == rated["csat"]
    agent.expect("message", kind="system", text="Rita Rater rated the conversation 5/5: “Great”")
    assert refused(local_hub, "POST", "/widget/rating", {"conversation_id": conv, "rating": 2}, token) == (
        409,
        "already_rated",
    )
    after = api(local_hub, "GET", "/hub", token=local_hub.agent_token())["csat"]
    assert after["ratings"] == before + 1 and after["scores"]["5"] >= 1
