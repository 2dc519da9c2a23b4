"""Build green's ManagedCluster PUT body from blue's GET, following azure-rest-examples/aks-clone-notes.md.

Pure: no I/O, input never mutated. Works on the ARM wire form (ManagedClusterInfo.raw).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

# Notes §1: read-only on the ManagedCluster resource.
_TOP_READ_ONLY = ("id", "name", "type", "systemData", "eTag", "etag")
# Notes §1: read-only (or blue's state) in `properties`.
_PROPS_DROP = (
    "provisioningState",
    "powerState",
    "maxAgentPools",
    "currentKubernetesVersion",
    "fqdn",
    "privateFQDN",
    "azurePortalFQDN",
    "resourceUID",
    "status",
    "privateLinkResources",
    "nodeResourceGroup",
    "dnsPrefix",
    "fqdnSubdomain",
)
# Notes §1: read-only or blue's state on each agent pool.
_POOL_DROP = (
    "eTag",
    "etag",
    "currentOrchestratorVersion",
    "provisioningState",
    "status",
    "nodeImageVersion",
    "powerState",
    "virtualMachineNodesStatus",
)
# Notes §2 "Outbound IPs": never reuse blue's; managedOutboundIPs.count is safe.
_OUTBOUND_IP_KEYS = ("outboundIPs", "outboundIPPrefixes", "effectiveOutboundIPs")
# Notes §2 "Add-ons": retired add-on that no supported version runs.
_RETIRED_ADDONS = ("httpApplicationRouting", "httpapplicationrouting")
_AGIC = ("ingressApplicationGateway", "ingressapplicationgateway")


def green_cluster_body(
    blue_raw: Mapping[str, Any],
    *,
    name: str,
    kubernetes_version: str,
    dns_prefix: str | None = None,
    pool_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    subnet_id: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
    default_max_surge: str = "33%",
) -> dict[str, Any]:
    """The PUT body for green, cloned from blue's ARM JSON. Per field, what and why (notes section):

    Dropped:
    - id, name, type, systemData, eTag: read-only on the resource (§1).
    - identity.principalId / tenantId: read-only (§1).
    - identity.userAssignedIdentities.<id> values -> {}: principalId/clientId are read-only; ARM rejects them (§1, TF).
    - provisioningState, powerState, maxAgentPools, currentKubernetesVersion, fqdn, privateFQDN, azurePortalFQDN,
      resourceUID, status: read-only (§1).
    - privateLinkResources: blue's private-link ids (§1 "writable but blue's state").
    - upgradeSettings.overrideSettings: blue's forceUpgrade window with an `until` timestamp (§1).
    - oidcIssuerProfile.issuerURL, addonProfiles.*.identity, ingressProfile.webAppRouting.identity,
      podIdentityProfile.userAssignedIdentities[].provisioningState/provisioningInfo: read-only (§1).
    - networkProfile.{loadBalancer,natGateway}Profile.effectiveOutboundIPs: read-only (§1).
    - networkProfile.{loadBalancer,natGateway}Profile.outboundIPs / outboundIPPrefixes: an IP in use by blue's
      outbound config must not be reused (§2 "Outbound IPs"); green falls back to AKS-managed IPs.
    - nodeResourceGroup: can't be an existing RG and AKS deletes it with blue; AKS names green's (§2).
    - identityProfile.kubeletidentity when it lives in blue's node RG: AKS-created, dies with blue (§2 "Identities").
    - addonProfiles.httpApplicationRouting: retired, runs on no supported version (§2 "Add-ons").
    - addonProfiles.ingressApplicationGateway bound to an existing gateway (applicationGatewayId): one AGIC add-on per
      gateway; green needs its own (§2 "Add-ons"); see clone_warnings.
    - ingressProfile.webAppRouting.dnsZoneResourceIds: both add-ons would write the same zones (§2, inference).
    - agentPoolProfiles[].eTag, currentOrchestratorVersion, provisioningState, status: read-only (§1).
    - agentPoolProfiles[].localDNSProfile.state: read-only (§1).
    - agentPoolProfiles[].nodeImageVersion: setting it triggers a rollback to blue's image (§1).
    - agentPoolProfiles[].powerState, virtualMachineNodesStatus: blue's runtime state (§1).
    Changed:
    - dnsPrefix (or fqdnSubdomain, whichever blue used): immutable and must differ from blue's (§2, §3);
      `dns_prefix` or one derived from `name`.
    - kubernetesVersion and every pool's orchestratorVersion: the target version (§4).
    - agentPoolProfiles[].upgradeSettings.maxSurge: `default_max_surge` when blue had none; spec and docs disagree on
      the default, so always send one (§5).
    - agentPoolProfiles[].vnetSubnetID: `subnet_id` when given (§2 "Subnets"; kubenet can't share blue's).
    - pool_overrides[pool name]: deep-merged into that pool last (e.g. a new vmSize or maxPods, §3).
    - tags: blue's tags plus `extra_tags` (extra wins).
    Kept: location (create-only, §3), identity type and user-assigned identity ids, sku, networkProfile minus the
    outbound bits, apiServerAccessProfile (incl. a custom privateDNSZone, see clone_warnings), everything else.
    """
    blue = copy.deepcopy(dict(blue_raw))
    body: dict[str, Any] = {k: v for k, v in blue.items() if k not in _TOP_READ_ONLY}

    identity = body.get("identity")
    if isinstance(identity, dict):
        identity.pop("principalId", None)
        identity.pop("tenantId", None)
        uai = identity.get("userAssignedIdentities")
        if isinstance(uai, dict):
            identity["userAssignedIdentities"] = {rid: {} for rid in uai}

    props: dict[str, Any] = dict(body.get("properties") or {})
    blue_node_rg = str(props.get("nodeResourceGroup") or "")
    used_fqdn_subdomain = bool(props.get("fqdnSubdomain")) and not props.get("dnsPrefix")
    for key in _PROPS_DROP:
        props.pop(key, None)
    props["fqdnSubdomain" if used_fqdn_subdomain else "dnsPrefix"] = dns_prefix or derive_dns_prefix(name)
    props["kubernetesVersion"] = kubernetes_version

    _drop_nested(props, "upgradeSettings", "overrideSettings")
    _drop_nested(props, "oidcIssuerProfile", "issuerURL")
    _clean_network(props)
    _clean_identity_profile(props, blue_node_rg)
    _clean_addons(props)
    _clean_ingress(props)
    _clean_pod_identity(props)

    props["agentPoolProfiles"] = [
        _clone_pool(
            pool,
            kubernetes_version,
            default_max_surge,
            subnet_id,
            (pool_overrides or {}).get(pool.get("name", "")),
        )
        for pool in props.get("agentPoolProfiles") or []
    ]
    unknown = set(pool_overrides or {}) - {p.get("name") for p in props["agentPoolProfiles"]}
    if unknown:
        raise ValueError(f"pool_overrides name pools blue does not have: {sorted(unknown)}")
    body["properties"] = props

    tags = dict(body.get("tags") or {})
    tags.update(extra_tags or {})
    body["tags"] = tags
    return body


def derive_dns_prefix(name: str) -> str:
    """A valid dnsPrefix (1-54 chars, alphanumerics and '-', alphanumeric at both ends) from a cluster name."""
    prefix = re.sub(r"[^A-Za-z0-9-]", "-", name)[:54].strip("-")
    return prefix or "green"


def _drop_nested(obj: dict[str, Any], parent: str, key: str) -> None:
    section = obj.get(parent)
    if isinstance(section, dict):
        section.pop(key, None)
        if not section:
            obj.pop(parent)


def _clean_network(props: dict[str, Any]) -> None:
    network = props.get("networkProfile")
    if not isinstance(network, dict):
        return
    for profile in ("loadBalancerProfile", "natGatewayProfile"):
        section = network.get(profile)
        if isinstance(section, dict):
            for key in _OUTBOUND_IP_KEYS:
                section.pop(key, None)


def _clean_identity_profile(props: dict[str, Any], blue_node_rg: str) -> None:
    profile = props.get("identityProfile")
    if not isinstance(profile, dict):
        return
    kubelet = profile.get("kubeletidentity")
    if isinstance(kubelet, dict) and _in_resource_group(str(kubelet.get("resourceId") or ""), blue_node_rg):
        profile.pop("kubeletidentity")
    if not profile:
        props.pop("identityProfile")


def _in_resource_group(resource_id: str, resource_group: str) -> bool:
    if not resource_id or not resource_group:
        return False
    return f"/resourcegroups/{resource_group.lower()}/" in resource_id.lower()


def _clean_addons(props: dict[str, Any]) -> None:
    addons = props.get("addonProfiles")
    if not isinstance(addons, dict):
        return
    for key in list(addons):
        if key in _RETIRED_ADDONS or (key in _AGIC and _agic_gateway_id(addons[key])):
            addons.pop(key)
            continue
        if isinstance(addons[key], dict):
            addons[key].pop("identity", None)


def _agic_gateway_id(addon: Any) -> str | None:
    if not isinstance(addon, dict) or not addon.get("enabled", True):
        return None
    config = addon.get("config") or {}
    return config.get("applicationGatewayId") or config.get("applicationgatewayid")


def _clean_ingress(props: dict[str, Any]) -> None:
    routing = (props.get("ingressProfile") or {}).get("webAppRouting")
    if isinstance(routing, dict):
        routing.pop("identity", None)
        routing.pop("dnsZoneResourceIds", None)


def _clean_pod_identity(props: dict[str, Any]) -> None:
    pod_identity = props.get("podIdentityProfile")
    if isinstance(pod_identity, dict):
        for item in pod_identity.get("userAssignedIdentities") or []:
            if isinstance(item, dict):
                item.pop("provisioningState", None)
                item.pop("provisioningInfo", None)


def _clone_pool(
    pool: Mapping[str, Any],
    version: str,
    default_max_surge: str,
    subnet_id: str | None,
    override: Mapping[str, Any] | None,
) -> dict[str, Any]:
    green = {k: copy.deepcopy(v) for k, v in pool.items() if k not in _POOL_DROP}
    _drop_nested(green, "localDNSProfile", "state")
    green["orchestratorVersion"] = version
    upgrade = dict(green.get("upgradeSettings") or {})
    upgrade.setdefault("maxSurge", default_max_surge)
    if not upgrade.get("maxSurge"):
        upgrade["maxSurge"] = default_max_surge
    green["upgradeSettings"] = upgrade
    if subnet_id:
        green["vnetSubnetID"] = subnet_id
    if override:
        _deep_merge(green, override)
    return green


def _deep_merge(target: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def clone_warnings(blue_raw: Mapping[str, Any]) -> list[str]:
    """What a person must do or decide before (or after) creating green from this blue; [] if nothing."""
    props = blue_raw.get("properties") or {}
    network = props.get("networkProfile") or {}
    warnings: list[str] = []
    addons = props.get("addonProfiles") or {}

    for key in _AGIC:
        gateway = _agic_gateway_id(addons.get(key))
        if gateway:
            warnings.append(
                f"AGIC add-on is bound to blue's Application Gateway {gateway}; one add-on per gateway, so green's "
                "body drops it: give green its own gateway, or run AGIC through Helm on both (notes §2)."
            )
    for key in _RETIRED_ADDONS:
        if (addons.get(key) or {}).get("enabled"):
            warnings.append(
                "httpApplicationRouting is retired and dropped from green; move ingress to app routing (§2)."
            )
    zones = ((props.get("ingressProfile") or {}).get("webAppRouting") or {}).get("dnsZoneResourceIds") or []
    if zones:
        warnings.append(
            f"web app routing manages DNS zones {list(zones)} on blue; green's body drops them so the two add-ons don't "
            "write the same records: attach them to green at cutover, or give green its own (sub)zone (§2)."
        )
    pools = props.get("agentPoolProfiles") or []
    if network.get("networkPlugin") == "kubenet" and any(p.get("vnetSubnetID") for p in pools):
        warnings.append(
            "kubenet clusters can't share a subnet: pass green its own subnet (subnet_id) (§2 'Subnets')."
        )
    node_rg = str(props.get("nodeResourceGroup") or "")
    kubelet = (props.get("identityProfile") or {}).get("kubeletidentity") or {}
    if kubelet.get("resourceId"):
        if _in_resource_group(str(kubelet["resourceId"]), node_rg):
            warnings.append(
                "blue's kubelet identity was created by AKS in blue's node resource group; green gets a new one: "
                "re-grant its roles (AcrPull on registries, Key Vault access, ...) (§2 'Identities')."
            )
        else:
            warnings.append(
                f"green reuses the BYO kubelet identity {kubelet['resourceId']}: the control-plane identity needs "
                "Managed Identity Operator on it, and its role grants already cover green (§2 'Identities')."
            )
    with_identity = sorted(
        k for k, v in addons.items() if isinstance(v, dict) and v.get("enabled") and v.get("identity")
    )
    if with_identity:
        warnings.append(
            f"add-ons {with_identity} get new identities on green: re-grant their roles "
            "(e.g. Monitoring Metrics Publisher for omsagent, Key Vault access for the secrets provider) (§2)."
        )
    if (props.get("oidcIssuerProfile") or {}).get("enabled") or (
        (props.get("securityProfile") or {}).get("workloadIdentity") or {}
    ).get("enabled"):
        warnings.append(
            "workload identity: federated credentials are per OIDC issuer; add credentials for green's issuer URL "
            "(known only after create) on every identity blue's service accounts use (§2)."
        )
    for profile in ("loadBalancerProfile", "natGatewayProfile"):
        section = network.get(profile) or {}
        if section.get("outboundIPs") or section.get("outboundIPPrefixes"):
            warnings.append(
                f"blue uses its own outbound IPs ({profile}); they can't be reused, so green egresses from new "
                "AKS-managed IPs: update allow-lists on the far side, or give green new BYO IPs (§2 'Outbound IPs')."
            )
    private_zone = (props.get("apiServerAccessProfile") or {}).get("privateDNSZone")
    if private_zone and str(private_zone).lower() not in ("system", "none"):
        warnings.append(
            f"private cluster in custom zone {private_zone}: green needs a user-assigned identity with Private DNS "
            "Zone Contributor and Network Contributor, and its own fqdnSubdomain (§2 'Private cluster DNS')."
        )
    client_id = (props.get("servicePrincipalProfile") or {}).get("clientId")
    if client_id and client_id != "msi":
        warnings.append(
            "blue uses a service principal; its secret is write-only and not in the GET: set "
            "servicePrincipalProfile.secret (or move green to a managed identity) before the PUT (§1)."
        )
    if props.get("windowsProfile"):
        warnings.append(
            "windowsProfile.adminPassword is write-only: set it in green's body before the PUT (§1)."
        )
    if (props.get("aadProfile") or {}).get("serverAppID"):
        warnings.append(
            "legacy AAD integration: aadProfile.serverAppSecret is write-only; set it or use managed AAD (§1)."
        )
    return warnings
