"""Wire compatibility: what real clients send and expect, byte for byte where it matters."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

import pytest
from kube_helpers import KUBECTL, World
from kubernetes import client
from kubernetes.client.rest import ApiException

from bluegreen.sim.kube.cluster import ClusterBehaviour


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = World(behaviour=ClusterBehaviour(pod_ready_seconds=20), tmp=tmp_path_factory.mktemp("wire"))
    yield w
    w.close()


@pytest.fixture(scope="module")
def api(world: World) -> client.ApiClient:
    return world.api_client()


def raw(world: World, method: str, path: str, body: bytes | None = None,
        content_type: str = "application/json") -> tuple[int, dict, dict]:
    context = ssl.create_default_context(cadata=world.cluster.tls_cert)
    request = urllib.request.Request(world.cluster.server_url + path, data=body, method=method, headers={
        "Authorization": f"Bearer {world.cluster.token}", "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")


def test_protobuf_bodies_get_415_so_clients_fall_back_to_json(world) -> None:
    code, _, status = raw(world, "POST", "/api/v1/namespaces", b"k8s\x00\n\x0f\n\x02v1\x12\tNamespace",
                          "application/vnd.kubernetes.protobuf")
    assert code == 415 and status["reason"] == "UnsupportedMediaType"


def test_json_patch_on_subresources_gets_an_answer(world, api) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment("default", {"metadata": {"name": "jp"}, "spec": {
        "selector": {"matchLabels": {"app": "jp"}}, "template": {"metadata": {"labels": {"app": "jp"}},
                                                                 "spec": {"containers": [{"name": "m",
                                                                                          "image": "nginx"}]}}}})
    ops = json.dumps([{"op": "replace", "path": "/spec/replicas", "value": 3}]).encode()
    code, _, scale = raw(world, "PATCH", "/apis/apps/v1/namespaces/default/deployments/jp/scale", ops,
                         "application/json-patch+json")
    assert code == 200 and scale["spec"]["replicas"] == 3
    ops = json.dumps([{"op": "add", "path": "/status/observedGeneration", "value": 7}]).encode()
    code, _, out = raw(world, "PATCH", "/apis/apps/v1/namespaces/default/deployments/jp/status", ops,
                       "application/json-patch+json")
    assert code == 200 and out["status"]["observedGeneration"] == 7
    code, _, out = raw(world, "PATCH", "/apis/apps/v1/namespaces/default/deployments/jp/status",
                       json.dumps([{"op": "test", "path": "/nothing/here", "value": 1}]).encode(),
                       "application/json-patch+json")
    assert code == 422 and out["kind"] == "Status"


def test_field_validation_strict_warn_ignore(world) -> None:
    body = {"metadata": {"name": "fv"}, "data": {"a": "1"}, "dataa": {"b": "2"}}
    code, _, status = raw(world, "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
                          json.dumps(body).encode())
    assert code == 400
    assert status["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding '
                                 'error: unknown field "dataa"')
    code, headers, created = raw(world, "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Warn",
                                 json.dumps(body).encode())
    assert code == 201 and headers["Warning"] == '299 - "unknown field \\"dataa\\""'
    assert "dataa" not in created  # dropped, as the real decoder drops unknown fields
    pod = {"metadata": {"name": "typo"}, "spec": {"containers": [{"name": "m", "image": "nginx", "imagee": "x"}]}}
    code, _, status = raw(world, "POST", "/api/v1/namespaces/default/pods?fieldValidation=Strict",
                          json.dumps(pod).encode())
    assert code == 400 and 'unknown field "spec.containers[0].imagee"' in status["message"]


def test_create_answers_the_defaulted_status(api) -> None:
    pod = client.CoreV1Api(api).create_namespaced_pod("default", {"metadata": {"name": "fresh"}, "spec": {
        "containers": [{"name": "m", "image": "nginx:1.27"}]}})
    assert pod.status.phase == "Pending" and pod.status.qos_class == "BestEffort"
    assert pod.spec.service_account_name == "default"
    ns = client.CoreV1Api(api).create_namespace({"metadata": {"name": "fresh"}})
    assert ns.status.phase == "Active"


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (CI installs it)")
def test_kubectl_validates_against_the_servers_openapi(world, tmp_path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: checked, namespace: default}\n"
                    "data: {a: '1'}\n")
    assert "created" in world.kubectl("apply", "-f", str(good)).stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: checked2, namespace: default}\n"
                   "dataa: {a: '1'}\n")
    out = world.kubectl("apply", "-f", str(bad), check=False)
    assert out.returncode != 0 and 'unknown field "dataa"' in out.stderr, out.stderr
    explained = world.kubectl("explain", "deployment.spec.strategy").stdout
    assert "KIND:       Deployment" in explained and "rollingUpdate" in explained


def test_unknown_field_in_apply_is_refused(world, api) -> None:
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "dataa": {}}).encode()
    code, _, status = raw(world, "PATCH", "/api/v1/namespaces/default/configmaps/ssa?fieldManager=t", body,
                          "application/apply-patch+yaml")
    assert code == 400 and status["message"].endswith(".dataa: field not declared in schema")
    with pytest.raises(ApiException):
        client.CoreV1Api(api).read_namespaced_config_map("ssa", "default")
