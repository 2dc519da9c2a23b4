"""The `simulation:` section of a playbook: what the simulated world starts with.

These models are embedded in the playbook model, so their field descriptions
end up in the playbook's JSON Schema and in editors' hover help. They describe
*seed data* only; behaviour lives in the simulators that consume them.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_version(value: str) -> str:
    if not _VERSION.match(value):
        raise ValueError(f"Kubernetes version must look like '1.30.5', got {value!r}")
    return value


class ClusterBehaviourSpec(_Model):
    """How a simulated cluster's controllers behave; every field optional so overrides can be partial."""

    pod_ready_seconds: float | None = Field(
        default=None, ge=0, description="Simulated seconds from a pod's creation until it is Ready (default 20)."
    )
    job_seconds: float | None = Field(
        default=None, ge=0, description="Simulated seconds a Job's pod runs before the Job completes (default 30)."
    )
    broken_images: list[str] | None = Field(
        default=None,
        description="Container images that never become ready on this cluster (the pods crash-loop); "
        "an image matches when it equals or starts with an entry (so 'repo/app:' matches every tag).",
    )
    node_count: int | None = Field(default=None, ge=0, description="Nodes the cluster reports (default 3).")
    lb_provision_seconds: float | None = Field(
        default=None, ge=0,
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


class RecordSpec(_Model):
    """One DNS record set in a seeded zone."""

    name: str = Field(description="Relative record set name, e.g. 'shop' or '@'.")
    type: Literal["A", "CNAME"] = Field(description="Record type.")
    ttl: int = Field(default=300, ge=0, description="Time to live in seconds.")
    values: list[Address] = Field(
        min_length=1, description="A: IPv4 addresses (or Service references); CNAME: exactly one host name."
    )

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
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
