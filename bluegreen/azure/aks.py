"""Thin client over ManagedClusters, returning our own frozen dataclasses.

`ManagedClusterInfo.raw` holds the cluster's ARM JSON in wire (REST) form: azure-mgmt-containerservice
>= 40 models are TypeSpec-generated MutableMappings over the received JSON, and `model.as_dict()` returns
that JSON with the wire names (`agentPoolProfiles`, `eTag`, `vnetSubnetID`), not the Python attribute
names. Cloning (aks_clone.py) works on that form so it matches the REST docs and examples exactly.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from azure.core import MatchConditions

from bluegreen.azure.context import AzureContext, ClockPolling
from bluegreen.azure.wire import wire_dict
from bluegreen.errors import NotFoundError
from bluegreen.json_copy import json_copy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NodePoolInfo:
    name: str
    count: int
    vm_size: str | None
    max_pods: int | None
    vnet_subnet_id: str | None
    mode: str | None
    orchestrator_version: str | None
    max_surge: str | None
    pod_subnet_id: str | None = None
    enable_auto_scaling: bool = False
    max_count: int | None = None

    @classmethod
    def from_arm(cls, pool: Mapping[str, Any]) -> NodePoolInfo:
        upgrade = pool.get("upgradeSettings") or {}
        return cls(
            name=pool.get("name", ""),
            count=int(pool.get("count") or 0),
            vm_size=pool.get("vmSize"),
            max_pods=pool.get("maxPods"),
            vnet_subnet_id=pool.get("vnetSubnetID"),
            mode=pool.get("mode"),
            orchestrator_version=pool.get("currentOrchestratorVersion") or pool.get("orchestratorVersion"),
            max_surge=upgrade.get("maxSurge"),
            pod_subnet_id=pool.get("podSubnetID"),
            enable_auto_scaling=bool(pool.get("enableAutoScaling")),
            max_count=pool.get("maxCount"),
        )


@dataclass(frozen=True)
class ManagedClusterInfo:
    id: str
    name: str
    resource_group: str
    location: str
    kubernetes_version: str | None
    provisioning_state: str | None
    power_state: str | None
    fqdn: str | None
    network_plugin: str | None
    network_plugin_mode: str | None
    node_pools: tuple[NodePoolInfo, ...]
    tags: Mapping[str, str]
    etag: str | None
    aad_enabled: bool
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    def __repr__(self) -> str:
        # Explicit so raw (the whole ARM document) never lands in a log line or a traceback.
        return (
            f"ManagedClusterInfo(name={self.name!r}, resource_group={self.resource_group!r}, "
            f"kubernetes_version={self.kubernetes_version!r}, provisioning_state={self.provisioning_state!r}, "
            f"power_state={self.power_state!r})"
        )

    @classmethod
    def from_arm(cls, raw: Mapping[str, Any]) -> ManagedClusterInfo:
        props = raw.get("properties") or {}
        network = props.get("networkProfile") or {}
        resource_id = raw.get("id", "")
        return cls(
            id=resource_id,
            name=raw.get("name", ""),
            resource_group=resource_group_of(resource_id),
            location=raw.get("location", ""),
            kubernetes_version=props.get("currentKubernetesVersion") or props.get("kubernetesVersion"),
            provisioning_state=props.get("provisioningState"),
            power_state=(props.get("powerState") or {}).get("code"),
            fqdn=props.get("fqdn") or props.get("privateFQDN"),
            network_plugin=network.get("networkPlugin"),
            network_plugin_mode=network.get("networkPluginMode"),
            node_pools=tuple(NodePoolInfo.from_arm(p) for p in props.get("agentPoolProfiles") or ()),
            tags=dict(raw.get("tags") or {}),
            etag=raw.get("eTag") or raw.get("etag"),
            aad_enabled=bool(props.get("aadProfile")),
            raw=raw,
        )


@dataclass(frozen=True)
class KubernetesVersionInfo:
    version: str
    patch_versions: tuple[str, ...]
    is_preview: bool
    is_default: bool
    support_plans: tuple[str, ...]

    @classmethod
    def from_arm(cls, value: Mapping[str, Any]) -> KubernetesVersionInfo:
        return cls(
            version=value.get("version", ""),
            patch_versions=tuple(sorted(value.get("patchVersions") or {}, key=_version_key)),
            is_preview=bool(value.get("isPreview")),
            is_default=bool(value.get("isDefault")),
            support_plans=tuple((value.get("capabilities") or {}).get("supportPlan") or ()),
        )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def resource_group_of(resource_id: str) -> str:
    """The resource group segment of an ARM id ('' when absent)."""
    parts = resource_id.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "resourcegroups":
            return parts[i + 1]
    return ""


# Read-only on the wire: a PUT of the cluster's own model leaves them out (aks-clone-notes §1).
_RECONCILE_DROP_TOP = ("id", "name", "type", "systemData", "eTag", "etag")
_RECONCILE_DROP_PROPS = ("provisioningState", "powerState", "maxAgentPools", "currentKubernetesVersion", "fqdn",
                         "privateFQDN", "azurePortalFQDN", "resourceUID", "status", "privateLinkResources")
_RECONCILE_DROP_POOL = ("eTag", "etag", "currentOrchestratorVersion", "provisioningState", "status")


def reconcile_body(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The cluster's current model as a PUT body, changing nothing (what `az aks update` with no argument sends)."""
    body = {k: json_copy(v) for k, v in raw.items() if k not in _RECONCILE_DROP_TOP}
    props = {k: v for k, v in (body.get("properties") or {}).items() if k not in _RECONCILE_DROP_PROPS}
    props["agentPoolProfiles"] = [{k: v for k, v in pool.items() if k not in _RECONCILE_DROP_POOL}
                                  for pool in props.get("agentPoolProfiles") or ()]
    body["properties"] = props
    return body


class AksClient:
    """ManagedClusters operations the cutover needs; every call retried and LRO-polled on ctx.clock."""

    def __init__(self, ctx: AzureContext) -> None:
        self._ctx = ctx

    def cluster_id(self, resource_group: str, name: str) -> str:
        return (
            f"/subscriptions/{self._ctx.subscription_id}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.ContainerService/managedClusters/{name}"
        )

    @property
    def _ops(self) -> Any:
        return self._ctx.containerservice.managed_clusters

    def get(self, resource_group: str, name: str) -> ManagedClusterInfo | None:
        """The cluster, or None if it does not exist (a missing resource group still raises)."""
        rid = self.cluster_id(resource_group, name)
        try:
            model = self._ctx.call(lambda: self._ops.get(resource_group, name), resource=rid, operation="get")
        except NotFoundError as exc:
            if exc.code == "ResourceGroupNotFound":
                raise
            return None
        return ManagedClusterInfo.from_arm(wire_dict(model))

    def list(self, resource_group: str) -> list[ManagedClusterInfo]:
        models = self._ctx.call(
            lambda: list(self._ops.list_by_resource_group(resource_group)),
            resource=f"/subscriptions/{self._ctx.subscription_id}/resourceGroups/{resource_group}",
            operation="list managed clusters",
        )
        return [ManagedClusterInfo.from_arm(wire_dict(m)) for m in models]

    def kubernetes_versions(self, location: str) -> builtins.list[KubernetesVersionInfo]:
        """What AKS offers in a region; read once for every session of the process (see SharedReads)."""

        def read() -> builtins.list[KubernetesVersionInfo]:
            result = self._ctx.call(
                lambda: self._ops.list_kubernetes_versions(location),
                resource=f"/subscriptions/{self._ctx.subscription_id}/locations/{location}",
                operation="list kubernetes versions",
            )
            values = wire_dict(result).get("values") or []
            return [KubernetesVersionInfo.from_arm(v) for v in values]

        key = ("aks-kubernetes-versions", self._ctx.base_url, self._ctx.subscription_id, location.lower())
        return list(self._ctx.shared.get(key, self._ctx.clock, read))

    def create_or_update(
        self,
        resource_group: str,
        name: str,
        body: dict[str, Any],
        *,
        if_none_match: bool = False,
        etag: str | None = None,
    ) -> ManagedClusterInfo:
        """PUT the cluster and wait until it is provisioned.

        `if_none_match=True` sends `If-None-Match: *` (create only; an existing cluster -> 412);
        `etag` sends `If-Match` (update only the version we read). Not both.
        """
        if if_none_match and etag:
            raise ValueError("if_none_match and etag are mutually exclusive")
        condition: dict[str, Any] = {}
        if if_none_match:
            condition = {"match_condition": MatchConditions.IfMissing}
        elif etag:
            condition = {"etag": etag, "match_condition": MatchConditions.IfNotModified}

        def start(polling: ClockPolling, token: str | None) -> Any:
            return self._ops.begin_create_or_update(
                resource_group, name, body, polling=polling, continuation_token=token, **condition
            )

        rid = self.cluster_id(resource_group, name)
        log.info("create_or_update %s", rid)
        model = self._ctx.run_lro(start, resource=rid, operation="create_or_update")
        return ManagedClusterInfo.from_arm(wire_dict(model))

    def reconcile(self, resource_group: str, name: str) -> ManagedClusterInfo:
        """PUT the cluster's own current model back, guarded by its ETag, and wait for it.

        AKS's documented way out of provisioning state Failed (a failed stop, say): the reconcile
        brings the cluster back to Succeeded without changing it, after which it can be stopped again.
        """
        current = self.get(resource_group, name)
        if current is None:
            raise NotFoundError(f"managed cluster {name} not found", resource=self.cluster_id(resource_group, name))
        return self.create_or_update(resource_group, name, reconcile_body(current.raw), etag=current.etag)

    def _run_none(self, method: str, resource_group: str, name: str) -> None:
        def start(polling: ClockPolling, token: str | None) -> Any:
            begin = getattr(self._ops, f"begin_{method}")
            return begin(resource_group, name, polling=polling, continuation_token=token)

        rid = self.cluster_id(resource_group, name)
        log.info("%s %s", method, rid)
        self._ctx.run_lro(start, resource=rid, operation=method)

    def stop(self, resource_group: str, name: str) -> None:
        self._run_none("stop", resource_group, name)

    def start(self, resource_group: str, name: str) -> None:
        self._run_none("start", resource_group, name)

    def delete(self, resource_group: str, name: str) -> None:
        self._run_none("delete", resource_group, name)

    def update_tags(self, resource_group: str, name: str, tags: Mapping[str, str]) -> ManagedClusterInfo:
        """PATCH only the tags (never a GET + full PUT, which could restart a stopped cluster's work)."""

        def start(polling: ClockPolling, token: str | None) -> Any:
            return self._ops.begin_update_tags(
                resource_group, name, {"tags": dict(tags)}, polling=polling, continuation_token=token
            )

        rid = self.cluster_id(resource_group, name)
        model = self._ctx.run_lro(start, resource=rid, operation="update_tags")
        return ManagedClusterInfo.from_arm(wire_dict(model))

    def user_kubeconfig(self, resource_group: str, name: str) -> bytes:
        """The first user kubeconfig (listClusterUserCredential). A secret: never log or repr it."""
        rid = self.cluster_id(resource_group, name)
        result = self._ctx.call(
            lambda: self._ops.list_cluster_user_credentials(resource_group, name),
            resource=rid,
            operation="list user credentials",
        )
        kubeconfigs = getattr(result, "kubeconfigs", None) or []
        if not kubeconfigs or kubeconfigs[0].value is None:
            raise NotFoundError("no user kubeconfig returned", resource=rid)
        return bytes(kubeconfigs[0].value)
