"""The moto patches keep its semantics: transactions all or nothing, queries by partition."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.moto_patches import install


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(var, raising=False)
    install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        for name in ("a", "b"):
            client.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        yield client


def items(client: Any, table: str) -> dict[str, str]:
    out = client.scan(TableName=table)["Items"]
    return {i["k"]["S"]: i.get("v", {}).get("S", "") for i in out}


def test_a_failed_condition_leaves_every_table_as_it_was(ddb: Any) -> None:
    ddb.put_item(TableName="a", Item={"k": {"S": "x"}, "v": {"S": "old"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as failed:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "a", "Item": {"k": {"S": "x"}, "v": {"S": "new"}}}},
                {"Put": {"TableName": "b", "Item": {"k": {"S": "y"}, "v": {"S": "new"}}}},
                {
                    "Update": {
                        "TableName": "a",
                        "Key": {"k": {"S": "z"}},
                        "UpdateExpression": "SET v = :v",
                        "ConditionExpression": "attribute_exists(k)",
                        "ExpressionAttributeValues": {":v": {"S": "z"}},
                    }
                },
            ]
        )
    reasons = [r["Code"] for r in failed.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert items(ddb, "a") == {"x": "old"} and items(ddb, "b") == {}


def test_a_passing_transaction_applies_every_write(ddb: Any) -> None:
    ddb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": "a",
                    "Item": {"k": {"S": "x"}, "v": {"S": "1"}},
                    "ConditionExpression": "attribute_not_exists(k)",
                }
            },
            {"Put": {"TableName": "b", "Item": {"k": {"S": "y"}, "v": {"S": "2"}}}},
        ]
    )
    assert items(ddb, "a") == {"x": "1"} and items(ddb, "b") == {"y": "2"}


def test_a_base_table_query_returns_its_partition_in_order(ddb: Any) -> None:
    ddb.create_table(
        TableName="p",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for pk in ("a", "b"):
        for sk in ("3", "1", "2"):
            ddb.put_item(TableName="p", Item={"pk": {"S": pk}, "sk": {"S": sk}})
    out = ddb.query(
        TableName="p",
        KeyConditionExpression="pk = :p AND sk >= :s",
        ExpressionAttributeValues={":p": {"S": "b"}, ":s": {"S": "2"}},
    )["Items"]
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in out] == [("b", "2"), ("b", "3")]
    empty = ddb.query(TableName="p", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "zz"}})
    assert empty["Items"] == []
