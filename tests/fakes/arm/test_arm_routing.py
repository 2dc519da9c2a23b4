"""Traffic Manager, Front Door and subnets through TrafficManagerManagementClient, CdnManagementClient and
NetworkManagementClient.

Covers: TM profile GET (Weighted) and endpoint PUT (201/200) / PATCH / GET with casing vs the spec
examples, lower-case `trafficmanagerprofiles` path vs `trafficManagerProfiles` ids, weight 1..1000;
Front Door origin groups GET/list, origins GET/list, PUT (201 + Azure-AsyncOperation) and PATCH
(202 + Azure-AsyncOperation + Location) finishing on the simulated clock, weight 1..1000,
`enabledState`; subnet GET with seeded and cluster-consumed addresses (Azure CNI vs overlay),
and AKS refusing a pool that does not fit its subnet; weights() inspection.
"""

from __future__ import annotations

from typing import Any

import pytest
from arm_helpers import LOCATION, RG, SUB, assert_shape, example
from azure.core.exceptions import HttpResponseError
from azure.mgmt.cdn import CdnManagementClient
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.trafficmanager import TrafficManagerManagementClient

TM = "trafficmanager/"


@pytest.fixture
def tm(make_client: Any, sim: Any) -> TrafficManagerManagementClient:
    sim.seed_traffic_manager(SUB, RG, "shop-tm", endpoints=[
        {"name": "blue", "target": "blue.westeurope.cloudapp.azure.com", "weight": 1000},
        {"name": "green", "target": "green.westeurope.cloudapp.azure.com", "weight": 1, "endpointStatus": "Disabled"},
    ])
    return make_client(TrafficManagerManagementClient)


@pytest.fixture
def cdn(make_client: Any, sim: Any) -> CdnManagementClient:
    sim.seed_front_door(SUB, RG, "shop-fd", "shop-origins", origins=[
        {"name": "blue", "hostName": "blue.contoso.com", "weight": 1000, "priority": 1},
        {"name": "green", "hostName": "green.contoso.com", "weight": 1, "priority": 1, "enabledState": "Disabled"},
    ])
    return make_client(CdnManagementClient)


def test_tm_profile_get(tm, arm) -> None:
    profile = tm.profiles.get(RG, "shop-tm")
    get = arm.last("GET")
    assert "/trafficmanagerprofiles/" in get.url  # what the SDK sends
    raw = get.json()
    assert "/trafficManagerProfiles/" in raw["id"] and raw["type"] == "Microsoft.Network/trafficManagerProfiles"
    # endpointLocation only matters for Performance routing; the example's own request set it
    assert_shape(raw, example(TM + "Profiles_Get.json")["responses"]["200"]["body"],
                 ignore=frozenset({"endpointLocation"}))
    assert profile.traffic_routing_method == "Weighted"
    assert [(e.name, e.weight) for e in profile.endpoints] == [("blue", 1000), ("green", 1)]


def test_tm_endpoint_put_patch_get(tm, arm) -> None:
    body = example(TM + "Endpoints_CreateOrUpdate.json")["parameters"]["parameters"]
    tm.endpoints.create_or_update(RG, "shop-tm", "ExternalEndpoints", "canary", body)
    put = arm.last("PUT")
    assert put.status == 201
    assert_shape(put.json(), example(TM + "Endpoints_CreateOrUpdate.json")["responses"]["201"]["body"])
    assert put.json()["type"] == "Microsoft.Network/trafficManagerProfiles/externalEndpoints"
    tm.endpoints.create_or_update(RG, "shop-tm", "ExternalEndpoints", "canary", body)
    assert arm.last("PUT").status == 200

    patched = tm.endpoints.update(RG, "shop-tm", "ExternalEndpoints", "green",
                                  {"properties": {"weight": 500, "endpointStatus": "Enabled"}})
    assert patched.weight == 500 and patched.endpoint_status == "Enabled"
    assert patched.target == "green.westeurope.cloudapp.azure.com"
    assert tm.endpoints.get(RG, "shop-tm", "ExternalEndpoints", "green").weight == 500
    tm.endpoints.get(RG, "shop-tm", "ExternalEndpoints", "canary")
    assert_shape(arm.last("GET").json(), example(TM + "Endpoints_Get.json")["responses"]["200"]["body"])


@pytest.mark.parametrize("weight", [0, 1001])
def test_tm_weight_range(tm, weight) -> None:
    with pytest.raises(HttpResponseError) as err:
        tm.endpoints.update(RG, "shop-tm", "ExternalEndpoints", "green", {"properties": {"weight": weight}})
    assert err.value.status_code == 400 and err.value.error.target == "weight"
    assert tm.endpoints.get(RG, "shop-tm", "ExternalEndpoints", "green").weight == 1


def test_tm_missing(tm) -> None:
    with pytest.raises(HttpResponseError) as err:
        tm.endpoints.get(RG, "shop-tm", "ExternalEndpoints", "nope")
    assert err.value.status_code == 404


def test_front_door_groups_and_origins(cdn, arm) -> None:
    group = cdn.afd_origin_groups.get(RG, "shop-fd", "shop-origins")
    assert "/origingroups/" in arm.last("GET").json()["id"]
    assert group.load_balancing_settings.sample_size == 4
    assert [g.name for g in cdn.afd_origin_groups.list_by_profile(RG, "shop-fd")] == ["shop-origins"]
    origin = cdn.afd_origins.get(RG, "shop-fd", "shop-origins", "blue")
    assert_shape(arm.last("GET").json(), example("cdn/AFDOrigins_Get.json")["responses"]["200"]["body"],
                 ignore=frozenset({"certificateNameCheckValidationMode", "customCertificateSubjects"}))
    assert origin.weight == 1000
    assert [o.name for o in cdn.afd_origins.list_by_origin_group(RG, "shop-fd", "shop-origins")] == ["blue", "green"]


def test_front_door_create_and_patch_are_long_running(cdn, arm, polling, clock, sim) -> None:
    body = example("cdn/AFDOrigins_Create.json")["parameters"]["origin"]
    created = cdn.afd_origins.begin_create(RG, "shop-fd", "shop-origins", "origin1", body, polling=polling()).result()
    put = arm.last("PUT")
    assert put.status == 201 and "Azure-AsyncOperation" in put.headers and put.headers["Retry-After"] == "15"
    assert put.json()["properties"]["provisioningState"] == "Creating"
    assert_shape(put.json(), example("cdn/AFDOrigins_Create.json")["responses"]["202"]["body"])
    assert created.provisioning_state == "Succeeded"

    before = clock.now()
    update = {"properties": {"weight": 1000, "enabledState": "Enabled"}}
    done = cdn.afd_origins.begin_update(RG, "shop-fd", "shop-origins", "green", update, polling=polling()).result()
    patch = arm.last("PATCH")
    assert patch.status == 202
    assert {"Azure-AsyncOperation", "Location", "Retry-After"} <= set(patch.headers)
    assert_shape(patch.json(), example("cdn/AFDOrigins_Update.json")["responses"]["202"]["body"])
    assert done.weight == 1000 and done.enabled_state == "Enabled" and done.provisioning_state == "Succeeded"
    assert (clock.now() - before).total_seconds() >= 60
    weights = {(w["kind"], w.get("origin") or w.get("endpoint")): w for w in sim.weights()}
    assert weights[("frontDoor", "green")]["weight"] == 1000 and weights[("frontDoor", "green")]["enabled"]


@pytest.mark.parametrize("props", [{"weight": 0}, {"weight": 1001}, {"priority": 6}, {"enabledState": "On"}])
def test_front_door_validation(cdn, polling, props) -> None:
    with pytest.raises(HttpResponseError) as err:
        cdn.afd_origins.begin_update(RG, "shop-fd", "shop-origins", "green", {"properties": props}, polling=polling())
    assert err.value.status_code == 400


def test_subnet_usage_counts_seeded_and_cluster_addresses(make_client, sim, arm, polling) -> None:
    nodes = sim.seed_subnet(SUB, RG, "vnet", "nodes", prefix="10.10.0.0/24", used_ips=3)
    net = make_client(NetworkManagementClient)
    subnet = net.subnets.get(RG, "vnet", "nodes")
    raw = arm.last("GET").json()
    assert_shape(raw, example("network/Subnets_Get.json")["responses"]["200"]["body"])
    assert subnet.address_prefix == "10.10.0.0/24" and len(subnet.ip_configurations) == 3

    # Azure CNI (node subnet): every node takes maxPods + 1 addresses
    sim.seed_cluster(SUB, RG, "blue", location=LOCATION, version="1.30", network_plugin="azure",
                     pools=[{"name": "sys", "count": 2, "vmSize": "Standard_D4s_v5", "vnetSubnetID": nodes,
                             "maxPods": 30, "mode": "System"}])
    assert len(net.subnets.get(RG, "vnet", "nodes").ip_configurations) == 3 + 2 * 31

    # overlay: one address per node
    sim.seed_cluster(SUB, RG, "other", location=LOCATION, version="1.30", network_plugin="azure",
                     network_plugin_mode="overlay",
                     pools=[{"name": "sys", "count": 4, "vnetSubnetID": nodes, "maxPods": 250, "mode": "System"}])
    assert len(net.subnets.get(RG, "vnet", "nodes").ip_configurations) == 3 + 62 + 4

    # 256 - 5 reserved - 69 used = 182 free; a flat-CNI pool of 6 x 31 = 186 does not fit
    aks = make_client(ContainerServiceClient)
    body = {"location": LOCATION, "properties": {
        "dnsPrefix": "green", "networkProfile": {"networkPlugin": "azure"},
        "agentPoolProfiles": [{"name": "sys", "count": 6, "maxPods": 30, "mode": "System", "vnetSubnetID": nodes}]}}
    with pytest.raises(HttpResponseError) as err:
        aks.managed_clusters.begin_create_or_update(RG, "green", body, polling=polling())
    assert err.value.error.code == "InsufficientSubnetSize"
    body["properties"]["agentPoolProfiles"][0]["count"] = 5
    aks.managed_clusters.begin_create_or_update(RG, "green", body, polling=polling()).result()
    assert len(net.subnets.get(RG, "vnet", "nodes").ip_configurations) == 3 + 62 + 4 + 155
