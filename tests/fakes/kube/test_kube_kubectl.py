"""Acceptance 1: the installed kubectl cannot tell the fake from a real API server."""

from __future__ import annotations

import subprocess
from pathlib import Path

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


def test_shop_applies_rolls_out_and_deletes(world: World) -> None:
    out = apply(world, "shop.yaml")
    assert out.count("serverside-applied") == 17
    listing = world.kubectl("get", "deployments").stdout
    assert "frontend" in listing and "2/2" in listing
    assert "successfully rolled out" in world.kubectl("rollout", "status", "deployment/frontend",
                                                       "--timeout=30s").stdout
    svc = yaml.safe_load(world.kubectl("get", "service", "storefront-public", "-o", "yaml").stdout)
    assert svc["spec"]["type"] == "LoadBalancer"
    assert svc["status"]["loadBalancer"]["ingress"][0]["ip"].startswith("127.")
    for kind, name in (("ingress", "shop"), ("hpa", "frontend"), ("pdb", "frontend")):
        assert name in world.kubectl("get", kind).stdout, kind
    # re-apply is idempotent: no generation bump
    before = yaml.safe_load(world.kubectl("get", "deploy", "frontend", "-o", "yaml").stdout)
    apply(world, "shop.yaml")
    after = yaml.safe_load(world.kubectl("get", "deploy", "frontend", "-o", "yaml").stdout)
    assert after["metadata"]["generation"] == before["metadata"]["generation"] == 1
    out = world.kubectl("delete", "-f", str(MANIFESTS / "shop.yaml"), "--timeout=30s").stdout
    assert 'deployment.apps "frontend" deleted' in out
    assert "Terminating" in world.kubectl("get", "pods").stdout  # for their grace period, as on a real cluster
    world.clock.advance(30)
    assert "No resources found" in world.kubectl("get", "pods").stdout + world.kubectl("get", "pods").stderr


def test_orders_with_statefulsets_and_secrets(world: World) -> None:
    apply(world, "orders.yaml")
    sts = world.kubectl("get", "statefulsets", "-o", "yaml").stdout
    names = [i["metadata"]["name"] for i in yaml.safe_load(sts)["items"]]
    assert sorted(names) == ["orders-db", "orders-queue"]
    for name in names:
        # real kubectl says "partitioned roll out complete" for the defaulted partition 0
        assert "roll out complete" in world.kubectl("rollout", "status", f"statefulset/{name}",
                                                     "--timeout=30s").stdout
    assert "successfully rolled out" in world.kubectl("rollout", "status", "deployment/orders-api",
                                                       "--timeout=30s").stdout
    secrets = yaml.safe_load(world.kubectl("get", "secrets", "-o", "yaml").stdout)["items"]
    assert len(secrets) == 2 and all(s.get("data") for s in secrets)
    world.kubectl("delete", "-f", str(MANIFESTS / "orders.yaml"), "--timeout=30s")
    assert world.kubectl("get", "statefulsets", "-o", "name").stdout.strip() == ""


def test_statefulset_with_claims_and_storage_class(world: World) -> None:
    apply(world, "ledger-statefulset.yaml")
    assert "3 new pods have been updated" in world.kubectl("rollout", "status", "statefulset/ledger",
                                                            "--timeout=30s").stdout
    pvcs = yaml.safe_load(world.kubectl("get", "pvc", "-o", "yaml").stdout)["items"]
    assert sorted(p["metadata"]["name"] for p in pvcs) == [f"journal-ledger-{i}" for i in range(3)]
    assert all(p["status"]["phase"] == "Bound" for p in pvcs)
    assert "ledger-ssd" in world.kubectl("get", "storageclass").stdout
    world.kubectl("delete", "-f", str(MANIFESTS / "ledger-statefulset.yaml"), "--timeout=30s")
    # claims outlive their StatefulSet, as on a real cluster
    assert len(yaml.safe_load(world.kubectl("get", "pvc", "-o", "yaml").stdout)["items"]) == 3


def test_cronjobs_in_kube_system_and_their_own_namespace(world: World) -> None:
    apply(world, "janitor-cronjob.yaml")
    out = world.kubectl("get", "cronjobs", "-n", "kube-system").stdout
    assert "node-janitor" in out and "*/2 * * * *" in out
    cj = yaml.safe_load(world.kubectl("get", "cronjob", "node-janitor", "-n", "kube-system", "-o", "yaml").stdout)
    assert cj["spec"]["suspend"] is False
    world.kubectl("delete", "-f", str(MANIFESTS / "janitor-cronjob.yaml"))
    missing = world.kubectl("get", "cronjob", "node-janitor", "-n", "kube-system", check=False)
    assert missing.returncode == 1 and "NotFound" in missing.stderr
    apply(world, "reports-cronjobs.yaml")
    suspended = yaml.safe_load(world.kubectl("get", "cronjobs", "-n", "reports", "-o", "yaml").stdout)["items"]
    assert {c["metadata"]["name"]: c["spec"]["suspend"] for c in suspended} == {
        "daily-sales": False, "quarterly-audit": True}


def test_custom_resource_definition_then_its_object(world: World) -> None:
    # as with a real server, kubectl maps every document before the definition is served: apply twice
    first = world.kubectl("apply", "--server-side", "--validate=false", "-f", str(MANIFESTS / "widgets-crd.yaml"),
                          check=False)
    assert first.returncode != 0 and "ensure CRDs are installed first" in first.stderr
    assert "widgets.toys.example.test serverside-applied" in first.stdout
    apply(world, "widgets-crd.yaml")
    widget = yaml.safe_load(world.kubectl("get", "widgets", "spinner", "-o", "yaml").stdout)
    assert widget["spec"] == {"colour": "green", "size": 3}
    assert 'widget.toys.example.test "spinner" deleted' in world.kubectl("delete", "widget", "spinner").stdout
    world.kubectl("delete", "crd", "widgets.toys.example.test")


def test_removed_api_version_is_refused_by_kubectl(world: World) -> None:
    proc = world.kubectl("apply", "--server-side", "--validate=false", "-f",
                         str(MANIFESTS / "legacy-deployments.yaml"), check=False)
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


@pytest.mark.parametrize(("version", "aggregated"), [("1.29", "v2beta1"), ("1.30", "v2")])
def test_kubectl_discovers_through_the_aggregated_document(tmp_path: Path, version: str, aggregated: str) -> None:
    """`kubectl api-resources` reads /api and /apis once each, and prints what the legacy walk prints."""
    outputs, counts = [], []
    for gate in (True, False):
        (tmp_path / f"gate-{gate}").mkdir()
        w = World(version=version, tmp=tmp_path / f"gate-{gate}")
        try:
            if not gate:
                w.cluster._server.disable_aggregated_discovery()  # type: ignore[union-attr]
            # a fresh cache folder: kubectl's discovery cache would otherwise answer for a reused port
            outputs.append(w.kubectl("api-resources", "--cache-dir", str(tmp_path / f"cache-{gate}")).stdout)
            counts.append(dict(w.cluster._server.discovery_requests))  # type: ignore[union-attr]
        finally:
            w.close()
    assert outputs[0] == outputs[1] and "deployments" in outputs[0]
    assert counts[0] == {("/api", aggregated): 1, ("/apis", aggregated): 1}  # no per-group request
    assert counts[1][("/apis/apps/v1", "legacy")] == 1 and len(counts[1]) > 10
