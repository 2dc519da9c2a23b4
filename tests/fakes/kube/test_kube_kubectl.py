"""Acceptance 1: the installed kubectl cannot tell the fake from a real API server."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from kube_helpers import KUBECTL, MANIFESTS, World

from bluegreen.sim.kube.cluster import ClusterBehaviour

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (CI installs it)")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = World(behaviour=ClusterBehaviour(pod_ready_seconds=0), tmp=tmp_path_factory.mktemp("kubectl"))
    yield w
    w.close()


def apply(world: World, name: str) -> str:
    return world.kubectl("apply", "--server-side", "--validate=false", "-f", str(MANIFESTS / name)).stdout


def test_get_namespaces_shows_system_namespaces(world: World) -> None:
    out = world.kubectl("get", "namespaces").stdout
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert ns in out


def test_microservices_demo_applies_rolls_out_and_deletes(world: World) -> None:
    out = apply(world, "microservices-demo-kubernetes-manifests.yaml")
    assert out.count("serverside-applied") == 35
    listing = world.kubectl("get", "deployments").stdout
    assert "frontend" in listing and "1/1" in listing
    assert "successfully rolled out" in world.kubectl("rollout", "status", "deployment/frontend",
                                                       "--timeout=30s").stdout
    svc = yaml.safe_load(world.kubectl("get", "service", "frontend-external", "-o", "yaml").stdout)
    assert svc["spec"]["type"] == "LoadBalancer"
    assert svc["status"]["loadBalancer"]["ingress"][0]["ip"].startswith("127.")
    # re-apply is idempotent: no generation bump
    before = yaml.safe_load(world.kubectl("get", "deploy", "frontend", "-o", "yaml").stdout)
    apply(world, "microservices-demo-kubernetes-manifests.yaml")
    after = yaml.safe_load(world.kubectl("get", "deploy", "frontend", "-o", "yaml").stdout)
    assert after["metadata"]["generation"] == before["metadata"]["generation"] == 1
    out = world.kubectl("delete", "-f", str(MANIFESTS / "microservices-demo-kubernetes-manifests.yaml"),
                        "--timeout=30s").stdout
    assert 'deployment.apps "frontend" deleted' in out
    assert "Terminating" in world.kubectl("get", "pods").stdout  # for their grace period, as on a real cluster
    world.clock.advance(30)
    assert "No resources found" in world.kubectl("get", "pods").stdout + world.kubectl("get", "pods").stderr


def test_aks_store_demo_with_statefulsets_and_secrets(world: World) -> None:
    apply(world, "aks-store-all-in-one.yaml")
    sts = world.kubectl("get", "statefulsets", "-o", "yaml").stdout
    names = [i["metadata"]["name"] for i in yaml.safe_load(sts)["items"]]
    assert len(names) == 2
    for name in names:
        # real kubectl says "partitioned roll out complete" for the defaulted partition 0
        assert "roll out complete" in world.kubectl("rollout", "status", f"statefulset/{name}",
                                                     "--timeout=30s").stdout
    assert "successfully rolled out" in world.kubectl("rollout", "status", "deployment/store-front",
                                                       "--timeout=30s").stdout
    secrets = yaml.safe_load(world.kubectl("get", "secrets", "-o", "yaml").stdout)["items"]
    assert len(secrets) == 2 and all(s.get("data") for s in secrets)
    world.kubectl("delete", "-f", str(MANIFESTS / "aks-store-all-in-one.yaml"), "--timeout=30s")
    assert world.kubectl("get", "statefulsets", "-o", "name").stdout.strip() == ""


def test_cassandra_statefulset_with_claims_and_storage_class(world: World) -> None:
    apply(world, "cassandra-statefulset.yaml")
    assert "3 new pods have been updated" in world.kubectl("rollout", "status", "statefulset/cassandra",
                                                            "--timeout=30s").stdout
    pvcs = yaml.safe_load(world.kubectl("get", "pvc", "-o", "yaml").stdout)["items"]
    assert sorted(p["metadata"]["name"] for p in pvcs) == [f"cassandra-data-cassandra-{i}" for i in range(3)]
    assert all(p["status"]["phase"] == "Bound" for p in pvcs)
    assert "fast" in world.kubectl("get", "storageclass").stdout
    world.kubectl("delete", "-f", str(MANIFESTS / "cassandra-statefulset.yaml"), "--timeout=30s")
    # claims outlive their StatefulSet, as on a real cluster
    assert len(yaml.safe_load(world.kubectl("get", "pvc", "-o", "yaml").stdout)["items"]) == 3


def test_descheduler_cronjob_in_kube_system(world: World) -> None:
    apply(world, "descheduler-cronjob.yaml")
    out = world.kubectl("get", "cronjobs", "-n", "kube-system").stdout
    assert "descheduler-cronjob" in out and "*/2 * * * *" in out
    cj = yaml.safe_load(world.kubectl("get", "cronjob", "descheduler-cronjob", "-n", "kube-system",
                                      "-o", "yaml").stdout)
    assert cj["spec"]["suspend"] is False
    world.kubectl("delete", "-f", str(MANIFESTS / "descheduler-cronjob.yaml"))
    missing = world.kubectl("get", "cronjob", "descheduler-cronjob", "-n", "kube-system", check=False)
    assert missing.returncode == 1 and "NotFound" in missing.stderr


def test_removed_api_version_is_refused_by_kubectl(world: World) -> None:
    proc = world.kubectl("apply", "--server-side", "--validate=false", "-f",
                         str(MANIFESTS / "guestbook-all-in-one-extensions-v1beta1.yaml"), check=False)
    assert proc.returncode != 0
    assert 'no matches for kind "Deployment" in version "extensions/v1beta1"' in proc.stderr


def test_rollout_status_waits_for_simulated_time(tmp_path) -> None:
    world = World(behaviour=ClusterBehaviour(pod_ready_seconds=20), tmp=tmp_path)
    try:
        world.kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2")
        proc = subprocess.Popen([KUBECTL, "--kubeconfig", str(world.kubeconfig_file()), "rollout", "status",
                                 "deployment/web", "--timeout=60s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        # kubectl is now watching; time passes in the simulated world until it is satisfied.
        for _ in range(600):
            try:
                out, err = proc.communicate(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                world.clock.advance(1)
        else:
            proc.kill()
            raise AssertionError("kubectl rollout status never finished")
        assert proc.returncode == 0, err
        assert "successfully rolled out" in out
        assert world.clock.now().second >= 20 or world.clock.now().minute >= 1
    finally:
        world.close()
