"""Powertools logger, metrics and tracer shared by every handler."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="flow-hub")
metrics = Metrics(namespace="FlowHub", service="flow-hub")

__all__ = ["MetricUnit", "logger", "metrics"]
