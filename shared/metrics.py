"""The metrics port the engine and dispatch report through, and the in-memory recorder.

In Lambda the port is the Powertools adapter (shared/adapters/cloudwatch_metrics.py); in
tests and the local runtime it is `RecordingMetrics`, so nothing prints EMF JSON there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol


class MetricsPort(Protocol):
    def count(self, name: str, value: int = 1, dimension: tuple[str, str] | None = None) -> None:
        """Add `value` to a Count metric, optionally under one extra (name, value) dimension."""
        ...

    def milliseconds(self, name: str, value: float) -> None: ...


@dataclass
class RecordingMetrics:
    """Keeps what was emitted: counts by (name, dimension) and every latency sample."""

    counts: Counter[tuple[str, tuple[str, str] | None]] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def count(self, name: str, value: int = 1, dimension: tuple[str, str] | None = None) -> None:
        self.counts[(name, dimension)] += value

    def milliseconds(self, name: str, value: float) -> None:
        self.latencies.setdefault(name, []).append(value)

    def total(self, name: str) -> int:
        """The count of `name` summed over all its dimension values."""
        return sum(n for (metric, _), n in self.counts.items() if metric == name)
