"""The fake AKS through the real ContainerServiceClient.

Covers: create (201 + Azure-AsyncOperation + Retry-After, Creating -> Succeeded on the simulated clock,
~40 polls in well under a second), body casing against ManagedClusters_CreateOrUpdate/Get examples,
operation-status resource shape, update (200), if-match / if-none-match, validation (location, pools,
pool names, versions), list by resource group and subscription, agent pools, kubernetesVersions,
credentials from hooks, stop/start (202 + Location, powerState), only start/delete while stopped,
updateTags (long-running), delete (202 + Azure-AsyncOperation + Location), hooks fired in order.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from arm_helpers import LOCATION, RG, SUB, assert_shape, example
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceModifiedError
from azure.mgmt.containerservice import ContainerServiceClient

CS = "containerservice/"


def cluster_body(name: str = "green", **overrides: Any) -> dict[str, Any]:
    """The recorded request body, pointed at our location."""
    body = copy.deepcopy(example(CS + "ManagedClusters_CreateOrUpdate.json")["parameters"]["parameters"])
    body["location"] = LOCATION
    body["properties"]["dnsPrefix"] = f"{name}-dns"
    body.update(overrides)
    return body


@pytest.fixture
def aks(make_client: Any) -> ContainerServiceClient:
    return make_client(ContainerServiceClient)


def create(aks: ContainerServiceClient, polling: Any, name: str = "green", **kw: Any) -> Any:
    return aks.managed_clusters.begin_create_or_update(RG, name, cluster_body(name), polling=polling(), **kw).result()


def test_create_is_long_running_on_the_simulated_clock(aks, polling, arm, clock, hooks, no_real_sleep) -> None:
    start_sim = clock.now()
    poller = aks.managed_clusters.begin_create_or_update(RG, "green", cluster_body(), polling=polling())

    put = arm.last("PUT", "/managedClusters/green")
    assert put.status == 201
    assert put.headers["Retry-After"] == "15"
    status_url = put.headers["Azure-AsyncOperation"]
    assert status_url.startswith(f"https://management.azure.com/subscriptions/{SUB}/providers/"
                                 f"Microsoft.ContainerService/locations/{LOCATION}/operations/")
    body = put.json()
    assert body["properties"]["provisioningState"] == "Creating"
    assert_shape(body, example(CS + "ManagedClusters_CreateOrUpdate.json")["responses"]["201"]["body"])

    cluster = poller.result()
    assert cluster.provisioning_state == "Succeeded"
    assert cluster.power_state.code == "Running"
    elapsed = (clock.now() - start_sim).total_seconds()
    assert 600 <= elapsed <= 630
    polls = [e for e in arm if "/operations/" in e.url]
    assert 38 <= len(polls) <= 42
    assert hooks.events == [("created", cluster.id, "green", "1.30.2")]


def test_operation_status_resource_shape(aks, arm, clock) -> None:
    # polling=False: azure-core would otherwise poll (and move the clock) from a background thread
    aks.managed_clusters.begin_create_or_update(RG, "green", cluster_body(), polling=False)
    status_url = arm.last("PUT").headers["Azure-AsyncOperation"]
    import requests

    first = requests.get(status_url, headers={"Authorization": "Bearer x"}).json()
    assert set(first) == {"id", "name", "status", "startTime"}
    assert first["status"] == "InProgress"
    clock.advance(601)
    done = requests.get(status_url, headers={"Authorization": "Bearer x"}).json()
    assert set(done) == {"id", "name", "status", "startTime", "endTime"}
    assert done["status"] == "Succeeded"


def test_get_matches_example_casing_and_resolves_versions(aks, polling, arm) -> None:
    create(aks, polling)
    got = aks.managed_clusters.get(RG, "green")
    raw = arm.last("GET", "/managedClusters/green").json()
    assert_shape(raw, example(CS + "ManagedClusters_Get.json")["responses"]["200"]["body"],
                 ignore=frozenset({"outboundIPs", "servicePrincipalProfile"}))
    assert raw["eTag"] and raw["properties"]["agentPoolProfiles"][0]["eTag"]
    assert set(raw["systemData"]) >= {"createdAt", "lastModifiedAt", "createdBy"}
    assert raw["properties"]["fqdn"].startswith("green-dns-") and raw["properties"]["fqdn"].endswith(
        f".hcp.{LOCATION}.azmk8s.io")
    # empty kubernetesVersion -> the location's default minor (1.30), latest patch
    assert got.current_kubernetes_version == "1.30.2"
    assert got.agent_pool_profiles[0].current_orchestrator_version == "1.30.2"
    assert "secret" not in raw["properties"]["servicePrincipalProfile"]
    assert "adminPassword" not in raw["properties"]["windowsProfile"]


def test_update_is_200_and_changes_etag(aks, polling, arm) -> None:
    first = create(aks, polling)
    body = cluster_body()
    body["properties"]["kubernetesVersion"] = "1.31"
    updated = aks.managed_clusters.begin_create_or_update(RG, "green", body, polling=polling()).result()
    put = arm.last("PUT")
    assert put.status == 200
    assert put.json()["properties"]["provisioningState"] == "Upgrading"  # a new kubernetesVersion upgrades
    assert put.json()["properties"]["currentKubernetesVersion"] == first.current_kubernetes_version
    assert "Azure-AsyncOperation" in put.headers
    assert updated.current_kubernetes_version == "1.31.5"
    assert updated.e_tag != first.e_tag


def test_if_match_and_if_none_match(aks, polling) -> None:
    first = create(aks, polling)
    with pytest.raises(ResourceExistsError) as err:
        aks.managed_clusters.begin_create_or_update(
            RG, "green", cluster_body(), match_condition=MatchConditions.IfMissing, polling=polling())
    assert err.value.status_code == 412
    with pytest.raises(ResourceModifiedError):
        aks.managed_clusters.begin_create_or_update(
            RG, "green", cluster_body(), etag="stale", match_condition=MatchConditions.IfNotModified, polling=polling())
    ok = aks.managed_clusters.begin_create_or_update(
        RG, "green", cluster_body(), etag=first.e_tag, match_condition=MatchConditions.IfNotModified,
        polling=polling()).result()
    assert ok.provisioning_state == "Succeeded"


@pytest.mark.parametrize(
    ("mutate", "code", "target"),
    [
        (lambda b: b.pop("location"), "InvalidParameter", "location"),
        (lambda b: b["properties"].update(agentPoolProfiles=[]), "InvalidParameter", "agentPoolProfiles"),
        (lambda b: b["properties"]["agentPoolProfiles"][0].update(name="Pool_1"), "InvalidParameter",
         "agentPoolProfiles[0].name"),
        (lambda b: b["properties"]["agentPoolProfiles"][0].update(name="abcdefghijklm"), "InvalidParameter",
         "agentPoolProfiles[0].name"),
        (lambda b: b["properties"].update(kubernetesVersion="1.27.3"), "VersionNotSupported", "kubernetesVersion"),
        (lambda b: b.update(location="mars"), "LocationNotAvailableForResourceType", "location"),
    ],
)
def test_create_validation(aks, polling, arm, mutate, code, target) -> None:
    body = cluster_body()
    mutate(body)
    with pytest.raises(HttpResponseError) as err:
        aks.managed_clusters.begin_create_or_update(RG, "green", body, polling=polling())
    assert err.value.status_code == 400
    assert err.value.error.code == code
    raw = arm.last("PUT").json()
    assert set(raw["error"]) == {"code", "message", "target", "details"}
    assert raw["error"]["target"] == target
    assert list(aks.managed_clusters.list_by_resource_group(RG)) == []


def test_dns_prefix_and_location_cannot_change(aks, polling) -> None:
    create(aks, polling)
    body = cluster_body()
    body["properties"]["dnsPrefix"] = "other"
    with pytest.raises(HttpResponseError) as err:
        aks.managed_clusters.begin_create_or_update(RG, "green", body, polling=polling())
    assert err.value.error.code == "PropertyChangeNotAllowed"


def test_put_while_creating_is_refused(aks, polling) -> None:
    aks.managed_clusters.begin_create_or_update(RG, "green", cluster_body(), polling=False)
    with pytest.raises(HttpResponseError) as err:
        aks.managed_clusters.begin_create_or_update(RG, "green", cluster_body(), polling=polling())
    assert err.value.status_code == 409 and err.value.error.code == "OperationNotAllowed"


def test_lists_pools_and_versions(aks, polling, arm, sim) -> None:
    create(aks, polling, "green")
    sim.seed_cluster(SUB, "rg-other", "blue", location=LOCATION, version="1.29.9",
                     pools=[{"name": "system", "count": 3, "vmSize": "Standard_D4s_v5", "maxPods": 30,
                             "mode": "System"}])
    assert [c.name for c in aks.managed_clusters.list_by_resource_group(RG)] == ["green"]
    assert sorted(c.name for c in aks.managed_clusters.list()) == ["blue", "green"]

    pool = aks.agent_pools.get(RG, "green", "nodepool1")
    raw = arm.last("GET", "/agentPools/nodepool1").json()
    assert_shape(raw, example(CS + "AgentPools_Get.json")["responses"]["200"]["body"])
    assert pool.current_orchestrator_version == "1.30.2"
    assert [p.name for p in aks.agent_pools.list(RG, "green")] == ["nodepool1"]

    versions = aks.managed_clusters.list_kubernetes_versions(LOCATION)
    raw = arm.last("GET", "/kubernetesVersions").json()
    assert_shape(raw, example(CS + "ManagedClusters_ListKubernetesVersions.json")["responses"]["200"]["body"])
    by_minor = {v.version: v for v in versions["values"]}
    assert by_minor["1.30"].is_default and by_minor["1.32"].is_preview
    assert set(by_minor["1.31"].patch_versions) == {"1.31.2", "1.31.5"}
    assert by_minor["1.31"].patch_versions["1.31.2"].upgrades == ["1.31.5", "1.32.1", "1.32.2"]


def test_credentials_come_from_hooks(aks, polling, arm) -> None:
    create(aks, polling)
    user = aks.managed_clusters.list_cluster_user_credentials(RG, "green")
    raw = arm.last("POST", "/listClusterUserCredential").json()
    assert_shape(raw, example(CS + "ManagedClusters_ListClusterUserCredentials.json")["responses"]["200"]["body"])
    assert user.kubeconfigs[0].name == "clusterUser"
    assert b"clusterUser_green" in user.kubeconfigs[0].value
    assert base64.b64decode(raw["kubeconfigs"][0]["value"]) == user.kubeconfigs[0].value
    admin = aks.managed_clusters.list_cluster_admin_credentials(RG, "green")
    assert admin.kubeconfigs[0].name == "clusterAdmin" and b"clusterAdmin_green" in admin.kubeconfigs[0].value


def test_stop_start_power_and_only_start_delete_while_stopped(aks, polling, arm, hooks, clock) -> None:
    cluster = create(aks, polling)
    before = clock.now()
    aks.managed_clusters.begin_stop(RG, "green", polling=polling()).result()
    post = arm.last("POST", "/stop")
    assert post.status == 202
    assert "/operationresults/" in post.headers["Location"]
    assert "Azure-AsyncOperation" not in post.headers
    assert (clock.now() - before).total_seconds() >= 180
    stopped = aks.managed_clusters.get(RG, "green")
    assert stopped.power_state.code == "Stopped" and stopped.provisioning_state == "Succeeded"
    assert hooks.events[-1] == ("power", cluster.id, False)

    for attempt in (
        lambda: aks.managed_clusters.begin_stop(RG, "green", polling=polling()),
        lambda: aks.managed_clusters.begin_create_or_update(RG, "green", cluster_body(), polling=polling()),
        lambda: aks.managed_clusters.begin_update_tags(RG, "green", {"tags": {"a": "b"}}, polling=polling()),
    ):
        with pytest.raises(HttpResponseError) as err:
            attempt()
        assert err.value.status_code == 409 and err.value.error.code == "OperationNotAllowed"
    assert aks.managed_clusters.get(RG, "green").tags == cluster.tags

    aks.managed_clusters.begin_start(RG, "green", polling=polling()).result()
    assert aks.managed_clusters.get(RG, "green").power_state.code == "Running"
    assert hooks.events[-1] == ("power", cluster.id, True)
    with pytest.raises(HttpResponseError):
        aks.managed_clusters.begin_start(RG, "green", polling=polling())


def test_stop_refused_unless_succeeded(aks, polling) -> None:
    aks.managed_clusters.begin_create_or_update(RG, "green", cluster_body(), polling=False)
    with pytest.raises(HttpResponseError) as err:
        aks.managed_clusters.begin_stop(RG, "green", polling=polling())
    assert err.value.status_code == 409


def test_update_tags_is_long_running(aks, polling, arm, clock) -> None:
    first = create(aks, polling)
    before = clock.now()
    tagged = aks.managed_clusters.begin_update_tags(RG, "green", {"tags": {"retired": "no"}}, polling=polling()).result()
    patch = arm.last("PATCH")
    assert patch.status == 200 and "Azure-AsyncOperation" in patch.headers
    assert patch.json()["properties"]["provisioningState"] == "Updating"
    assert tagged.tags == {"retired": "no"} and tagged.provisioning_state == "Succeeded"
    assert tagged.e_tag != first.e_tag
    assert 30 <= (clock.now() - before).total_seconds() <= 45


def test_delete_through_the_sdk_poller(aks, polling, clock) -> None:
    create(aks, polling)
    before = clock.now()
    aks.managed_clusters.begin_delete(RG, "green", polling=polling()).result()
    assert 300 <= (clock.now() - before).total_seconds() <= 320
    assert list(aks.managed_clusters.list_by_resource_group(RG)) == []


def test_delete_is_long_running_and_fires_hook(aks, polling, arm, hooks, clock) -> None:
    cluster = create(aks, polling)
    aks.managed_clusters.begin_delete(RG, "green", polling=False)
    delete = arm.last("DELETE")
    assert delete.status == 202
    assert "/operations/" in delete.headers["Azure-AsyncOperation"]
    assert "/operationresults/" in delete.headers["Location"]
    assert delete.headers["Retry-After"] == "15"
    assert aks.managed_clusters.get(RG, "green").provisioning_state == "Deleting"
    clock.advance(299)
    assert aks.managed_clusters.get(RG, "green").provisioning_state == "Deleting"
    clock.advance(1)
    with pytest.raises(HttpResponseError) as err:
        aks.managed_clusters.get(RG, "green")
    assert err.value.status_code == 404 and err.value.error.code == "ResourceNotFound"
    assert hooks.events[-1] == ("deleted", cluster.id)
    aks.managed_clusters.begin_delete(RG, "green", polling=polling()).result()  # already gone: 204
    assert arm.last("DELETE").status == 204


# ---- upgrade profile, agent pools as resources, upgrades, regions, unsimulated operations ---------------------
def test_upgrade_profile_offers_the_next_versions(aks, polling, arm) -> None:
    create(aks, polling)
    profile = aks.managed_clusters.get_upgrade_profile(RG, "green")
    raw = arm.last("GET", "/upgradeProfiles/default").json()
    assert_shape(raw, example(CS + "ManagedClusters_GetUpgradeProfile.json")["responses"]["200"]["body"])
    plane = profile.control_plane_profile
    assert plane.kubernetes_version == "1.30.2"
    assert [u.kubernetes_version for u in plane.upgrades] == ["1.31.2", "1.31.5"]  # one minor at a time
    assert [p.name for p in profile.agent_pool_profiles] == ["nodepool1"]


def test_agent_pool_create_update_stop_start_delete(aks, polling, arm, clock) -> None:
    create(aks, polling)
    record = example(CS + "AgentPools_CreateOrUpdate.json")
    body = copy.deepcopy(record["parameters"]["parameters"])
    poller = aks.agent_pools.begin_create_or_update(RG, "green", "batch", body, polling=polling())
    put = arm.last("PUT", "/agentPools/batch")
    assert put.status == 201 and "Azure-AsyncOperation" in put.headers
    assert_shape(put.json(), record["responses"]["201"]["body"])
    assert put.json()["properties"]["provisioningState"] == "Creating"
    pool = poller.result()
    assert pool.provisioning_state == "Succeeded" and pool.mode == "User"
    assert pool.count == body["properties"]["count"]
    assert [p.name for p in aks.managed_clusters.get(RG, "green").agent_pool_profiles] == ["nodepool1", "batch"]

    body["properties"]["count"] = 4
    pool = aks.agent_pools.begin_create_or_update(RG, "green", "batch", body, polling=polling()).result()
    assert arm.last("PUT", "/agentPools/batch").status == 200 and pool.count == 4

    stop = example(CS + "AgentPools_Stop.json")
    poller = aks.agent_pools.begin_create_or_update(RG, "green", "batch", stop["parameters"]["parameters"],
                                                   polling=polling())
    assert_shape(arm.last("PUT", "/agentPools/batch").json(), stop["responses"]["200"]["body"])
    assert poller.result().power_state.code == "Stopped"
    assert aks.managed_clusters.get(RG, "green").power_state.code == "Running"  # only the pool stopped
    with pytest.raises(HttpResponseError, match="is stopped"):
        aks.agent_pools.begin_create_or_update(RG, "green", "batch", body, polling=polling())
    with pytest.raises(HttpResponseError, match="System pools cannot be stopped"):
        aks.agent_pools.begin_create_or_update(RG, "green", "nodepool1", stop["parameters"]["parameters"],
                                               polling=polling())
    started = aks.agent_pools.begin_create_or_update(
        RG, "green", "batch", {"properties": {"powerState": {"code": "Running"}}}, polling=polling()).result()
    assert started.power_state.code == "Running" and started.count == 4

    with pytest.raises(HttpResponseError, match="last System pool"):
        aks.agent_pools.begin_delete(RG, "green", "nodepool1", polling=polling())
    aks.agent_pools.begin_delete(RG, "green", "batch", polling=polling()).result()
    delete = next(e for e in reversed(arm) if e.method == "DELETE")
    assert delete.status == 202 and {"location"} <= {h.lower() for h in delete.headers}
    assert [p.name for p in aks.agent_pools.list(RG, "green")] == ["nodepool1"]
    aks.agent_pools.begin_delete(RG, "green", "batch", polling=polling()).result()  # gone: 204
    assert next(e for e in reversed(arm) if e.method == "DELETE").status == 204


def test_a_new_kubernetes_version_upgrades_the_control_plane_when_the_operation_ends(aks, polling, hooks) -> None:
    first = create(aks, polling)
    body = cluster_body()
    body["properties"]["kubernetesVersion"] = "1.31.5"
    poller = aks.managed_clusters.begin_create_or_update(RG, "green", body, polling=polling())
    assert not [e for e in hooks.events if e[0] == "upgraded"]
    upgraded = poller.result()
    assert upgraded.current_kubernetes_version == "1.31.5" and upgraded.provisioning_state == "Succeeded"
    assert hooks.events[-1] == ("upgraded", first.id, "1.31.5")
    body["properties"]["kubernetesVersion"] = "1.30.2"
    with pytest.raises(HttpResponseError, match="Downgrading"):
        aks.managed_clusters.begin_create_or_update(RG, "green", body, polling=polling())


def test_upgrades_cannot_skip_a_minor_version(aks, polling, sim) -> None:
    sim.seed_cluster(SUB, RG, "old", location=LOCATION, version="1.29.9",
                     pools=[{"name": "system", "count": 1, "mode": "System"}])
    body = aks.managed_clusters.get(RG, "old")
    body.kubernetes_version = "1.31.5"
    with pytest.raises(HttpResponseError, match="minor versions cannot be skipped"):
        aks.managed_clusters.begin_create_or_update(RG, "old", body, polling=polling())


def test_every_real_region_offers_versions_and_other_names_are_refused(aks, polling) -> None:
    seeded = aks.managed_clusters.list_kubernetes_versions(LOCATION)
    elsewhere = aks.managed_clusters.list_kubernetes_versions("eastus2")
    assert [v.version for v in elsewhere["values"]] == [v.version for v in seeded["values"]]
    body = cluster_body("far")
    body["location"] = "japaneast"
    assert aks.managed_clusters.begin_create_or_update(RG, "far", body, polling=polling()).result().location == \
        "japaneast"
    with pytest.raises(HttpResponseError, match="LocationNotAvailableForResourceType"):
        aks.managed_clusters.list_kubernetes_versions("atlantis")


def test_an_operation_that_is_not_simulated_answers_an_error_naming_it(aks, polling) -> None:
    create(aks, polling)
    with pytest.raises(HttpResponseError) as info:
        list(aks.maintenance_configurations.list_by_managed_cluster(RG, "green"))
    assert info.value.status_code == 404
    assert "maintenanceConfigurations" in str(info.value) and "not simulated" in str(info.value)
