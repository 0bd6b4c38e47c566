"""The dashboard reads the hub's figures (GET /hub: pressure, next move, launch) only while they
are on screen, in real headless Chromium against the local stack. Every open dashboard used to
re-read them every 30 s and after every presence, counters, callback or ticket event: in a
tenant of 1,000 agents one colleague's change of presence was 1,000 REST calls.

Out of sight (another view), a colleague's changes of presence reach the counters strip from
the `presence` event alone (it carries the number of agents available) and make no request;
on the command view the same change re-reads the hub."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import sign_in
from tests.e2e.peers import Peer

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser


@pytest.fixture
def agent_page(browser: Any, frontend_dist: Path) -> Iterator[Any]:
    expect.set_options(timeout=20_000)
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


def hub_reads(requests: list[str]) -> list[str]:
    return [u for u in requests if re.search(r"/hub(\?|$)", u)]


def test_the_hub_is_read_only_while_its_figures_are_on_screen(agent_page: Any, local_hub: Any) -> None:
    page = agent_page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.method == "GET" else None)
    sign_in(page, local_hub)
    page.get_by_test_id("presence-select").select_option("available")
    colleague = Peer.agent(local_hub, local_hub.agent2_username)
    try:
        colleague.request("ack", action="presence", status="busy")
        available = page.get_by_test_id("counter-agents_available")
        expect(available).to_have_attribute("data-value", "1")

        page.get_by_test_id("team-status").click()  # the desk view: no hub figures on screen
        page.wait_for_load_state("networkidle")  # the view's own loads, and any reload already under way
        requests.clear()
        for status, count in (("available", "2"), ("away", "1"), ("available", "2"), ("busy", "1")):
            colleague.request("ack", action="presence", status=status)
            expect(available).to_have_attribute("data-value", count)  # from the presence event
        time.sleep(1.5)  # past the 0.6 s a reload would wait
        assert hub_reads(requests) == [], hub_reads(requests)

        page.get_by_test_id("hub-mode").click()  # the command view reads the hub at once ...
        expect(page.get_by_test_id("next-move")).to_be_visible()
        deadline = time.monotonic() + 5
        while not hub_reads(requests) and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert hub_reads(requests), "the command view did not read the hub"
        requests.clear()
        colleague.request("ack", action="presence", status="available")  # ... and again after a change
        expect(available).to_have_attribute("data-value", "2")
        deadline = time.monotonic() + 5
        while not hub_reads(requests) and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert hub_reads(requests), "a change on the command view did not re-read the hub"
    finally:
        colleague.request("ack", action="presence", status="offline")
        colleague.close()
        page.get_by_test_id("presence-select").select_option("offline")
