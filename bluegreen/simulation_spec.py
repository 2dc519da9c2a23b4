"""The `simulation:` section of a playbook: what the simulated world starts with.

These models are embedded in the playbook model, so their field descriptions
end up in the playbook's JSON Schema and in editors' hover help. They describe
*seed data* only; behaviour lives in the simulators that consume them.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from bluegreen import names

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


_DAY = 86400.0


def _check_version(value: str) -> str:
    if not _VERSION.fullmatch(value):
        raise ValueError(f"Kubernetes version must look like '1.30.5', got {value!r}")
    return value


class ClusterBehaviourSpec(_Model):
    """How a simulated cluster's controllers behave; every field optional so overrides can be partial."""

    pod_ready_seconds: float | None = Field(
        default=None, ge=0, le=_DAY, description="Simulated seconds from a pod's creation until it is Ready (default 20)."
    )
    job_seconds: float | None = Field(
        default=None, ge=0, le=_DAY, description="Simulated seconds a Job's pod runs before the Job completes (default 30)."
    )
    broken_images: list[str] | None = Field(
        default=None,
        description="Container images that never become ready on this cluster (the pods crash-loop); "
        "an image matches when it equals or starts with an entry (so 'repo/app:' matches every tag).",
    )
    node_count: int | None = Field(default=None, ge=0, description="Nodes the cluster reports (default 3).")
    lb_provision_seconds: float | None = Field(
        default=None, ge=0, le=_DAY,
        description="Simulated seconds until a LoadBalancer Service gets its address (default 45).",
    )
    throttle_writes: int | None = Field(
        default=None, ge=0,
        description="The first N writes to the API server answer 429 with Retry-After: 1 (default 0).",
    )


class VersionsSpec(_Model):
    """Kubernetes versions AKS offers in one location."""

    versions: list[str] = Field(
        default_factory=list, description="Generally available patch versions, e.g. ['1.29.9', '1.30.5']."
    )
    preview: list[str] = Field(default_factory=list, description="Preview patch versions offered in addition.")

    @field_validator("versions", "preview")
    @classmethod
    def _versions(cls, values: list[str]) -> list[str]:
        return [_check_version(v) for v in values]


class NodePoolSpec(_Model):
    """One agent pool of the seeded blue cluster."""

    name: str = Field(description="Agent pool name: lower-case letters and digits, at most 12 characters.")
    count: int = Field(default=3, ge=0, le=1000, description="Number of nodes.")
    vm_size: str = Field(default="Standard_D4s_v5", description="VM size of the nodes.")
    max_pods: int = Field(default=30, ge=10, le=250, description="Maximum pods per node (drives subnet usage with Azure CNI).")
    mode: Literal["System", "User"] = Field(default="System", description="System pools host kube-system pods.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _POOL_NAME.match(value):
            raise ValueError(f"agent pool name must match {_POOL_NAME.pattern}, got {value!r}")
        return value


class SubnetSpec(_Model):
    """The subnet the cluster's nodes (and, with Azure CNI, pods) take addresses from."""

    vnet: str = Field(description="Virtual network name (in the blue cluster's resource group).")
    name: str = Field(description="Subnet name.")
    prefix: str = Field(description="Address prefix, e.g. '10.240.0.0/16'.")
    used_ips: int = Field(default=0, ge=0, description="Addresses already in use in the subnet.")


class ServiceRef(_Model):
    """An address known only once the world is seeded: a LoadBalancer Service's external IP."""

    service: str = Field(description="'namespace/name' of a Service of type LoadBalancer.")
    cluster: Literal["blue"] = Field(
        default="blue", description="Which seeded cluster the Service runs on (only 'blue' exists at seeding time)."
    )

    @field_validator("service")
    @classmethod
    def _service(cls, value: str) -> str:
        if value.count("/") != 1 or not all(value.split("/")):
            raise ValueError(f"service must be 'namespace/name', got {value!r}")
        return value


Address = Annotated[
    str | ServiceRef,
    Field(description="A literal address/host name, or {service: 'ns/name', cluster: blue} for a Service's LB IP."),
]


class BlueSpec(_Model):
    """The running cluster the cutover starts from."""

    name: str = Field(description="Managed cluster name.")
    resource_group: str = Field(description="Resource group of the cluster (and of its subnet).")
    location: str = Field(default="westeurope", description="Azure region.")
    version: str = Field(description="Kubernetes version of the control plane and pools, e.g. '1.29.9'.")
    node_pools: list[NodePoolSpec] = Field(
        default_factory=lambda: [NodePoolSpec(name="system")],
        min_length=1,
        description="Agent pools; at least one.",
    )
    network_plugin: Literal["azure", "kubenet", "none"] = Field(default="azure", description="AKS network plugin.")
    network_plugin_mode: Literal["overlay"] | None = Field(default=None, description="'overlay' for Azure CNI Overlay.")
    subnet: SubnetSpec | None = Field(default=None, description="Node subnet, seeded so capacity checks can read it.")
    tags: dict[str, str] = Field(default_factory=dict, description="Azure tags on the cluster.")
    aad: bool = Field(default=False, description="Whether the cluster uses Entra ID (AAD) integration.")
    manifests: list[str] = Field(
        default_factory=list,
        description="Manifest files or folders (relative to the playbook file) applied to blue at seeding; "
        "multi-document YAML; the namespaces they use are created.",
    )
    namespaces: list[str] = Field(default_factory=list, description="Extra namespaces to create on blue.")
    running: bool = Field(default=True, description="Whether blue starts powered on.")

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        return _check_version(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _named(names.aks_cluster, value)

    @field_validator("resource_group")
    @classmethod
    def _group(cls, value: str) -> str:
        return _named(names.resource_group, value)

    @field_validator("namespaces")
    @classmethod
    def _namespaces(cls, values: list[str]) -> list[str]:
        return names.each(names.namespace, values)


class RecordSpec(_Model):
    """One DNS record set in a seeded zone."""

    name: str = Field(description="Relative record set name, e.g. 'shop' or '@'.")
    type: Literal["A", "CNAME"] = Field(description="Record type.")
    ttl: int = Field(default=300, ge=0, description="Time to live in seconds.")
    values: list[Address] = Field(
        min_length=1, description="A: IPv4 addresses (or Service references); CNAME: exactly one host name."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _named(names.record_set, value)

    @model_validator(mode="after")
    def _cname_single(self) -> RecordSpec:
        if self.type == "CNAME" and len(self.values) != 1:
            raise ValueError("a CNAME record has exactly one value")
        return self


class ZoneSpec(_Model):
    """A DNS zone (Azure Private DNS or public Azure DNS) with its records."""

    name: str = Field(description="Zone name, e.g. 'shop.internal' or 'example.com'.")
    private: bool = Field(default=True, description="True for an Azure Private DNS zone, false for public Azure DNS.")
    resource_group: str | None = Field(default=None, description="Resource group of the zone (default: blue's).")
    records: list[RecordSpec] = Field(default_factory=list, description="Record sets to seed.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _named(names.dns_zone, value)

    @field_validator("resource_group")
    @classmethod
    def _group(cls, value: str | None) -> str | None:
        return None if value is None else _named(names.resource_group, value)


class EndpointSpec(_Model):
    """A Traffic Manager endpoint."""

    name: str = Field(description="Endpoint name.")
    target: Address = Field(description="Endpoint target (host name or IP, or a Service reference).")
    weight: int = Field(default=1, ge=1, le=1000, description="Weight for the Weighted routing method (1-1000).")
    type: Literal["ExternalEndpoints", "AzureEndpoints", "NestedEndpoints"] = Field(
        default="ExternalEndpoints", description="Endpoint type (URL segment)."
    )
    enabled: bool = Field(default=True, description="Whether the endpoint takes traffic.")


class TrafficManagerSpec(_Model):
    """A Traffic Manager profile with weighted endpoints."""

    name: str = Field(description="Profile name.")
    resource_group: str | None = Field(default=None, description="Resource group (default: blue's).")
    endpoints: list[EndpointSpec] = Field(default_factory=list, description="Endpoints to seed.")


class OriginSpec(_Model):
    """A Front Door (Standard/Premium) origin."""

    name: str = Field(description="Origin name.")
    host_name: Address = Field(description="Origin host name or IP (or a Service reference).")
    weight: int = Field(default=1000, ge=1, le=1000, description="Origin weight (1-1000).")
    priority: int = Field(default=1, ge=1, le=5, description="Origin priority (1-5).")
    enabled: bool = Field(default=True, description="Whether the origin takes traffic.")


class FrontDoorSpec(_Model):
    """A Front Door profile with one origin group."""

    name: str = Field(description="Front Door profile name.")
    resource_group: str | None = Field(default=None, description="Resource group (default: blue's).")
    origin_group: str = Field(default="default", description="Origin group name.")
    origins: list[OriginSpec] = Field(default_factory=list, description="Origins to seed.")


class SimulationSpec(_Model):
    """The simulated Azure subscription and clusters a playbook can run against (`bluegreen sim init`)."""

    start: datetime = Field(
        default_factory=lambda: datetime(2026, 1, 1, tzinfo=timezone.utc),
        description="Simulated time the world starts at (ISO 8601; naive means UTC).",
    )
    subscription_id: str = Field(
        default="00000000-0000-0000-0000-000000000000", description="Subscription id used where a playbook gives none."
    )
    kubernetes_versions: dict[str, VersionsSpec] = Field(
        default_factory=dict,
        description="Kubernetes versions AKS offers, per location (e.g. {westeurope: {versions: [...]}}); "
        "blue's location always offers at least blue's version.",
    )
    behaviour: ClusterBehaviourSpec = Field(
        default_factory=lambda: ClusterBehaviourSpec(), description="Default behaviour of every simulated cluster."
    )
    cluster_behaviour: dict[str, ClusterBehaviourSpec] = Field(
        default_factory=dict,
        description="Per-cluster-name overrides, also for clusters created later (e.g. green crash-looping an image).",
    )
    resource_groups: list[str] = Field(
        default_factory=list,
        description="Resource groups that exist besides those of blue, the zones and the profiles (e.g. one "
        "for green); anything else answers 404 ResourceGroupNotFound, as ARM does.",
    )
    blue: BlueSpec = Field(description="The running cluster the cutover starts from.")
    dns_zones: list[ZoneSpec] = Field(default_factory=list, description="DNS zones and their records.")
    traffic_managers: list[TrafficManagerSpec] = Field(default_factory=list, description="Traffic Manager profiles.")
    front_doors: list[FrontDoorSpec] = Field(default_factory=list, description="Front Door profiles.")
    faults: list[dict[str, Any]] = Field(
        default_factory=list,
        description="ARM faults to inject (see docs/simulator.md), e.g. throttling or a failed create.",
    )

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        if value.year > 9000:  # time runs on from here; near year 9999 a date would overflow
            raise ValueError("start must be before the year 9000")
        return value.astimezone(timezone.utc)

    @field_validator("resource_groups")
    @classmethod
    def _groups(cls, values: list[str]) -> list[str]:
        return names.each(names.resource_group, values)

    @field_validator("faults")
    @classmethod
    def _faults(cls, faults: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rules the simulator applies when it loads them, so `validate` refuses what `--simulate` would."""
        for i, fault in enumerate(faults):
            for key, why in fault_problems(fault):
                raise PydanticCustomError("at_key", "{why}", {"key": i, "sub": key, "why": why})
        return faults


def _named(check: Any, value: str) -> str:
    problem = check(value)
    if problem:
        raise ValueError(f"{value!r}: {problem}")
    return value


# The keys a fault may have, as `bluegreen/sim/arm/core/faults.py` reads them (snake_case, camelCase or dashes).
FAULT_KEYS = {
    "effect": "effect", "method": "method", "path": "path", "api": "api", "service": "api",
    "operation": "operation", "times": "times", "retry_after": "retry_after", "retryafter": "retry_after",
    "latency_seconds": "latency_seconds", "latencyseconds": "latency_seconds", "latency": "latency_seconds",
    "code": "code", "message": "message", "after_commit": "after_commit", "aftercommit": "after_commit",
}
FAULT_EFFECTS = ("throttle", "server_error", "unavailable", "latency", "fail_lro")
_METHODS = ("GET", "PUT", "PATCH", "POST", "DELETE", "HEAD")
_FAULT_LIMITS = {"times": (1, 1_000_000), "retry_after": (0, 3600), "latency_seconds": (0, 86400)}


def fault_problems(fault: Any) -> list[tuple[str | None, str]]:
    """Every problem of one `simulation.faults` entry as (key or None, message)."""
    if not isinstance(fault, dict):
        return [(None, "a fault must be a mapping, e.g. {effect: throttle, times: 2}")]
    problems: list[tuple[str | None, str]] = []
    values: dict[str, Any] = {}
    for key, value in fault.items():
        name = FAULT_KEYS.get(str(key).replace("-", "_").lower()) or FAULT_KEYS.get(str(key).lower())
        if name is None:
            problems.append((str(key), f"unknown key; expected one of {', '.join(sorted(set(FAULT_KEYS.values())))}"))
        else:
            values[name] = (str(key), value)
    if "effect" not in values:
        problems.append(("effect", f"missing; one of {', '.join(FAULT_EFFECTS)}"))
    for name, (key, value) in values.items():
        if name == "effect" and value not in FAULT_EFFECTS:
            problems.append((key, f"{value!r} is not one of {', '.join(FAULT_EFFECTS)}"))
        elif name == "method" and (not isinstance(value, str) or value.upper() not in _METHODS):
            problems.append((key, f"{value!r} is not one of {', '.join(_METHODS)}"))
        elif name in ("path", "api", "operation", "code", "message") and not isinstance(value, str):
            problems.append((key, "must be a string"))
        elif name == "path":
            try:
                re.compile(value)
            except re.error as exc:
                problems.append((key, f"not a regular expression: {exc}"))
        elif name == "after_commit" and not isinstance(value, bool):
            problems.append((key, "must be true or false"))
        elif name in _FAULT_LIMITS:
            low, high = _FAULT_LIMITS[name]
            number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            if name == "times" and not isinstance(number, int):
                number = None
            if number is None or not math.isfinite(number) or not low <= number <= high:
                kind = "a whole number" if name == "times" else "a number"
                problems.append((key, f"must be {kind} from {low} to {high}, got {value!r}"))
    effect = values.get("effect", (None, None))[1]
    if "after_commit" in values and values["after_commit"][1] is True and effect not in ("server_error", "unavailable"):
        problems.append((values["after_commit"][0], "after_commit goes with server_error or unavailable"))
    latency = values.get("latency_seconds")
    if effect == "latency" and (latency is None or latency[1] == 0):
        problems.append((latency[0] if latency else "latency_seconds", "a latency fault needs latency_seconds > 0"))
    return problems
