"""The customer widget on its components, in real headless Chromium against the local stack
(issue 11 item 1, widget part; issue 10 items 3 and 13):

- an agent's reply while the widget is closed plays a soft chime and shows a count on the
  launcher; the customer's own messages (also from a second tab) and system lines do
  neither; the count survives a reload and clears when the customer opens the widget;
- the composer's draft survives a reload and is gone once sent;
- the callback box follows the request's real phase (queued, calling, retrying, completed,
  unreached) and offers a new request after a final one, also after a reload.

Sounds are observed through the page-level WebAudio spy (helpers.SPIES); the agent's side is
driven through the hub's own APIs (a WebSocket client, REST), since it is not what is tested.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import SPIES, Watch, customer_says, open_widget, serious_violations, shot, spy
from tests.e2e.peers import Peer, new_client_id

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser


@pytest.fixture
def customer_ctx(browser: Any, frontend_dist: Path) -> Iterator[Any]:
    """A customer's browser, with the WebAudio spy; the agent acts through the hub's APIs."""
    expect.set_options(timeout=20_000)
    ctx = browser.new_context(viewport={"width": 1280, "height": 820}, locale="en-US")
    ctx.add_init_script(SPIES)
    try:
        yield ctx
    finally:
        ctx.close()


def launcher(page: Any) -> Any:
    return page.get_by_test_id("launcher")


def expect_unread(page: Any, n: int) -> None:
    expect(launcher(page)).to_have_attribute("data-unread", str(n))
    badge = page.get_by_test_id("launcher-badge")
    if n:
        expect(badge).to_be_visible()
        expect(badge).to_have_text(str(n))
        expect(launcher(page)).to_have_accessible_name(re.compile(rf"^Open chat, {n} new messages?$"))
    else:
        expect(badge).to_be_hidden()


def close_widget(page: Any) -> None:
    page.get_by_role("button", name="Close chat").first.click()
    expect(page.locator("#fh-panel")).to_be_hidden()


def agent_api(hub: Any, method: str, path: str) -> Any:
    """The demo agent's REST call (a POST carries an empty body)."""
    body: dict[str, Any] | None = {} if method == "POST" else None
    return hub.request(method, hub.api_url + path, body, {"Authorization": hub.agent_token()})


def queued_callback(hub: Any, e164: str) -> str:
    found = [cb for cb in agent_api(hub, "GET", "/callbacks")["callbacks"] if cb["phone"] == e164]
    assert len(found) == 1, f"expected one open callback for {e164}, got {found}"
    return str(found[0]["id"])


def request_callback(page: Any, national: str) -> None:
    page.get_by_test_id("widget-callback-open").click()
    page.get_by_test_id("widget-callback-phone").fill(national)
    page.get_by_test_id("widget-callback-window").select_option("morning")
    page.get_by_test_id("widget-callback-submit").click()


def callback_status(page: Any) -> Any:
    return page.get_by_test_id("widget-callback-status")


def conversation_id(page: Any, hub: Any) -> str:
    """The conversation the widget keeps in localStorage (what a reload resumes)."""
    stored = page.evaluate("k => JSON.parse(localStorage.getItem(`flowhub.widget.${k}`))", hub.widget_key)
    return str(stored["thread"]["id"])


def test_agent_reply_while_closed_rings_and_counts_on_the_launcher(customer_ctx: Any, local_hub: Any) -> None:
    watch = Watch()
    customer = watch.page(customer_ctx, "customer")
    token = f"snd-{uuid.uuid4().hex[:8]}"
    number = random.randint(1_000_000, 9_999_999)

    open_widget(customer, local_hub)
    customer_says(customer, f"Is anyone there? {token}")
    # A callback, so that the hub can write a system line into the thread later.
    request_callback(customer, f"+46 70 {number}")
    expect(callback_status(customer)).to_have_attribute("data-phase", "queued")
    callback_id = queued_callback(local_hub, f"+4670{number}")
    conv = conversation_id(customer, local_hub)
    close_widget(customer)
    expect_unread(customer, 0)

    # The customer's own message from a second tab: no chime, no count.
    other_tab = watch.page(customer_ctx, "customer tab 2")
    open_widget(other_tab, local_hub)
    customer_says(other_tab, f"Writing from my other tab {token}")
    expect(customer.get_by_test_id("widget-message").filter(has_text="from my other tab")).to_have_count(1)
    other_tab.close()
    expect_unread(customer, 0)
    assert spy(customer, "tones") == 0

    # The agent (a real WebSocket client; the dashboard is tested elsewhere) replies: the
    # closed widget chimes and counts it.
    agent = Peer.agent(local_hub)
    try:
        agent.request("conversation", action="join", conversation_id=conv)
        agent.request(
            "ack", action="send", conversation_id=conv, client_id=new_client_id(), text="I'm here. Let me look."
        )
        expect_unread(customer, 1)
        customer.wait_for_function("() => window.__spy.tones() > 0")
        tones = spy(customer, "tones")
        shot(customer, "40-widget-launcher-unread")
        found = serious_violations(customer)
        assert not found, "launcher with a count: " + "; ".join(found)

        # A system line (the agent starts calling) neither rings nor counts.
        agent_api(local_hub, "POST", f"/callbacks/{callback_id}/claim")
        expect(customer.get_by_test_id("widget-message").filter(has_text="calling you back now")).to_have_count(1)
        customer.wait_for_timeout(400)
        expect_unread(customer, 1)
        assert spy(customer, "tones") == tones

        # A second reply: 2, and it rings again.
        agent.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Found your order.")
        expect_unread(customer, 2)
        customer.wait_for_function("n => window.__spy.tones() > n", arg=tones)
    finally:
        agent.close()

    # The count survives a reload (and known replies do not ring again) ...
    customer.reload()
    expect_unread(customer, 2)
    customer.wait_for_timeout(800)
    assert spy(customer, "tones") == 0
    # ... and clears when the customer opens the widget, for good.
    launcher(customer).click()
    expect(customer.get_by_test_id("widget-message").filter(has_text="Found your order.")).to_have_count(1)
    expect(customer.get_by_test_id("launcher-badge")).to_be_hidden()
    close_widget(customer)
    expect_unread(customer, 0)
    customer.reload()
    expect_unread(customer, 0)

    agent_api(local_hub, "POST", f"/callbacks/{callback_id}/complete")
    watch.check()


def test_composer_draft_survives_a_reload_until_sent(customer_ctx: Any, local_hub: Any) -> None:
    watch = Watch()
    customer = watch.page(customer_ctx, "customer")
    token = f"draft-{uuid.uuid4().hex[:8]}"

    open_widget(customer, local_hub)
    customer_says(customer, f"Hello {token}")
    draft = f"My order number is 5521 and the parcel {token}"
    customer.get_by_test_id("widget-input").press_sequentially(draft[:12])
    customer.get_by_test_id("widget-input").fill(draft)

    customer.reload()
    expect(customer.get_by_test_id("widget-input")).to_have_value(draft)
    expect(customer.get_by_test_id("widget-send")).to_be_enabled()
    # Closing and opening the widget keeps it as well.
    close_widget(customer)
    launcher(customer).click()
    expect(customer.get_by_test_id("widget-input")).to_have_value(draft)

    customer.get_by_test_id("widget-send").click()
    expect(customer.get_by_test_id("widget-message").filter(has_text=draft)).to_have_attribute(
        "data-state", re.compile(r"^(sent|delivered|read)$")
    )
    expect(customer.get_by_test_id("widget-input")).to_have_value("")
    customer.reload()
    expect(customer.get_by_test_id("widget-message").filter(has_text=draft)).to_have_count(1)
    expect(customer.get_by_test_id("widget-input")).to_have_value("")
    watch.check()


def test_callback_box_follows_the_request_and_allows_another(customer_ctx: Any, local_hub: Any) -> None:
    watch = Watch()
    customer = watch.page(customer_ctx, "customer")
    token = f"cbk-{uuid.uuid4().hex[:8]}"
    number = random.randint(1_000_000, 9_999_999)
    first, first_e164 = f"070 {number}", f"+4670{number}"

    open_widget(customer, local_hub)
    customer_says(customer, f"Please call me {token}")
    customer.get_by_test_id("widget-callback-open").click()
    customer.get_by_test_id("widget-callback-phone").fill(first)
    customer.get_by_test_id("widget-callback-submit").click()
    # A national number in an en-US browser is not a Swedish one: the hub says so, the form stays.
    expect(customer.get_by_role("alert").filter(has_text="check the phone number")).to_be_visible()
    customer.get_by_test_id("widget-callback-phone").fill(first_e164)
    customer.get_by_test_id("widget-callback-submit").click()
    status = callback_status(customer)
    expect(status).to_have_attribute("data-phase", "queued")
    expect(status).to_contain_text(first_e164)
    expect(customer.get_by_test_id("widget-callback-open")).to_have_count(0)
    first_id = queued_callback(local_hub, first_e164)

    # Calling: said in the box, still no second request.
    agent_api(local_hub, "POST", f"/callbacks/{first_id}/claim")
    expect(status).to_have_attribute("data-phase", "calling")
    expect(status).to_contain_text("We're calling you now")
    expect(customer.get_by_test_id("widget-callback-open")).to_have_count(0)
    # No answer, with attempts left: retrying.
    agent_api(local_hub, "POST", f"/callbacks/{first_id}/no-answer")
    expect(status).to_have_attribute("data-phase", "retrying")
    expect(customer.get_by_test_id("widget-callback-open")).to_have_count(0)
    # Reached: completed, and the customer may ask again — also after a reload.
    agent_api(local_hub, "POST", f"/callbacks/{first_id}/claim")
    agent_api(local_hub, "POST", f"/callbacks/{first_id}/complete")
    expect(status).to_have_attribute("data-phase", "completed")
    expect(status).to_have_text("Your callback is done.")
    customer.reload()
    expect(callback_status(customer)).to_have_attribute("data-phase", "completed")
    again = customer.get_by_test_id("widget-callback-open")
    expect(again).to_have_text("Request another callback")
    shot(customer, "41-widget-callback-completed")
    found = serious_violations(customer)
    assert not found, "callback completed: " + "; ".join(found)

    # A second request; this time every attempt goes unanswered.
    second_e164 = f"+4670{random.randint(1_000_000, 9_999_999)}"
    again.click()
    customer.get_by_test_id("widget-callback-phone").fill(second_e164)
    customer.get_by_test_id("widget-callback-submit").click()
    status = callback_status(customer)
    expect(status).to_have_attribute("data-phase", "queued")
    expect(status).to_contain_text(second_e164)
    second_id = queued_callback(local_hub, second_e164)
    assert second_id != first_id
    attempts = int(agent_api(local_hub, "GET", f"/callbacks/{second_id}")["callback"]["max_attempts"])
    for _ in range(attempts):
        agent_api(local_hub, "POST", f"/callbacks/{second_id}/claim")
        agent_api(local_hub, "POST", f"/callbacks/{second_id}/no-answer")
    expect(status).to_have_attribute("data-phase", "failed")
    expect(status).to_contain_text(f"We couldn't reach you on {second_e164}")
    expect(customer.get_by_test_id("widget-callback-open")).to_have_text("Request another callback")
    shot(customer, "42-widget-callback-unreached")
    watch.check()
