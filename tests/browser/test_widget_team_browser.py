"""Issue 10's widget items in real headless Chromium against the local stack: availability told
live, the callback's real state and a new request after it, the country picker, system lines
in Swedish, the callback form at 1280x800, and routing with capacity — two agents, three
chats, capacity 1 each: one customer waits in the queue and sees their place.

The routing test runs in a tenant of its own (made here through the local stack's moto, as the
admin CLI would), so chats other tests left open never fill its agents' places.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.bootstrap import stage_variables
from tests.browser.helpers import Watch, customer_says, open_widget, set_presence, shot, sign_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000


@pytest.fixture
def browser_context(browser: Any, frontend_dist: Path) -> Iterator[Any]:
    expect.set_options(timeout=TIMEOUT_MS)
    made: list[Any] = []

    def new(locale: str = "en-US", width: int = 1280, height: int = 800) -> Any:
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        made.append(ctx)
        return ctx

    yield new
    for ctx in made:
        ctx.close()


def api(hub: Any, method: str, path: str, body: Any = None, username: str | None = None) -> Any:
    token = hub.agent_token(username)
    return hub.request(method, hub.api_url + path, body, {"Authorization": token})


def widget_lines(customer: Any, text: str) -> Any:
    return customer.get_by_test_id("widget-message").filter(has_text=text)


# ------------------------------------------------------------------ item 2
def test_the_widget_hears_live_when_nobody_can_answer_and_its_offer_follows(
    browser_context: Any, local_hub: Any
) -> None:
    watch = Watch()
    agent = watch.page(browser_context(width=1440, height=900), "agent")
    customer = watch.page(browser_context(), "customer")
    sign_in(agent, local_hub)
    set_presence(agent, "available")
    open_widget(customer, local_hub)
    status = customer.get_by_test_id("widget-status")
    expect(status).to_have_attribute("data-state", "online")

    set_presence(agent, "offline")  # the last agent leaves: no reload on the customer's side
    expect(status).to_have_attribute("data-state", "offline")
    expect(customer.get_by_test_id("widget-callback")).to_contain_text("call you back")
    set_presence(agent, "available")
    expect(status).to_have_attribute("data-state", "online")
    agent.close()  # closing the tab: nobody can answer
    expect(status).to_have_attribute("data-state", "offline")
    watch.check()


def test_an_availability_answer_read_before_a_flip_never_overrides_it(browser_context: Any, local_hub: Any) -> None:
    """The widget asks `GET /widget/availability` as it opens and hears the hub over its socket.
    An answer read while nobody could answer, arriving after the hub told it someone can (a
    slow REST call), must not put "We'll get back to you" back: nothing would correct it."""
    watch = Watch()
    agent = watch.page(browser_context(width=1440, height=900), "agent")
    customer = watch.page(browser_context(), "customer")
    sign_in(agent, local_hub)
    set_presence(agent, "away")
    availability = f"{local_hub.api_url}/widget/availability?widget_key={local_hub.widget_key}"
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while local_hub.request("GET", availability)["agents_available"]:  # the hub has "away"
        assert time.monotonic() < deadline, "the hub never heard the agent go away"
        time.sleep(0.2)

    held: list[tuple[Any, Any]] = []

    def hold(route: Any) -> None:
        if held:  # only the first answer is held
            route.continue_()
        else:
            held.append((route, route.fetch()))  # read now (nobody can answer), answered later

    customer.route("**/widget/availability*", hold)
    open_widget(customer, local_hub)
    status = customer.get_by_test_id("widget-status")
    expect(status).to_have_attribute("data-state", "offline")  # the start reply
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not held:
        assert time.monotonic() < deadline, "the widget never asked for availability"
        customer.wait_for_timeout(100)
    [(route, stale)] = held
    assert stale.json()["agents_available"] is False

    set_presence(agent, "available")
    expect(status).to_have_attribute("data-state", "online")  # told live over the socket
    with customer.expect_event("requestfinished", lambda r: "/widget/availability" in r.url):
        route.fulfill(response=stale)  # the stale answer arrives now
    customer.wait_for_timeout(1_000)
    assert status.get_attribute("data-state") == "online"
    watch.check()


# ------------------------------------------------------------------ item 3
def test_the_widget_shows_the_callbacks_real_state_and_a_new_request_after_it(
    browser_context: Any, local_hub: Any
) -> None:
    watch = Watch()
    agent = watch.page(browser_context(width=1440, height=900), "agent")
    customer = watch.page(browser_context(), "customer")
    sign_in(agent, local_hub)
    set_presence(agent, "away")
    open_widget(customer, local_hub)
    customer_says(customer, f"Please call me {time.time_ns()}")
    customer.get_by_test_id("widget-callback-open").click()
    customer.get_by_test_id("widget-callback-country").select_option("US")
    customer.get_by_test_id("widget-callback-phone").fill("+1 202-555-0143")
    customer.get_by_test_id("widget-callback-submit").click()
    state = customer.get_by_test_id("widget-callback-status")
    expect(state).to_have_attribute("data-phase", "queued")

    item = agent.get_by_test_id("callback-queue").get_by_test_id("callback-item").filter(has_text="+12025550143")
    expect(item.first).to_be_visible()
    set_presence(agent, "available")
    item.first.get_by_test_id("callback-claim").click()
    expect(state).to_have_attribute("data-phase", "calling")
    item.first.get_by_test_id("callback-complete").click()
    expect(state).to_have_attribute("data-phase", "completed")
    customer.reload()  # the state survives a reload (the widget reopens as it was)
    expect(customer.get_by_test_id("widget-callback-status")).to_have_attribute("data-phase", "completed")
    customer.get_by_test_id("widget-callback-open").click()
    expect(customer.get_by_test_id("widget-callback-phone")).to_be_visible()
    watch.check()


# ------------------------------------------------------------------ item 9 and item 13 (form layout)
def test_a_swedish_number_without_country_code_and_the_form_leaves_the_thread_readable(
    browser_context: Any, local_hub: Any
) -> None:
    watch = Watch()
    agent = watch.page(browser_context(width=1440, height=900), "agent")
    customer = watch.page(browser_context(locale="sv-SE", width=1280, height=800), "customer")
    sign_in(agent, local_hub)
    set_presence(agent, "away")
    open_widget(customer, local_hub)
    customer_says(customer, f"Ring mig {time.time_ns()}")
    customer.get_by_test_id("widget-callback-open").click()
    expect(customer.get_by_test_id("widget-callback-country")).to_have_value("SE")  # from the locale
    log = customer.get_by_test_id("widget-log")
    box = log.bounding_box()
    assert box is not None and box["height"] >= 120, box  # the form never squeezes the thread away
    shot(customer, "team-widget-callback-form-1280x800")
    customer.get_by_test_id("widget-callback-phone").fill("070-123 45 67")
    customer.get_by_test_id("widget-callback-submit").click()
    expect(customer.get_by_test_id("widget-callback-status")).to_contain_text("+46701234567")
    item = agent.get_by_test_id("callback-queue").get_by_test_id("callback-item").filter(has_text="+46701234567")
    expect(item.first).to_be_visible()
    watch.check()


# ------------------------------------------------------------------ item 13 (Swedish lines)
def test_system_lines_are_swedish_in_the_swedish_widget(browser_context: Any, local_hub: Any) -> None:
    watch = Watch()
    agent = watch.page(browser_context(width=1440, height=900), "agent")
    customer = watch.page(browser_context(locale="sv-SE"), "customer")
    sign_in(agent, local_hub)
    set_presence(agent, "busy")
    open_widget(customer, local_hub)
    question = f"Hej, var är mitt paket? {time.time_ns()}"
    customer_says(customer, question)
    item = agent.get_by_test_id("conversation-item").filter(has_text=question)
    item.click()
    agent.get_by_test_id("take-ownership").click()
    expect(widget_lines(customer, "Demo Agent anslöt till samtalet")).to_have_count(1)
    expect(widget_lines(customer, "joined the conversation")).to_have_count(0)
    watch.check()


# ------------------------------------------------------------------ routing with capacity
def _team_tenant(hub: Any) -> tuple[str, str, list[tuple[str, str]]]:
    """A tenant with chat capacity 1 and two agents, made as the admin CLI would."""
    suffix = secrets.token_hex(3)
    tenant, widget_key = f"team{suffix}", f"wk_team{suffix}_{secrets.token_hex(4)}"
    env = stage_variables(Path(__file__).resolve().parents[2])
    hub.aws_client("dynamodb").put_item(
        TableName=env["TENANTS_TABLE"],
        Item={
            "tenant_id": {"S": tenant},
            "registry": {"S": "tenants"},
            "name": {"S": "Team lane"},
            "widget_keys": {"SS": [widget_key]},
            "created_at": {"N": "0"},
            "mode": {"S": "ready"},
            "callback_sla_minutes": {"N": "15"},
            "callback_max_attempts": {"N": "3"},
            "callback_retry_minutes": {"N": "10"},
            "time_zone": {"S": "Europe/Stockholm"},
            "chat_capacity": {"N": "1"},
        },
    )
    idp = hub.aws_client("cognito-idp")
    agents = []
    for username, name in ((f"ana.{suffix}@team.demo", "Team Ana"), (f"bo.{suffix}@team.demo", "Team Bo")):
        idp.admin_create_user(
            UserPoolId=hub.user_pool_id,
            Username=username,
            UserAttributes=[
                {"Name": "email", "Value": username},
                {"Name": "name", "Value": name},
                {"Name": "custom:tenant", "Value": tenant},
            ],
            MessageAction="SUPPRESS",
        )
        idp.admin_set_user_password(
            UserPoolId=hub.user_pool_id, Username=username, Password=hub.agent_password, Permanent=True
        )
        agents.append((username, name))
    return tenant, widget_key, agents


def _store_page(page: Any, hub: Any, widget_key: str) -> None:
    """The tenant's shop: the demo store embedding this tenant's widget (`?widget_key=`)."""
    page.goto(f"{hub.base_url.rstrip('/')}/?widget_key={widget_key}")
    page.get_by_test_id("launcher").click()
    expect(page.get_by_test_id("widget-status")).to_have_attribute("data-state", re.compile(r"^(online|offline)$"))


def test_two_agents_three_chats_capacity_one_each_queue_the_third_customer_who_sees_their_place(
    browser_context: Any, local_hub: Any
) -> None:
    _, widget_key, (ana_login, bo_login) = _team_tenant(local_hub)
    watch = Watch()
    ana = watch.page(browser_context(width=1440, height=900), "Team Ana")
    bo = watch.page(browser_context(width=1440, height=900), "Team Bo")
    sign_in(ana, local_hub, ana_login[0])
    sign_in(bo, local_hub, bo_login[0])
    set_presence(ana, "available")
    set_presence(bo, "available")

    customers = [watch.page(browser_context(), f"customer {n}") for n in range(3)]
    for n, page in enumerate(customers):
        _store_page(page, local_hub, widget_key)
        customer_says(page, f"Chat number {n + 1}")
        if n < 2:  # the first two go to an agent each
            expect(
                page.get_by_test_id("widget-message").filter(has_text=re.compile(r"Team (Ana|Bo) is now handling"))
            ).to_have_count(1)
    third = customers[2]
    place = third.get_by_test_id("widget-queue")
    expect(place).to_be_visible()
    expect(place).to_have_attribute("data-place", "1")
    expect(place).to_contain_text("next in the queue")
    shot(third, "team-queue-place")
    owners = [
        page.get_by_test_id("widget-message").filter(has_text="is now handling").inner_text().split(" is now")[0]
        for page in customers[:2]
    ]
    assert sorted(owners) == ["Team Ana", "Team Bo"]  # one each: capacity 1

    # The first chat's agent finishes it: the place goes to the waiting customer, who hears it live.
    first_owner = ana if owners[0] == "Team Ana" else bo
    first_owner.get_by_test_id("conversation-item").filter(has_text="Chat number 1").click()
    first_owner.get_by_test_id("close-conversation").click()
    expect(place).to_be_hidden()
    expect(third.get_by_test_id("widget-message").filter(has_text="is now handling")).to_have_count(1)
    watch.check()
