"""Powertools logger, metrics and tracer shared by every handler.

Every log line of one invocation carries its correlation id: API Gateway's request id for a
WebSocket frame or a REST call (the id its access logs and the client's error both show), the
EventBridge event id for a schedule, the first record's id for a stream batch. Metrics go to
the stage's namespace (`POWERTOOLS_METRICS_NAMESPACE`, e.g. `FlowHub/prod`, which the stack's
alarms and dashboard read), so two stages in one account never mix their figures.

Traces come from Lambda's active tracing (`Tracing: Active`, set by `xray: true` in the stage's
`.chalice/config.json`) and API Gateway's (`TracingEnabled` on the REST stage), not from the
X-Ray SDK: the Lambda service itself records each invocation's segment with its Initialization
(the cold start), Invocation and Overhead subsegments, and the REST API's segment in front of it.
The SDK (Powertools' Tracer) would add one subsegment per DynamoDB call, at ~164 ms of import on
every cold start (2.29x a bare `import boto3, pynamodb` in prod; the target is 1.5x). Loading it
lazily would only move that cost into the first invocation, which is still the cold start. What
the SDK's subsegments would tell is in the logs instead: Powertools' Logger puts the invocation's
`xray_trace_id` (from `_X_AMZN_TRACE_ID`, which Lambda sets when tracing is active) on every log
line, so a slow trace leads to its log lines and they to the failing call. docs/architecture.md
("Observability") has the reasoning.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import BaseLambdaEvent, Request

logger = Logger(service="flow-hub")
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "FlowHub", service="flow-hub")

# Keys added to every log line of one invocation, removed when it ends.
_INVOCATION_KEYS = ("connection_id", "route", "function_request_id")


def invocation_keys(event: Any) -> tuple[str | None, dict[str, str]]:
    """The correlation id of one Chalice event and the keys that locate it (route, connection)."""
    raw: dict[str, Any] = {}
    if isinstance(event, Request):
        raw = {"requestContext": event.context}
    elif isinstance(event, BaseLambdaEvent):
        raw = event.to_dict() if isinstance(event.to_dict(), dict) else {}
    keys: dict[str, str] = {}
    context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    request_id = getattr(context, "aws_request_id", None)
    if isinstance(request_id, str):
        keys["function_request_id"] = request_id
    request_context = raw.get("requestContext")
    if isinstance(request_context, dict):
        if isinstance(request_context.get("connectionId"), str):
            keys["connection_id"] = request_context["connectionId"]
        route = request_context.get("routeKey") or " ".join(
            str(request_context[k]) for k in ("httpMethod", "resourcePath") if k in request_context
        )
        if route:
            keys["route"] = str(route)
        correlation = request_context.get("requestId")
        return (str(correlation) if correlation else None), keys
    if isinstance(raw.get("id"), str) and "detail-type" in raw:  # an EventBridge schedule
        return raw["id"], keys
    records = raw.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        return records[0].get("eventID"), keys
    return None, keys


def observe(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware around every invocation: the log lines carry its correlation id and
    keys; metrics are flushed (as CloudWatch EMF log lines) when it ends."""
    correlation, keys = invocation_keys(event)
    logger.set_correlation_id(correlation)
    logger.append_keys(**keys)
    try:
        return get_response(event)
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()
        logger.remove_keys(list(_INVOCATION_KEYS))
        logger.set_correlation_id(None)


__all__ = ["MetricUnit", "invocation_keys", "logger", "metrics", "observe"]
