"""End-to-end fixtures: peers on the session's local hub, and direct reads of its tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.bootstrap import stage_variables
from local.testing import LocalHub
from tests.e2e.peers import Peer, new_client_id

pytestmark = pytest.mark.e2e


class Tables:
    """Raw DynamoDB reads on the hub's moto, to assert what was stored."""

    def __init__(self, hub: LocalHub) -> None:
        self.client = hub.aws_client("dynamodb")
        env = stage_variables(Path(__file__).resolve().parents[2])
        self.names = {kind: env[f"{kind.upper()}_TABLE"] for kind in ("connections", "conversations", "messages")}

    def messages(self, conversation_id: str, tenant: str = "global") -> list[dict[str, Any]]:
        out = self.client.query(
            TableName=self.names["messages"],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"T#{tenant}#C#{conversation_id}"}},
        )["Items"]
        return [
            {
                "seq": int(i["seq"]["N"]),
                "text": i["text"]["S"],
                "client_id": i["client_id"]["S"],
                "kind": i["kind"]["S"],
            }
            for i in out
        ]

    def connection(self, connection_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(
            TableName=self.names["connections"], Key={"connection_id": {"S": connection_id}}
        ).get("Item")
        return dict(item) if item else None

    def restore_to(self, conversation_id: str, keep: int, tenant: str = "global") -> None:
        """What a point-in-time restore does to one conversation: the entries after `keep`, and
        the idempotency keys they had, never happened; META's counters are back where they were."""
        pk = {"S": f"T#{tenant}#C#{conversation_id}"}
        items = self.client.query(
            TableName=self.names["messages"],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": pk},
            ConsistentRead=True,
        )["Items"]
        floor = 0
        for item in items:
            if int(item["seq"]["N"]) <= keep:
                floor = int(item.get("pfloor", {"N": "0"})["N"])
                continue
            self.client.delete_item(TableName=self.names["messages"], Key={"pk": pk, "seq": item["seq"]})
            sk = f"K#{item['author_id']['S']}#{item['client_id']['S']}"
            self.client.delete_item(TableName=self.names["conversations"], Key={"pk": pk, "sk": {"S": sk}})
        self.client.update_item(
            TableName=self.names["conversations"],
            Key={"pk": pk, "sk": {"S": "META"}},
            UpdateExpression="SET last_seq = :s, last_pseq = :p REMOVE contended_until",
            ExpressionAttributeValues={":s": {"N": str(keep)}, ":p": {"N": str(floor)}},
        )

    def subscribers(self, conversation_id: str, tenant: str = "global") -> set[str]:
        out = self.client.query(
            TableName=self.names["conversations"],
            KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
            ExpressionAttributeValues={":pk": {"S": f"T#{tenant}#C#{conversation_id}"}, ":s": {"S": "S#"}},
        )["Items"]
        return {i["connection_id"]["S"] for i in out}


@pytest.fixture(scope="session")
def tables(local_hub: LocalHub) -> Tables:
    return Tables(local_hub)


@pytest.fixture
def peers() -> Iterator[list[Peer]]:
    opened: list[Peer] = []
    yield opened
    for peer in opened:
        peer.close()


@pytest.fixture
def chat(local_hub: LocalHub, peers: list[Peer]) -> dict[str, Any]:
    """A customer and the demo agent in one fresh conversation, both drained."""
    customer, token = Peer.customer(local_hub)
    agent = Peer.agent(local_hub)
    peers += [customer, agent]
    # Busy: routing must not hand the chat to the demo agent before the `take` below (it would if
    # an earlier test left them available).
    agent.request("ack", action="presence", status="busy")
    conv = customer.request("conversation", action="start")["conversation"]["id"]
    # Opening the widget starts nothing: the customer's first message does (issue 10, item 4).
    customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Hello")
    customer.expect("conversation")  # it started (the agents see it now)
    agent.request("conversation", action="take", conversation_id=conv)
    customer.drain(0.4)
    customer.drain(0.2)
    agent.drain(0.2)
    return {"customer": customer, "agent": agent, "conversation_id": conv, "token": token}
