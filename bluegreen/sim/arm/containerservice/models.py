"""State and rules of fake managed clusters, as plain dicts in the wire shape of ManagedClusters_Get.

Clusters move Creating/Updating/Stopping/Starting/Deleting -> Succeeded (or Failed) when their
long-running operation falls due on the simulated clock; the world hears about it through hooks.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable
from typing import Any

from bluegreen.sim.arm.containerservice import exceptions as exc
from bluegreen.sim.arm.core.context import SimContext, stable_guid, stable_hex
from bluegreen.sim.arm.core.errors import ArmError, not_found
from bluegreen.sim.arm.core.etag import check_conditions, new_etag

API = "Microsoft.ContainerService/managedClusters"
CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters"
POOL_TYPE = "Microsoft.ContainerService/managedClusters/agentPools"
POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
NODE_IMAGE = "AKSUbuntu-2204gen2containerd-202601.07.0"
BUSY = ("Creating", "Updating", "Deleting", "Stopping", "Starting", "Upgrading")

# Read-only on the wire (aks-clone-notes §1): whatever a client sends here is replaced.
READ_ONLY_PROPERTIES = (
    "provisioningState",
    "powerState",
    "maxAgentPools",
    "currentKubernetesVersion",
    "fqdn",
    "privateFQDN",
    "azurePortalFQDN",
    "resourceUID",
    "status",
)
READ_ONLY_POOL = ("eTag", "currentOrchestratorVersion", "provisioningState", "status")

# The public-cloud regions that offer AKS (`az provider show -n Microsoft.ContainerService`, managedClusters).
# A world seeds versions for the regions it names; every other real region offers what the first seeded one does,
# as regions do within days of each other. A name not in this table is not a region: 400, as ARM answers.
AKS_REGIONS = (
    "australiacentral", "australiacentral2", "australiaeast", "australiasoutheast", "austriaeast",
    "belgiumcentral", "brazilsouth", "brazilsoutheast", "canadacentral", "canadaeast", "centralindia",
    "centralus", "chilecentral", "eastasia", "eastus", "eastus2", "francecentral", "francesouth",
    "germanynorth", "germanywestcentral", "indonesiacentral", "israelcentral", "italynorth", "japaneast",
    "japanwest", "jioindiacentral", "jioindiawest", "koreacentral", "koreasouth", "malaysiawest",
    "mexicocentral", "newzealandnorth", "northcentralus", "northeurope", "norwayeast", "norwaywest",
    "polandcentral", "qatarcentral", "southafricanorth", "southafricawest", "southcentralus", "southeastasia",
    "southindia", "spaincentral", "swedencentral", "switzerlandnorth", "switzerlandwest", "uaecentral",
    "uaenorth", "uksouth", "ukwest", "westcentralus", "westeurope", "westindia", "westus", "westus2", "westus3",
)

# Returns (free addresses, subnet id as stored) for a subnet the fake network knows, else None.
SubnetFree = Callable[[str], "int | None"]


def cluster_id(sub: str, rg: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}"


def split_id(resource_id: str) -> tuple[str, str, str]:
    parts = resource_id.strip("/").split("/")
    return parts[1], parts[3], parts[7]


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _vkey(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def addresses_per_pool(pool: dict[str, Any], network_profile: dict[str, Any]) -> int:
    """Subnet addresses a pool's nodes take: Azure CNI (node subnet) reserves maxPods+1 per node."""
    if (pool.get("powerState") or {}).get("code") == "Stopped":
        return 0  # a stopped pool has no nodes
    count = int(pool.get("count") or 0)
    flat = (
        network_profile.get("networkPlugin", "azure") == "azure"
        and network_profile.get("networkPluginMode") != "overlay"
        and not pool.get("podSubnetID")
    )
    return count * (int(pool.get("maxPods") or 30) + 1) if flat else count


class AksBackend:
    def __init__(self, ctx: SimContext, subnet_free: SubnetFree | None = None) -> None:
        self.ctx = ctx
        self.state = ctx.state.setdefault("aks", {"clusters": {}, "versions": {}})
        self.subnet_free = subnet_free
        ctx.ops.register("aks", self._complete)

    # ---- kubernetes versions -------------------------------------------------------------------
    def seed_versions(self, location: str, versions: list[str], preview: list[str] | tuple[str, ...] = ()) -> None:
        minors: dict[str, dict[str, Any]] = {}
        for version, is_preview in [(v, False) for v in versions] + [(v, True) for v in preview]:
            minor = _minor(version)
            patches = [version] if version.count(".") == 2 else [f"{minor}.1", f"{minor}.2"]
            entry = minors.setdefault(minor, {"version": minor, "isPreview": is_preview, "patches": set()})
            entry["patches"].update(patches)
        ordered = sorted(minors.values(), key=lambda e: _vkey(e["version"]))
        all_patches = sorted((p for e in ordered for p in e["patches"]), key=_vkey)
        ga = [e for e in ordered if not e["isPreview"]]
        default = ga[-2]["version"] if len(ga) >= 2 else (ga[-1]["version"] if ga else None)
        values = []
        for entry in ordered:
            patch_versions = {}
            for patch in sorted(entry["patches"], key=_vkey):
                next_minor = _vkey(entry["version"])[:1] + (_vkey(entry["version"])[1] + 1,)
                upgrades = [
                    p
                    for p in all_patches
                    if _vkey(p) > _vkey(patch) and _vkey(p)[:2] in (_vkey(entry["version"]), next_minor)
                ]
                patch_versions[patch] = {"upgrades": upgrades}
            value: dict[str, Any] = {
                "version": entry["version"],
                "capabilities": {"supportPlan": ["KubernetesOfficial"]},
                "patchVersions": patch_versions,
            }
            if entry["version"] == default:
                value["isDefault"] = True
            if entry["isPreview"]:
                value["isPreview"] = True
            values.append(value)
        self.state["versions"][location.lower()] = {"values": values}

    def _offer(self, location: str) -> dict[str, Any] | None:
        """The versions `location` offers: seeded, else (a real region) those of the first seeded region."""
        key = location.lower().replace(" ", "")
        seeded = self.state["versions"]
        if key in seeded:
            return seeded[key]
        if key in AKS_REGIONS and seeded:
            return next(iter(seeded.values()))
        return None

    def versions_doc(self, location: str) -> dict[str, Any]:
        doc = self._offer(location)
        if doc is None and self.state["versions"]:
            raise exc.location_not_available(location)
        return copy.deepcopy(doc or {"values": []})

    def resolve_version(self, location: str, requested: str | None) -> str:
        doc = self._offer(location)
        if not doc or not doc["values"]:
            raise exc.location_not_available(location)
        values = doc["values"]
        if not requested:
            chosen = next((v for v in values if v.get("isDefault")), values[-1])
            return max(chosen["patchVersions"], key=_vkey)
        for value in values:
            if requested in value["patchVersions"]:
                return requested
            if value["version"] == requested:
                return max(value["patchVersions"], key=_vkey)
        raise exc.version_not_supported(requested, location)

    # ---- lookups -------------------------------------------------------------------------------
    def find(self, sub: str, rg: str, name: str) -> dict[str, Any] | None:
        return self.state["clusters"].get(cluster_id(sub, rg, name).lower())

    def find_by_id(self, resource_id: str) -> dict[str, Any] | None:
        return self.state["clusters"].get(resource_id.lower())

    def get(self, sub: str, rg: str, name: str) -> dict[str, Any]:
        cluster = self.find(sub, rg, name)
        if cluster is None:
            raise not_found(CLUSTER_TYPE, name, rg)
        return cluster

    def list_clusters(self, sub: str, rg: str | None = None) -> list[dict[str, Any]]:
        found = []
        for cluster in self.state["clusters"].values():
            c_sub, c_rg, _ = split_id(cluster["id"])
            if c_sub.lower() == sub.lower() and (rg is None or c_rg.lower() == rg.lower()):
                found.append(cluster)
        return sorted(found, key=lambda c: c["id"].lower())

    def pool(self, sub: str, rg: str, name: str, pool_name: str) -> dict[str, Any]:
        cluster = self.get(sub, rg, name)
        for profile in cluster["properties"]["agentPoolProfiles"]:
            if profile["name"].lower() == pool_name.lower():
                return self.pool_resource(cluster, profile)
        raise not_found(POOL_TYPE, f"{name}/{pool_name}", rg)

    def pools(self, sub: str, rg: str, name: str) -> list[dict[str, Any]]:
        cluster = self.get(sub, rg, name)
        return [self.pool_resource(cluster, p) for p in cluster["properties"]["agentPoolProfiles"]]

    @staticmethod
    def pool_resource(cluster: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
        props = {k: copy.deepcopy(v) for k, v in profile.items() if k != "name"}
        return {"id": f"{cluster['id']}/agentPools/{profile['name']}", "name": profile["name"], "type": POOL_TYPE,
                "properties": props}

    def subnet_consumers(self, subnet_id: str) -> list[tuple[dict[str, Any], dict[str, Any], int]]:
        """(cluster, pool, addresses) for every running pool placed in `subnet_id`."""
        found = []
        for cluster in self.state["clusters"].values():
            props = cluster["properties"]
            if props["powerState"]["code"] != "Running":
                continue
            for pool in props["agentPoolProfiles"]:
                if (pool.get("vnetSubnetID") or "").lower() == subnet_id.lower():
                    found.append((cluster, pool, addresses_per_pool(pool, props.get("networkProfile") or {})))
        return found

    # ---- writes --------------------------------------------------------------------------------
    def create_or_update(
        self,
        sub: str,
        rg: str,
        name: str,
        body: dict[str, Any],
        *,
        if_match: str | None,
        if_none_match: str | None,
    ) -> tuple[bool, dict[str, Any]]:
        """Apply a PUT; returns (created, cluster). The caller starts the operation."""
        existing = self.find(sub, rg, name)
        check_conditions(if_match, if_none_match, existing["eTag"] if existing else None,
                         f"managed cluster '{name}'", star_only_none_match=False)
        if existing is not None:
            self._refuse_if_busy_or_stopped(existing, "update")
        location = body.get("location")
        if not location or not isinstance(location, str):
            raise exc.invalid_parameter("The value of parameter location is invalid. Please specify a location.", "location")
        location = location.lower().replace(" ", "")
        props_in = copy.deepcopy(body.get("properties") or {})
        if existing is not None:
            if existing["location"] != location:
                raise exc.property_change_not_allowed("location")
            old_prefix = existing["properties"].get("dnsPrefix")
            if props_in.get("dnsPrefix") and props_in["dnsPrefix"] != old_prefix:
                raise exc.property_change_not_allowed("dnsPrefix")
        rid = existing["id"] if existing else cluster_id(sub, rg, name)
        cluster = self._build(rid, name, location, body, props_in, existing)
        self._check_subnets(cluster, existing)
        self.state["clusters"][rid.lower()] = cluster
        return existing is None, cluster

    def _build(
        self,
        rid: str,
        name: str,
        location: str,
        body: dict[str, Any],
        props_in: dict[str, Any],
        existing: dict[str, Any] | None,
    ) -> dict[str, Any]:
        sub, rg, _ = split_id(rid)
        for key in READ_ONLY_PROPERTIES:
            props_in.pop(key, None)
        version = self.resolve_version(location, props_in.get("kubernetesVersion"))
        props_in["kubernetesVersion"] = props_in.get("kubernetesVersion") or version
        state = "Updating" if existing else "Creating"
        prefix = props_in.get("dnsPrefix") or (existing or {}).get("properties", {}).get("dnsPrefix") \
            or f"{name[:10]}-{rg[:16]}-{sub[:6]}"
        props_in["dnsPrefix"] = prefix
        suffix = stable_hex(8, rid)
        props_in["fqdn"] = f"{prefix}-{suffix}.hcp.{location}.azmk8s.io"
        props_in["azurePortalFQDN"] = f"{prefix}-{suffix}.portal.hcp.{location}.azmk8s.io"
        if (props_in.get("apiServerAccessProfile") or {}).get("enablePrivateCluster"):
            props_in["privateFQDN"] = f"{prefix}-{suffix}.{stable_guid(rid, 'pl')}.privatelink.{location}.azmk8s.io"
        props_in["currentKubernetesVersion"] = version
        if existing is not None:
            current = existing["properties"]["currentKubernetesVersion"]
            if version != current:
                self._check_upgrade(current, version)
                # The control plane runs the old version until the upgrade operation finishes.
                props_in["currentKubernetesVersion"] = current
                props_in["_upgradeTo"] = version
                state = "Upgrading"
        props_in["provisioningState"] = state
        props_in["powerState"] = {"code": "Running"}
        props_in["maxAgentPools"] = 100
        props_in["resourceUID"] = stable_hex(24, rid, "uid")
        props_in.setdefault("enableRBAC", True)
        props_in.setdefault("nodeResourceGroup", f"MC_{rg}_{name}_{location}")
        self._strip_secrets(props_in)
        network = props_in.setdefault("networkProfile", {})
        self._network_defaults(network, rid, props_in["nodeResourceGroup"])
        props_in["agentPoolProfiles"] = self._pools(props_in, location, version, network, existing, state)
        identity = copy.deepcopy(body.get("identity")) if body.get("identity") else None
        if identity:
            self._identity(identity, rid)
            props_in["servicePrincipalProfile"] = {"clientId": "msi"}
            props_in.setdefault("identityProfile", {
                "kubeletidentity": {
                    "resourceId": f"/subscriptions/{sub}/resourcegroups/{props_in['nodeResourceGroup']}/providers/"
                                  f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}-agentpool",
                    "clientId": stable_guid(rid, "kubelet-client"),
                    "objectId": stable_guid(rid, "kubelet-object"),
                }
            })
        if (props_in.get("oidcIssuerProfile") or {}).get("enabled"):
            props_in["oidcIssuerProfile"]["issuerURL"] = (
                f"https://{location}.oic.prod-aks.azure.com/{stable_guid(sub, 'tenant')}/{stable_guid(rid, 'oidc')}/"
            )
        cluster: dict[str, Any] = {
            "id": rid,
            "name": rid.rsplit("/", 1)[-1],
            "type": CLUSTER_TYPE,
            "location": location,
            "tags": copy.deepcopy(body.get("tags") or {}),
            "sku": copy.deepcopy(body.get("sku") or {"name": "Base", "tier": "Free"}),
            "eTag": new_etag(self.state, rid),
            "systemData": self.ctx.system_data((existing or {}).get("systemData")),
            "properties": props_in,
        }
        if identity:
            cluster["identity"] = identity
        return cluster

    @staticmethod
    def _strip_secrets(props: dict[str, Any]) -> None:
        """Write-only fields never come back in a GET (aks-clone-notes §1)."""
        (props.get("servicePrincipalProfile") or {}).pop("secret", None)
        (props.get("windowsProfile") or {}).pop("adminPassword", None)
        (props.get("aadProfile") or {}).pop("serverAppSecret", None)

    @staticmethod
    def _network_defaults(network: dict[str, Any], rid: str, node_rg: str) -> None:
        sub, _, _ = split_id(rid)
        if "networkPlugin" not in network:  # today's AKS default for a new cluster: Azure CNI Overlay
            network["networkPlugin"] = "azure"
            network.setdefault("networkPluginMode", "overlay")
        if network["networkPlugin"] == "kubenet" or network.get("networkPluginMode") == "overlay":
            network.setdefault("podCidr", "10.244.0.0/16")
            network.setdefault("podCidrs", [network["podCidr"]])
        network.setdefault("serviceCidr", "10.0.0.0/16")
        network.setdefault("serviceCidrs", [network["serviceCidr"]])
        network.setdefault("dnsServiceIP", "10.0.0.10")
        network.setdefault("outboundType", "loadBalancer")
        network.setdefault("loadBalancerSku", "standard")
        network.setdefault("ipFamilies", ["IPv4"])
        if network["outboundType"] == "loadBalancer":
            lb = network.setdefault("loadBalancerProfile", {})
            if not lb.get("outboundIPs") and not lb.get("outboundIPPrefixes"):
                lb.setdefault("managedOutboundIPs", {"count": 1})
                count = int(lb["managedOutboundIPs"].get("count") or 1)
                lb["effectiveOutboundIPs"] = [
                    {"id": f"/subscriptions/{sub}/resourceGroups/{node_rg}/providers/Microsoft.Network/"
                           f"publicIPAddresses/{stable_guid(rid, 'pip', str(i))}"}
                    for i in range(count)
                ]
            lb.setdefault("allocatedOutboundPorts", 0)
            lb.setdefault("idleTimeoutInMinutes", 30)

    def _pools(
        self,
        props: dict[str, Any],
        location: str,
        version: str,
        network: dict[str, Any],
        existing: dict[str, Any] | None,
        state: str,
        *,
        require_system: bool = True,
    ) -> list[dict[str, Any]]:
        pools_in = props.get("agentPoolProfiles")
        if not isinstance(pools_in, list) or not pools_in:
            raise exc.invalid_parameter("At least one agent pool profile is required.", "agentPoolProfiles")
        old = {p["name"]: p for p in (existing or {}).get("properties", {}).get("agentPoolProfiles", [])}
        default_max_pods = 110 if network["networkPlugin"] == "kubenet" else (
            250 if network.get("networkPluginMode") == "overlay" else 30)
        names: set[str] = set()
        pools = []
        for index, raw in enumerate(pools_in):
            if not isinstance(raw, dict):
                raise exc.invalid_parameter("An agent pool profile must be an object.", f"agentPoolProfiles[{index}]")
            pool = copy.deepcopy(raw)
            name = pool.get("name")
            if not isinstance(name, str) or not POOL_NAME.match(name):
                raise exc.invalid_parameter(
                    f"Agent pool name '{name}' is invalid: it must start with a lowercase letter, contain only "
                    "lowercase letters and numbers, and be 1 to 12 characters long.",
                    f"agentPoolProfiles[{index}].name",
                )
            if name in names:
                raise exc.invalid_parameter(f"Agent pool name '{name}' is used twice.", f"agentPoolProfiles[{index}].name")
            names.add(name)
            for key in READ_ONLY_POOL:
                pool.pop(key, None)
            count = pool.get("count", 1)
            if not isinstance(count, int) or not 0 <= count <= 1000:
                raise exc.invalid_parameter("Agent pool count must be between 0 and 1000.",
                                            f"agentPoolProfiles[{index}].count")
            pool["count"] = count
            pool_version = self.resolve_version(location, pool.get("orchestratorVersion") or version)
            if _vkey(pool_version)[:2] > _vkey(version)[:2] or _vkey(version)[1] - _vkey(pool_version)[1] > 2:
                raise exc.invalid_parameter(
                    f"Node pool version {pool_version} and control plane version {version} are incompatible.",
                    f"agentPoolProfiles[{index}].orchestratorVersion",
                )
            pool["orchestratorVersion"] = pool.get("orchestratorVersion") or props.get("kubernetesVersion") or version
            pool["currentOrchestratorVersion"] = pool_version
            pool.setdefault("vmSize", "Standard_D4ds_v5")
            pool.setdefault("maxPods", default_max_pods)
            pool.setdefault("osType", "Linux")
            pool.setdefault("type", "VirtualMachineScaleSets")
            pool.setdefault("upgradeSettings", {"maxSurge": "10%"})
            pool.setdefault("enableAutoScaling", False)
            if not pool["enableAutoScaling"]:
                pool.setdefault("minCount", None)
                pool.setdefault("maxCount", None)
            pool.setdefault("nodeImageVersion", (old.get(name) or {}).get("nodeImageVersion", NODE_IMAGE))
            pool["provisioningState"] = state
            pool["powerState"] = copy.deepcopy((old.get(name) or {}).get("powerState") or {"code": "Running"})
            pool["eTag"] = new_etag(self.state, name)
            pools.append(pool)
        if not any(p.get("mode") for p in pools):
            pools[0]["mode"] = "System"
        for pool in pools:
            pool.setdefault("mode", "User")
        if require_system and not any(p["mode"] == "System" for p in pools):
            raise exc.invalid_parameter("A managed cluster must have at least one agent pool of mode 'System'.",
                                        "agentPoolProfiles")
        return pools

    @staticmethod
    def _check_upgrade(current: str, wanted: str) -> None:
        """AKS refuses downgrades and skipping a minor version."""
        if _vkey(wanted) < _vkey(current):
            raise exc.invalid_parameter(
                f"Downgrading Kubernetes version from {current} to {wanted} is not allowed.", "kubernetesVersion")
        if _vkey(wanted)[:1] != _vkey(current)[:1] or _vkey(wanted)[1] - _vkey(current)[1] > 1:
            raise exc.invalid_parameter(
                f"Upgrading Kubernetes version from {current} to {wanted} is not allowed: minor versions cannot be "
                "skipped; upgrade to the next minor version first.", "kubernetesVersion")

    def upgrade_profile(self, sub: str, rg: str, name: str) -> dict[str, Any]:
        """ManagedClusters_GetUpgradeProfile: the versions the control plane and each pool may move to."""
        cluster = self.get(sub, rg, name)
        props = cluster["properties"]
        values = (self._offer(cluster["location"]) or {"values": []})["values"]
        preview = {v["version"] for v in values if v.get("isPreview")}

        def upgrades(version: str) -> list[dict[str, Any]]:
            found = next((v["patchVersions"][version] for v in values if version in v["patchVersions"]), None)
            out = []
            for target in (found or {}).get("upgrades", []):
                out.append({"kubernetesVersion": target, "isPreview": _minor(target) in preview})
            return out

        current = props["currentKubernetesVersion"]
        return {
            "id": f"{cluster['id']}/upgradeprofiles/default", "name": "default",
            "type": f"{CLUSTER_TYPE}/upgradeprofiles",
            "properties": {
                "controlPlaneProfile": {"kubernetesVersion": current, "name": "master", "osType": "Linux",
                                        "upgrades": upgrades(current)},
                "agentPoolProfiles": [
                    {"kubernetesVersion": p.get("currentOrchestratorVersion") or current, "name": p["name"],
                     "osType": p.get("osType", "Linux"),
                     "upgrades": upgrades(p.get("currentOrchestratorVersion") or current)}
                    for p in props["agentPoolProfiles"]],
            },
        }

    # ---- agent pools as their own resource ------------------------------------------------------
    def _profile(self, cluster: dict[str, Any], pool_name: str) -> dict[str, Any] | None:
        return next((p for p in cluster["properties"]["agentPoolProfiles"] if p["name"].lower() == pool_name.lower()),
                    None)

    def put_pool(self, sub: str, rg: str, name: str, pool_name: str, body: dict[str, Any], *,
                 if_match: str | None, if_none_match: str | None) -> tuple[bool, dict[str, Any], str]:
        """AgentPools_CreateOrUpdate; returns (created, cluster, operation kind). A change of
        `powerState.code` alone stops or starts the pool (a System pool cannot be stopped)."""
        cluster = self.get(sub, rg, name)
        current = self._profile(cluster, pool_name)
        check_conditions(if_match, if_none_match, current["eTag"] if current else None,
                         f"agent pool '{pool_name}'", star_only_none_match=False)
        self._refuse_if_busy_or_stopped(cluster, "agentPools/write")
        props = cluster["properties"]
        raw = copy.deepcopy(body.get("properties") or {})
        if not isinstance(raw, dict):
            raise exc.invalid_parameter("properties must be an object.", "properties")
        if current is not None and current.get("provisioningState") in BUSY:
            raise exc.operation_not_allowed(
                f"Operation is not allowed because agent pool '{current['name']}' is in provisioning state "
                f"'{current['provisioningState']}'.")
        wanted_power = (raw.get("powerState") or {}).get("code")
        if current is not None and wanted_power and wanted_power != current["powerState"]["code"]:
            if wanted_power not in ("Running", "Stopped"):
                raise exc.invalid_parameter(f"powerState.code '{wanted_power}' is not valid.", "properties.powerState")
            if wanted_power == "Stopped" and current.get("mode") == "System":
                raise exc.operation_not_allowed(
                    f"Agent pool '{current['name']}' is a System pool; System pools cannot be stopped.")
            current["provisioningState"] = "Stopping" if wanted_power == "Stopped" else "Starting"
            current["eTag"] = new_etag(self.state, current["name"])
            cluster["eTag"] = new_etag(self.state, cluster["id"])
            return False, cluster, "poolstop" if wanted_power == "Stopped" else "poolstart"
        if current is not None and current["powerState"]["code"] == "Stopped":
            raise exc.operation_not_allowed(
                f"Agent pool '{current['name']}' is stopped; start it before changing it.")
        raw["name"] = pool_name
        raw.pop("powerState", None)
        raw.setdefault("mode", (current or {}).get("mode") or "User")
        network = props.get("networkProfile") or {}
        normalised = self._pools({"kubernetesVersion": props["kubernetesVersion"], "agentPoolProfiles": [raw]},
                                 cluster["location"], props["currentKubernetesVersion"], network,
                                 {"properties": {"agentPoolProfiles": [current] if current else []}},
                                 "Updating" if current else "Creating", require_system=False)[0]
        pools = [p for p in props["agentPoolProfiles"] if p is not current] + [normalised]
        if current is not None:
            pools = [normalised if p is current else p for p in props["agentPoolProfiles"]]
        if not any(p.get("mode") == "System" for p in pools):
            raise exc.invalid_parameter("A managed cluster must have at least one agent pool of mode 'System'.",
                                        "properties.mode")
        if len(pools) > props.get("maxAgentPools", 100):
            raise exc.operation_not_allowed(f"A managed cluster can have at most {props.get('maxAgentPools', 100)} "
                                            "agent pools.")
        self._check_subnets({"properties": {**props, "agentPoolProfiles": pools}}, cluster)
        props["agentPoolProfiles"] = pools
        cluster["eTag"] = new_etag(self.state, cluster["id"])
        return current is None, cluster, "poolupdate" if current else "poolcreate"

    def begin_delete_pool(self, sub: str, rg: str, name: str, pool_name: str,
                          if_match: str | None) -> dict[str, Any] | None:
        cluster = self.get(sub, rg, name)
        current = self._profile(cluster, pool_name)
        check_conditions(if_match, None, current["eTag"] if current else None, f"agent pool '{pool_name}'",
                         star_only_none_match=False)
        if current is None:
            return None
        if cluster["properties"]["provisioningState"] in BUSY or current.get("provisioningState") in BUSY:
            raise exc.operation_not_allowed(
                f"Operation is not allowed because agent pool '{current['name']}' or its cluster is busy.")
        others = [p for p in cluster["properties"]["agentPoolProfiles"] if p is not current]
        if current.get("mode") == "System" and not any(p.get("mode") == "System" for p in others):
            raise exc.operation_not_allowed(
                f"Agent pool '{current['name']}' is the cluster's last System pool and cannot be deleted.")
        current["provisioningState"] = "Deleting"
        cluster["eTag"] = new_etag(self.state, cluster["id"])
        return cluster

    def _identity(self, identity: dict[str, Any], rid: str) -> None:
        kind = str(identity.get("type", ""))
        sub, _, _ = split_id(rid)
        if kind == "SystemAssigned":
            identity["principalId"] = stable_guid(rid, "principal")
            identity["tenantId"] = stable_guid(sub, "tenant")
        for uai in (identity.get("userAssignedIdentities") or {}):
            identity["userAssignedIdentities"][uai] = {
                "clientId": stable_guid(uai, "client"),
                "principalId": stable_guid(uai, "principal"),
            }

    def _check_subnets(self, cluster: dict[str, Any], existing: dict[str, Any] | None) -> None:
        if self.subnet_free is None:
            return
        network = cluster["properties"]["networkProfile"]
        needed: dict[str, int] = {}
        for pool in cluster["properties"]["agentPoolProfiles"]:
            subnet = pool.get("vnetSubnetID")
            if subnet:
                needed[subnet] = needed.get(subnet, 0) + addresses_per_pool(pool, network)
        for subnet, count in needed.items():
            free = self.subnet_free(subnet)
            if free is None:
                continue
            if existing is not None:  # the cluster's current nodes are already counted as used
                free += sum(addresses_per_pool(p, network) for p in existing["properties"]["agentPoolProfiles"]
                            if (p.get("vnetSubnetID") or "").lower() == subnet.lower())
            if count > free:
                raise exc.insufficient_subnet(count, free, subnet)

    def _refuse_if_busy_or_stopped(self, cluster: dict[str, Any], action: str) -> None:
        props = cluster["properties"]
        if props["provisioningState"] in BUSY:
            raise exc.operation_in_progress(props["provisioningState"])
        if props["powerState"]["code"] == "Stopped":
            raise exc.operation_not_allowed(
                f"Operation '{action}' is not allowed because the managed cluster '{cluster['name']}' is stopped; "
                "only start and delete are allowed on a stopped cluster."
            )

    def begin_delete(self, sub: str, rg: str, name: str, if_match: str | None) -> dict[str, Any] | None:
        cluster = self.find(sub, rg, name)
        check_conditions(if_match, None, cluster["eTag"] if cluster else None, f"managed cluster '{name}'",
                         star_only_none_match=False)
        if cluster is None:
            return None
        if cluster["properties"]["provisioningState"] == "Deleting":
            raise exc.operation_not_allowed(f"Managed cluster '{name}' is already being deleted.")
        for op in self.ctx.ops.in_progress_for(cluster["id"]):
            self.ctx.ops.finish(op, "Canceled", {"code": "OperationCanceled",
                                                 "message": "The operation was canceled by a delete."})
        cluster["properties"]["provisioningState"] = "Deleting"
        for pool in cluster["properties"]["agentPoolProfiles"]:
            pool["provisioningState"] = "Deleting"
        return cluster

    def begin_power(self, sub: str, rg: str, name: str, start: bool) -> dict[str, Any]:
        cluster = self.get(sub, rg, name)
        props = cluster["properties"]
        if props["provisioningState"] in BUSY:  # AKS serialises a cluster's operations
            raise exc.operation_in_progress(props["provisioningState"])
        if start:
            if props["powerState"]["code"] == "Running" or props["provisioningState"] != "Succeeded":
                raise exc.operation_not_allowed(
                    f"Start is not allowed: managed cluster '{name}' is in power state "
                    f"'{props['powerState']['code']}' and provisioning state '{props['provisioningState']}'."
                )
            props["provisioningState"] = "Starting"
        else:
            if props["provisioningState"] != "Succeeded" or props["powerState"]["code"] != "Running":
                raise exc.operation_not_allowed(
                    f"Stop is only allowed on a running cluster in provisioning state 'Succeeded'; managed cluster "
                    f"'{name}' is '{props['powerState']['code']}' / '{props['provisioningState']}'."
                )
            props["provisioningState"] = "Stopping"
        cluster["eTag"] = new_etag(self.state, cluster["id"])
        return cluster

    def begin_update_tags(self, sub: str, rg: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        cluster = self.get(sub, rg, name)
        self._refuse_if_busy_or_stopped(cluster, "updateTags")
        tags = body.get("tags")
        if tags is not None and not isinstance(tags, dict):
            raise exc.invalid_parameter("tags must be an object.", "tags")
        cluster["tags"] = copy.deepcopy(tags or {})
        cluster["properties"]["provisioningState"] = "Updating"
        cluster["eTag"] = new_etag(self.state, cluster["id"])
        cluster["systemData"] = self.ctx.system_data(cluster.get("systemData"))
        return cluster

    def credentials(self, sub: str, rg: str, name: str, role: str) -> dict[str, Any]:
        cluster = self.get(sub, rg, name)
        props = cluster["properties"]
        if props["provisioningState"] in ("Creating", "Deleting") or (
            props["provisioningState"] == "Failed" and not props.get("_created")
        ):
            raise exc.operation_not_allowed(
                f"Managed cluster '{name}' is in provisioning state '{props['provisioningState']}'; "
                "credentials are not available."
            )
        if role == "admin" and props.get("disableLocalAccounts"):
            raise ArmError(400, "BadRequest", "Getting static credential is not allowed because this cluster "
                                                  "is set to disable local accounts.")
        raw = self.ctx.hooks.kubeconfig(cluster["id"], role)
        return {"kubeconfigs": [{"name": "clusterAdmin" if role == "admin" else "clusterUser",
                                 "value": base64.b64encode(raw).decode()}]}

    # ---- seeding and inspection ----------------------------------------------------------------
    def mark_settled(self, cluster: dict[str, Any], running: bool) -> None:
        props = cluster["properties"]
        was_running = (props.get("powerState") or {}).get("code") == "Running"
        props["provisioningState"] = "Succeeded"
        props["_created"] = True
        props["powerState"] = {"code": "Running" if running else "Stopped"}
        for pool in props["agentPoolProfiles"]:
            pool["provisioningState"] = "Succeeded"
            if running and was_running and (pool.get("powerState") or {}).get("code") == "Stopped":
                continue  # a pool stopped on its own stays stopped while its cluster runs on
            pool["powerState"] = {"code": "Running" if running else "Stopped"}

    def set_power(self, resource_id: str, running: bool) -> None:
        cluster = self.find_by_id(resource_id)
        if cluster is None:
            raise KeyError(resource_id)
        self.mark_settled(cluster, running)
        cluster["eTag"] = new_etag(self.state, cluster["id"])
        self.ctx.hooks.cluster_power_changed(cluster["id"], running)

    # ---- completion of long-running operations ------------------------------------------------
    def _complete(self, op: dict[str, Any]) -> None:
        cluster = self.find_by_id(op["_resource"])
        if cluster is None:
            return
        kind = op["_kind"].split(".", 1)[1]
        props = cluster["properties"]
        if kind.startswith("pool"):
            self._complete_pool(cluster, kind, op)
            return
        if op["status"] == "Failed":
            props.pop("_upgradeTo", None)
            props["provisioningState"] = "Failed"
            props["status"] = {"provisioningError": copy.deepcopy(op["error"])}
            for pool in props["agentPoolProfiles"]:
                pool["provisioningState"] = "Failed"
            return
        props.pop("status", None)
        if kind == "delete":
            del self.state["clusters"][cluster["id"].lower()]
            self.ctx.hooks.cluster_deleted(cluster["id"])
        elif kind == "upgrade":
            version = props.pop("_upgradeTo", props["currentKubernetesVersion"])
            props["currentKubernetesVersion"] = version
            self.mark_settled(cluster, running=True)
            self.ctx.hooks.cluster_upgraded(cluster["id"], version)
        elif kind in ("stop", "start"):
            self.mark_settled(cluster, running=kind == "start")
            self.ctx.hooks.cluster_power_changed(cluster["id"], kind == "start")
        else:
            first = not props.get("_created")
            self.mark_settled(cluster, running=True)
            if first:
                self.ctx.hooks.cluster_created(cluster["id"], cluster["name"], props["currentKubernetesVersion"])


    def _complete_pool(self, cluster: dict[str, Any], kind: str, op: dict[str, Any]) -> None:
        pool = self._profile(cluster, op["_data"].get("pool", ""))
        if pool is None:
            return
        if op["status"] == "Failed":
            pool["provisioningState"] = "Failed"
            return
        if kind == "pooldelete":
            cluster["properties"]["agentPoolProfiles"].remove(pool)
        else:
            pool["provisioningState"] = "Succeeded"
            if kind in ("poolstop", "poolstart"):
                pool["powerState"] = {"code": "Stopped" if kind == "poolstop" else "Running"}
        cluster["eTag"] = new_etag(self.state, cluster["id"])


def public(cluster: dict[str, Any]) -> dict[str, Any]:
    """The wire document: our bookkeeping keys start with '_'."""
    body = copy.deepcopy(cluster)
    body["properties"] = {k: v for k, v in body["properties"].items() if not k.startswith("_")}
    return body
