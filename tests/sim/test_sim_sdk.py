"""The real Azure SDK against an open world: a 10-minute AKS create on the simulated clock, then its kubeconfig."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import requests
from azure.mgmt.containerservice import ContainerServiceClient
from kubernetes import client as k8s

from bluegreen.azure.context import ClockPolling
from bluegreen.sim.world import World

from .sim_helpers import CRON, MANIFESTS, kube_api, make_spec


def _green_body() -> dict:
    return {
        "location": "westeurope",
        "properties": {
            "kubernetesVersion": "1.30.5",
            "dnsPrefix": "aks-green-dns",
            "agentPoolProfiles": [{"name": "system", "count": 3, "vmSize": "Standard_D4s_v5", "mode": "System",
                                   "maxPods": 30, "osType": "Linux", "type": "VirtualMachineScaleSets"}],
            "networkProfile": {"networkPlugin": "azure"},
        },
        "identity": {"type": "SystemAssigned"},
    }


def _nodes(api: k8s.ApiClient) -> list[dict]:
    # Raw JSON: the fake's Node.status.nodeInfo lacks fields the typed client model requires.
    return json.loads(k8s.CoreV1Api(api).list_node(_preload_content=False).data)["items"]


def test_ten_minute_aks_create_runs_on_the_simulated_clock(tmp_path: Path, no_real_sleep: list[float]):
    spec = make_spec(CRON, cluster_behaviour={"aks-green": {"node_count": 5}}, resource_groups=["rg-green"])
    World.create(tmp_path / "w", spec, MANIFESTS)
    with World.open(tmp_path / "w") as world:
        aks = ContainerServiceClient(world.credential, world.subscription_id, retry_total=0)
        start_sim = world.clock.now()
        poller = aks.managed_clusters.begin_create_or_update(
            "rg-green", "aks-green", _green_body(), polling=ClockPolling(world.clock, 30.0)
        )
        cluster = poller.result()
        simulated = (world.clock.now() - start_sim).total_seconds()
        assert cluster.provisioning_state == "Succeeded"
        assert simulated >= 600

        creds = aks.managed_clusters.list_cluster_user_credentials("rg-green", "aks-green")
        kubeconfig = creds.kubeconfigs[0].value
        if isinstance(kubeconfig, str):  # some SDK versions leave it base64
            kubeconfig = base64.b64decode(kubeconfig)
        api = kube_api(kubeconfig)
        namespaces = {n.metadata.name for n in k8s.CoreV1Api(api).list_namespace().items}
        assert {"default", "kube-system"} <= namespaces
        nodes = _nodes(api)
        assert len(nodes) == 5  # the per-cluster-name behaviour applies to a cluster created later
        assert all(n["status"]["nodeInfo"]["kubeletVersion"] == "v1.30.5" for n in nodes)

        view = world.show()
        assert [c["name"] for c in view["clusters"]] == ["aks-blue", "aks-green"]
        assert view["mutations"]["by_api"] == {"Microsoft.ContainerService/managedClusters": 1}
        assert view["mutations"]["total"] == 1
    with World.open(tmp_path / "w") as world:  # green survives into the next invocation, and serves again
        (green,) = [c for c in world.show()["clusters"] if c["name"] == "aks-green"]
        assert green["provisioning_state"] == "Succeeded" and green["server_url"]
        api = kube_api(world.kubeconfigs()["aks-green"])
        assert len(_nodes(api)) == 5


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_non_arm_requests_pass_through_while_a_world_is_open(tmp_path: Path):
    """Smoke checks use `requests` too: only management.azure.com is faked."""
    World.create(tmp_path / "w", make_spec(), MANIFESTS)
    with World.open(tmp_path / "w") as world:
        url = world.show()["clusters"][0]["server_url"]
        answer = requests.get(f"{url}/version", verify=False, timeout=5)
        assert answer.status_code in (200, 401, 403)
        unauthenticated = requests.get(
            f"https://management.azure.com/subscriptions/{world.subscription_id}/resourceGroups/rg-shop/providers/"
            "Microsoft.ContainerService/managedClusters/aks-blue?api-version=2026-08-01", timeout=5)
        assert unauthenticated.status_code == 401  # answered by the fake, not the internet


def test_a_kubernetes_version_put_upgrades_the_simulated_api_server(tmp_path: Path, no_real_sleep: list[float]):
    World.create(tmp_path / "w", make_spec(CRON), MANIFESTS)
    with World.open(tmp_path / "w") as world:
        aks = ContainerServiceClient(world.credential, world.subscription_id, retry_total=0)
        api = kube_api(world.kubeconfigs()["aks-blue"])
        assert _server_version(api) == "v1.29.9"
        cluster = aks.managed_clusters.get("rg-shop", "aks-blue")
        cluster.kubernetes_version = "1.30.5"
        upgraded = aks.managed_clusters.begin_create_or_update(
            "rg-shop", "aks-blue", cluster, polling=ClockPolling(world.clock, 30.0)).result()
        assert upgraded.current_kubernetes_version == "1.30.5"
        # The same kubeconfig keeps working: the server keeps its address, now at the new release.
        assert _server_version(api) == "v1.30.5"
        assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in _nodes(api)} == {"v1.30.5"}
        assert any(o["kind"] == "CronJob" for o in world.cluster("aks-blue").objects())  # objects stay
    with World.open(tmp_path / "w") as world:
        assert world.show()["clusters"][0]["kubernetes_version"] == "1.30.5"
        assert _server_version(kube_api(world.kubeconfigs()["aks-blue"])) == "v1.30.5"


def _server_version(api: k8s.ApiClient) -> str:
    # GET /version, as kubectl sends it (the typed VersionApi adds a trailing slash).
    headers: dict[str, str] = {}
    api.update_params_for_auth(headers, None, ["BearerToken"], "GET", "/version", None)
    response = api.call_api("GET", api.configuration.host + "/version", header_params=headers)
    response.read()
    return str(json.loads(response.data)["gitVersion"])
