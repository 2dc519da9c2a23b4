"""Deletion takes time, as on a real API server: finalizers, Terminating namespaces, propagation policies."""

from __future__ import annotations

import pytest
from kube_helpers import World
from kubernetes import client
from kubernetes.client.rest import ApiException

from bluegreen.sim.kube.cluster import ClusterBehaviour

HOLD = "example.com/hold"


@pytest.fixture(scope="module")
def world() -> World:
    w = World(behaviour=ClusterBehaviour(pod_ready_seconds=20))
    yield w
    w.close()


@pytest.fixture(scope="module")
def api(world: World) -> client.ApiClient:
    return world.api_client()


_NS = iter(range(1000))


@pytest.fixture
def ns(api: client.ApiClient) -> str:
    name = f"d{next(_NS)}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return name


def deployment(name: str, replicas: int = 2) -> dict:
    return {"metadata": {"name": name}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]}}}}


def gone(read, *args) -> bool:  # noqa: ANN001 - a generated client method
    try:
        read(*args)
    except ApiException as exc:
        return exc.status == 404
    return False


def test_a_finalizer_holds_an_object_until_a_client_removes_it(api, ns) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "held", "finalizers": [HOLD]}})
    core.delete_namespaced_config_map("held", ns)
    held = core.read_namespaced_config_map("held", ns)
    assert held.metadata.finalizers == [HOLD] and held.metadata.deletion_timestamp is not None
    with pytest.raises(ApiException) as err:  # nothing new can hold it once it is being deleted
        core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": [HOLD, "example.com/more"]}})
    assert err.value.status == 422 and "no new finalizers" in err.value.body
    core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}})
    assert gone(core.read_namespaced_config_map, "held", ns)


def test_namespace_stays_terminating_until_its_content_is_gone(world, api) -> None:
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "closing"}})
    core.create_namespaced_config_map("closing", {"metadata": {"name": "held", "finalizers": [HOLD]}})
    core.create_namespaced_config_map("closing", {"metadata": {"name": "plain"}})
    core.delete_namespace("closing")
    namespace = core.read_namespace("closing")
    assert namespace.status.phase == "Terminating"
    conditions = {c.type: c for c in namespace.status.conditions}
    assert conditions["NamespaceFinalizersRemaining"].message == (
        f"Some content in the namespace has finalizers remaining: {HOLD} in 1 resource instances")
    assert [c.metadata.name for c in core.list_namespaced_config_map("closing").items] == ["held"]
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("closing", {"metadata": {"name": "late"}})
    assert err.value.status == 403 and "because it is being terminated" in err.value.body
    world.clock.advance(3600)
    assert core.read_namespace("closing").status.phase == "Terminating"  # time alone does not help
    core.patch_namespaced_config_map("held", "closing", {"metadata": {"finalizers": []}})
    assert gone(core.read_namespace, "closing")


def test_foreground_owner_waits_for_its_dependents(world, api, ns) -> None:
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("fg"))
    world.clock.advance(25)  # pods Running: they take their 30 s grace period to stop
    apps.delete_namespaced_deployment("fg", ns, propagation_policy="Foreground")
    owner = apps.read_namespaced_deployment("fg", ns)
    assert "foregroundDeletion" in owner.metadata.finalizers and owner.metadata.deletion_timestamp
    pods = core.list_namespaced_pod(ns).items
    assert len(pods) == 2 and all(p.metadata.deletion_timestamp for p in pods)
    world.clock.advance(31)
    assert gone(apps.read_namespaced_deployment, "fg", ns)
    assert not apps.list_namespaced_replica_set(ns).items and not core.list_namespaced_pod(ns).items


def test_background_and_orphan(world, api, ns) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("bg", replicas=1))
    apps.delete_namespaced_deployment("bg", ns, propagation_policy="Background")
    assert gone(apps.read_namespaced_deployment, "bg", ns)  # the owner goes first, then its dependents
    assert not apps.list_namespaced_replica_set(ns).items
    apps.create_namespaced_deployment(ns, deployment("or", replicas=1))
    apps.delete_namespaced_deployment("or", ns, propagation_policy="Orphan")
    assert gone(apps.read_namespaced_deployment, "or", ns)
    (rs,) = apps.list_namespaced_replica_set(ns).items
    assert not rs.metadata.owner_references


def test_jobs_orphan_their_pods_by_default_with_a_warning(world, api, ns) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    job = {"metadata": {"name": "once"}, "spec": {"template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox:1.36"}]}}}}
    batch.create_namespaced_job(ns, job)
    _, status, headers = batch.delete_namespaced_job_with_http_info("once", ns)
    assert status == 200
    assert "child pods are preserved by default when jobs are deleted" in headers["Warning"]
    assert gone(batch.read_namespaced_job, "once", ns)
    (pod,) = core.list_namespaced_pod(ns).items
    assert not pod.metadata.owner_references
    batch.create_namespaced_job(ns, {**job, "metadata": {"name": "twice"}})
    _, _, headers = batch.delete_namespaced_job_with_http_info("twice", ns, propagation_policy="Background")
    assert "Warning" not in headers
    assert [p.metadata.name for p in core.list_namespaced_pod(ns).items] == [pod.metadata.name]


def test_load_balancer_service_is_held_until_its_address_is_released(world, api, ns) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_service(ns, {"metadata": {"name": "lb"}, "spec": {
        "type": "LoadBalancer", "selector": {"app": "x"}, "ports": [{"port": 80}]}})
    svc = core.read_namespaced_service("lb", ns)
    assert svc.metadata.finalizers == ["service.kubernetes.io/load-balancer-cleanup"]
    assert svc.status.load_balancer.ingress
    core.delete_namespaced_service("lb", ns)
    assert gone(core.read_namespaced_service, "lb", ns)


def test_claim_is_protected_while_a_pod_uses_it(world, api, ns) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_persistent_volume_claim(ns, {"metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    core.create_namespaced_pod(ns, {"metadata": {"name": "user"}, "spec": {
        "containers": [{"name": "main", "image": "nginx:1.27"}],
        "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}})
    claim = core.read_namespaced_persistent_volume_claim("data", ns)
    assert claim.metadata.finalizers == ["kubernetes.io/pvc-protection"]
    core.delete_namespaced_persistent_volume_claim("data", ns)
    assert core.read_namespaced_persistent_volume_claim("data", ns).metadata.deletion_timestamp
    world.clock.advance(600)
    assert core.read_namespaced_persistent_volume_claim("data", ns).status.phase == "Bound"
    core.delete_namespaced_pod("user", ns, grace_period_seconds=0)
    assert gone(core.read_namespaced_persistent_volume_claim, "data", ns)


def test_a_stuck_finalizer_holds_until_removed(tmp_path) -> None:
    world = World(behaviour=ClusterBehaviour(stuck_finalizers=["service.kubernetes.io/load-balancer-cleanup"]))
    try:
        core = client.CoreV1Api(world.api_client())
        core.create_namespaced_service("default", {"metadata": {"name": "lb"}, "spec": {
            "type": "LoadBalancer", "ports": [{"port": 80}]}})
        core.delete_namespaced_service("lb", "default")
        world.clock.advance(3600)
        assert core.read_namespaced_service("lb", "default").metadata.deletion_timestamp
        core.patch_namespaced_service("lb", "default", {"metadata": {"finalizers": None}})
        assert gone(core.read_namespaced_service, "lb", "default")
    finally:
        world.close()


def test_a_new_pod_is_pending_with_the_default_service_account(api, ns) -> None:
    pod = client.CoreV1Api(api).create_namespaced_pod(ns, {"metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "main", "image": "nginx:1.27"}]}})
    assert pod.status.phase == "Pending" and pod.spec.service_account_name == "default"
