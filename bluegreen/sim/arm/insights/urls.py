"""Azure Monitor metrics route: any resource with a provider/type/name id."""

from __future__ import annotations

from bluegreen.sim.arm.core.router import Router
from bluegreen.sim.arm.insights.models import API
from bluegreen.sim.arm.insights.responses import InsightsResponses

P = ("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{namespace}/{type}/{name}"
     "/providers/Microsoft.Insights/metrics")


def register(router: Router, r: InsightsResponses) -> None:
    router.add("GET", P, r.list_metrics, api=API, operation="Metrics_List")
