"""Acceptance 4: the fake's own API semantics, through the official client over real sockets."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from kube_helpers import World, fresh_dynamic
from kubernetes import client, dynamic, watch
from kubernetes.client.rest import ApiException
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

from bluegreen.sim.kube.cluster import ClusterBehaviour, ClusterSimulator
from bluegreen.sim.kube.gateway_crds import gateway_api_crds

BROKEN = "registry.example/broken"


@pytest.fixture(scope="module")
def world() -> World:
    w = World(behaviour=ClusterBehaviour(pod_ready_seconds=20, broken_images=[BROKEN]))
    yield w
    w.close()


@pytest.fixture(scope="module")
def api(world: World) -> client.ApiClient:
    return world.api_client()


@pytest.fixture(scope="module")
def dyn(api: client.ApiClient) -> dynamic.DynamicClient:
    return fresh_dynamic(api)


_NS = iter(range(1000))


@pytest.fixture
def ns(api: client.ApiClient) -> str:
    name = f"t{next(_NS)}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return name


def deployment(name: str, image: str = "nginx:1.27", replicas: int = 1, labels: dict | None = None) -> dict:
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": dict(labels)},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "main", "image": image}]}}}}


def status_of(err: ApiException) -> dict:
    return json.loads(err.body)


def test_server_side_apply_creates_updates_and_removes_dropped_fields(dyn, ns) -> None:
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "labels": {"a": "1", "b": "2"}}, "data": {"x": "1", "y": "2"}}
    created = cms.server_side_apply(body=body, name="cfg", namespace=ns, field_manager="bluegreen")
    assert created.metadata.labels.b == "2" and created.data.y == "2"
    assert created.metadata.managedFields[0].manager == "bluegreen"
    assert created.metadata.managedFields[0].operation == "Apply"
    body["metadata"]["labels"] = {"a": "1"}
    body["data"] = {"x": "10"}
    updated = cms.server_side_apply(body=body, name="cfg", namespace=ns, field_manager="bluegreen")
    assert dict(updated.metadata.labels) == {"a": "1"}
    assert dict(updated.data) == {"x": "10"}
    # a field another manager set stays when this manager stops applying it
    cms.patch(name="cfg", namespace=ns, body={"data": {"z": "3"}}, content_type="application/merge-patch+json",
              field_manager="editor")
    again = cms.server_side_apply(body=body, name="cfg", namespace=ns, field_manager="bluegreen")
    assert dict(again.data) == {"x": "10", "z": "3"}


def test_server_side_apply_conflict_unless_forced(dyn, ns) -> None:
    deps = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    deps.server_side_apply(body=deployment("web", replicas=2), name="web", namespace=ns, field_manager="one")
    with pytest.raises(ConflictError) as err:
        deps.server_side_apply(body=deployment("web", replicas=5), name="web", namespace=ns, field_manager="two")
    assert "spec.replicas" in status_of(err.value)["message"]
    forced = deps.server_side_apply(body=deployment("web", replicas=5), name="web", namespace=ns,
                                    field_manager="two", force_conflicts=True)
    assert forced.spec.replicas == 5


def test_strategic_merge_patch_merges_containers_by_name(api, ns) -> None:
    apps = client.AppsV1Api(api)
    body = deployment("two")
    body["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "busybox:1.36"})
    apps.create_namespaced_deployment(ns, body)
    patched = apps.patch_namespaced_deployment("two", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "side", "image": "busybox:1.37"}]}}}})
    images = {c.name: c.image for c in patched.spec.template.spec.containers}
    assert images == {"main": "nginx:1.27", "side": "busybox:1.37"}
    assert patched.metadata.generation == 2


def test_generation_bumps_on_spec_change_only(api, ns) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("gen"))
    labelled = apps.patch_namespaced_deployment("gen", ns, {"metadata": {"labels": {"team": "x"}}})
    assert labelled.metadata.generation == 1
    scaled = apps.patch_namespaced_deployment("gen", ns, {"spec": {"replicas": 2}})
    assert scaled.metadata.generation == 2
    assert int(scaled.metadata.resource_version) > int(labelled.metadata.resource_version)


def test_conflicts_409(api, ns) -> None:
    core = client.CoreV1Api(api)
    cm = core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}, "data": {"k": "v"}})
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}})
    assert err.value.status == 409 and status_of(err.value)["reason"] == "AlreadyExists"
    core.patch_namespaced_config_map("c", ns, {"data": {"k": "w"}})
    stale = {"metadata": {"name": "c", "resourceVersion": cm.metadata.resource_version}, "data": {"k": "z"}}
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("c", ns, stale)
    assert err.value.status == 409 and status_of(err.value)["reason"] == "Conflict"
    fresh = core.read_namespaced_config_map("c", ns)
    fresh.data = {"k": "z"}
    assert core.replace_namespaced_config_map("c", ns, fresh).data == {"k": "z"}


@pytest.mark.parametrize(("kind", "body", "field"), [
    ("deployments", {**deployment("bad"), "spec": {**deployment("bad")["spec"],
                                                   "selector": {"matchLabels": {"app": "other"}}}},
     "spec.template.metadata.labels"),
    ("deployments", {**deployment("noimg"), "spec": {**deployment("noimg")["spec"], "template": {
        "metadata": {"labels": {"app": "noimg"}}, "spec": {"containers": [{"name": "c"}]}}}},
     "spec.template.spec.containers[0].image"),
    ("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"selector": {"a": "b"}}},
     "spec.ports"),
    ("cronjobs", {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"}, "spec": {
        "schedule": "every tuesday", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}}}, "spec.schedule"),
    ("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}}, "metadata.name"),
])
def test_validation_422_names_the_field(dyn, ns, kind, body, field) -> None:
    res = dyn.resources.get(api_version=body["apiVersion"], kind=body["kind"])
    with pytest.raises(ApiException) as err:
        res.create(body=body, namespace=ns)
    status = status_of(err.value)
    assert err.value.status == 422 and status["reason"] == "Invalid" and status["kind"] == "Status"
    assert field in [c["field"] for c in status["details"]["causes"]]


def test_defaults_like_a_real_server(api, ns) -> None:
    core = client.CoreV1Api(api)
    svc = core.create_namespaced_service(ns, {"metadata": {"name": "s"}, "spec": {
        "selector": {"app": "x"}, "ports": [{"port": 80}]}})
    assert svc.spec.cluster_ip.startswith("10.0.") and svc.spec.type == "ClusterIP"
    assert svc.spec.ports[0].target_port == 80 and svc.spec.ports[0].protocol == "TCP"
    secret = core.create_namespaced_secret(ns, {"metadata": {"name": "s"}, "stringData": {"pw": "hunter2"}})
    assert secret.data == {"pw": "aHVudGVyMg=="} and secret.type == "Opaque"
    batch = client.BatchV1Api(api)
    cj = batch.create_namespaced_cron_job(ns, {"metadata": {"name": "c"}, "spec": {
        "schedule": "@hourly", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}})
    assert cj.spec.suspend is False and cj.spec.concurrency_policy == "Allow"


def test_label_and_field_selectors(api, ns) -> None:
    core = client.CoreV1Api(api)
    for name, labels in [("a", {"env": "prod", "tier": "web"}), ("b", {"env": "dev", "tier": "web"}),
                         ("c", {"env": "test"}), ("d", {})]:
        core.create_namespaced_config_map(ns, {"metadata": {"name": name, "labels": labels}})

    def names(**kw) -> list[str]:
        # kube-root-ca.crt is in every namespace, as the root CA publisher puts it there.
        return sorted(i.metadata.name for i in core.list_namespaced_config_map(ns, **kw).items
                      if i.metadata.name != "kube-root-ca.crt")

    assert names(label_selector="env=prod") == ["a"]
    assert names(label_selector="env!=prod") == ["b", "c", "d"]
    assert names(label_selector="env in (dev,test)") == ["b", "c"]
    assert names(label_selector="env notin (dev,test)") == ["a", "d"]
    assert names(label_selector="tier") == ["a", "b"]
    assert names(label_selector="!tier") == ["c", "d"]
    assert names(label_selector="tier=web,env!=dev") == ["a"]
    assert names(field_selector="metadata.name=c") == ["c"]
    all_ns = core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={ns}")
    assert len([i for i in all_ns.items if i.metadata.name != "kube-root-ca.crt"]) == 4


def test_cascade_delete_background_and_orphan(api, ns) -> None:
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("cas", replicas=2))
    assert len(apps.list_namespaced_replica_set(ns).items) == 1
    assert len(core.list_namespaced_pod(ns).items) == 2
    apps.delete_namespaced_deployment("cas", ns, propagation_policy="Foreground")
    assert not apps.list_namespaced_replica_set(ns).items and not core.list_namespaced_pod(ns).items
    apps.create_namespaced_deployment(ns, deployment("orph", replicas=1))
    apps.delete_namespaced_deployment("orph", ns, propagation_policy="Orphan")
    rs = apps.list_namespaced_replica_set(ns).items
    assert len(rs) == 1 and not rs[0].metadata.owner_references
    assert len(core.list_namespaced_pod(ns).items) == 1  # the orphaned ReplicaSet keeps its pod


def test_namespace_deletion_deletes_contents(api) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.create_namespace({"metadata": {"name": "doomed"}})
    apps.create_namespaced_deployment("doomed", deployment("x"))
    core.create_namespaced_config_map("doomed", {"metadata": {"name": "c"}})
    core.delete_namespace("doomed")
    with pytest.raises(ApiException) as err:
        core.read_namespace("doomed")
    assert err.value.status == 404
    assert not apps.list_deployment_for_all_namespaces(field_selector="metadata.namespace=doomed").items
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("doomed", {"metadata": {"name": "c"}})
    assert err.value.status == 404


def test_pods_become_ready_after_the_delay(world, api, ns) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("slow", replicas=2))
    d = apps.read_namespaced_deployment("slow", ns)
    assert not d.status.ready_replicas and d.status.replicas == 2
    world.clock.advance(19)
    assert not apps.read_namespaced_deployment("slow", ns).status.ready_replicas
    world.clock.advance(2)
    d = apps.read_namespaced_deployment("slow", ns)
    assert d.status.ready_replicas == 2 and d.status.available_replicas == 2
    assert {c.type: c.status for c in d.status.conditions} == {"Available": "True", "Progressing": "True"}


def test_crash_looping_images(world, api, ns) -> None:
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("crash", image=f"{BROKEN}:1.0"))
    world.clock.advance(120)
    pod = core.list_namespaced_pod(ns, label_selector="app=crash").items[0]
    cs = pod.status.container_statuses[0]
    assert cs.state.waiting.reason == "CrashLoopBackOff" and not cs.ready
    first = cs.restart_count
    world.clock.advance(600)
    pod = core.list_namespaced_pod(ns, label_selector="app=crash").items[0]
    assert pod.status.container_statuses[0].restart_count > first >= 1
    d = apps.read_namespaced_deployment("crash", ns)
    assert not d.status.ready_replicas
    progressing = next(c for c in d.status.conditions if c.type == "Progressing")
    assert progressing.reason == "ProgressDeadlineExceeded"


def _http(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_load_balancer_answers_200_503_500_over_sockets(world, api, ns) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.create_namespaced_service(ns, {"metadata": {"name": "front"}, "spec": {
        "type": "LoadBalancer", "selector": {"app": "front"}, "ports": [{"port": 8080, "targetPort": 80}]}})
    ip = core.read_namespaced_service("front", ns).status.load_balancer.ingress[0].ip
    assert ip.startswith("127.") and ip != "127.0.0.1"
    assert _http(f"http://{ip}:8080/")[0] == 503  # no pods yet
    apps.create_namespaced_deployment(ns, deployment("front"))
    assert _http(f"http://{ip}:8080/")[0] == 503  # not ready yet
    world.clock.advance(30)
    code, body = _http(f"http://{ip}:8080/health?x=1")
    assert code == 200 and "front" in body and "blue" in body and "/health?x=1" in body
    apps.patch_namespaced_deployment("front", ns, {"spec": {"strategy": {"type": "Recreate", "rollingUpdate": None},
                                                            "template": {"spec": {"containers": [
                                                                {"name": "main", "image": f"{BROKEN}:2"}]}}}})
    world.clock.advance(1)  # the controller sees the new spec a moment after the write, as on a real cluster
    world.clock.advance(60)
    assert _http(f"http://{ip}:8080/")[0] == 500
    core.delete_namespaced_service("front", ns)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{ip}:8080/", timeout=2)


def test_requests_without_the_token_get_401(world, tmp_path) -> None:
    import ssl

    ca = tmp_path / "ca.crt"
    ca.write_text(world.cluster.tls_cert)
    ctx = ssl.create_default_context(cafile=str(ca))
    req = urllib.request.Request(world.cluster.server_url + "/api/v1/namespaces",
                                 headers={"Authorization": "Bearer wrong"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, context=ctx, timeout=5)
    assert err.value.code == 401 and json.loads(err.value.read())["reason"] == "Unauthorized"


def test_watch_streams_added_modified_deleted(api, ns) -> None:
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    events: list[tuple[str, str]] = []
    started = threading.Event()

    def consume() -> None:
        w = watch.Watch()
        started.set()
        for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=10):
            events.append((ev["type"], ev["object"].metadata.name))
            if ev["type"] == "DELETED":
                w.stop()

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    started.wait()
    core.create_namespaced_config_map(ns, {"metadata": {"name": "w"}})
    core.patch_namespaced_config_map("w", ns, {"data": {"a": "b"}})
    core.delete_namespaced_config_map("w", ns)
    t.join(timeout=10)
    assert events == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_crds_serve_custom_resources(dyn, ns) -> None:
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    for crd in gateway_api_crds():
        crds.server_side_apply(body=crd, name=crd["metadata"]["name"], field_manager="seed")
    dyn.resources.invalidate_cache()
    routes = dyn.resources.get(api_version="gateway.networking.k8s.io/v1", kind="HTTPRoute")
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
             "spec": {"rules": [{"backendRefs": [{"name": "a", "port": 80, "weight": 90}]}]}}
    routes.create(body=route, namespace=ns)
    got = routes.get(name="r", namespace=ns)
    assert got.spec.rules[0].backendRefs[0].weight == 90
    routes.patch(name="r", namespace=ns, body={"spec": {"rules": [{"backendRefs": [
        {"name": "a", "port": 80, "weight": 0}, {"name": "b", "port": 80, "weight": 100}]}]}},
        content_type="application/merge-patch+json")
    assert routes.get(name="r", namespace=ns).metadata.generation == 2
    crds.delete(name="httproutes.gateway.networking.k8s.io")
    with pytest.raises(NotFoundError):
        dyn.request("GET", f"/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/httproutes")


def test_state_round_trip_restores_exactly(world, api, ns) -> None:
    client.AppsV1Api(api).create_namespaced_deployment(ns, deployment("keep", replicas=2))
    state = json.loads(json.dumps(world.cluster.to_state()))
    twin = ClusterSimulator("blue", "1.30", world.clock, lock=world.lock, ip_allocator=lambda: "127.9.9.9",
                            state=state)
    restored = twin.to_state()
    assert restored.pop("running") is False and state.pop("running") is True  # the world decides to start()
    assert restored == state
    assert twin.objects() == world.cluster.objects()
    assert twin.was_running and not twin.running
    kinds = {(r["kind"], r["name"]) for r in twin.summary() if r["namespace"] == ns}
    assert ("Deployment", "keep") in kinds
