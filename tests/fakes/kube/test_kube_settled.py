"""A settled cluster skips its controllers on a clock step, yet every timer still fires when its time comes.

A fleet world steps hundreds of clusters on every clock step; one whose objects did not change and whose
checks wait on no time has nothing to do. These tests drive time only (no writes in between) across each
kind of timer the controllers know, in small steps and in one big step.
"""

from __future__ import annotations

import pytest
from kube_helpers import World
from kubernetes import client

from bluegreen.sim.kube.cluster import ClusterBehaviour
from bluegreen.sim.kube.controllers import Controllers


def deployment(name: str, image: str = "nginx:1.27", **spec: object) -> dict:
    return {"metadata": {"name": name}, "spec": {
        "replicas": 1, "selector": {"matchLabels": {"app": name}}, **spec,
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [{"name": "main", "image": image}]}}}}


@pytest.fixture
def world() -> World:
    w = World(behaviour=ClusterBehaviour(pod_ready_seconds=20, job_seconds=30, lb_provision_seconds=90,
                                         broken_images=["broken/"]))
    client.CoreV1Api(w.api_client()).create_namespace({"metadata": {"name": "t"}})
    yield w
    w.close()


def step(world: World, seconds: int, by: int) -> None:
    for _ in range(seconds // by):
        world.clock.advance(by)


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many controller passes ran (each pass refreshes the pods first)."""
    count: list[int] = []
    original = Controllers.refresh_pods

    def counted(self: Controllers) -> None:
        count.append(1)
        original(self)

    monkeypatch.setattr(Controllers, "refresh_pods", counted)
    return count


def test_a_settled_cluster_does_no_controller_work_on_a_clock_step(world: World, passes: list[int]) -> None:
    client.AppsV1Api(world.api_client()).create_namespaced_deployment("t", deployment("web"))
    world.clock.advance(60)  # ready: nothing waits on time any more
    passes.clear()
    step(world, 3600, 60)
    assert passes == []
    client.CoreV1Api(world.api_client()).create_namespaced_config_map("t", {"metadata": {"name": "c"}})
    assert passes  # a write: the controllers run again


@pytest.mark.parametrize("by", [1, 7, 3600])
def test_pods_become_ready_and_jobs_finish_on_time(world: World, by: int) -> None:
    api = world.api_client()
    client.AppsV1Api(api).create_namespaced_deployment("t", deployment("web"))
    client.BatchV1Api(api).create_namespaced_job("t", {"metadata": {"name": "once"}, "spec": {"template": {
        "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]}}}})
    step(world, 19 if by == 1 else 0, 1)
    if by == 1:
        assert not client.AppsV1Api(api).read_namespaced_deployment("web", "t").status.ready_replicas
    step(world, max(by, 40), by)
    assert client.AppsV1Api(api).read_namespaced_deployment("web", "t").status.ready_replicas == 1
    assert client.BatchV1Api(api).read_namespaced_job("once", "t").status.succeeded == 1


@pytest.mark.parametrize("by", [10, 3600])
def test_a_load_balancer_gets_its_address_after_the_provisioning_delay(world: World, by: int) -> None:
    core = client.CoreV1Api(world.api_client())
    core.create_namespaced_service("t", {"metadata": {"name": "lb"}, "spec": {
        "type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}})
    if by == 10:
        step(world, 80, by)
        assert not core.read_namespaced_service("lb", "t").status.load_balancer.ingress
    step(world, max(by, 20), by)
    assert core.read_namespaced_service("lb", "t").status.load_balancer.ingress[0].ip


def test_a_rollout_stalls_at_its_progress_deadline(world: World) -> None:
    apps = client.AppsV1Api(world.api_client())
    apps.create_namespaced_deployment("t", deployment("stuck", image="broken/app:1", progressDeadlineSeconds=120))
    step(world, 100, 10)
    conditions = {c.type: c for c in apps.read_namespaced_deployment("stuck", "t").status.conditions}
    assert conditions["Progressing"].status == "True"
    step(world, 60, 10)
    conditions = {c.type: c for c in apps.read_namespaced_deployment("stuck", "t").status.conditions}
    assert conditions["Progressing"].reason == "ProgressDeadlineExceeded"


def test_a_crashlooping_pod_keeps_counting_restarts(world: World) -> None:
    core = client.CoreV1Api(world.api_client())
    client.AppsV1Api(world.api_client()).create_namespaced_deployment("t", deployment("crash", image="broken/a:1"))
    step(world, 60, 60)
    first = core.list_namespaced_pod("t").items[0].status.container_statuses[0].restart_count
    step(world, 600, 60)
    later = core.list_namespaced_pod("t").items[0].status.container_statuses[0].restart_count
    assert later > first >= 1


def test_a_deleted_pod_goes_when_its_grace_period_ends(world: World) -> None:
    core = client.CoreV1Api(world.api_client())
    core.create_namespaced_pod("t", {"metadata": {"name": "p"}, "spec": {
        "terminationGracePeriodSeconds": 45, "containers": [{"name": "main", "image": "nginx"}]}})
    step(world, 30, 30)  # running
    core.delete_namespaced_pod("p", "t")
    step(world, 40, 10)
    assert core.read_namespaced_pod("p", "t").metadata.deletion_timestamp is not None
    step(world, 10, 10)
    assert [p.metadata.name for p in core.list_namespaced_pod("t").items] == []


def test_a_cronjob_fires_on_a_settled_cluster(world: World) -> None:
    batch = client.BatchV1Api(world.api_client())
    batch.create_namespaced_cron_job("t", {"metadata": {"name": "tick"}, "spec": {
        "schedule": "*/10 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]}}}}}})
    step(world, 3600, 60)
    fired = [e for e in world.log if e.get("event") == "fired"]
    assert 5 <= len(fired) <= 7
