"""Updates the real API server refuses: immutable selectors, StatefulSet specs, Job templates, PVC specs."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bluegreen.errors import PermanentRemoteError
from bluegreen.kube.client import KubeClient
from bluegreen.sim.clock import SimClock
from bluegreen.sim.kube.cluster import ClusterSimulator


@pytest.fixture(scope="module")
def kube() -> Iterator[KubeClient]:
    clock = SimClock()
    addresses = iter(f"127.77.0.{i}" for i in range(1, 250))
    cluster = ClusterSimulator("immutable", "1.30.5", clock, lock=threading.RLock(),
                               ip_allocator=lambda: next(addresses))
    cluster.start()
    client = KubeClient.from_kubeconfig(cluster.kubeconfig(), clock=clock)
    client.ensure_namespace("app")
    yield client
    cluster.stop()


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
