"""Metrics port -> Powertools Metrics (CloudWatch embedded metric format in the logs).

Metrics without an extra dimension go into the handler's `Metrics`, flushed once per
invocation by its `log_metrics` decorator. A metric with an extra dimension (Channel,
Reason) is written with `single_metric` at once: one EMF blob holds one dimension set, and
mixing `Channel` into the shared object would put it on every metric of the invocation.
"""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric


class PowertoolsMetrics:
    def __init__(self, metrics: Metrics, service: str) -> None:
        self._metrics = metrics
        self._service = service

    def count(self, name: str, value: int = 1, dimension: tuple[str, str] | None = None) -> None:
        if dimension is None:
            self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
            return
        with single_metric(
            name=name,
            unit=MetricUnit.Count,
            value=value,
            namespace=self._metrics.namespace,
            default_dimensions={"service": self._service},
        ) as metric:
            metric.add_dimension(name=dimension[0], value=dimension[1])

    def milliseconds(self, name: str, value: float) -> None:
        self._metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)
