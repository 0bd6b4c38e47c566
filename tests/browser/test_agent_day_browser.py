"""An agent's day-one tools on the component dashboard, in real headless Chromium against the
local stack (issue 11 items 1 and 7, issue 10 item 11):

- notifications: a new chat in the lobby, a customer's reply in my chat and a colleague's
  @mention in a note each play a chime, show a desktop notification and raise the count in
  the tab title; my own messages, system lines and notes never count as unread; the thread
  I am looking at never notifies; permission is asked when I go available, never on load;
  mute is kept per agent across reloads and silences sound and desktop, not the title;
- an overdue callback alert notifies and counts until someone claims the callback;
- keyboard: `?` lists the shortcuts, `/` searches (the hub's search), `j` moves to the
  next unread thread, `r` / `n` focus the composer for a reply / a note, `a` takes ownership,
  `c` closes; none of them fires while typing.

Sound and desktop notifications are observed through page-level spies (helpers.SPIES):
what the browser was asked to play and show, as the user would get it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.bootstrap import stage_variables
from tests.browser.helpers import (
    SPIES,
    Watch,
    customer_says,
    expect_title_count,
    open_widget,
    set_presence,
    settled_title_count,
    shot,
    sign_in,
    spy,
)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000


@pytest.fixture
def browsers(browser: Any, frontend_dist: Path) -> Iterator[dict[str, Any]]:
    """Separate contexts: two customers, the agent (with the notification/sound spies) and a colleague."""
    expect.set_options(timeout=TIMEOUT_MS)
    ctxs = {
        "customer": browser.new_context(viewport={"width": 1280, "height": 820}, locale="en-US"),
        "customer2": browser.new_context(viewport={"width": 1280, "height": 820}, locale="en-US"),
        "agent": browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US"),
        "colleague": browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US"),
    }
    ctxs["agent"].add_init_script(SPIES)
    try:
        yield ctxs
    finally:
        for ctx in ctxs.values():
            ctx.close()


@pytest.fixture
def instant_sla(local_hub: Any) -> Iterator[None]:
    """The demo tenant's callback SLA set to 0 minutes, so a request is due at once."""
    client = local_hub.aws_client("dynamodb")
    table = stage_variables(Path(__file__).resolve().parents[2])["TENANTS_TABLE"]

    def sla(minutes: int) -> None:
        client.update_item(
            TableName=table,
            Key={"tenant_id": {"S": "global"}},
            UpdateExpression="SET callback_sla_minutes = :m",
            ExpressionAttributeValues={":m": {"N": str(minutes)}},
        )

    sla(0)
    yield
    sla(15)


def notes_with(page: Any, title: str, body: str) -> int:
    return sum(1 for n in spy(page, "notes") if title in n["title"] and body in n["body"])


def wait_note(page: Any, title: str, body: str) -> None:
    page.wait_for_function(
        "([t, b]) => window.__spy.notes().some((n) => n.title.includes(t) && n.body.includes(b))",
        arg=[title, body],
        timeout=TIMEOUT_MS,
    )


def item(page: Any, text: str) -> Any:
    return page.get_by_test_id("conversation-item").filter(has_text=text)


def colleague_offline(page: Any) -> None:
    """Leave the colleague unavailable, so later tests see only the demo agent's presence."""
    set_presence(page, "offline")


def test_notifications_title_count_mentions_and_mute(browsers: dict[str, Any], local_hub: Any) -> None:
    watch = Watch()
    agent = watch.page(browsers["agent"], "agent")
    customer = watch.page(browsers["customer"], "customer")
    colleague = watch.page(browsers["colleague"], "colleague")
    token = f"ntf-{uuid.uuid4().hex[:8]}"

    # Routing would give the colleague chats waiting in the lobby when they sign in below, which
    # moves this agent's title count: the colleague takes no chats during this test.
    token_hdr = {"Authorization": local_hub.agent_token()}  # the raw ID token, as the Cognito authorizer takes it
    directory = local_hub.request("GET", local_hub.api_url + "/agents", headers=token_hdr)["agents"]
    [colleague_id] = [a["id"] for a in directory if a["name"] == "Demo Agent 2"]
    local_hub.request("PATCH", f"{local_hub.api_url}/agents/{colleague_id}", {"capacity": 0}, token_hdr)
    sign_in(agent, local_hub)
    # Nothing is asked on page load; going available is the moment to ask.
    agent.wait_for_timeout(500)
    assert spy(agent, "asks") == 0
    expect(agent.get_by_role("button", name="Enable desktop notifications")).to_be_visible()
    set_presence(agent, "away")
    set_presence(agent, "available")
    agent.wait_for_function("() => window.__spy.asks() === 1")
    expect(agent.get_by_role("button", name="Enable desktop notifications")).to_be_hidden()
    base = settled_title_count(agent)
    tones = spy(agent, "tones")

    # A new chat routing gives me (I am the one available): chime, one desktop notification that
    # it is mine (not "New chat" first: the hub announces a chat routed at once as assigned),
    # +1 in the title.
    open_widget(customer, local_hub)
    customer_says(customer, f"Hello, I need help {token}")
    wait_note(agent, "Assigned to you", token)
    assert spy(agent, "tones") > tones
    assert notes_with(agent, "New chat", token) == 0
    expect(item(agent, token)).to_have_count(1)
    chat = agent.locator(f'[data-conversation-id="{item(agent, token).get_attribute("data-conversation-id")}"]')
    expect(chat).to_have_attribute("data-unread", "1")
    expect_title_count(agent, base + 1)
    shot(agent, "20-agent-new-chat-title")

    # Opening it reads it; my own reply is never unread.
    chat.click()
    expect(agent.get_by_test_id("thread-message").filter(has_text=token)).to_have_count(1)
    agent.get_by_test_id("composer-input").fill("On it!")
    agent.get_by_test_id("composer-send").click()
    expect(customer.get_by_test_id("widget-message").filter(has_text="On it!")).to_have_count(1)
    expect(chat).to_have_attribute("data-unread", "0")
    expect_title_count(agent, base)

    # While I look at the thread, a reply there does not notify.
    customer_says(customer, f"Thanks, looking {token}")
    expect(agent.get_by_test_id("thread-message").filter(has_text="Thanks, looking")).to_have_count(1)
    agent.wait_for_timeout(500)
    assert notes_with(agent, "replied", "Thanks, looking") == 0
    # ... and it is read while on screen (the read receipt is sent at most once a second).
    expect(chat).to_have_attribute("data-unread", "0")

    # Elsewhere (tickets view), the customer's reply notifies and counts.
    agent.get_by_test_id("view-tickets").click()
    tones = spy(agent, "tones")
    customer_says(customer, f"Are you still there? {token}")
    wait_note(agent, "replied", "Are you still there?")
    assert spy(agent, "tones") > tones
    expect(chat).to_have_attribute("data-unread", "1")
    expect_title_count(agent, base + 1)

    # A colleague joins (a system line) and mentions me in a note: the note notifies and counts
    # as a mention, but neither the system line nor the note is an unread message.
    sign_in(colleague, local_hub, local_hub.agent2_username)
    item(colleague, token).click()
    expect(colleague.get_by_test_id("thread-message").filter(has_text="Are you still there?")).to_have_count(1)
    colleague.get_by_test_id("note-toggle").click()
    colleague.get_by_test_id("composer-input").fill(f"@Demo Agent can you check the refund? {token}")
    colleague.get_by_test_id("composer-send").click()
    wait_note(agent, "Demo Agent 2 mentioned you", "can you check the refund?")
    expect_title_count(agent, base + 2)
    expect(chat).to_have_attribute("data-unread", "1")
    shot(agent, "21-agent-mention-title")

    # Back on the thread: read, mention seen, the title is back where it was.
    agent.get_by_test_id("view-lane").click()
    expect(agent.get_by_test_id("thread-message").filter(has_text="can you check the refund?")).to_have_count(1)
    expect(chat).to_have_attribute("data-unread", "0")
    expect_title_count(agent, base)

    # Mute: kept for this agent across a reload; silences sound and desktop, not the title.
    mute = agent.get_by_role("button", name="Mute notifications")
    expect(mute).to_have_attribute("aria-pressed", "false")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    agent.reload()
    expect(agent.get_by_test_id("connection-state")).to_have_attribute("data-state", "open")
    expect(agent.get_by_role("button", name="Mute notifications")).to_have_attribute("aria-pressed", "true")
    agent.get_by_test_id("view-tickets").click()
    base = settled_title_count(agent)
    customer_says(customer, f"Hello again {token}")
    expect_title_count(agent, base + 1)
    agent.wait_for_timeout(800)
    assert spy(agent, "notes") == [], "muted: no desktop notification"
    assert spy(agent, "tones") == 0, "muted: no sound"
    agent.get_by_role("button", name="Mute notifications").click()  # leave it unmuted
    expect(agent.get_by_role("button", name="Mute notifications")).to_have_attribute("aria-pressed", "false")

    colleague_offline(colleague)
    local_hub.request("PATCH", f"{local_hub.api_url}/agents/{colleague_id}", {"capacity": None}, token_hdr)
    watch.check()


@pytest.mark.usefixtures("instant_sla")
def test_overdue_callback_alert_notifies_until_claimed(browsers: dict[str, Any], local_hub: Any) -> None:
    watch = Watch()
    agent = watch.page(browsers["agent"], "agent")
    sign_in(agent, local_hub)
    set_presence(agent, "available")
    agent.get_by_test_id("view-tickets").click()
    base = settled_title_count(agent)
    phone = f"+4670{uuid.uuid4().int % 10_000_000:07d}"
    created = local_hub.request(
        "POST",
        local_hub.api_url + "/callbacks",
        {"phone": phone, "customer_name": "Overdue Olsson", "window": "asap"},
        headers={"Authorization": local_hub.agent_token()},
    )["callback"]
    report = local_hub.run_schedule("escalate_overdue_callbacks")
    assert report["result"]["alerts"] >= 1, report

    wait_note(agent, "Overdue callback", "Overdue Olsson")
    assert spy(agent, "tones") > 0
    expect_title_count(agent, base + 1)
    # Claiming it answers the alert: the title drops back.
    agent.get_by_test_id("view-lane").click()
    queued = agent.get_by_test_id("callback-queue").locator(f'[data-callback-id="{created["id"]}"]')
    expect(queued).to_have_attribute("data-overdue", "true")
    queued.get_by_test_id("callback-claim").click()
    expect(queued).to_have_attribute("data-status", "claimed")
    expect_title_count(agent, base)
    queued.get_by_test_id("callback-complete").click()
    expect(queued).to_have_count(0)
    watch.check()


def test_keyboard_shortcuts(browsers: dict[str, Any], local_hub: Any) -> None:
    watch = Watch()
    agent = watch.page(browsers["agent"], "agent")
    first = watch.page(browsers["customer"], "customer")
    second = watch.page(browsers["customer2"], "customer2")
    colleague = watch.page(browsers["colleague"], "colleague")
    token = f"kbd-{uuid.uuid4().hex[:8]}"
    keys = agent.keyboard

    # Busy: routing gives the agent no chat, so both wait unassigned in the lobby, newest first.
    # (Her chosen status outlives her tabs; earlier tests may have left her available, and then
    # routing would hand her the first chat, which would move up the list.)
    sign_in(agent, local_hub)
    set_presence(agent, "busy")
    open_widget(first, local_hub)
    customer_says(first, f"First question {token}")
    open_widget(second, local_hub)
    customer_says(second, f"Second question {token}")

    # `?` lists the shortcuts; Escape closes the list.
    keys.press("?")
    overlay = agent.get_by_role("dialog", name="Keyboard shortcuts")
    expect(overlay).to_be_visible()
    for label in (
        "Next conversation with unread messages",
        "Reply to the customer",
        "internal note",
        "Take ownership",
        "Close the open conversation",
        "Search",
    ):
        expect(overlay).to_contain_text(label)
    expect(overlay.locator("kbd")).to_have_count(10)  # 7 page shortcuts, 3 composer keys
    expect(overlay).to_contain_text("Canned replies: type / and a shortcut")
    shot(agent, "22-shortcuts-overlay")
    keys.press("Escape")
    expect(overlay).to_be_hidden()

    # `/` searches (the hub's search: here by a conversation id); Escape clears, then leaves the box.
    first_id = item(agent, "First question").get_attribute("data-conversation-id") or ""
    keys.press("/")
    search = agent.get_by_role("searchbox", name="Search customers, phone numbers and ids")
    expect(search).to_be_focused()
    keys.type(first_id)
    expect(agent.get_by_test_id("search-result")).to_have_count(1)
    expect(agent.get_by_test_id("search-result")).to_have_attribute("data-id", first_id)
    keys.press("Escape")
    expect(search).to_have_value("")
    expect(search).to_be_focused()
    keys.press("Escape")
    expect(search).not_to_be_focused()

    # `j` walks the unread threads, newest first, without stealing the keyboard.
    newer, older = item(agent, "Second question"), item(agent, "First question")
    expect(newer).to_have_attribute("data-unread", "1")
    expect(older).to_have_attribute("data-unread", "1")
    keys.press("j")
    expect(newer).to_have_attribute("aria-current", "true")
    expect(agent.get_by_test_id("thread-message").filter(has_text="Second question")).to_have_count(1)
    expect(newer).to_have_attribute("data-unread", "0")
    keys.press("j")
    expect(older).to_have_attribute("aria-current", "true")
    expect(older).to_have_attribute("data-unread", "0")
    # Then to any other unread thread in the list (earlier tests may have left some), else nowhere.
    others = agent.locator('[data-testid="conversation-item"]:not([data-unread="0"])')
    if others.count() == 0:
        keys.press("j")
        expect(agent.get_by_role("status").filter(has_text="No unread conversations.")).to_have_count(1)
        expect(older).to_have_attribute("aria-current", "true")
    else:
        keys.press("j")
        expect(older).not_to_have_attribute("aria-current", "true")
        expect(newer).not_to_have_attribute("aria-current", "true")
        older.click()  # back to the first question for the next steps (a click focuses the composer)
        expect(older).to_have_attribute("aria-current", "true")
        expect(agent.get_by_test_id("composer-input")).to_be_focused()
        keys.press("Escape")

    # `r` focuses the composer; letters typed there are text, not shortcuts.
    keys.press("r")
    composer = agent.get_by_test_id("composer-input")
    expect(composer).to_be_focused()
    expect(agent.get_by_test_id("note-toggle")).to_have_attribute("aria-pressed", "false")
    keys.type("jac")
    expect(composer).to_have_value("jac")
    expect(older).to_have_attribute("aria-current", "true")
    expect(agent.locator(".thread-head .status-chip")).to_have_text("Open")
    composer.fill("")
    keys.press("Escape")
    expect(composer).not_to_be_focused()

    # `n` switches to an internal note.
    keys.press("n")
    expect(composer).to_be_focused()
    expect(agent.get_by_test_id("note-toggle")).to_have_attribute("aria-pressed", "true")
    expect(composer).to_have_attribute("aria-label", "Internal note")
    keys.press("Escape")
    agent.get_by_test_id("note-toggle").click()  # back to replies
    keys.press("Escape")

    # `a` takes ownership; then back from a colleague who took it over. (Taken first, so that
    # routing cannot hand the waiting chat to the colleague when they sign in available.)
    head = agent.locator(".thread-head")
    keys.press("a")
    expect(head).to_contain_text("Owner: You")
    sign_in(colleague, local_hub, local_hub.agent2_username)
    colleague.get_by_role("searchbox", name="Search customers, phone numbers and ids").fill(first_id)
    colleague.locator(f'[data-testid="search-result"][data-id="{first_id}"]').click()
    colleague.get_by_role("button", name="Take ownership").click()
    expect(colleague.locator(".thread-head")).to_contain_text("Owner: You")
    expect(head).to_contain_text("Owner: Demo Agent 2")
    keys.press("a")
    expect(head).to_contain_text("Owner: You")

    # `c` closes the conversation.
    keys.press("c")
    expect(agent.locator(".thread-head .status-chip")).to_have_text("Closed")
    expect(agent.get_by_test_id("composer-input")).to_be_disabled()

    colleague_offline(colleague)
    watch.check()
