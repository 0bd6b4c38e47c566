"""One callback end to end on the local stack: requested from the widget, overdue, escalated
to an available agent over the WebSocket, claimed and completed — with the customer's thread,
the dashboards and the counters following every step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.bootstrap import stage_variables
from local.testing import LocalHub
from tests.e2e.peers import Peer

pytestmark = pytest.mark.e2e


@pytest.fixture
def instant_sla(local_hub: LocalHub) -> Iterator[None]:
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


def counters(hub: LocalHub, token: str) -> dict[str, int]:
    snap: dict[str, Any] = hub.request("GET", hub.api_url + "/hub", headers={"Authorization": token})
    result: dict[str, int] = snap["counters"]
    return result


@pytest.mark.usefixtures("instant_sla")
def test_callback_from_request_to_overdue_to_completion(local_hub: LocalHub, peers: list[Peer]) -> None:
    token = local_hub.agent_token()
    agent = Peer.agent(local_hub)
    customer, session = Peer.customer(local_hub, name="Robin")
    peers += [agent, customer]
    agent.request("ack", action="presence", status="available")
    conv = customer.request("conversation", action="start")["conversation"]["id"]
    before = counters(local_hub, token)

    created = local_hub.request(
        "POST",
        local_hub.api_url + "/widget/callbacks",
        {"phone": "070 123 45 67", "region": "SE", "window": "asap", "reason": "Invoice", "conversation_id": conv},
        headers={"Authorization": session},
    )["callback"]
    assert created["phone"] == "+46701234567" and created["status"] == "queued"
    assert agent.expect("callback", action="requested")["callback"]["id"] == created["id"]
    assert "Callback requested" in customer.expect("message", kind="system")["text"]
    assert counters(local_hub, token)["callback_queued"] == before["callback_queued"] + 1

    report = local_hub.run_schedule("escalate_overdue_callbacks")
    assert report["result"]["marked_overdue"] >= 1, report
    alert = agent.expect("callback_alert")["callback"]
    assert alert["id"] == created["id"] and alert["overdue"] is True and alert["priority"] == "high"
    assert counters(local_hub, token)["callback_overdue"] == before["callback_overdue"] + 1
    again = local_hub.run_schedule("escalate_overdue_callbacks")  # a duplicate run in the same minute
    assert again["result"]["marked_overdue"] == 0 and again["result"]["alerts"] == 0

    url = f"{local_hub.api_url}/callbacks/{created['id']}"
    local_hub.request("POST", url + "/claim", headers={"Authorization": token})
    assert "is calling you back" in customer.expect("message", kind="system")["text"]
    done = local_hub.request(
        "POST", url + "/complete", {"note": "Explained the invoice"}, headers={"Authorization": token}
    )
    assert done["callback"]["status"] == "completed"
    assert customer.expect("message", kind="system")["text"] == "Callback completed."
    after = counters(local_hub, token)
    assert (
        after["callback_queued"] == before["callback_queued"]
        and after["callback_overdue"] == before["callback_overdue"]
    )
    history = local_hub.request("GET", url, headers={"Authorization": token})["history"]
    assert [h["action"] for h in history] == ["requested", "overdue", "claimed", "completed"]
