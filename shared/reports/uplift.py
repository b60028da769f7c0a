"""Uplift of a campaign over its holdout: the difference of two conversion rates, with a CI."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Uplift:
    treated: int
    treated_converted: int
    control: int
    control_converted: int

    @property
    def treated_rate(self) -> float:
        return self.treated_converted / self.treated if self.treated else 0.0

    @property
    def control_rate(self) -> float:
        return self.control_converted / self.control if self.control else 0.0

    @property
    def difference(self) -> float:
        return self.treated_rate - self.control_rate

    def interval(self, z: float = Z95) -> tuple[float, float] | None:
        """Normal-approximation (Wald) 95% interval of the difference; None without both arms."""
        if not self.treated or not self.control:
            return None
        p1, p0 = self.treated_rate, self.control_rate
        se = math.sqrt(p1 * (1 - p1) / self.treated + p0 * (1 - p0) / self.control)
        return (self.difference - z * se, self.difference + z * se)
