"""local.moto_server's `DynamoFastPath`: DynamoDB's JSON calls skip Flask and reach moto's
`DynamoHandler` directly, with the very answers moto's full app gives (status, body, every
header: Content-Type, x-amz-crc32, the error type, CORS), errors included; every other
request (Cognito, DynamoDB Streams, moto's own API) still goes through moto's app.

The WSGI stack `local.moto_server` serves is called in-process, once without the fast path
and once with it, on the same fresh DynamoDB backend, and the answers are compared."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from local.moto_server import DYNAMODB_TARGET, DynamoFastPath, LocalOnly, SerializedApp

PORT = 4566
HOST = f"127.0.0.1:{PORT}"
ORIGIN = "http://127.0.0.1:8000"


def _signed(service: str) -> str:
    # moto routes a request by its signature's service; it does not check the signature.
    return (
        f"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )


Answer = tuple[str, list[tuple[str, str]], bytes]
Call = Callable[..., Answer]


def _dispatcher() -> Any:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def _reset() -> None:
    from moto.dynamodb.models import dynamodb_backends

    dynamodb_backends.reset()


def _client(fast: bool) -> tuple[Client, Any]:
    dispatcher = _dispatcher()
    inner = DynamoFastPath(dispatcher) if fast else dispatcher
    return Client(LocalOnly(SerializedApp(inner), PORT, [ORIGIN])), dispatcher


def _caller(client: Client) -> Call:
    def call(target: str, body: Any, service: str = "dynamodb", raw: bytes | None = None, **headers: str) -> Answer:
        response = client.post(
            "/",
            base_url=f"http://{HOST}",
            data=raw if raw is not None else json.dumps(body).encode(),
            headers={
                "X-Amz-Target": target,
                "Content-Type": "application/x-amz-json-1.0",
                "Authorization": _signed(service),
                "User-Agent": "Boto3/1.40.0 md/Botocore#1.40.0 region/us-east-1",
                **headers,
            },
        )
        return response.status, list(response.headers.items()), response.get_data()

    return call


@pytest.fixture(scope="module", autouse=True)
def patched_moto() -> Iterator[None]:
    from local.moto_patches import install

    install()  # what local.moto_server runs with
    yield
    _reset()


KEY = {"pk": {"S": "a"}, "sk": {"S": "1"}}


def _dynamodb_sequence(call: Call) -> list[Answer]:
    ddb = DYNAMODB_TARGET
    answers = [
        call(
            ddb + "CreateTable",
            {
                "TableName": "t",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                "BillingMode": "PAY_PER_REQUEST",
            },
        ),
        call(ddb + "PutItem", {"TableName": "t", "Item": {**KEY, "n": {"N": "1"}, "text": {"S": "a&b=c"}}}),
        call(
            ddb + "PutItem",
            {
                "TableName": "t",
                "Item": KEY,
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            },
        ),
        call(
            ddb + "UpdateItem",
            {
                "TableName": "t",
                "Key": KEY,
                "UpdateExpression": "SET #n = #n + :one",
                "ConditionExpression": "#n = :two",
                "ExpressionAttributeNames": {"#n": "n"},
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":two": {"N": "2"}},
            },
        ),
        call(
            ddb + "UpdateItem",
            {
                "TableName": "t",
                "Key": KEY,
                "UpdateExpression": "SET #n = #n + :one",
                "ConditionExpression": "#n = :one",
                "ExpressionAttributeNames": {"#n": "n"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
                "ReturnValues": "ALL_NEW",
                "ReturnConsumedCapacity": "TOTAL",
            },
        ),
        call(
            ddb + "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}}}},
                    {
                        "ConditionCheck": {
                            "TableName": "t",
                            "Key": KEY,
                            "ConditionExpression": "attribute_not_exists(pk)",
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                ]
            },
        ),
        call(ddb + "PutItem", {"TableName": "t", "Item": {"pk": {"S": ""}, "sk": {"S": "1"}}}),  # ValidationException
        call(ddb + "GetItem", {"TableName": "missing", "Key": KEY}),  # ResourceNotFoundException
        call(ddb + "GetItem", {"TableName": "t", "Key": KEY}, Origin=ORIGIN),  # a page's call: CORS headers
        call(ddb + "GetItem", {"TableName": "t", "Key": KEY}, **{"Content-Encoding": "identity"}),
    ]
    for i in range(2, 7):
        answers.append(call(ddb + "PutItem", {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": str(i)}}}))
    query = {
        "TableName": "t",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "a"}},
        "Limit": 2,
    }
    for _page in range(4):
        answers.append(call(ddb + "Query", query))
        last = json.loads(answers[-1][2]).get("LastEvaluatedKey")
        if last is None:
            break
        query = {**query, "ExclusiveStartKey": last}
    assert last is None and len(answers) >= 3  # the pages ran out
    return answers


def _comparable(answer: Answer) -> Answer:
    """The answer with what differs between two runs made equal: the request id (random) and,
    in CreateTable's table description, its creation time (and so the body's checksum and length)."""
    status, headers, body = answer
    assert status != "500 INTERNAL SERVER ERROR", body
    parsed = json.loads(body) if body.startswith(b"{") else None
    if isinstance(parsed, dict) and "CreationDateTime" in parsed.get("TableDescription", {}):
        parsed["TableDescription"]["CreationDateTime"] = 0
        crc = dict((n.lower(), v) for n, v in headers)["x-amz-crc32"]
        assert crc == str(zlib.crc32(body) & 0xFFFFFFFF)
        body = json.dumps(parsed).encode()
        timed = {"x-amz-crc32", "content-length"}
        headers = [(n, "timed" if n.lower() in timed else v) for n, v in headers]
    headers = [(n, "id" if n.lower() == "x-amzn-requestid" else v) for n, v in headers]
    return status, headers, body


def _run(fast: bool, sequence: Callable[[Call], list[Answer]]) -> tuple[list[Answer], int]:
    """The answers of `sequence` on a fresh DynamoDB backend, and how many requests the
    Flask app of DynamoDB served (none when every DynamoDB call took the fast path)."""
    _reset()
    client, dispatcher = _client(fast)
    dynamodb_app = dispatcher.get_application(
        {"PATH_INFO": "/", "HTTP_AUTHORIZATION": _signed("dynamodb"), "HTTP_X_AMZ_TARGET": DYNAMODB_TARGET + "GetItem"}
    )
    assert dynamodb_app.service == "dynamodb"
    served = [0]
    wsgi_app = dynamodb_app.wsgi_app

    def counted(environ: dict[str, Any], start_response: Any) -> Any:
        served[0] += 1
        return wsgi_app(environ, start_response)

    dynamodb_app.wsgi_app = counted
    return [_comparable(answer) for answer in sequence(_caller(client))], served[0]


def test_dynamodb_answers_are_the_full_apps() -> None:
    full, through_flask = _run(False, _dynamodb_sequence)
    fast, through_flask_fast = _run(True, _dynamodb_sequence)
    assert through_flask == len(full)
    assert through_flask_fast == 0  # all of them took the fast path
    for i, (expected, got) in enumerate(zip(full, fast, strict=True)):
        assert got == expected, f"answer {i}"
        assert [name.lower() for name, _ in got[1]].count("x-amzn-requestid") == 1
    statuses = [status for status, _, _ in full]
    assert statuses[:8] == ["200 OK", "200 OK", *["400 BAD REQUEST"] * 2, "200 OK", *["400 BAD REQUEST"] * 3]
    errors = [json.loads(body)["__type"].rsplit("#", 1)[-1] for status, _, body in full if status.startswith("400")]
    assert errors == [
        "ConditionalCheckFailedException",
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
        "ValidationException",
        "ResourceNotFoundException",
    ]
    reasons = json.loads(full[5][2])["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["n"] == {"N": "2"}
    assert ("Access-Control-Allow-Origin", ORIGIN) in full[8][1]
    pages = [page for page in (json.loads(body) for _, _, body in full) if "ScannedCount" in page]
    assert [[item["sk"]["S"] for item in page["Items"]] for page in pages] == [["1", "2"], ["3", "4"], ["5", "6"]]


def test_an_action_moto_lacks_fails_the_same_way() -> None:
    from botocore.model import OperationNotFoundError

    def sequence(call: Call) -> list[Answer]:
        with pytest.raises(OperationNotFoundError):
            call(DYNAMODB_TARGET + "NoSuchAction", {})
        # moto reads a JSON body as a query string too (`setup_class`); an `Action` there no
        # longer wins over X-Amz-Target (local.moto_patches, patch 14): the same answer both ways.
        item = {"pk": {"S": "a"}, "sk": {"S": "1"}, "text": {"S": "x&Action=y"}}
        answer = call(DYNAMODB_TARGET + "PutItem", {"TableName": "t", "Item": item})
        # moto reads no body at all from malformed JSON: the handler fails on a missing key.
        with pytest.raises(KeyError):
            call(DYNAMODB_TARGET + "GetItem", None, raw=b'{"TableName": "t", "Key": ')
        return [answer]

    (full, flask_calls), (fast, bypassed_calls) = _run(False, sequence), _run(True, sequence)
    assert fast == full and full[0][0].startswith("400") and b"ResourceNotFound" in full[0][2]  # no table t here
    assert (flask_calls, bypassed_calls) == (3, 0)


def test_an_http_error_from_the_handler_is_answered_as_flask_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError
    from moto.dynamodb.responses import DynamoHandler
    from werkzeug.exceptions import BadRequest, BadRequestKeyError

    def refuse(self: Any) -> Any:
        raise error

    monkeypatch.setattr(DynamoHandler, "call_action", refuse)

    def sequence(call: Call) -> list[Answer]:
        return [call(DYNAMODB_TARGET + "ListTables", {})]

    error: Exception = BadRequest("no")
    full, fast = _run(False, sequence)[0], _run(True, sequence)[0]
    assert fast == full
    assert full[0][0] == "400 BAD REQUEST"

    error = ClientError({"Error": {"Code": "X", "Message": "refused"}}, "ListTables")  # moto answers 400
    full, fast = _run(False, sequence)[0], _run(True, sequence)[0]
    assert fast == full
    assert full[0][0] == "400 BAD REQUEST" and full[0][2] == b"refused"

    error = BadRequestKeyError("k")  # trapped by Flask in debug mode (moto's): it propagates

    def raising(call: Call) -> list[Answer]:
        with pytest.raises(BadRequestKeyError):
            call(DYNAMODB_TARGET + "ListTables", {})
        return []

    _run(False, raising)
    _run(True, raising)


def _other_sequence(call: Call) -> list[Answer]:
    return [
        call("AWSCognitoIdentityProviderService.ListUserPools", {"MaxResults": 10}, service="cognito-idp"),
        call("DynamoDBStreams_20120810.ListStreams", {}),
        call(DYNAMODB_TARGET + "ListTables", {}),
    ]


def test_other_requests_still_go_through_motos_app() -> None:
    full, _ = _run(False, _other_sequence)
    fast, through_flask = _run(True, _other_sequence)
    assert fast == full
    assert through_flask == 0  # only ListTables is DynamoDB's, and it took the fast path
    assert [status for status, _, _ in fast] == ["200 OK"] * 3
    assert json.loads(fast[0][2]) == {"UserPools": []}
    assert json.loads(fast[1][2]) == {"Streams": []}
    client, _ = _client(True)
    api = client.get("/moto-api/", base_url=f"http://{HOST}")
    assert api.status_code == 200


def test_local_only_still_comes_first() -> None:
    client, _ = _client(True)
    for headers in ({"Host": "evil.example:4566"}, {"Origin": "http://evil.example"}):
        response = client.post(
            "/",
            base_url=f"http://{HOST}",
            data=b"{}",
            headers={
                "X-Amz-Target": DYNAMODB_TARGET + "ListTables",
                "Authorization": _signed("dynamodb"),
                "Content-Type": "application/x-amz-json-1.0",
                **headers,
            },
        )
        assert response.status_code == 403
