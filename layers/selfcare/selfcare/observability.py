"""Logger and metrics, one of each per process. Log identifiers, never personal data.

Tracing: the functions run with X-Ray active tracing (infra), which records every invocation and
its initialisation without the X-Ray SDK in the code. Powertools' Tracer is not used: it imports
aws_xray_sdk at construction (+200 to 400 ms of cold start, measured in TOOLCHAIN.md) for
subsegments we do not need yet. docs/decisions.md, 2026-11-22.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()


def count(name: str, value: int = 1) -> None:
    """Occurrences of an event worth a CloudWatch metric (published by the handler's log_metrics)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
