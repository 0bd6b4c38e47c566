"""The DynamoDB rate-limit windows (AP-L1) on moto: a conditional counter, one write per event."""

from __future__ import annotations

from chalicelib.store.limits import DynamoLimitStore
from chalicelib.store.models import LimitWindow
from tests.integration.conftest import Harness


def test_a_window_counts_up_to_its_limit_and_expires(hub: Harness) -> None:
    store = DynamoLimitStore()
    assert [store.count("conv#global#cu_1#3600", 3, 7300.0) for _ in range(5)] == [True] * 3 + [False] * 2
    item = LimitWindow.get("conv#global#cu_1#3600")
    assert int(item.hits) == 3 and item.expires_at.timestamp() == 7300.0
    assert store.count("conv#global#cu_2#3600", 3, 7300.0) is True  # another subject, its own window


def test_the_hub_counts_conversations_in_dynamodb(hub: Harness) -> None:
    customer, _ = hub.connect_customer()
    for _ in range(10):
        assert hub.act(customer, action="start")[0]["type"] == "conversation"
        hub.clock.advance(1)
    [err] = hub.act(customer, action="start")
    assert err["code"] == "rate_limited" and err["retry_after"] >= 1
