"""Conformance: kubectl and the official Python client against the fake, on ../shared's public manifests.

The same checks as tests/fakes/kube run on the project's own manifests, here on Online Boutique, the AKS
Store demo, Cassandra, the descheduler CronJob and the 2017 guestbook (extensions/v1beta1).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kube_helpers import (
    KUBECTL,
    World,
    check_dynamic_client_applies_and_lists,
    check_older_versions_serve_what_they_served,
    check_removed_versions_answer_404,
)
from kube_helpers import load_manifests as _load
from kubernetes import client

from bluegreen.sim.kube.cluster import ClusterBehaviour

needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (CI installs it)")


def load_manifests(corpus: Path, name: str) -> list[dict]:
    return _load(name, corpus)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> World:
    w = World(behaviour=ClusterBehaviour(pod_ready_seconds=0), tmp=tmp_path_factory.mktemp("kubectl"))
    yield w
    w.close()


@pytest.fixture(scope="module")
def api(world: World) -> client.ApiClient:
    return world.api_client()


def apply(world: World, corpus: Path, name: str) -> str:
    return world.kubectl("apply", "--server-side", "--validate=false", "-f", str(corpus / name)).stdout


@needs_kubectl
def test_microservices_demo_applies_rolls_out_and_deletes(world: World, corpus: Path) -> None:
    out = apply(world, corpus, "microservices-demo-kubernetes-manifests.yaml")
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
    apply(world, corpus, "microservices-demo-kubernetes-manifests.yaml")
    after = yaml.safe_load(world.kubectl("get", "deploy", "frontend", "-o", "yaml").stdout)
    assert after["metadata"]["generation"] == before["metadata"]["generation"] == 1
    out = world.kubectl("delete", "-f", str(corpus / "microservices-demo-kubernetes-manifests.yaml"),
                        "--timeout=30s").stdout
    assert 'deployment.apps "frontend" deleted' in out
    assert "Terminating" in world.kubectl("get", "pods").stdout  # for their grace period, as on a real cluster
    world.clock.advance(30)
    assert "No resources found" in world.kubectl("get", "pods").stdout + world.kubectl("get", "pods").stderr


@needs_kubectl
def test_aks_store_demo_with_statefulsets_and_secrets(world: World, corpus: Path) -> None:
    apply(world, corpus, "aks-store-all-in-one.yaml")
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
    world.kubectl("delete", "-f", str(corpus / "aks-store-all-in-one.yaml"), "--timeout=30s")
    assert world.kubectl("get", "statefulsets", "-o", "name").stdout.strip() == ""


@needs_kubectl
def test_cassandra_statefulset_with_claims_and_storage_class(world: World, corpus: Path) -> None:
    apply(world, corpus, "cassandra-statefulset.yaml")
    assert "3 new pods have been updated" in world.kubectl("rollout", "status", "statefulset/cassandra",
                                                            "--timeout=30s").stdout
    pvcs = yaml.safe_load(world.kubectl("get", "pvc", "-o", "yaml").stdout)["items"]
    assert sorted(p["metadata"]["name"] for p in pvcs) == [f"cassandra-data-cassandra-{i}" for i in range(3)]
    assert all(p["status"]["phase"] == "Bound" for p in pvcs)
    assert "fast" in world.kubectl("get", "storageclass").stdout
    world.kubectl("delete", "-f", str(corpus / "cassandra-statefulset.yaml"), "--timeout=30s")
    # claims outlive their StatefulSet, as on a real cluster
    assert len(yaml.safe_load(world.kubectl("get", "pvc", "-o", "yaml").stdout)["items"]) == 3


@needs_kubectl
def test_descheduler_cronjob_in_kube_system(world: World, corpus: Path) -> None:
    apply(world, corpus, "descheduler-cronjob.yaml")
    out = world.kubectl("get", "cronjobs", "-n", "kube-system").stdout
    assert "descheduler-cronjob" in out and "*/2 * * * *" in out
    cj = yaml.safe_load(world.kubectl("get", "cronjob", "descheduler-cronjob", "-n", "kube-system",
                                      "-o", "yaml").stdout)
    assert cj["spec"]["suspend"] is False
    world.kubectl("delete", "-f", str(corpus / "descheduler-cronjob.yaml"))
    missing = world.kubectl("get", "cronjob", "descheduler-cronjob", "-n", "kube-system", check=False)
    assert missing.returncode == 1 and "NotFound" in missing.stderr


@needs_kubectl
def test_removed_api_version_is_refused_by_kubectl(world: World, corpus: Path) -> None:
    proc = world.kubectl("apply", "--server-side", "--validate=false", "-f",
                         str(corpus / "guestbook-all-in-one-extensions-v1beta1.yaml"), check=False)
    assert proc.returncode != 0
    assert 'no matches for kind "Deployment" in version "extensions/v1beta1"' in proc.stderr


def test_dynamic_client_applies_corpus_and_lists(world: World, api: client.ApiClient, corpus: Path) -> None:
    check_dynamic_client_applies_and_lists(api, load_manifests(corpus, "aks-store-all-in-one.yaml"), "store-front")


def test_removed_versions_answer_404(world: World, api: client.ApiClient, corpus: Path) -> None:
    check_removed_versions_answer_404(api, load_manifests(corpus, "guestbook-all-in-one-extensions-v1beta1.yaml"),
                                      load_manifests(corpus, "cockroachdb-statefulset-policy-v1beta1.yaml"))


def test_older_versions_still_serve_what_they_served(corpus: Path) -> None:
    check_older_versions_serve_what_they_served(load_manifests(corpus, "guestbook-all-in-one-extensions-v1beta1.yaml"))
