"""Azure Monitor platform metrics for a shift's gate, through azure-monitor-query's MetricsQueryClient.

Why: a Traffic Manager profile, a Front Door profile or the clusters already publish what a gate wants
(requests, 5xx share, latency) to Azure Monitor; a team without Prometheus gates on those. The client goes
through the same credential and ARM endpoint as every other client (so the simulator's ARM fake answers it).
No data in the window is an answer too: `value` None, which the gate treats as inconclusive.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from azure.core.exceptions import AzureError

from bluegreen.azure.context import AzureContext
from bluegreen.http_checks import MetricAnswer

AGGREGATIONS = ("Average", "Total", "Maximum", "Minimum", "Count")


def query_metric(ctx: AzureContext, resource_id: str, metric: str, aggregation: str, window_s: float,
                 *, timeout_s: float) -> MetricAnswer:
    """The metric's latest value with data in the last `window_s` seconds, by `aggregation`."""
    from azure.monitor.query import MetricsQueryClient

    client = MetricsQueryClient(ctx.credential, endpoint=ctx.base_url, retry_total=0,
                                connection_timeout=timeout_s, read_timeout=timeout_s)
    where = f"Azure Monitor {metric} of {resource_id.rsplit('/', 1)[-1]}"
    try:
        result = client.query_resource(resource_id, [metric], timespan=timedelta(seconds=window_s),
                                       aggregations=[aggregation])
    except AzureError as exc:
        return MetricAnswer(None, f"no answer from {where}: {type(exc).__name__}: {exc}")
    finally:
        client.close()
    points: list[Any] = [p for m in result.metrics for ts in m.timeseries for p in ts.data]
    values = [float(v) for v in (getattr(p, aggregation.lower(), None) for p in points) if v is not None]
    if not values:
        return MetricAnswer(None, f"{where}: no data in the last {window_s:g}s")
    return MetricAnswer(values[-1], "ok")
