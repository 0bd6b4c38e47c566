"""Powertools logger, metrics and tracer shared by every handler.

Every log line of one invocation carries its correlation id: API Gateway's request id for a
WebSocket frame or a REST call (the id its access logs and the client's error both show), the
EventBridge event id for a schedule, the first record's id for a stream batch. Metrics go to
the stage's namespace (`POWERTOOLS_METRICS_NAMESPACE`, e.g. `FlowHub/prod`, which the stack's
alarms and dashboard read), so two stages in one account never mix their figures.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import BaseLambdaEvent, Request

logger = Logger(service="flow-hub")
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "FlowHub", service="flow-hub")

# Keys added to every log line of one invocation, removed when it ends.
_INVOCATION_KEYS = ("connection_id", "route", "function_request_id")

F = TypeVar("F", bound=Callable[..., Any])


def _tracing_enabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() not in ("1", "true")


def capture(fn: F) -> F:
    """X-Ray subsegment per call through Powertools' Tracer, when tracing is on.

    Importing the X-Ray SDK costs ~0.3 s of cold start even when Powertools is told
    to disable it, so stages with tracing off (dev, local, tests) never import it.
    """
    if not _tracing_enabled():
        return fn
    from aws_lambda_powertools import Tracer

    traced: F = Tracer(service="flow-hub").capture_method(capture_response=False)(fn)
    return traced


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


__all__ = ["MetricUnit", "capture", "invocation_keys", "logger", "metrics", "observe"]
