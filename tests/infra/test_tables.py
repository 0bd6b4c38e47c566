"""The tables in the synthesized templates are the ones PynamoDB itself would create.

Each model's `create_table()` runs against a recorder standing in for DynamoDB, which keeps
the CreateTable (and UpdateTimeToLive) requests botocore actually sends. The template's
table must match that request: the key schema in the same order (DynamoDB requires HASH
then RANGE), the same attribute definitions, every index with its keys and projection,
and TTL on the same attribute.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from infra.runtime import TABLE_ENV_VARS, TABLES
from tests.infra.cfn import Resolver
from tests.infra.stage import DUMMY_CREDENTIALS, Deployable, offline_resolvers


class DynamoDBRecorder:
    """Answers DescribeTable with "no such table" and records CreateTable/UpdateTimeToLive."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                operation = self.headers["X-Amz-Target"].split(".", 1)[1]
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                recorder.requests.append((operation, body))
                status = 200
                reply: dict[str, Any] = {}
                if operation == "DescribeTable":
                    status = 400
                    reply = {
                        "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                        "message": "no table",
                    }
                elif operation == "CreateTable":
                    reply = {"TableDescription": {"TableName": body["TableName"], "TableStatus": "CREATING"}}
                elif operation == "UpdateTimeToLive":
                    reply = {"TimeToLiveSpecification": body["TimeToLiveSpecification"]}
                raw = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture(scope="module")
def pynamodb_requests() -> Iterator[dict[str, dict[str, Any]]]:
    """kind -> {"CreateTable": request, "UpdateTimeToLive": request?} as PynamoDB sends them."""
    recorder = DynamoDBRecorder()
    sent: dict[str, dict[str, Any]] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL_DYNAMODB", recorder.url)
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        for var, value in DUMMY_CREDENTIALS.items():
            mp.setenv(var, value)
        for kind, model in TABLES.items():
            # A name of its own, so PynamoDB builds a fresh connection (to the recorder).
            mp.setattr(model.Meta, "table_name", f"schema-{kind}-{uuid.uuid4().hex[:8]}")
            before = len(recorder.requests)
            model.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
            sent[kind] = {op: body for op, body in recorder.requests[before:] if op != "DescribeTable"}
    recorder.server.shutdown()
    yield sent


def _template_tables(d: Deployable) -> dict[str, dict[str, Any]]:
    resolver = Resolver(d.data)
    return {
        resolver.resolve(t["Properties"]["TableName"]): resolver.resolve(t["Properties"])
        for t in d.resources(d.data, "AWS::DynamoDB::Table").values()
    }


def _index_map(indexes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        i["IndexName"]: (
            i["KeySchema"],
            i["Projection"]["ProjectionType"],
            sorted(i["Projection"].get("NonKeyAttributes", [])),
        )
        for i in indexes
    }


def test_every_table_matches_what_pynamodb_creates(
    deployables: dict[str, Deployable], stage: str, pynamodb_requests: dict[str, dict[str, Any]]
) -> None:
    d = deployables[stage]
    tables = _template_tables(d)
    assert len(tables) == len(TABLES)
    app = offline_resolvers(d)
    for kind, sent in pynamodb_requests.items():
        create = sent["CreateTable"]
        # The table of this kind is the one the functions' environment names for it.
        names = {
            app.resolve(f["Properties"]["Environment"]["Variables"].get(TABLE_ENV_VARS[kind]))
            for f in d.functions.values()
        }
        assert len(names) == 1 and None not in names, f"{TABLE_ENV_VARS[kind]} differs between functions: {names}"
        (name,) = names
        assert name in tables, f"{TABLE_ENV_VARS[kind]} names {name!r}, which the {stage} template does not create"
        table = tables[name]
        assert table["KeySchema"] == create["KeySchema"], f"{kind}: key schema differs from PynamoDB's CreateTable"
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(create["AttributeDefinitions"], key=str), kind
        assert table["BillingMode"] == create["BillingMode"] == "PAY_PER_REQUEST"
        assert _index_map(table.get("GlobalSecondaryIndexes", [])) == _index_map(
            create.get("GlobalSecondaryIndexes", [])
        ), f"{kind}: indexes differ from PynamoDB's CreateTable"
        assert _index_map(table.get("LocalSecondaryIndexes", [])) == _index_map(
            create.get("LocalSecondaryIndexes", [])
        ), f"{kind}: local indexes differ from PynamoDB's CreateTable"
        stream = create.get("StreamSpecification")
        expected = {"StreamViewType": stream["StreamViewType"]} if stream else None
        assert table.get("StreamSpecification") == expected, f"{kind}: the stream differs from PynamoDB's CreateTable"
        ttl = sent.get("UpdateTimeToLive")
        if ttl:
            assert table["TimeToLiveSpecification"] == {
                "AttributeName": ttl["TimeToLiveSpecification"]["AttributeName"],
                "Enabled": True,
            }, kind
        else:
            assert "TimeToLiveSpecification" not in table, kind


def test_pynamodb_puts_the_partition_key_first(pynamodb_requests: dict[str, dict[str, Any]]) -> None:
    """What the comparison above relies on: the request PynamoDB sends is one DynamoDB accepts."""
    for kind, sent in pynamodb_requests.items():
        schemas = [sent["CreateTable"]["KeySchema"]] + [
            i["KeySchema"] for i in sent["CreateTable"].get("GlobalSecondaryIndexes", [])
        ]
        for schema in schemas:
            assert schema[0]["KeyType"] == "HASH", (kind, schema)
