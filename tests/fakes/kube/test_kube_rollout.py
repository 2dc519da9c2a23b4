"""Rollouts as the Deployment controller makes them: maxSurge, maxUnavailable, minReadySeconds, status lag."""

from __future__ import annotations

import pytest
from kube_helpers import World
from kubernetes import client

from bluegreen.kube.readiness import workload_status
from bluegreen.sim.kube.cluster import ClusterBehaviour

_NS = iter(range(1000))


@pytest.fixture(scope="module")
def world() -> World:
    w = World(behaviour=ClusterBehaviour(pod_ready_seconds=20))
    yield w
    w.close()


@pytest.fixture(scope="module")
def api(world: World) -> client.ApiClient:
    return world.api_client()


@pytest.fixture
def ns(api: client.ApiClient) -> str:
    name = f"r{next(_NS)}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return name


def deployment(replicas: int, surge: object, unavailable: object, min_ready: int = 0) -> dict:
    return {"metadata": {"name": "web"}, "spec": {
        "replicas": replicas, "minReadySeconds": min_ready, "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]}}}}


def roll(world: World, api: client.ApiClient, ns: str, body: dict) -> list[tuple[int, int]]:
    """Create, settle, change the image, then step time; (live pods, available) at every step."""
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.create_namespaced_deployment(ns, body)
    world.clock.advance(60)
    apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "main", "image": "nginx:1.28"}]}}}})
    seen = []
    for _ in range(120):
        world.clock.advance(5)
        pods = [p for p in core.list_namespaced_pod(ns).items if p.metadata.deletion_timestamp is None]
        d = apps.read_namespaced_deployment("web", ns)
        seen.append((len(pods), d.status.available_replicas or 0))
        if workload_status(api.sanitize_for_serialization(d) | {"kind": "Deployment"}).ready:
            return seen
    raise AssertionError(f"rollout did not finish: {seen}")


def test_surge_one_unavailable_zero_never_drops_capacity(world, api, ns) -> None:
    seen = roll(world, api, ns, deployment(4, 1, 0))
    assert max(live for live, _ in seen) == 5  # one extra pod at a time
    assert min(available for _, available in seen) == 4
    assert len(seen) >= 4 * 4  # four pods, one at a time, 20 s each to become ready


def test_unavailable_two_surge_zero_replaces_two_at_a_time(world, api, ns) -> None:
    seen = roll(world, api, ns, deployment(4, 0, "50%"))
    assert max(live for live, _ in seen) == 4
    assert min(available for _, available in seen) == 2
    assert len(seen) < 4 * 4  # faster: two at a time


def test_min_ready_seconds_delays_availability(world, api, ns) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, deployment(2, 1, 0, min_ready=15))
    world.clock.advance(25)  # ready after 20 s ...
    d = apps.read_namespaced_deployment("web", ns)
    assert d.status.ready_replicas == 2 and not d.status.available_replicas
    world.clock.advance(15)  # ... available 15 s later
    assert apps.read_namespaced_deployment("web", ns).status.available_replicas == 2


def test_status_lags_a_spec_change_until_the_controller_runs(world, api, ns) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, deployment(2, 1, 0))
    world.clock.advance(30)
    settled = api.sanitize_for_serialization(apps.read_namespaced_deployment("web", ns)) | {"kind": "Deployment"}
    assert workload_status(settled).ready
    apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "main", "image": "nginx:1.28"}]}}}})
    stale = api.sanitize_for_serialization(apps.read_namespaced_deployment("web", ns)) | {"kind": "Deployment"}
    assert stale["metadata"]["generation"] == 2 and stale["status"]["observedGeneration"] == 1
    assert stale["status"]["updatedReplicas"] == stale["status"]["availableReplicas"] == 2  # the old rollout's
    status = workload_status(stale)
    assert not status.ready and "has not observed generation 2" in status.reason
    world.clock.advance(1)
    moved = apps.read_namespaced_deployment("web", ns)
    assert moved.status.observed_generation == 2 and moved.status.updated_replicas == 1
