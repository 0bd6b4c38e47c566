"""The WebSocket routes: `$connect` binds a verified identity, `$default` runs one action,
`$disconnect` forgets the connection. Each hands its event to the live lane."""

from __future__ import annotations

from typing import Any

from chalicelib import wiring
from chalicelib.platform.errors import Unauthorized
from chalicelib.platform.observability import logger


def connect(event: dict[str, Any]) -> dict[str, Any]:
    ctx = event["requestContext"]
    try:
        who = wiring.hub().live.identify_and_bind(ctx["connectionId"], event.get("queryStringParameters") or {})
    except Unauthorized as exc:
        logger.info("connect refused", extra={"reason": exc.message})
        return {"statusCode": 401, "body": exc.message}
    logger.info("connected", extra={"tenant": who.tenant, "role": who.role, "connection_id": ctx["connectionId"]})
    return {"statusCode": 200}


def message(event: dict[str, Any]) -> dict[str, Any]:
    wiring.hub().live.handle(event["requestContext"]["connectionId"], event.get("body"))
    return {"statusCode": 200}


def disconnect(event: dict[str, Any]) -> dict[str, Any]:
    wiring.hub().live.disconnect(event["requestContext"]["connectionId"])
    return {"statusCode": 200}
