"""Events shaped as AWS delivers them to each kind of function (API Gateway WebSocket and REST
proxy (with a Cognito authorizer's claims), an EventBridge schedule)."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import Any

from tests.infra.cfn import ACCOUNT, REGION

SOURCE_IP = "203.0.113.10"
USER_AGENT = "Mozilla/5.0 (artifact test)"


def connection_id() -> str:
    return secrets.token_urlsafe(10)[:12] + "="


def _now_ms() -> int:
    return int(time.time() * 1000)


def websocket(
    kind: str,
    *,
    api_id: str,
    stage: str,
    connection: str,
    body: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`kind`: CONNECT, MESSAGE or DISCONNECT."""
    route = {"CONNECT": "$connect", "MESSAGE": "$default", "DISCONNECT": "$disconnect"}[kind]
    context = {
        "routeKey": route,
        "eventType": kind,
        "extendedRequestId": uuid.uuid4().hex[:16] + "=",
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": _now_ms() - 1000,
        "requestTimeEpoch": _now_ms(),
        "identity": {"sourceIp": SOURCE_IP, "userAgent": USER_AGENT},
        "requestId": uuid.uuid4().hex[:16] + "=",
        "domainName": f"{api_id}.execute-api.{REGION}.amazonaws.com",
        "connectionId": connection,
        "apiId": api_id,
    }
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if kind == "CONNECT":
        headers = {"Host": context["domainName"], "Sec-WebSocket-Version": "13", "User-Agent": USER_AGENT}
        event["headers"] = headers
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
        if query:
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    if kind == "MESSAGE":
        context["messageId"] = uuid.uuid4().hex[:16] + "="
        event["body"] = json.dumps(body)
    if kind == "DISCONNECT":
        context["disconnectStatusCode"] = 1000
        context["disconnectReason"] = "Client-side close frame status not set"
    return event


def rest(
    method: str,
    resource: str,
    *,
    api_id: str,
    stage: str,
    path_params: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
    authorizer: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API proxy-integration event (payload 1.0), as API Gateway sends it to APIHandler."""
    path = resource
    for name, value in (path_params or {}).items():
        path = path.replace("{" + name + "}", value)
    all_headers = {
        "Accept": "application/json",
        "Host": f"{api_id}.execute-api.{REGION}.amazonaws.com",
        "User-Agent": USER_AGENT,
        "X-Forwarded-Proto": "https",
        **({"Content-Type": "application/json"} if body is not None else {}),
        **(headers or {}),
    }
    context: dict[str, Any] = {
        "resourceId": "abc123",
        "resourcePath": resource,
        "httpMethod": method,
        "extendedRequestId": uuid.uuid4().hex[:16] + "=",
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
        "path": f"/{stage}{path}",
        "accountId": ACCOUNT,
        "protocol": "HTTP/1.1",
        "stage": stage,
        "domainPrefix": api_id,
        "requestTimeEpoch": _now_ms(),
        "requestId": str(uuid.uuid4()),
        "identity": {"sourceIp": SOURCE_IP, "userAgent": USER_AGENT},
        "domainName": f"{api_id}.execute-api.{REGION}.amazonaws.com",
        "apiId": api_id,
    }
    if authorizer is not None:
        context["authorizer"] = {**authorizer, "integrationLatency": 12}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_params,
        "stageVariables": None,
        "requestContext": context,
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def cognito_authorizer(id_token: str) -> dict[str, Any]:
    """`requestContext.authorizer` as API Gateway's Cognito user-pool authorizer fills it once it
    has verified the ID token: the token's claims, each a string (`exp`/`iat` as dates)."""
    import jwt

    from local.rest_gateway import api_gateway_claims

    return {"claims": api_gateway_claims(jwt.decode(id_token, options={"verify_signature": False}))}


def scheduled(rule: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"],
        "detail": {},
    }


def dynamodb_stream(table: str, keys: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A batch of one MODIFY record, as Lambda's event source mapping hands a DynamoDB stream to a function."""
    return {
        "Records": [
            {
                "eventID": uuid.uuid4().hex,
                "eventName": "MODIFY",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": REGION,
                "dynamodb": {
                    "ApproximateCreationDateTime": time.time(),
                    "Keys": keys,
                    "NewImage": {**keys, **new},
                    "OldImage": {**keys, **old},
                    "SequenceNumber": "100000000000000000001",
                    "SizeBytes": 100,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/2026-12-02T00:00:00.000",
            }
        ]
    }
