"""Metric values a test (or a world's user) sets per resource and metric name; each query takes the next one.

Why a queue: a gate samples a metric several times, and a test wants to say "fine, fine, then 7% errors".
The last value repeats; None is a query window without data (the gate is then inconclusive). A metric
never set is unknown to the resource: 400, as Azure Monitor answers a metric name the resource lacks.
"""

from __future__ import annotations

from typing import Any

from bluegreen.sim.arm.core.context import SimContext
from bluegreen.sim.arm.core.errors import ArmError

API = "Microsoft.Insights/metrics"


class InsightsBackend:
    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self.state: dict[str, Any] = ctx.state.setdefault("metrics", {})

    @staticmethod
    def _key(resource_id: str, metric: str) -> str:
        return f"{resource_id.rstrip('/').lower()}|{metric.lower()}"

    def set_metric(self, resource_id: str, metric: str, values: list[float | None]) -> None:
        if not values:
            raise ValueError("give at least one value (None: no data)")
        self.state[self._key(resource_id, metric)] = {"resourceId": resource_id, "metric": metric,
                                                      "values": list(values), "served": 0}

    def next_value(self, resource_id: str, metric: str) -> float | None:
        entry = self.state.get(self._key(resource_id, metric))
        if entry is None:
            raise ArmError(400, "BadRequest", f"Failed to find metric configuration for provider: "
                                              f"{resource_id.split('/providers/')[-1]}, metric name: {metric}")
        values = entry["values"]
        value = values[min(entry["served"], len(values) - 1)]
        entry["served"] += 1
        return value
