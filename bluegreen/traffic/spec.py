"""The playbook's weighted-router and shift sections (`switch.traffic_manager`, `switch.front_door`, `switch.shift`).

Kept apart from playbook.py so that the router schema grows here; playbook.py
only names these models. Nothing here talks to Azure.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from bluegreen.durations import Duration, parse_duration

WEIGHTED = ("traffic_manager", "front_door", "gateway_api")
GREEN_TARGET = ("auto: before the first move, the switch points green's endpoint (its target) or origin (its "
                "hostName) at green's ingress address, as a planned action; unset: the operator keeps it pointed "
                "at green (the plan shows where it points).")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _pause(value: Any) -> float | str:
    """`manual`, or seconds from 90, "90s", "10m", "2h"."""
    if value == "manual":
        return "manual"
    try:
        return parse_duration(value)
    except ValueError as exc:
        if str(exc).startswith("not a duration"):
            raise ValueError(f"not a duration or 'manual': {value!r} (use e.g. 90s, 10m, manual)") from None
        raise  # a duration, but negative or endless: said as for every other duration


Pause = Annotated[
    float | str,
    BeforeValidator(_pause),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0}, {"const": "manual"},
                              {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$"}]}),
]


class TrafficManagerRouterSpec(_Model):
    """Blue's and green's endpoints in a Weighted Traffic Manager profile."""

    profile: str = Field(description="Traffic Manager profile name.")
    resource_group: str | None = Field(None, description="The profile's resource group; default: the playbook's.")
    endpoint_type: Literal["ExternalEndpoints", "AzureEndpoints", "NestedEndpoints"] = "ExternalEndpoints"
    blue_endpoint: str = Field(description="The endpoint that sends clients to blue.")
    green_endpoint: str = Field(description="The endpoint that sends clients to green.")
    green_target: Literal["auto"] | None = Field(None, description=GREEN_TARGET)


class FrontDoorRouterSpec(_Model):
    """Blue's and green's origins in one origin group of a Front Door Standard/Premium profile."""

    profile: str = Field(description="Front Door (Standard/Premium) profile name.")
    resource_group: str | None = Field(None, description="The profile's resource group; default: the playbook's.")
    origin_group: str = Field("default", description="The origin group holding both origins.")
    blue_origin: str = Field(description="The origin that is blue's ingress.")
    green_origin: str = Field(description="The origin that is green's ingress.")
    green_target: Literal["auto"] | None = Field(None, description=GREEN_TARGET)


class EdgeCluster(_Model):
    """The cluster that holds the HTTPRoute (an edge or gateway cluster; it may be blue itself)."""

    name: str = Field(description="AKS managed cluster name.")
    resource_group: str | None = Field(None, description="Defaults to the playbook's resource_group.")
    kubeconfig: str | None = Field(None, description="Kubeconfig file (relative to the playbook) used instead of "
                                                     "AKS's user credentials.")
    kubeconfig_context: str | None = Field(None, description="Context of `kubeconfig`; default: its current-context.")


class GatewayApiRouterSpec(_Model):
    """Two backendRefs of one rule of a Gateway API HTTPRoute (Application Gateway for Containers is driven so)."""

    cluster: EdgeCluster
    namespace: str = Field(description="The HTTPRoute's namespace.")
    route: str = Field(description="The HTTPRoute's name.")
    rule: int = Field(0, ge=0, description="Index of the rule in spec.rules whose backendRefs are weighed.")
    blue_backend: str = Field(description="The backendRef (Service name) that reaches blue.")
    green_backend: str = Field(description="The backendRef (Service name) that reaches green.")


class WebhookSpec(_Model):
    """Asked after each step: POST {playbook, step, percent}; a 2xx answer passes, 4xx/5xx fails."""

    name: str
    url: str = Field(description="http:// or https:// URL that receives the POST.")
    timeout: Duration = Field(10.0, gt=0, description="Seconds; no answer in time makes the gate inconclusive.")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("must be an absolute http:// or https:// URL")
        return v


class AzureMetricSpec(_Model):
    """An Azure Monitor platform metric of one resource (azure-monitor-query's MetricsQueryClient)."""

    resource_id: str = Field(description="ARM id of the resource, e.g. the Traffic Manager or Front Door profile.")
    metric: str = Field(description="Metric name, e.g. Percentage5XX (Front Door) or QpsByEndpoint (Traffic Manager).")
    aggregation: Literal["Average", "Total", "Maximum", "Minimum", "Count"] = "Average"
    window: float = Field(300.0, gt=0, description="Seconds back from now a sample looks; its latest point counts.")

    @field_validator("resource_id")
    @classmethod
    def _rid(cls, v: str) -> str:
        if not re.match(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/[^/]+/[^/]+", v, re.I):
            raise ValueError("must be an ARM resource id (/subscriptions/.../providers/<namespace>/<type>/<name>)")
        return v


class MetricSpec(_Model):
    """A Prometheus query or an Azure Monitor metric sampled after each step; every sample must stay in bounds."""

    name: str
    prometheus: str | None = Field(None, description="Base URL of the Prometheus HTTP API, e.g. "
                                                     "http://prometheus:9090.")
    query: str | None = Field(None, description="PromQL instant query; its first series' value is compared.")
    azure_monitor: AzureMetricSpec | None = Field(None, description="An Azure Monitor metric instead of Prometheus.")
    max: float | None = Field(None, description="Fail when a sample is above this.")
    min: float | None = Field(None, description="Fail when a sample is below this.")
    samples: int = Field(3, ge=1, le=100, description="How many samples are taken.")
    interval: Duration = Field(30.0, ge=0, description="Seconds between samples (on the clock).")
    timeout: Duration = Field(10.0, gt=0, description="Seconds per query; no answer or no data is inconclusive.")

    @field_validator("prometheus")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("must be an absolute http:// or https:// URL")
        return v

    @model_validator(mode="after")
    def _bounded(self) -> MetricSpec:
        if self.max is None and self.min is None:
            raise ValueError("give max, min or both")
        if (self.azure_monitor is None) == (self.prometheus is None):
            raise ValueError("give prometheus (with query) or azure_monitor, one of them")
        if self.prometheus is not None and not self.query:
            raise ValueError("a Prometheus metric needs its query")
        return self


class EntryPointSpec(_Model):
    """The router's public entry point: the gate also sends its HTTP checks there, to see the mixed traffic
    clients see (direct checks against green cannot show what blue's share or the router itself does)."""

    host: str = Field(description="Public host name that reaches the router (e.g. tm-shop.trafficmanager.net, a "
                                  "Front Door endpoint's host, the HTTPRoute's hostname); resolved at each gate. "
                                  "The checks keep their URL's Host header.")
    requests: int = Field(10, ge=1, le=1000, description="Requests per HTTP check through the entry point; each "
                                                         "must pass (one attempt each, no retries).")
    resolver: str | None = Field(None, description="DNS server the host is resolved through, `address` or "
                                                   "`address:port`; default: the system's (in the simulator: its "
                                                   "own DNS server).")

    @field_validator("resolver")
    @classmethod
    def _resolver(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^[0-9a-fA-F.:\[\]]+$", v):
            raise ValueError("must be an IP address, optionally with :port")
        return v


class GateSpec(_Model):
    """What decides, after each step, whether the shift goes on."""

    http: bool = Field(True, description="Run the playbook's smoke.http checks against green after each step.")
    entry_point: EntryPointSpec | None = Field(None, description="Also send the HTTP checks through the router's "
                                                                 "public entry point.")
    webhooks: list[WebhookSpec] = Field(default_factory=list)
    metrics: list[MetricSpec] = Field(default_factory=list, description="Prometheus queries with thresholds.")


class ShiftSpec(_Model):
    """A stepwise shift: percent of traffic to green per step, a pause and a gate after each."""

    steps: list[int] = Field(description="Percent to green, increasing, ending at 100, e.g. [10, 25, 50, 100].")
    pause: Pause = Field(0.0, description="After each step before its gate: a duration, or `manual` (waits for "
                                          "`bluegreen promote PLAYBOOK`).")
    cronjobs_at: int | None = Field(None, description="The step (percent) at which the CronJobs change hands; "
                                                      "default 100.")
    gate: GateSpec = Field(default_factory=lambda: GateSpec())

    @field_validator("steps")
    @classmethod
    def _steps(cls, v: list[int]) -> list[int]:
        if not v or v[-1] != 100:
            raise ValueError("the last step must be 100")
        if any(not 1 <= s <= 100 for s in v) or any(v[i + 1] <= v[i] for i in range(len(v) - 1)):
            raise ValueError("steps must increase, each between 1 and 100")
        return v

    @property
    def handoff_at(self) -> int:
        return self.cronjobs_at or 100


class TtlSpec(_Model):
    """TTL discipline for a DNS switch: lower the TTL ahead (with redeploy), wait out the old one, restore it."""

    lower_to: int = Field(ge=1, le=3600, description="Seconds the record's TTL is lowered to before the switch.")


class ResolverSpec(_Model):
    """After a DNS flip, ask this resolver until it answers green's value (runs from inside the network)."""

    address: str = Field(description="The resolver's IP address, e.g. 168.63.129.16 (Azure) or a DNS forwarder.")
    port: int = Field(53, ge=1, le=65535)
    timeout: Duration = Field(600.0, gt=0, description="Seconds to wait for green's value before the switch fails.")
    interval: Duration = Field(10.0, gt=0, description="Seconds between queries (on the clock).")


def router_problems(switch: Any) -> list[tuple[str, str]]:
    """Cross-field rules of the switch section's router, on the raw document (field path, message)."""
    if not isinstance(switch, dict):
        return []
    kind = switch.get("type") or "private_dns"
    problems: list[tuple[str, str]] = []
    if kind in WEIGHTED:
        if not switch.get(kind):
            problems.append((f"switch.{kind}", f"a {kind} switch needs its {kind} section"))
    else:
        for name in ("zone", "record"):
            if not switch.get(name):
                problems.append((f"switch.{name}", f"a {kind} switch needs {name}"))
        if switch.get("shift"):
            problems.append(("switch.shift", "a DNS record moves all at once; steps need a weighted router "
                                             "(traffic_manager, front_door or gateway_api)"))
    router = switch.get(kind) if kind in WEIGHTED else None
    if kind == "traffic_manager" and isinstance(router, dict) and router.get("green_target") == "auto" \
            and router.get("endpoint_type", "ExternalEndpoints") != "ExternalEndpoints":
        problems.append(("switch.traffic_manager.green_target", "auto needs ExternalEndpoints (an address target); "
                                                                "an Azure endpoint's resource is the operator's"))
    if kind in WEIGHTED and switch.get("ttl"):
        problems.append(("switch.ttl", "TTL discipline is for a DNS switch"))
    if kind in WEIGHTED and switch.get("verify_resolver"):
        problems.append(("switch.verify_resolver", "resolver verification is for a DNS switch"))
    for other in WEIGHTED:
        if other != kind and switch.get(other):
            problems.append((f"switch.{other}", f"only used with type {other}"))
    shift = switch.get("shift")
    if isinstance(shift, dict) and isinstance(shift.get("steps"), list) and shift.get("cronjobs_at") is not None \
            and shift["cronjobs_at"] not in shift["steps"]:
        problems.append(("switch.shift.cronjobs_at", "must be one of the steps"))
    return problems
