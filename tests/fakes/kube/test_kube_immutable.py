"""Updates the real API server refuses (immutable selectors, StatefulSet specs), and paged lists."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import yaml
from kubernetes import client, config

from bluegreen.errors import PermanentRemoteError
from bluegreen.kube.client import KubeClient
from bluegreen.sim.clock import SimClock
from bluegreen.sim.kube.cluster import ClusterSimulator


@pytest.fixture(scope="module")
def cluster() -> Iterator[ClusterSimulator]:
    clock = SimClock()
    addresses = iter(f"127.77.0.{i}" for i in range(1, 250))
    simulated = ClusterSimulator("immutable", "1.30.5", clock, lock=threading.RLock(),
                                 ip_allocator=lambda: next(addresses))
    simulated.start()
    yield simulated
    simulated.stop()


@pytest.fixture(scope="module")
def kube(cluster: ClusterSimulator) -> KubeClient:
    kube = KubeClient.from_kubeconfig(cluster.kubeconfig(), clock=cluster.clock)
    kube.ensure_namespace("app")
    kube.ensure_namespace("paged")
    return kube


@pytest.fixture(scope="module")
def cluster_api(cluster: ClusterSimulator) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config_dict(yaml.safe_load(cluster.kubeconfig())))


def _deployment(selector: str, replicas: int = 1) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "app"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": selector}},
                     "template": {"metadata": {"labels": {"app": selector}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}


def _statefulset(size: str, replicas: int = 1) -> dict:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "app"},
            "spec": {"serviceName": "db", "replicas": replicas, "selector": {"matchLabels": {"app": "db"}},
                     "template": {"metadata": {"labels": {"app": "db"}},
                                  "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                         "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}]}}


def test_deployment_selector_is_immutable_but_replicas_are_not(kube: KubeClient) -> None:
    kube.apply(_deployment("web"))
    assert kube.apply(_deployment("web", replicas=3))["spec"]["replicas"] == 3
    with pytest.raises(PermanentRemoteError, match="spec.selector"):
        kube.apply(_deployment("web-v2"))


def test_statefulset_claim_templates_are_immutable(kube: KubeClient) -> None:
    kube.apply(_statefulset("1Gi"))
    assert kube.apply(_statefulset("1Gi", replicas=2))["spec"]["replicas"] == 2
    with pytest.raises(PermanentRemoteError, match="updates to statefulset spec"):
        kube.apply(_statefulset("5Gi", replicas=2))


def test_lists_come_in_pages_when_asked(kube: KubeClient, cluster_api: client.CoreV1Api) -> None:
    """limit/continue as the real server pages (the library's client pages through big lists)."""
    for i in range(7):
        kube.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"page-{i}", "namespace": "paged"},
                    "data": {"i": str(i)}})
    names, token, pages = [], None, 0
    while True:
        page = cluster_api.list_namespaced_config_map("paged", limit=3, _continue=token)
        pages += 1
        names += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert pages == 3
    assert [n for n in names if n.startswith("page-")] == [f"page-{i}" for i in range(7)]
