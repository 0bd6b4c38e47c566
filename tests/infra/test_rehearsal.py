"""The deploy rehearsal: every table and index created on moto through CreateTable with the
synthesized template's own properties (and DynamoDB's key-schema rules, which moto skips),
then one send through the deployed handlers against those tables."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.store import keys
from tests.infra import aws_events
from tests.infra.rehearsal import TENANT, Rehearsal
from tests.infra.stage import moto_client


def _keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def test_every_table_and_index_exists_as_the_template_declares(rehearsal: Rehearsal) -> None:
    r = rehearsal
    ddb = moto_client("dynamodb", r.moto_url)
    assert r.provisioned.data is not None
    declared = {
        r.provisioned.data.resolve(res["Properties"])["TableName"]: r.provisioned.data.resolve(res["Properties"])
        for res in r.d.resources(r.d.data, "AWS::DynamoDB::Table").values()
    }
    assert set(declared) == set(r.provisioned.tables)
    # Every table the functions are told about exists.
    named = {v for env in r.env.values() for k, v in env.items() if k.endswith("_TABLE")}
    assert named == set(declared), f"functions name {sorted(named)}, the stack creates {sorted(declared)}"
    for name, props in declared.items():
        table = ddb.describe_table(TableName=name)["Table"]
        assert _keys(table["KeySchema"]) == _keys(props["KeySchema"])
        live = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes", [])}
        for index in props.get("GlobalSecondaryIndexes", []):
            assert _keys(live[index["IndexName"]]["KeySchema"]) == _keys(index["KeySchema"])
            assert live[index["IndexName"]]["Projection"]["ProjectionType"] == index["Projection"]["ProjectionType"]
        assert set(live) == {i["IndexName"] for i in props.get("GlobalSecondaryIndexes", [])}
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if "TimeToLiveSpecification" in props:
            assert ttl == {
                "TimeToLiveStatus": "ENABLED",
                "AttributeName": props["TimeToLiveSpecification"]["AttributeName"],
            }
        backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED", name


def test_one_send_goes_through_the_handlers_into_the_tables(rehearsal: Rehearsal) -> None:
    r = rehearsal
    session: dict[str, Any] = r.rest("POST", "/widget/session", body={"widget_key": r.widget_key, "name": "Lee"})
    assert session["statusCode"] == 200, session
    token = json.loads(session["body"])["token"]
    agent, customer = aws_events.connection_id(), aws_events.connection_id()
    assert r.ws("CONNECT", agent, token=r.agent_token)["statusCode"] == 200
    assert r.ws("CONNECT", customer, session=token)["statusCode"] == 200
    r.ws("MESSAGE", customer, {"action": "start", "request_id": "r-start"})
    [snapshot] = r.management.events(customer, "conversation")
    conversation = snapshot["conversation"]["id"]
    # The customer's first message starts the conversation; the agent takes it, then hears the next.
    r.ws(
        "MESSAGE",
        customer,
        {"action": "send", "conversation_id": conversation, "client_id": "r0", "text": "Hello?"},
    )
    r.ws("MESSAGE", agent, {"action": "take", "conversation_id": conversation, "request_id": "r-take"})
    [taken] = [e for e in r.management.events(agent, "conversation") if e.get("request_id") == "r-take"]
    assert taken["conversation"]["owner"] is not None, taken
    r.ws(
        "MESSAGE",
        customer,
        {"action": "send", "conversation_id": conversation, "client_id": "r1", "text": "Where is my tent?"},
    )

    [ack] = [e for e in r.management.events(customer, "ack") if e.get("client_id") == "r1"]
    assert ack["status"] == "sent"
    [message] = [
        m for m in r.management.events(agent, "message", stage=r.ws_stage) if m["author"]["role"] == "customer"
    ]
    assert message["text"] == "Where is my tent?"

    stored = moto_client("dynamodb", r.moto_url).query(
        TableName=r.env[r.logical["message"]]["MESSAGES_TABLE"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.conversation_pk(TENANT, conversation)}},
    )["Items"]
    texts = [item["text"]["S"] for item in stored]
    assert "Where is my tent?" in texts, texts
    assert int(ack["seq"]) == max(int(item["seq"]["N"]) for item in stored)
