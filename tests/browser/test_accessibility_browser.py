"""Accessibility groundwork (issue 10): axe-core, injected into the real pages in headless
Chromium, finds no serious or critical violation on the agent dashboard (sign-in, live lane
with a thread, its side panel and the callback motor, the shortcuts overlay, tickets and
support command) nor on the widget (conversation, callback form) on the demo store page.

axe-core comes from frontend/node_modules (npm `axe-core`, a devDependency)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import AXE, Watch, customer_says, open_widget, serious_violations, shot, sign_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser


@pytest.fixture
def contexts(browser: Any, frontend_dist: Path) -> Iterator[tuple[Any, Any]]:
    expect.set_options(timeout=20_000)
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` in frontend/")
    customer = browser.new_context(viewport={"width": 1280, "height": 820}, locale="en-US")
    agent = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    try:
        yield customer, agent
    finally:
        customer.close()
        agent.close()


def assert_accessible(page: Any, where: str) -> None:
    found = serious_violations(page)
    assert not found, f"{where}: serious/critical axe violations:\n  " + "\n  ".join(found)


def test_axe_finds_nothing_serious_on_the_dashboard_and_the_widget(contexts: tuple[Any, Any], local_hub: Any) -> None:
    customer_ctx, agent_ctx = contexts
    watch = Watch()
    customer = watch.page(customer_ctx, "customer")
    agent = watch.page(agent_ctx, "agent")
    token = f"a11y-{uuid.uuid4().hex[:8]}"

    # The widget: greeting, the customer's message, the callback form.
    open_widget(customer, local_hub)
    customer_says(customer, f"Is this accessible? {token}")
    assert_accessible(customer, "widget with a message")
    open_form = customer.get_by_test_id("widget-callback-open")
    if open_form.is_visible():
        open_form.click()
        expect(customer.get_by_test_id("widget-callback-phone")).to_be_visible()
        assert_accessible(customer, "widget callback form")

    # The dashboard: sign-in, then the live lane.
    agent.goto(f"{local_hub.base_url.rstrip('/')}/agent.html")
    expect(agent.get_by_test_id("signin-username")).to_be_visible()
    assert_accessible(agent, "sign-in")
    sign_in(agent, local_hub)
    assert_accessible(agent, "live lane, no thread open")

    # A thread with a reply, a note, the ticket form and a callback in the motor.
    chat = agent.get_by_test_id("conversation-item").filter(has_text=token)
    conversation_id = chat.get_attribute("data-conversation-id") or ""
    chat.click()
    expect(agent.get_by_test_id("thread-message").filter(has_text=token)).to_have_count(1)
    agent.get_by_test_id("composer-input").fill("Yes, and it stays that way.")
    agent.get_by_test_id("composer-send").click()
    agent.get_by_test_id("note-toggle").click()
    agent.get_by_test_id("composer-input").fill("Checked with axe-core.")
    agent.get_by_test_id("composer-send").click()
    note = agent.get_by_test_id("thread-message").filter(has_text="Checked with axe-core.")
    expect(note).to_have_attribute("data-state", "sent")
    expect(customer.get_by_test_id("widget-message").filter(has_text="stays that way")).to_have_count(1)
    agent.get_by_test_id("thread-context").get_by_test_id("ticket-create").click()
    agent.get_by_test_id("log-missed-call").click()
    agent.get_by_test_id("missed-phone").fill("+46 70 765 43 21")
    agent.get_by_role("button", name="Add to queue").click()
    expect(
        agent.get_by_test_id("callback-queue").get_by_test_id("callback-item").filter(has_text="+46707654321")
    ).to_have_count(1)
    shot(agent, "30-a11y-thread")
    assert_accessible(agent, "live lane with a thread, ticket form and callback")
    assert_accessible(customer, "widget with an agent's reply")

    # The customer panel is part of the thread above; the canned-reply picker and the search results.
    composer = agent.get_by_test_id("composer-input")
    composer.fill("")
    composer.press_sequentially("/")
    expect(agent.get_by_test_id("canned-picker")).to_be_visible()
    assert_accessible(agent, "canned-reply picker")
    composer.press("Escape")
    composer.fill("")
    composer.press("Escape")
    agent.keyboard.press("/")
    agent.get_by_test_id("conversation-search").fill(conversation_id)
    expect(agent.get_by_test_id("search-result")).to_have_count(1)
    assert_accessible(agent, "search results")
    agent.get_by_test_id("conversation-search").press("Escape")
    agent.get_by_test_id("conversation-search").press("Escape")

    # The shortcuts overlay.
    agent.keyboard.press("?")
    expect(agent.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert_accessible(agent, "shortcuts overlay")
    agent.keyboard.press("Escape")

    # Tickets and support command.
    agent.get_by_test_id("view-tickets").click()
    expect(agent.get_by_role("heading", name="Tickets", level=1)).to_be_visible()
    assert_accessible(agent, "tickets view")
    agent.get_by_test_id("view-command").click()
    expect(agent.get_by_test_id("next-move")).to_be_visible()
    assert_accessible(agent, "support command")
    agent.get_by_test_id("view-desk").click()
    expect(agent.get_by_test_id("hours-editor")).to_be_visible()
    assert_accessible(agent, "desk setup")

    # Leave the queue as it was.
    agent.get_by_test_id("view-lane").click()
    queued = agent.get_by_test_id("callback-queue").get_by_test_id("callback-item").filter(has_text="+46707654321")
    queued.get_by_test_id("callback-claim").click()
    queued.get_by_test_id("callback-complete").click()
    expect(queued).to_have_count(0)
    watch.check()
