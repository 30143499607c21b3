"""Structured JSON logging (Powertools Logger). Log records carry tenant and request ids, never secrets:
request bodies, headers and issued credentials are not logged anywhere."""
from __future__ import annotations

import os

from aws_lambda_powertools import Logger

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "evcharge"), utc=True)


def count(metric: str, **dimensions: str) -> None:
    """One CloudWatch metric data point (embedded metric format on stdout), with its dimensions."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "evcharge")
    with single_metric(name=metric, unit=MetricUnit.Count, value=1, namespace=namespace) as point:
        for name, value in dimensions.items():
            point.add_dimension(name=name, value=value)
