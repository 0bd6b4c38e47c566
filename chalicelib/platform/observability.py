"""Powertools logger, metrics and tracer shared by every handler."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="flow-hub")
metrics = Metrics(namespace="FlowHub", service="flow-hub")

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


def flush_metrics(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware: metrics are flushed (as CloudWatch EMF log lines) after every invocation."""
    try:
        return get_response(event)
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()


__all__ = ["MetricUnit", "capture", "flush_metrics", "logger", "metrics"]
