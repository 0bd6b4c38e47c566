"""The customer's side of the agent's day, in real headless Chromium against the local stack
(issue 11):

- a verified customer (the host page carries `data-user-id` and the HMAC `data-user-hash`)
  sees the same thread on a second device; a forged hash leaves a visitor who sees nothing of
  it; the dashboard's panel shows the verified customer and the page they are on;
- outside business hours the widget shows the hours and when the team opens, and a callback
  asked for then is due at the next opening;
- when an agent closes the conversation the widget asks for a 1-5 rating; the rating reaches the
  agents (a `csat` event), the thread and the support command.

The tenant's page is the demo store the local stack serves; "signed in" is the page setting
`window.FlowHubSettings` (user id, the HMAC its server computed, name) before the widget loads.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.platform.auth import identity_hash
from local.bootstrap import stage_variables
from tests.browser.helpers import Watch, customer_says, open_widget, serious_violations, shot, sign_in
from tests.e2e.peers import Peer

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def contexts(browser: Any, frontend_dist: Path) -> Iterator[dict[str, Any]]:
    """Two devices of one customer, a stranger, and the agent: separate storage each."""
    expect.set_options(timeout=20_000)
    ctxs = {
        name: browser.new_context(viewport={"width": 1280, "height": 820}, locale="en-US")
        for name in ("laptop", "phone", "stranger", "agent")
    }
    try:
        yield ctxs
    finally:
        for ctx in ctxs.values():
            ctx.close()


@pytest.fixture
def peers() -> Iterator[list[Peer]]:
    opened: list[Peer] = []
    yield opened
    for peer in opened:
        peer.close()


def signed_in(ctx: Any, settings: dict[str, str]) -> None:
    """The tenant's page knows its signed-in customer: it sets `window.FlowHubSettings` before the
    widget loads (the embedding Intercom's `intercomSettings` uses; data attributes work alike)."""
    ctx.add_init_script(f"window.FlowHubSettings = {json.dumps(settings)};")


def set_identity_secret(hub: Any) -> str:
    value = secrets.token_hex(32)
    hub.aws_client("dynamodb").put_item(
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


def test_a_verified_customer_sees_the_same_thread_on_a_second_device(contexts: dict[str, Any], local_hub: Any) -> None:
    watch = Watch()
    secret = set_identity_secret(local_hub)
    user_id = f"user-{uuid.uuid4().hex[:8]}"
    signed = {"user_id": user_id, "user_hash": identity_hash(secret, user_id), "name": "Vera Verified"}
    for device in ("laptop", "phone"):
        signed_in(contexts[device], signed)
    laptop = watch.page(contexts["laptop"], "laptop")
    open_widget(laptop, local_hub)
    token = uuid.uuid4().hex[:6]
    customer_says(laptop, f"Where is my parcel? {token}")

    phone = watch.page(contexts["phone"], "phone")
    open_widget(phone, local_hub)
    expect(phone.get_by_test_id("widget-message").filter(has_text=f"Where is my parcel? {token}")).to_have_count(1)
    shot(phone, "40-widget-second-device")
    # The second device writes into the same conversation: the laptop sees it.
    customer_says(phone, f"Sent from my phone {token}")
    expect(laptop.get_by_test_id("widget-message").filter(has_text=f"Sent from my phone {token}")).to_have_count(1)

    # A forged hash on another browser: a visitor, who sees nothing of Vera's thread.
    signed_in(contexts["stranger"], {**signed, "user_hash": "0" * 64})
    stranger = watch.page(contexts["stranger"], "stranger")
    open_widget(stranger, local_hub)
    customer_says(stranger, f"I am Vera, honest {token}")
    expect(stranger.get_by_test_id("widget-message").filter(has_text="Where is my parcel?")).to_have_count(0)

    # The dashboard: Vera's conversation shows a verified customer on the account page.
    agent = watch.page(contexts["agent"], "agent")
    sign_in(agent, local_hub)
    agent.get_by_test_id("conversation-item").filter(has_text=f"Sent from my phone {token}").click()
    panel = agent.get_by_test_id("customer-panel")
    expect(panel.get_by_test_id("customer-verified")).to_have_attribute("data-verified", "true")
    expect(panel.get_by_test_id("customer-page")).to_have_attribute("href", f"{local_hub.base_url.rstrip('/')}/")
    expect(panel).to_contain_text(user_id)
    agent.get_by_test_id("conversation-item").filter(has_text=f"I am Vera, honest {token}").click()
    expect(agent.get_by_test_id("customer-panel").get_by_test_id("customer-verified")).to_have_attribute(
        "data-verified", "false"
    )
    # The widget said on the console why it fell back; nothing was thrown into the page.
    watch.check()


@pytest.fixture
def closed_today_instant_sla(local_hub: Any) -> Iterator[str]:
    """Hours (UTC) closed all of today, open every other day; the callback SLA 0 minutes.
    Yields the next opening (tomorrow 00:00 UTC)."""
    token = local_hub.agent_token()
    today = datetime.now(UTC)
    weekly = {d: [{"open": "00:00", "close": "24:00"}] for i, d in enumerate(DAYS) if i != today.weekday()}
    local_hub.request(
        "PUT", local_hub.api_url + "/hours", {"time_zone": "UTC", "weekly": weekly}, {"Authorization": token}
    )
    client, table = local_hub.aws_client("dynamodb"), stage_variables(ROOT)["TENANTS_TABLE"]

    def sla(minutes: int) -> None:
        client.update_item(
            TableName=table,
            Key={"tenant_id": {"S": "global"}},
            UpdateExpression="SET callback_sla_minutes = :m",
            ExpressionAttributeValues={":m": {"N": str(minutes)}},
        )

    sla(0)
    opening = (today + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        yield opening.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    finally:
        sla(15)
        local_hub.request("DELETE", local_hub.api_url + "/hours", headers={"Authorization": token})


def test_outside_hours_the_widget_offers_a_callback_due_at_the_next_opening(
    contexts: dict[str, Any], local_hub: Any, closed_today_instant_sla: str
) -> None:
    watch = Watch()
    customer = watch.page(contexts["laptop"], "customer")
    customer.goto(f"{local_hub.base_url.rstrip('/')}/")
    customer.get_by_test_id("launcher").click()
    notice = customer.get_by_test_id("widget-hours")
    expect(notice).to_contain_text("We're closed right now. We open")
    customer.get_by_text("Opening hours").click()
    today = datetime.now(UTC).strftime("%A")
    expect(notice.locator("tr").filter(has_text=today)).to_contain_text("Closed")
    offer = customer.get_by_test_id("widget-callback")
    expect(offer).to_contain_text("We can call you back when we open")
    shot(customer, "41-widget-outside-hours")
    assert serious_violations(customer) == [], "axe: the hours notice and the callback offer"
    digits = f"70{secrets.randbelow(10**7):07d}"
    customer.get_by_test_id("widget-callback-open").click()
    customer.get_by_test_id("widget-callback-phone").fill(f"+46 {digits}")
    customer.get_by_test_id("widget-callback-submit").click()
    expect(customer.get_by_test_id("widget-callback-status")).to_have_attribute("data-phase", "queued")
    queue = local_hub.request(
        "GET", local_hub.api_url + "/callbacks", headers={"Authorization": local_hub.agent_token()}
    )
    [cb] = [c for c in queue["callbacks"] if c["phone"] == f"+46{digits}"]
    assert cb["due_at"] == closed_today_instant_sla, "due at the next opening, not now"
    watch.check()


def test_a_closed_conversation_asks_for_a_rating_that_reaches_the_agents(
    contexts: dict[str, Any], local_hub: Any, peers: list[Peer]
) -> None:
    watch = Watch()
    customer = watch.page(contexts["laptop"], "customer")
    customer.goto(f"{local_hub.base_url.rstrip('/')}/")
    customer.get_by_test_id("launcher").click()
    token = uuid.uuid4().hex[:6]
    customer_says(customer, f"Sorted, thanks {token}")
    agent = Peer.agent(local_hub)
    colleague = Peer.agent(local_hub, local_hub.agent2_username)
    peers += [agent, colleague]
    conversations = local_hub.request(
        "GET", local_hub.api_url + "/conversations", headers={"Authorization": local_hub.agent_token()}
    )
    [conv] = [c["id"] for c in conversations["conversations"] if c["preview"] and token in c["preview"]["text"]]
    agent.request("conversation", action="join", conversation_id=conv)
    expect(customer.get_by_test_id("widget-rating")).to_have_count(0)
    agent.request("conversation", action="close", conversation_id=conv)

    rating = customer.get_by_test_id("widget-rating")
    expect(rating).to_contain_text("How did we do?")
    rating.locator('[data-testid="widget-rating-star"][data-value="4"]').click()
    rating.get_by_test_id("widget-rating-comment").fill("Quick and friendly")
    shot(customer, "42-widget-rating")
    assert serious_violations(customer) == [], "axe: the rating form"
    colleague.drain(0.2)
    rating.get_by_test_id("widget-rating-submit").click()
    expect(customer.get_by_test_id("widget-rating-thanks")).to_have_text("Thanks for your rating!")
    event = colleague.expect("csat", conversation_id=conv)
    assert (event["csat"]["rating"], event["csat"]["comment"]) == (4, "Quick and friendly")
    expect(customer.get_by_test_id("widget-message").filter(has_text="rated the conversation 4/5")).to_have_count(1)
    # A reload (the chat reopens as it was) remembers: the rating is asked once.
    customer.reload()
    expect(customer.get_by_test_id("widget-rating-thanks")).to_be_visible()
    expect(customer.get_by_test_id("widget-rating-star")).to_have_count(0)
    # Leave the colleague unavailable, so later tests see only the demo agent's presence (the
    # widget tests count on "the last agent leaves").
    colleague.request("ack", action="presence", status="offline")
    watch.check()
