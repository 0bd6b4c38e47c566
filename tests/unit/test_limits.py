"""Rate limits (issue 9, item 2): one client can never take the hub from the others. Exceeding a
limit answers `rate_limited` with a retry-after and stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.platform.clock import ManualClock
from chalicelib.platform.limits import LimitSettings, TokenBuckets
from tests.unit.conftest import WIDGET_KEY, Unit

LIMITS = LimitSettings()


def test_a_token_bucket_passes_a_burst_then_refills_at_its_rate() -> None:
    clock = ManualClock(1_000.0)
    buckets = TokenBuckets(rate=10.0, burst=40, clock=clock)
    assert [buckets.take("c") for _ in range(40)] == [0.0] * 40
    assert buckets.take("c") == pytest.approx(0.1)
    assert buckets.take("other") == 0.0  # one key never spends another's tokens
    clock.advance(0.5)
    assert [buckets.take("c") for _ in range(5)] == [0.0] * 5
    assert buckets.take("c") > 0


def test_a_clock_that_steps_back_neither_refills_nor_drains_a_bucket() -> None:
    clock = ManualClock(1_000.0)
    buckets = TokenBuckets(rate=10.0, burst=3, clock=clock)
    assert [buckets.take("c") for _ in range(2)] == [0.0, 0.0]
    clock.set(1_000.0 - 86_400)  # a day back: the one token left is still there, no more
    assert buckets.take("c") == 0.0
    assert buckets.take("c") == pytest.approx(0.1)


def test_a_flooding_connection_is_refused_cheaply_and_the_others_go_on(unit: Unit) -> None:
    flooder, calm = unit.connect_customer(), unit.connect_customer()
    # Both conversations have started (their first message: routing has queued them), so every
    # further line is one timeline read.
    conv, other = unit.started(flooder), unit.started(calm)
    unit.store.calls.clear()
    for n in range(200):
        frame = {"action": "send", "conversation_id": conv, "client_id": f"f{n}", "text": "spam"}
        unit.hub.live.handle(flooder, json.dumps(frame))
    answers = unit.sender.take(flooder)
    limited = [e for e in answers if e.get("code") == "rate_limited"]
    acks = [e for e in answers if e["type"] == "ack"]
    # The write burst left after `start` and the first line passes; the rest is refused before
    # anything is read. The first refusals are answered; then at most one a second (no
    # amplification of the flood).
    assert len(acks) == LIMITS.write_burst - 2 and len(limited) == LIMITS.refusal_answer_burst
    assert all(e["retry_after"] >= 1 and e["client_id"].startswith("f") for e in limited)
    assert len(unit.texts(conv)) == 1 + len(acks)  # nothing stored for a refused frame
    assert unit.store.calls.count("load_conversation") == len(acks)
    [ack] = unit.act(calm, action="send", conversation_id=other, client_id="c1", text="hello")
    assert ack["type"] == "ack"  # another connection is not touched
    unit.clock.advance(2)
    assert unit.act(flooder, action="send", conversation_id=conv, client_id="late", text="ok")[0]["type"] == "ack"


def test_owner_changes_and_availability_flips_share_the_write_budget(unit: Unit) -> None:
    """`take`, `assign` and `presence` are an owner transaction plus a thread line, or a flip
    every widget of the tenant may hear: a connection gets the write budget for them too."""
    customer = unit.connect_customer()
    conv = unit.started(customer)
    ana = unit.connect_agent("ana")
    flood = LIMITS.write_burst + LIMITS.refusal_answer_burst  # under the action burst
    unit.store.calls.clear()
    for n in range(flood):
        unit.hub.live.handle(ana, json.dumps({"action": "presence", "status": ("busy", "available")[n % 2]}))
    answers = unit.sender.take(ana)
    limited = [e for e in answers if e.get("code") == "rate_limited"]
    assert len(limited) == LIMITS.refusal_answer_burst and {e["action"] for e in limited} == {"presence"}
    assert unit.store.calls.count("touch_presence") == LIMITS.write_burst  # a refused flip writes nothing
    for verb in ("take", "assign"):
        # Every bucket full again: the write budget and the answered refusals.
        unit.clock.advance(
            max(
                LIMITS.write_burst / LIMITS.writes_per_second,
                LIMITS.refusal_answer_burst / LIMITS.refusals_answered_per_second,
            )
        )
        for _ in range(flood):
            # The first `take` takes the chat; the rest (and `assign` to its owner) change nothing.
            frame = {"action": verb, "conversation_id": conv}
            if verb == "assign":
                frame |= {"agent_id": "sub-ana", "expect_owner": "sub-ana"}
            unit.hub.live.handle(ana, json.dumps(frame))
        answers = unit.sender.take(ana)
        limited = [e for e in answers if e.get("code") == "rate_limited"]
        assert len(limited) == LIMITS.refusal_answer_burst and {e["action"] for e in limited} == {verb}
        answered = [e for e in answers if e["type"] == "conversation"]
        assert len(answered) == LIMITS.write_burst
    assert unit.texts(conv) == ["Hello", "Ana joined the conversation"]  # one take, one line


def test_new_conversations_per_customer_are_limited_per_hour(unit: Unit) -> None:
    customer = unit.connect_customer()
    for _ in range(LIMITS.conversations_per_hour):
        assert unit.act(customer, action="start")[0]["type"] == "conversation"
        unit.clock.advance(1)  # stay under the connection's action rate
    before = len(unit.store.metas)
    [err] = unit.act(customer, action="start")
    assert err["code"] == "rate_limited" and 1 <= err["retry_after"] <= 3600
    assert len(unit.store.metas) == before  # nothing created, nobody told
    unit.clock.advance(err["retry_after"])
    assert unit.act(customer, action="start")[0]["type"] == "conversation"


@pytest.fixture
def http(unit: Unit, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(wiring, "hub", lambda: unit.hub)
    from app import app

    with Client(app) as c:
        yield c.http


def _post(http: Any, path: str, body: Any, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    return http.post(path, headers=headers, body=json.dumps(body))


def test_widget_sessions_per_tenant_and_client_are_limited(unit: Unit, http: Any) -> None:
    unit.clock.advance(60 - unit.clock.now() % 60)  # the start of a minute window
    ok = [_post(http, "/widget/session", {"widget_key": WIDGET_KEY}) for _ in range(LIMITS.sessions_per_minute)]
    assert {r.status_code for r in ok} == {200}
    refused = _post(http, "/widget/session", {"widget_key": WIDGET_KEY})
    assert refused.status_code == 429 and refused.json_body["code"] == "rate_limited"
    assert refused.json_body["retry_after"] == 60 and refused.headers["Retry-After"] == "60"
    unit.clock.advance(60)
    assert _post(http, "/widget/session", {"widget_key": WIDGET_KEY}).status_code == 200


def test_an_agent_s_rest_requests_and_writes_are_limited(unit: Unit, http: Any) -> None:
    token, other = unit.agent_token("ana"), unit.agent_token("bo")  # issued now: PyJWT checks `iat`
    unit.clock.advance(60 - unit.clock.now() % 60)  # the start of a minute window
    headers = {"Authorization": token}
    codes = [http.get("/tickets", headers=headers).status_code for _ in range(LIMITS.agent_request_burst + 1)]
    assert codes[:-1] == [200] * LIMITS.agent_request_burst and codes[-1] == 429
    assert http.get("/tickets", headers={"Authorization": other}).status_code == 200
    unit.clock.advance(5)
    created = 0
    for n in range(LIMITS.agent_writes_per_minute + 1):
        unit.clock.advance(0.2)  # 5 a second: under the request rate, over the write limit in a minute
        res = _post(http, "/tickets", {"subject": f"t{n}"}, token)
        if res.status_code != 200:
            assert res.status_code == 429 and res.json_body["code"] == "rate_limited"
            break
        created += 1
    assert created == LIMITS.agent_writes_per_minute
    assert len(unit.store.tickets) == created  # the refused one stored nothing
