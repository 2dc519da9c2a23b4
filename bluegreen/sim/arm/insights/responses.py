"""Azure Monitor metrics handler: the response shape of Metrics_List, one metric, one time series."""

from __future__ import annotations

from bluegreen.sim.arm.core.http import ArmRequest, ArmResponse
from bluegreen.sim.arm.core.timefmt import iso
from bluegreen.sim.arm.insights.models import InsightsBackend


class InsightsResponses:
    def __init__(self, backend: InsightsBackend) -> None:
        self.backend = backend

    def list_metrics(self, req: ArmRequest) -> ArmResponse:
        p = req.params
        resource_id = (f"/subscriptions/{p['subscriptionId']}/resourceGroups/{p['resourceGroupName']}/providers/"
                       f"{p['namespace']}/{p['type']}/{p['name']}")
        names = [n for n in (req.query.get("metricnames") or "").split(",") if n]
        aggregation = (req.query.get("aggregation") or "Average").split(",")[0]
        value = []
        for name in names:
            point = self.backend.next_value(resource_id, name)
            data = [] if point is None else [{"timeStamp": iso(self.backend.ctx.clock.now()),
                                              aggregation[:1].lower() + aggregation[1:]: point}]
            value.append({
                "id": f"{resource_id}/providers/Microsoft.Insights/metrics/{name}",
                "type": "Microsoft.Insights/metrics", "name": {"value": name, "localizedValue": name},
                "displayDescription": "", "unit": "Count", "errorCode": "Success",
                "timeseries": [{"metadatavalues": [], "data": data}] if data else [],
            })
        return ArmResponse(200, {"cost": 0, "timespan": req.query.get("timespan", ""), "interval": "PT1M",
                                 "value": value, "namespace": resource_id.split("/providers/")[-1].rsplit("/", 1)[0],
                                 "resourceregion": "westeurope"})
