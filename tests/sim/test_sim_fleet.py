"""A fleet world: 300 cluster pairs (600 clusters, a few objects each) can be created, served and advanced."""

from __future__ import annotations

from pathlib import Path

from azure.mgmt.containerservice import ContainerServiceClient
from kubernetes import client as k8s

from bluegreen.sim.world import World

from .sim_helpers import MANIFESTS, kube_api, make_spec

PAIRS = 300
MORNING = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "shop"},
           "spec": {"schedule": "30 8 * * *", "jobTemplate": {"spec": {"template": {"spec": {
               "restartPolicy": "Never", "containers": [{"name": "c", "image": "registry.example.test/n:1"}]}}}}}}
OBJECTS = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
           {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop"},
            "data": {"colour": "blue"}},
           MORNING]


def test_a_fleet_of_300_cluster_pairs_is_created_served_and_advanced(tmp_path: Path, no_real_sleep: list[float]):
    World.create(tmp_path / "w", make_spec(), MANIFESTS)
    with World.open(tmp_path / "w") as world, world.batch():
        for i in range(PAIRS):
            for colour in ("blue", "green"):
                world.add_cluster(f"aks-{i:03d}-{colour}", resource_group=f"rg-fleet-{i:03d}", version="1.29.9",
                                  objects=OBJECTS, node_count=1)
        assert sum(1 for c in world.arm.clusters()) == 2 * PAIRS + 1
    with World.open(tmp_path / "w") as world:
        # Served on use: the credentials of one cluster, through the Azure SDK, reach its API server.
        aks = ContainerServiceClient(world.credential, world.subscription_id, retry_total=0)
        creds = aks.managed_clusters.list_cluster_user_credentials("rg-fleet-123", "aks-123-green")
        api = kube_api(creds.kubeconfigs[0].value)
        assert k8s.CoreV1Api(api).read_namespaced_config_map("settings", "shop").data == {"colour": "blue"}
        serving = [name for name in (f"aks-{i:03d}-{c}" for i in range(PAIRS) for c in ("blue", "green"))
                   if world.cluster(name).serving]
        assert serving == ["aks-123-green"]  # the other 599 API servers were never needed, so never opened
        world.advance(3600)  # every cluster runs, served or not: each CronJob fires once, at 08:30
        fired = [e for e in world.execution_log if e["event"] == "fired"]
    assert len(fired) == 2 * PAIRS
    assert len({e["cluster"] for e in fired}) == 2 * PAIRS
