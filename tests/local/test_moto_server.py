"""local.moto_server over real HTTP: connections are kept open between requests (each
answer whole, with its length), a request whose body the app never reads does not spill
into the next one, chunked requests still work (and close), and boto3 reads moto's
DynamoDB answers (checksums included) as it always has, errors too."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.moto_server import MotoProcess

TARGET = "DynamoDB_20120810."
# moto routes a request by its signature's service (unsigned, it would be S3's); it does not check it.
SIGNED = (
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoProcess]:
    process = MotoProcess()
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def ddb(moto: MotoProcess) -> Any:
    client = boto3.client(
        "dynamodb", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def _call(conn: http.client.HTTPConnection, moto: MotoProcess, action: str, body: Any, **headers: str) -> Any:
    conn.request(
        "POST",
        "/",
        body=json.dumps(body).encode(),
        headers={
            "Host": f"127.0.0.1:{moto.port}",
            "X-Amz-Target": TARGET + action,
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": SIGNED,
            **headers,
        },
    )
    return conn.getresponse()


def test_one_connection_carries_many_requests(moto: MotoProcess, ddb: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", moto.port, timeout=10)
    try:
        responses = []
        for i in range(3):
            item = {"pk": {"S": "keep"}, "sk": {"S": str(i)}}
            put = _call(conn, moto, "PutItem", {"TableName": "t", "Item": item})
            responses.append((put, put.read()))
            sock = conn.sock
            got = _call(conn, moto, "GetItem", {"TableName": "t", "Key": item})
            responses.append((got, got.read()))
            assert json.loads(responses[-1][1]) == {"Item": item}
            assert conn.sock is sock and sock is not None  # the same connection, still open
        for response, body in responses:
            assert response.status == 200 and not response.will_close
            assert int(response.headers["Content-Length"]) == len(body)
            assert response.headers["Date"] and response.headers["x-amz-crc32"]
    finally:
        conn.close()


def test_an_unread_body_does_not_spill_into_the_next_request(moto: MotoProcess, ddb: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", moto.port, timeout=10)
    try:
        # Refused before moto reads the body (a Host that is not this machine's).
        refused = _call(conn, moto, "PutItem", {"TableName": "t", "Item": {"pad": {"S": "x" * 5000}}}, Host="evil.test")
        assert refused.status == 403 and b"not allowed" in refused.read() and not refused.will_close
        listed = _call(conn, moto, "ListTables", {})
        assert listed.status == 200 and json.loads(listed.read())["TableNames"] == ["t"]
    finally:
        conn.close()


def test_a_chunked_request_is_answered_and_closes_the_connection(moto: MotoProcess, ddb: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", moto.port, timeout=10)
    try:
        body = json.dumps({"TableName": "t", "Key": {"pk": {"S": "none"}, "sk": {"S": "0"}}}).encode()
        conn.request(
            "POST",
            "/",
            body=iter([body[:10], body[10:]]),
            headers={
                "Host": f"127.0.0.1:{moto.port}",
                "X-Amz-Target": TARGET + "GetItem",
                "Content-Type": "application/x-amz-json-1.0",
                "Authorization": SIGNED,
            },
            encode_chunked=True,
        )
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read()) == {}
        assert response.will_close
    finally:
        conn.close()


def test_boto3_reads_query_get_transactions_and_failed_conditions(ddb: Any) -> None:
    message = {"pk": {"S": "c1"}, "sk": {"S": "m1"}, "body": {"S": "h\u00e9llo \u2603"}, "bin": {"B": b"\x00\xff"}}
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": message, "ConditionExpression": "attribute_not_exists(pk)"}},
            {
                "Update": {
                    "TableName": "t",
                    "Key": {"pk": {"S": "c1"}, "sk": {"S": "seq"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )
    assert ddb.get_item(TableName="t", Key={"pk": {"S": "c1"}, "sk": {"S": "m1"}})["Item"] == message
    page = ddb.query(
        TableName="t",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "c1"}},
        Limit=1,
        ReturnConsumedCapacity="TOTAL",
    )
    assert (page["Items"], page["Count"], page["LastEvaluatedKey"]) == (
        [message],
        1,
        {"pk": {"S": "c1"}, "sk": {"S": "m1"}},
    )
    assert page["ConsumedCapacity"] == {"TableName": "t", "CapacityUnits": 1.0}
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as failed:
        ddb.put_item(TableName="t", Item=message, ConditionExpression="attribute_not_exists(pk)")
    assert failed.value.response["Error"]["Message"] == "The conditional request failed"
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": message, "ConditionExpression": "attribute_not_exists(pk)"}},
            ]
        )
    assert [r["Code"] for r in cancelled.value.response["CancellationReasons"]] == ["ConditionalCheckFailed"]
    seq = ddb.get_item(TableName="t", Key={"pk": {"S": "c1"}, "sk": {"S": "seq"}})["Item"]
    assert seq["n"] == {"N": "1"}
