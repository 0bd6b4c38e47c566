"""The cost model measures the real lane (bench/cost.py on moto): every call an action makes is
counted and billed, and the figures are built from those counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from bench import cost
from bench.cost import PRICES, Measured, Typical, Usage, dollars, total


@pytest.fixture(scope="module")
def measured() -> Iterator[Measured]:
    yield cost.measure(2, Typical(), messages=1)


def check_billed(name: str, u: Usage) -> None:
    """Each line of the bill covers at least what was counted for it: each DynamoDB read call at
    least 0.5 RRU, each write call at least 1 WRU, each frame and post one message, each invocation
    one request and some duration. A counted call the model drops fails here."""
    reads = sum(n for op, n in u.ddb_calls.items() if op in cost.READS)
    writes = sum(n for op, n in u.ddb_calls.items() if op in cost.WRITES)
    bill = dollars(u)
    assert bill["ddb_rru"] >= reads * 0.5 * PRICES["ddb_rru"].each * 0.999, name
    assert bill["ddb_wru"] >= writes * PRICES["ddb_wru"].each * 0.999, name
    assert bill["ws_messages"] >= (u.frames_in + u.posts) * PRICES["ws_messages"].each * 0.999, name
    assert bill["lambda_requests"] >= u.lambda_requests * PRICES["lambda_requests"].each * 0.999, name
    assert u.lambda_requests >= 1 and bill["lambda_gb_seconds"] > 0, name


def test_every_action_is_counted_from_the_lane_and_billed_for_every_call(measured: Measured) -> None:
    expected = {"customer typing start", "customer send", "agent read", "agent send"}  # read implies delivered
    assert expected <= set(measured.per_action)
    send = measured.per_action["customer send"]
    # A send stores the message (a write) after reading the conversation (a read), posts the ack to
    # its sender and the message to the agent, in one invocation of the $default function.
    assert send.ddb_calls and set(send.ddb_calls) <= cost.READS | cost.WRITES
    assert any(op in cost.WRITES for op in send.ddb_calls) and any(op in cost.READS for op in send.ddb_calls)
    assert send.posts >= 2 and send.frames_in == 1
    assert send.invocations == {"WebsocketMessage": 1}
    for name, u in measured.per_action.items():
        assert not u.other_calls, name
        check_billed(name, u)


def test_the_message_figure_is_the_sum_of_the_actions_the_clients_send(measured: Measured) -> None:
    refreshes = cost.refresh_starts(Typical().typing_s)
    customer = ["customer typing start", *["customer typing refresh"] * refreshes, "customer send"]
    customer += [f"agent {r}" for r in cost.RECEIPTS]
    agent = ["agent typing start", *["agent typing refresh"] * refreshes, "agent send"]
    agent += [f"customer {r}" for r in cost.RECEIPTS]
    parts = Usage()
    for name in customer + agent:  # reply ratio 1
        parts = parts + measured.per_action[name]
    assert measured.message.frames_in == parts.frames_in == len(customer) + len(agent)
    assert measured.message.ddb_total == pytest.approx(parts.ddb_total)
    assert total(measured.message) == pytest.approx(total(parts))


def test_a_message_typed_for_longer_pays_for_each_start_the_client_repeats() -> None:
    """Each repeated start is a frame, the conversation Query and a post to the reader; the hub
    stores the indicator only when it is missing or going stale (the spell's first repeat, then
    every other one), and the send then switches it off inside its own transaction."""
    throttle = cost.TYPING_THROTTLE_S
    long_s = 5 * throttle - 1  # four repeats a side
    assert cost.refresh_starts(long_s) == 4
    long = cost.measure(2, Typical(typing_s=long_s), messages=1)
    repeat = long.per_action["customer typing refresh"]
    assert (repeat.frames_in, repeat.posts, repeat.ddb_calls["Query"]) == (1, 1, 1)
    assert repeat.ddb_calls["UpdateItem"] == pytest.approx(2 / 4)  # stored at the 1st and the 3rd
    opening = long.per_action["customer typing start"]
    assert "UpdateItem" not in opening.ddb_calls  # the start that opens the spell is told, not stored
    quick = cost.measure(2, Typical(typing_s=throttle / 2), messages=1)
    assert "customer typing refresh" not in quick.per_action
    assert long.message.frames_in - quick.message.frames_in == 2 * 4
    assert long.message.posts - quick.message.posts == 2 * 4
    assert total(long.message) > total(quick.message) * 1.3


def test_a_callback_is_created_escalated_claimed_and_completed_and_reaches_the_agents(measured: Measured) -> None:
    cb = measured.callback
    assert cb.rest_requests == 3  # widget request, claim, complete
    assert cb.invocations["EscalateOverdueCallbacks"] == 1
    assert cb.posts >= 2  # the agents online hear of it
    # The queue counters reach the dashboards from the counters stream, as deployed: its function
    # runs (and is billed) for the request, the escalation and the claim/complete.
    assert cb.invocations["PushCounters"] >= 2
    check_billed("callback", cb)


def test_a_dashboard_reload_of_the_hub_is_counted_through_the_rest_handler_and_billed(measured: Measured) -> None:
    """GET /hub and GET /hub/mode, each one REST request and one invocation of the API function
    (API Gateway's Cognito authorizer runs none of ours), reading and never writing."""
    assert set(measured.hub_reload) == set(cost.HUB_RELOAD)
    for path, u in measured.hub_reload.items():
        assert u.rest_requests == 1 and u.invocations == {"APIHandler": 1}, path
        assert u.ddb_calls and set(u.ddb_calls) <= cost.READS and u.ddb_wru == 0, path
        assert not u.other_calls and u.posts == 0, path
        check_billed(f"GET {path}", u)
    # A presence change reaches every agent's dashboard, which then reloads the hub.
    assert sum(measured.presence.agent_events[e] for e in cost.HUB_EVENTS) >= measured.agents_online
    month, counts = cost.agents_month({measured.agents_online: measured}, Typical())
    reloads = counts["hub reloads (timer)"] + counts["hub reloads (events)"]
    assert month.rest_requests == pytest.approx(reloads * len(cost.HUB_RELOAD))
    without, _ = cost.agents_month({measured.agents_online: measured}, Typical(), hub_on_screen=0.0)
    assert total(month) > total(without)


def test_a_queue_move_costs_in_proportion_to_the_queue_not_to_the_customers_connected() -> None:
    """The queue's figure is measured on the lane: a close that frees a place with 5 and with 12
    chats waiting, and with 12 waiting while 30 more customers have the widget open. Everyone
    still waiting hears their place (one post each) and their connections are read with one
    Query each; the customers connected but not waiting cost nothing (a Query of every customer
    connection of the tenant would grow with them)."""
    nobody, short, longer, crowded = (
        cost.measure_queue(2, waiting, others) for waiting, others in ((0, 0), (5, 0), (12, 0), (12, 30))
    )
    assert longer.posts - short.posts == 12 - 5
    assert longer.ddb_calls - short.ddb_calls == Counter({"Query": 12 - 5})
    assert (crowded.ddb_calls, crowded.ddb_rru, crowded.posts) == (longer.ddb_calls, longer.ddb_rru, longer.posts)
    assert short.ddb_total > nobody.ddb_total and total(short) > total(nobody)
    assert short.agent_events["assigned"] == 1 and nobody.agent_events["assigned"] == 0
    check_billed("queue move", longer)
