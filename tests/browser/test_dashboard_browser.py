"""The agent dashboard and the widget's work lanes in real headless Chromium, a customer
and an agent in separate browser contexts against the local stack:

- a callback requested from the widget (nobody available) lands in the agent's queue, the
  counters strip changes live, and claim / complete work from the thread's side panel;
- a ticket is created from a thread, set to waiting internal, and the counters follow;
- `<img src=x onerror=alert(1)>` in a message is shown as text on both sides, no dialog fires;
- the customer's network drops and returns: every message shows exactly once on both sides.

Screenshots go to tests/browser/artifacts/ (dashboard.png and widget.png are the README's).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Watch, open_widget, shot, sign_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def contexts(browser: Any, frontend_dist: Path) -> Iterator[tuple[Any, Any]]:
    expect.set_options(timeout=TIMEOUT_MS)
    customer = browser.new_context(viewport={"width": 1280, "height": 820}, locale="en-US")
    agent = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    try:
        yield customer, agent
    finally:
        customer.close()
        agent.close()


def counter(page: Any, name: str) -> int:
    tile = page.get_by_test_id(f"counter-{name}")
    expect(tile).to_have_attribute("data-value", re.compile(r"^\d+$"))
    return int(tile.get_attribute("data-value"))


def expect_counter(page: Any, name: str, value: int) -> None:
    expect(page.get_by_test_id(f"counter-{name}")).to_have_attribute("data-value", str(value))


def customer_says(page: Any, text: str) -> Any:
    page.get_by_test_id("widget-input").fill(text)
    page.get_by_test_id("widget-send").click()
    return page.get_by_test_id("widget-message").filter(has_text=text)


def open_thread(agent: Any, text: str) -> str:
    item = agent.get_by_test_id("conversation-item").filter(has_text=text)
    expect(item).to_have_count(1)
    conversation_id = item.get_attribute("data-conversation-id")
    item.click()
    expect(agent.get_by_test_id("thread-message").filter(has_text=text)).to_have_count(1)
    return str(conversation_id)


def test_widget_callback_reaches_the_agents_queue(contexts: tuple[Any, Any], local_hub: Any) -> None:
    customer_ctx, agent_ctx = contexts
    watch = Watch()
    agent = watch.page(agent_ctx, "agent")
    customer = watch.page(customer_ctx, "customer")

    sign_in(agent, local_hub)
    # Nobody on the floor: the only agent steps away, so the widget offers a callback.
    agent.get_by_test_id("presence-select").select_option("away")
    queued_before = counter(agent, "callback_queued")

    open_widget(customer, local_hub)
    expect(customer.get_by_test_id("widget-status")).to_have_attribute("data-state", "offline")
    question = "Where is my parcel? Order 5521"
    expect(customer_says(customer, question)).to_have_attribute("data-state", re.compile(r"^(sent|delivered|read)$"))
    offer = customer.get_by_test_id("widget-callback")
    expect(offer).to_contain_text("call you back")
    customer.get_by_test_id("widget-callback-open").click()
    customer.get_by_test_id("widget-callback-phone").fill("+46 70 123 45 67")
    customer.get_by_test_id("widget-callback-window").select_option("afternoon")
    customer.get_by_test_id("widget-callback-reason").fill("Parcel 5521 is late")
    shot(customer, "10-widget-callback-form")
    customer.get_by_test_id("widget-callback-submit").click()
    expect(customer.get_by_test_id("widget-callback-status")).to_contain_text("+46701234567")
    # The hub writes the request into the thread: it arrives over the socket as a system entry
    # that never carries the phone number (a thread is read by its customer).
    expect(customer.get_by_test_id("widget-message").filter(has_text="Callback requested")).to_have_count(1)
    expect(customer.get_by_test_id("widget-message").filter(has_text="+46701234567")).to_have_count(0)

    # The agent's queue and counters change live, without a reload.
    item = agent.get_by_test_id("callback-queue").get_by_test_id("callback-item").filter(has_text="+46701234567")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Parcel 5521 is late")
    expect_counter(agent, "callback_queued", queued_before + 1)

    # One click away from the thread: the linked callback shows in the side panel.
    open_thread(agent, question)
    linked = agent.get_by_test_id("thread-context").get_by_test_id("callback-item")
    expect(linked).to_have_count(1)
    agent.get_by_test_id("presence-select").select_option("available")
    expect(agent.get_by_test_id("reachable-dot")).to_have_class(re.compile(r"status-available"))
    expect(agent.get_by_test_id("counter-agents_available")).not_to_have_attribute("data-value", "0")
    expect(linked.get_by_test_id("callback-claim")).to_be_enabled()
    shot(agent, "dashboard")
    shot(customer, "widget")
    linked.get_by_test_id("callback-claim").click()
    expect(linked).to_have_attribute("data-status", "claimed")
    expect(linked).to_contain_text("You're calling")
    expect(linked.get_by_test_id("callback-complete")).to_be_enabled()
    expect(customer.get_by_test_id("widget-message").filter(has_text="calling you back")).to_have_count(1)
    shot(agent, "11-dashboard-callback-claimed")
    linked.get_by_test_id("callback-complete").click()
    expect(agent.get_by_test_id("callback-item").filter(has_text="+46701234567")).to_have_count(0)
    expect_counter(agent, "callback_queued", queued_before)
    watch.check()


def test_ticket_from_a_thread_and_markup_shown_as_text(contexts: tuple[Any, Any], local_hub: Any) -> None:
    customer_ctx, agent_ctx = contexts
    watch = Watch()
    customer = watch.page(customer_ctx, "customer")
    agent = watch.page(agent_ctx, "agent")

    open_widget(customer, local_hub)
    own = customer_says(customer, XSS)
    expect(own).to_have_count(1)
    expect(own.locator(".bubble")).to_have_text(XSS)

    sign_in(agent, local_hub)
    open_tickets = counter(agent, "open_tickets")
    waiting_internal = counter(agent, "waiting_internal")
    open_thread(agent, XSS)
    incoming = agent.get_by_test_id("thread-message").filter(has_text=XSS)
    expect(incoming.locator(".bubble")).to_have_text(XSS)
    assert agent.locator(".tmsg img").count() == 0
    assert customer.locator("flowhub-widget .msg img").count() == 0
    reply = "Thanks, I'm opening a ticket with our billing team."
    agent.get_by_test_id("composer-input").fill(reply)
    agent.get_by_test_id("composer-send").click()
    expect(customer.get_by_test_id("widget-message").filter(has_text=reply)).to_have_count(1)

    # Create a ticket from the thread: it shows in the side panel and the counter moves.
    panel = agent.get_by_test_id("thread-context")
    panel.get_by_test_id("ticket-create").click()
    subject = panel.get_by_test_id("ticket-subject")
    expect(subject).to_have_value("")  # the agent writes it (issue 10, item 10): nothing prefilled
    subject.fill("Refund for order 5521")
    panel.get_by_test_id("ticket-create-submit").click()
    card = panel.get_by_test_id("ticket-card")
    expect(card).to_have_attribute("data-status", "open")
    expect(card).to_contain_text("Refund for order 5521")
    expect_counter(agent, "open_tickets", open_tickets + 1)

    # Waiting internal needs to know on whom: the field asks, Enter saves.
    card.get_by_test_id("ticket-status").select_option("waiting_internal")
    waiting_on = card.get_by_test_id("ticket-waiting-on")
    expect(waiting_on).to_be_visible()
    waiting_on.fill("Billing")
    waiting_on.press("Enter")
    card = panel.get_by_test_id("ticket-card")
    expect(card).to_have_attribute("data-status", "waiting_internal")
    expect(card).to_contain_text("Blocked on Billing")
    expect_counter(agent, "waiting_internal", waiting_internal + 1)
    shot(agent, "12-dashboard-ticket")

    # The tickets view lists it; support command reads the same state.
    agent.get_by_test_id("view-tickets").click()
    expect(
        agent.get_by_test_id("ticket-list").get_by_test_id("ticket-card").filter(has_text="Refund for order 5521")
    ).to_have_count(1)
    agent.get_by_test_id("view-command").click()
    expect(agent.get_by_test_id("next-move-reason")).not_to_be_empty()
    expect(agent.get_by_test_id("launch-decision")).to_be_visible()
    shot(agent, "13-support-command")
    agent.get_by_test_id("view-lane").click()

    # Close: the conversation leaves the active chats, its thread stays.
    agent.get_by_test_id("close-conversation").click()
    expect(agent.locator(".thread-head .status-chip")).to_have_text("Closed")
    time.sleep(0.5)
    watch.check()


def test_network_drop_every_message_once(contexts: tuple[Any, Any], local_hub: Any) -> None:
    customer_ctx, agent_ctx = contexts
    watch = Watch()
    customer = watch.page(customer_ctx, "customer")
    agent = watch.page(agent_ctx, "agent")

    open_widget(customer, local_hub)
    first = "Before the tunnel"
    expect(customer_says(customer, first)).to_have_attribute("data-state", re.compile(r"^(sent|delivered|read)$"))
    sign_in(agent, local_hub)
    open_thread(agent, first)

    customer_ctx.set_offline(True)
    expect(customer.get_by_test_id("widget-status")).to_have_attribute("data-state", "reconnecting")
    offline_texts = ["In the tunnel, message one", "In the tunnel, message two"]
    for text in offline_texts:
        mine = customer_says(customer, text)
        expect(mine).to_have_attribute("data-state", re.compile(r"^(sending|retry)$"))
    agent_text = "Still here, take your time."
    agent.get_by_test_id("composer-input").fill(agent_text)
    agent.get_by_test_id("composer-send").click()
    expect(agent.get_by_test_id("thread-message").filter(has_text=agent_text)).to_have_attribute(
        "data-state", re.compile(r"^(sent|delivered)$")
    )
    shot(customer, "14-widget-offline")

    customer_ctx.set_offline(False)
    expect(customer.get_by_test_id("widget-status")).to_have_attribute("data-state", re.compile(r"^(online|offline)$"))
    everything = [first, *offline_texts, agent_text]
    for text in everything:
        expect(customer.get_by_test_id("widget-message").filter(has_text=text)).to_have_count(1)
        expect(agent.get_by_test_id("thread-message").filter(has_text=text)).to_have_count(1)
    for text in offline_texts:
        expect(customer.get_by_test_id("widget-message").filter(has_text=text)).to_have_attribute(
            "data-state", re.compile(r"^(sent|sent-again|delivered|read)$")
        )
    time.sleep(1.5)  # a late duplicate (resend, resync) would show up by now
    for text in everything:
        expect(customer.get_by_test_id("widget-message").filter(has_text=text)).to_have_count(1)
        expect(agent.get_by_test_id("thread-message").filter(has_text=text)).to_have_count(1)
    seqs = [
        s for s in customer.get_by_test_id("widget-message").evaluate_all("els => els.map(e => e.dataset.seq)") if s
    ]
    assert len(seqs) == len(set(seqs)), f"duplicate seqs in the widget: {seqs}"
    shot(customer, "15-widget-after-drop")
    watch.check()


def dot_status(page: Any) -> str:
    found = re.search(r"status-(\w+)", page.get_by_test_id("reachable-dot").get_attribute("class") or "")
    return found.group(1) if found else ""


def test_two_windows_of_one_agent_changing_status_at_once_agree_with_the_hub(
    contexts: tuple[Any, Any], local_hub: Any
) -> None:
    """Two windows of one agent change status at the same moment, again and again: each change
    runs in its own invocation, so the hub stores them in some order and their events reach each
    window in some order. Both windows end on the status the hub stored last (the events carry the
    presence version; a window keeps the highest), never on one the hub no longer holds."""
    first_ctx, second_ctx = contexts
    watch = Watch()
    first, second = watch.page(first_ctx, "agent"), watch.page(second_ctx, "agent, second window")
    sign_in(first, local_hub)
    sign_in(second, local_hub)
    token = {"Authorization": local_hub.agent_token()}
    rounds = (("away", "busy"), ("available", "away"), ("busy", "available"), ("away", "busy"), ("available", "away"))
    for one, other in rounds:
        first.get_by_test_id("presence-select").select_option(one)
        second.get_by_test_id("presence-select").select_option(other)

    deadline = time.monotonic() + 20
    while True:
        kept = local_hub.request("GET", local_hub.api_url + "/me", headers=token)["presence"]["status"]
        shown = (dot_status(first), dot_status(second))
        if shown == (kept, kept):
            break
        assert time.monotonic() < deadline, f"windows show {shown}, the hub kept {kept!r}"
        time.sleep(0.2)
    first.wait_for_timeout(1_500)  # a late event of an earlier change has arrived by now
    kept = local_hub.request("GET", local_hub.api_url + "/me", headers=token)["presence"]["status"]
    assert (dot_status(first), dot_status(second)) == (kept, kept)
    watch.check()


def test_status_changes_go_one_at_a_time_and_the_last_one_chosen_is_what_the_hub_keeps(
    contexts: tuple[Any, Any], local_hub: Any
) -> None:
    """Each frame of a connection runs in its own Lambda invocation, so two status changes sent
    back to back can be stored in either order (an agent who went away and back at once stayed
    away, and got no chats). The dashboard sends the next change only once the hub acknowledged
    the one before, and shows the status last chosen while they go."""
    _, agent_ctx = contexts
    watch = Watch()
    agent = watch.page(agent_ctx, "agent")
    frames: list[tuple[str, dict[str, Any]]] = []

    def on_socket(ws: Any) -> None:
        ws.on("framesent", lambda payload: frames.append(("out", json.loads(payload))))
        ws.on("framereceived", lambda payload: frames.append(("in", json.loads(payload))))

    agent.on("websocket", on_socket)
    sign_in(agent, local_hub)
    select = agent.get_by_test_id("presence-select")
    chosen = ("away", "busy", "available", "away", "available")
    for status in chosen:  # as fast as the page takes them: several are waiting for the hub at once
        select.select_option(status)
    dot = agent.get_by_test_id("reachable-dot")
    expect(dot).to_have_class(re.compile(r"status-available"))

    token = {"Authorization": local_hub.agent_token()}
    deadline = time.monotonic() + 15
    while local_hub.request("GET", local_hub.api_url + "/me", headers=token)["presence"]["status"] != "available":
        assert time.monotonic() < deadline, "the hub did not keep the status chosen last"
        time.sleep(0.2)
    agent.wait_for_timeout(1_000)  # any late event of an earlier change has arrived by now
    expect(dot).to_have_class(re.compile(r"status-available"))
    assert local_hub.request("GET", local_hub.api_url + "/me", headers=token)["presence"]["status"] == "available"

    sent = [f["status"] for way, f in frames if way == "out" and f.get("action") == "presence"]
    assert sent and sent[-1] == "available", sent
    waiting = False  # never a second change on the wire before the hub answered the first
    for way, f in frames:
        if way == "out" and f.get("action") == "presence":
            assert not waiting, frames
            waiting = True
        elif way == "in" and f.get("type") == "ack" and f.get("action") == "presence":
            waiting = False
    watch.check()
