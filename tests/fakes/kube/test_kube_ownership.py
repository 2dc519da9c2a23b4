"""Server-side apply field ownership, as structured-merge-diff keeps it, through the real clients."""

from __future__ import annotations

import json

import pytest
import yaml
from kube_helpers import KUBECTL, World, fresh_dynamic
from kubernetes import dynamic
from kubernetes.dynamic.exceptions import ConflictError

from bluegreen.sim.kube.cluster import ClusterBehaviour


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = World(behaviour=ClusterBehaviour(pod_ready_seconds=0), tmp=tmp_path_factory.mktemp("own"))
    yield w
    w.close()


@pytest.fixture(scope="module")
def dyn(world: World) -> dynamic.DynamicClient:
    return fresh_dynamic(world.api_client())


def cm(data: dict, labels: dict | None = None) -> dict:
    meta: dict = {"name": "owned"}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def managers(obj) -> dict[tuple[str, str], dict]:  # noqa: ANN001 - a ResourceInstance
    return {(m["manager"], m["operation"]): m["fieldsV1"] for m in obj.to_dict()["metadata"]["managedFields"]}


def test_force_transfers_and_dropped_fields_go(dyn) -> None:
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cms.server_side_apply(body=cm({"f": "a"}), name="owned", namespace="default", field_manager="A")
    with pytest.raises(ConflictError):
        cms.server_side_apply(body=cm({"f": "b", "g": "b"}), name="owned", namespace="default", field_manager="B")
    taken = cms.server_side_apply(body=cm({"f": "b", "g": "b"}), name="owned", namespace="default",
                                  field_manager="B", force_conflicts=True)
    assert ("A", "Apply") not in managers(taken)  # A owned nothing else: its entry is gone
    assert managers(taken)[("B", "Apply")]["f:data"] == {"f:f": {}, "f:g": {}}
    after = cms.server_side_apply(body=cm({"g": "b"}), name="owned", namespace="default", field_manager="B")
    assert after.to_dict()["data"] == {"g": "b"}  # f: B stopped sending it and nobody else owns it
    cms.delete(name="owned", namespace="default")


def test_shared_fields_stay_while_another_manager_owns_them(dyn) -> None:
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cms.server_side_apply(body=cm({"f": "a"}), name="owned", namespace="default", field_manager="A")
    shared = cms.server_side_apply(body=cm({"f": "a", "g": "b"}), name="owned", namespace="default",
                                   field_manager="B")  # same value: no conflict, both own f
    assert "f:f" in managers(shared)[("A", "Apply")]["f:data"]
    after = cms.server_side_apply(body=cm({"g": "b"}), name="owned", namespace="default", field_manager="B")
    assert after.to_dict()["data"] == {"f": "a", "g": "b"}
    cms.delete(name="owned", namespace="default")


def test_update_takes_fields_and_conflicts_name_each_field_and_manager(dyn) -> None:
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cms.server_side_apply(body=cm({"f": "a", "g": "a"}, {"team": "x"}), name="owned", namespace="default",
                          field_manager="A")
    cms.patch(name="owned", namespace="default", body={"data": {"f": "edited"}},
              content_type="application/merge-patch+json", field_manager="editor")
    cms.server_side_apply(body=cm({"h": "c"}, {"team": "y"}), name="owned", namespace="default", field_manager="C",
                          force_conflicts=True)
    with pytest.raises(ConflictError) as err:
        cms.server_side_apply(body=cm({"f": "a", "g": "a", "h": "b"}, {"team": "z"}), name="owned",
                              namespace="default", field_manager="A")
    status = json.loads(err.value.body)
    assert status["code"] == 409 and status["reason"] == "Conflict"
    assert status["message"] == (
        'Apply failed with 3 conflicts: conflicts with "C":\n- .data.h\n- .metadata.labels.team\n'
        'conflicts with "editor" using v1:\n- .data.f')
    assert status["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "C"', "field": ".data.h"},
        {"reason": "FieldManagerConflict", "message": 'conflict with "C"', "field": ".metadata.labels.team"},
        {"reason": "FieldManagerConflict", "message": 'conflict with "editor" using v1', "field": ".data.f"},
    ]
    cms.delete(name="owned", namespace="default")


def test_list_items_are_owned_by_key(dyn) -> None:
    deps = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "keyed"}, "spec": {
        "selector": {"matchLabels": {"app": "k"}}, "template": {"metadata": {"labels": {"app": "k"}}, "spec": {
            "containers": [{"name": "main", "image": "nginx:1.27"}]}}}}
    deps.server_side_apply(body=body, name="keyed", namespace="default", field_manager="A")
    other = json.loads(json.dumps(body))
    other["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    with pytest.raises(ConflictError) as err:
        deps.server_side_apply(body=other, name="keyed", namespace="default", field_manager="B")
    assert json.loads(err.value.body)["message"] == (
        'Apply failed with 1 conflict: conflict with "A": .spec.template.spec.containers[name="main"].image')


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (CI installs it)")
def test_kubectl_scale_then_unforced_apply_of_replicas_conflicts(world: World, tmp_path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(yaml.safe_dump({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
        "name": "scaled", "namespace": "default"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "s"}},
        "template": {"metadata": {"labels": {"app": "s"}}, "spec": {"containers": [
            {"name": "main", "image": "nginx:1.27"}]}}}}))
    world.kubectl("apply", "--server-side", "-f", str(manifest))
    world.kubectl("scale", "deployment/scaled", "--replicas=5")
    out = world.kubectl("apply", "--server-side", "-f", str(manifest), check=False)
    assert out.returncode != 0
    assert "Apply failed with 1 conflict" in out.stderr and ".spec.replicas" in out.stderr, out.stderr
    assert 'with subresource "scale"' in out.stderr, out.stderr
    world.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(manifest))
    live = yaml.safe_load(world.kubectl("get", "deployment", "scaled", "-o", "yaml").stdout)
    assert live["spec"]["replicas"] == 2
