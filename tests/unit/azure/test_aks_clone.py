from __future__ import annotations

import copy
import json

import pytest
from bg_azure_testkit import example

from bluegreen.azure.aks_clone import clone_warnings, derive_dns_prefix, green_cluster_body

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"


def blue_get() -> dict:
    return example("containerservice/ManagedClusters_Get.json")["responses"]["200"]["body"]


def rich_blue() -> dict:
    """A hand-made blue with the traps the notes list: MSI, BYO vnet, add-ons, outbound IPs, OIDC, private cluster."""
    node_rg = "MC_rg1_blue_eastus"
    uai = f"{SUB}/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cp"
    return {
        "id": f"{SUB}/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/blue",
        "name": "blue",
        "type": "Microsoft.ContainerService/managedClusters",
        "eTag": "e1",
        "systemData": {"createdBy": "x"},
        "location": "eastus",
        "sku": {"name": "Base", "tier": "Standard"},
        "tags": {"env": "prod", "bluegreen/role": "blue"},
        "identity": {
            "type": "UserAssigned",
            "principalId": "p",
            "tenantId": "t",
            "userAssignedIdentities": {uai: {"principalId": "pp", "clientId": "cc"}},
        },
        "properties": {
            "kubernetesVersion": "1.29",
            "currentKubernetesVersion": "1.29.7",
            "provisioningState": "Succeeded",
            "powerState": {"code": "Running"},
            "dnsPrefix": "blue-dns",
            "fqdn": "blue-dns-123.hcp.eastus.azmk8s.io",
            "nodeResourceGroup": node_rg,
            "resourceUID": "u",
            "maxAgentPools": 100,
            "servicePrincipalProfile": {"clientId": "msi"},
            "oidcIssuerProfile": {"enabled": True, "issuerURL": "https://eastus.oic.prod-aks.azure.com/t/u/"},
            "securityProfile": {"workloadIdentity": {"enabled": True}},
            "upgradeSettings": {"overrideSettings": {"forceUpgrade": True, "until": "2026-01-01T00:00:00Z"}},
            "apiServerAccessProfile": {"enablePrivateCluster": True, "privateDNSZone": "system"},
            "privateLinkResources": [{"id": "pl1", "privateLinkServiceID": "pls"}],
            "identityProfile": {
                "kubeletidentity": {
                    "resourceId": f"{SUB}/resourcegroups/{node_rg}/providers/Microsoft.ManagedIdentity/"
                    "userAssignedIdentities/blue-agentpool",
                    "clientId": "k",
                    "objectId": "o",
                }
            },
            "addonProfiles": {
                "omsagent": {
                    "enabled": True,
                    "config": {"logAnalyticsWorkspaceResourceID": "ws"},
                    "identity": {"resourceId": "x", "clientId": "y", "objectId": "z"},
                },
                "httpApplicationRouting": {"enabled": True},
                "ingressApplicationGateway": {
                    "enabled": True,
                    "config": {"applicationGatewayId": "agw-blue"},
                    "identity": {"resourceId": "a"},
                },
            },
            "ingressProfile": {
                "webAppRouting": {
                    "enabled": True,
                    "dnsZoneResourceIds": ["zone1"],
                    "identity": {"resourceId": "w"},
                }
            },
            "networkProfile": {
                "networkPlugin": "azure",
                "networkPluginMode": "overlay",
                "podCidr": "10.244.0.0/16",
                "serviceCidr": "10.0.0.0/16",
                "dnsServiceIP": "10.0.0.10",
                "outboundType": "loadBalancer",
                "loadBalancerProfile": {
                    "managedOutboundIPs": {"count": 2},
                    "outboundIPs": {"publicIPs": [{"id": "ip1"}]},
                    "effectiveOutboundIPs": [{"id": "ip1"}],
                    "allocatedOutboundPorts": 0,
                },
            },
            "agentPoolProfiles": [
                {
                    "name": "system",
                    "mode": "System",
                    "count": 3,
                    "vmSize": "Standard_D4s_v5",
                    "maxPods": 110,
                    "orchestratorVersion": "1.29",
                    "currentOrchestratorVersion": "1.29.7",
                    "nodeImageVersion": "AKSUbuntu-2204gen2-2024.01.01",
                    "provisioningState": "Succeeded",
                    "powerState": {"code": "Running"},
                    "eTag": "p1",
                    "vnetSubnetID": "subnet-blue",
                    "localDNSProfile": {"mode": "Preferred", "state": "Enabled"},
                },
                {
                    "name": "user",
                    "mode": "User",
                    "count": 5,
                    "vmSize": "Standard_D8s_v5",
                    "orchestratorVersion": "1.29",
                    "upgradeSettings": {"maxSurge": "10%", "drainTimeoutInMinutes": 30},
                },
            ],
        },
    }


def test_example_get_is_cloned_per_the_notes():
    blue = blue_get()
    original = copy.deepcopy(blue)
    body = green_cluster_body(
        blue, name="clustername1-green", kubernetes_version="1.10.3", extra_tags={"bg": "green"}
    )
    assert blue == original  # pure: input untouched
    for key in ("id", "name", "type", "eTag"):
        assert key not in body
    assert body["location"] == "location1"
    props = body["properties"]
    for key in (
        "provisioningState",
        "maxAgentPools",
        "currentKubernetesVersion",
        "fqdn",
        "azurePortalFQDN",
        "nodeResourceGroup",
        "upgradeSettings",
    ):
        assert key not in props, key
    assert props["dnsPrefix"] == "clustername1-green" != blue["properties"]["dnsPrefix"]
    assert props["kubernetesVersion"] == "1.10.3"
    lb = props["networkProfile"]["loadBalancerProfile"]
    assert "outboundIPs" not in lb and "effectiveOutboundIPs" not in lb
    assert lb["allocatedOutboundPorts"] == 2000 and lb["idleTimeoutInMinutes"] == 10
    assert props["networkProfile"]["networkPlugin"] == "kubenet"
    assert props["networkProfile"]["podCidr"] == "10.244.0.0/16"
    (pool,) = props["agentPoolProfiles"]
    for key in ("currentOrchestratorVersion", "eTag", "nodeImageVersion", "provisioningState"):
        assert key not in pool, key
    assert pool["orchestratorVersion"] == "1.10.3"
    assert pool["upgradeSettings"] == {"maxSurge": "33%"}
    assert pool["availabilityZones"] == ["1", "2", "3"]
    assert body["tags"] == {"env": "prod", "team": "shop", "bg": "green"}
    assert props["diskEncryptionSetID"].endswith("/diskEncryptionSets/des-shop")
    json.dumps(body)  # serialisable as-is


def test_example_get_warnings():
    warnings = clone_warnings(blue_get())
    assert any("outbound IPs" in w for w in warnings)
    assert any("service principal" in w for w in warnings)


def test_rich_blue_drops_every_trap():
    blue = rich_blue()
    body = green_cluster_body(
        blue,
        name="green",
        kubernetes_version="1.30.4",
        dns_prefix="green-dns",
        subnet_id="subnet-green",
        pool_overrides={"user": {"vmSize": "Standard_D16s_v5", "upgradeSettings": {"maxSurge": "50%"}}},
    )
    assert "systemData" not in body and "eTag" not in body
    assert body["identity"] == {
        "type": "UserAssigned",
        "userAssignedIdentities": {next(iter(blue["identity"]["userAssignedIdentities"])): {}},
    }
    assert body["sku"] == {"name": "Base", "tier": "Standard"}
    props = body["properties"]
    assert props["dnsPrefix"] == "green-dns"
    for key in ("powerState", "resourceUID", "privateLinkResources", "upgradeSettings", "identityProfile"):
        assert key not in props, key
    assert props["oidcIssuerProfile"] == {"enabled": True}
    assert props["apiServerAccessProfile"] == {"enablePrivateCluster": True, "privateDNSZone": "system"}
    addons = props["addonProfiles"]
    assert set(addons) == {"omsagent"}
    assert addons["omsagent"] == {"enabled": True, "config": {"logAnalyticsWorkspaceResourceID": "ws"}}
    assert props["ingressProfile"] == {"webAppRouting": {"enabled": True}}
    lb = props["networkProfile"]["loadBalancerProfile"]
    assert lb == {"managedOutboundIPs": {"count": 2}, "allocatedOutboundPorts": 0}
    system, user = props["agentPoolProfiles"]
    assert system["vnetSubnetID"] == user["vnetSubnetID"] == "subnet-green"
    assert system["orchestratorVersion"] == user["orchestratorVersion"] == "1.30.4"
    assert system["localDNSProfile"] == {"mode": "Preferred"}
    assert "powerState" not in system and "nodeImageVersion" not in system
    assert system["upgradeSettings"] == {"maxSurge": "33%"}
    assert user["vmSize"] == "Standard_D16s_v5"
    assert user["upgradeSettings"] == {"maxSurge": "50%", "drainTimeoutInMinutes": 30}
    assert body["tags"] == {"env": "prod", "bluegreen/role": "blue"}


def test_byo_kubelet_identity_outside_node_rg_is_kept():
    blue = rich_blue()
    byo = f"{SUB}/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kubelet"
    blue["properties"]["identityProfile"]["kubeletidentity"]["resourceId"] = byo
    body = green_cluster_body(blue, name="green", kubernetes_version="1.30")
    assert body["properties"]["identityProfile"]["kubeletidentity"]["resourceId"] == byo
    assert any("BYO kubelet identity" in w and "Managed Identity Operator" in w for w in clone_warnings(blue))


def test_fqdn_subdomain_cluster_gets_a_new_subdomain_not_a_dns_prefix():
    blue = rich_blue()
    del blue["properties"]["dnsPrefix"]
    blue["properties"]["fqdnSubdomain"] = "blue-sub"
    body = green_cluster_body(blue, name="green", kubernetes_version="1.30", dns_prefix="green-sub")
    assert body["properties"]["fqdnSubdomain"] == "green-sub"
    assert "dnsPrefix" not in body["properties"]


def test_rich_blue_warnings_name_what_needs_a_human():
    text = "\n".join(clone_warnings(rich_blue()))
    assert "agw-blue" in text  # AGIC bound to blue's gateway
    assert "zone1" in text  # web app routing zones
    assert "federated credentials" in text
    assert "httpApplicationRouting" in text
    assert "omsagent" in text  # add-on identity role grants
    assert "AcrPull" in text  # AKS-created kubelet identity
    assert "outbound IPs" in text
    assert "service principal" not in text  # msi


def test_kubenet_on_a_byo_subnet_warns():
    blue = blue_get()
    blue["properties"]["agentPoolProfiles"][0]["vnetSubnetID"] = "subnet-blue"
    assert any("kubenet" in w for w in clone_warnings(blue))
    assert not any("kubenet" in w for w in clone_warnings(blue_get()))


def test_custom_private_zone_warns():
    blue = rich_blue()
    blue["properties"]["apiServerAccessProfile"]["privateDNSZone"] = (
        f"{SUB}/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones/privatelink.eastus.azmk8s.io"
    )
    assert any("custom zone" in w for w in clone_warnings(blue))


def test_unknown_pool_override_is_an_error():
    with pytest.raises(ValueError, match="nope"):
        green_cluster_body(blue_get(), name="g", kubernetes_version="1.30", pool_overrides={"nope": {}})


def test_derive_dns_prefix_is_valid():
    assert derive_dns_prefix("my_cluster.green") == "my-cluster-green"
    assert len(derive_dns_prefix("a" * 80)) == 54
    assert derive_dns_prefix("---") == "green"
