"""A server that goes back in time (a point-in-time restore; issue 9, item 5), in real headless
Chromium: the widget and the dashboard notice that the thread they hold is not the server's
any more, rebuild it from the server, and send again their own messages the restore lost."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Watch, sign_in
from tests.e2e.conftest import Tables

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser
TIMEOUT_MS = 30_000


def _widget_send(page: Any, text: str) -> None:
    page.get_by_test_id("widget-input").fill(text)
    page.get_by_test_id("widget-send").click()
    sent = page.get_by_test_id("widget-message").filter(has_text=text)
    expect(sent).to_have_attribute("data-seq", re.compile(r"^\d+$"))


def _agent_send(page: Any, text: str) -> None:
    page.get_by_test_id("composer-input").fill(text)
    page.get_by_test_id("composer-send").click()
    expect(page.get_by_test_id("thread-message").filter(has_text=text)).to_have_attribute(
        "data-seq", re.compile(r"^\d+$")
    )


def _seqs(page: Any, test_id: str) -> list[int]:
    return [int(s) for s in page.get_by_test_id(test_id).evaluate_all("els => els.map(e => e.dataset.seq)") if s]


def _texts(page: Any, test_id: str) -> list[str]:
    return list(page.get_by_test_id(test_id).all_inner_texts())


def test_the_widget_and_the_dashboard_rebuild_after_a_restore(
    frontend_dist: Path, local_hub: Any, browser: Any
) -> None:
    tables = Tables(local_hub)
    base = str(local_hub.base_url).rstrip("/")
    expect.set_options(timeout=TIMEOUT_MS)
    watch = Watch()
    customer_ctx = browser.new_context(locale="en-US")
    agent_ctx = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 900})
    try:
        customer = watch.page(customer_ctx, "customer")
        agent = watch.page(agent_ctx, "agent")
        customer.goto(f"{base}/")
        customer.get_by_test_id("launcher").click()
        _widget_send(customer, "Restore one")  # 1

        sign_in(agent, local_hub)
        item = agent.get_by_test_id("conversation-item").filter(has_text="Restore one")
        expect(item).to_have_count(1)
        conv = str(item.get_attribute("data-conversation-id"))
        item.click()  # joins: 2
        expect(agent.get_by_test_id("thread-message").filter(has_text="Restore one")).to_have_count(1)
        _widget_send(customer, "Restore two")  # 3
        _agent_send(agent, "Reply kept")  # 4
        _widget_send(customer, "Lost customer line")  # 5
        _agent_send(agent, "Lost agent reply")  # 6
        expect(customer.get_by_test_id("widget-message").filter(has_text="Lost agent reply")).to_have_count(1)

        tables.restore_to(conv, keep=4)  # 5 and 6 never happened, as far as the server knows

        # The next line takes number 5 again: both sides hold something else there.
        _widget_send(customer, "After the restore")
        expected = {
            "Restore one",
            "Restore two",
            "Reply kept",
            "After the restore",
            "Lost customer line",  # sent again by the widget once it rebuilt the thread
            "Lost agent reply",  # sent again by the dashboard
        }
        for _ in range(240):
            if expected <= {m["text"] for m in tables.messages(conv)}:
                break
            customer.wait_for_timeout(250)
        server = tables.messages(conv)
        assert {m["text"] for m in server} >= expected, server
        assert len(server) == len({m["client_id"] for m in server})  # nothing twice
        assert [m["seq"] for m in server] == list(range(1, len(server) + 1))
        # Each side shows exactly the server's thread, in its numbering, each entry once.
        n = len(server)
        expect(agent.get_by_test_id("thread-message")).to_have_count(n)
        expect(customer.get_by_test_id("widget-message")).to_have_count(n)
        assert _seqs(agent, "thread-message") == list(range(1, n + 1))
        assert _seqs(customer, "widget-message") == list(range(1, n + 1))
        for text in expected:
            expect(agent.get_by_test_id("thread-message").filter(has_text=text)).to_have_count(1)
            expect(customer.get_by_test_id("widget-message").filter(has_text=text)).to_have_count(1)
        assert not watch.errors, watch.errors
    finally:
        customer_ctx.close()
        agent_ctx.close()
