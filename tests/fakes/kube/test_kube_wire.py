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


# --- reads share the stored objects; answers leave in one write; memos follow the served resources ----------

def test_an_answer_leaves_in_one_write_and_a_quiet_watch_answers_at_once(world) -> None:
    import socket
    import time

    context = ssl.create_default_context(cadata=world.cluster.tls_cert)
    host, port = "127.0.0.1", int(world.cluster.server_url.rsplit(":", 1)[1])
    auth = f"Authorization: Bearer {world.cluster.token}\r\n"
    with socket.create_connection((host, port), timeout=5) as plain, \
            context.wrap_socket(plain, server_hostname=host) as tls:
        tls.sendall(f"GET /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n".encode())
        first = tls.recv(1 << 20)  # one TLS record: header and body together
        head, _, body = first.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        assert len(body) == length and json.loads(body)["kind"] == "ConfigMapList"
    with socket.create_connection((host, port), timeout=5) as plain, \
            context.wrap_socket(plain, server_hostname=host) as tls:
        began = time.monotonic()
        tls.sendall(f"GET /api/v1/namespaces/default/configmaps?watch=true&resourceVersion={10**6}"
                    f"&timeoutSeconds=30 HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n".encode())
        assert tls.recv(4096).startswith(b"HTTP/1.1 200")  # nothing to send yet, yet the header is there
        assert time.monotonic() - began < 3


def test_changing_what_a_read_returned_never_reaches_the_store(world) -> None:
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared", "labels": {"a": "1"}},
                       "data": {"k": "v"}}).encode()
    assert raw(world, "POST", "/api/v1/namespaces/default/configmaps", body)[0] == 201
    _, _, listing = raw(world, "GET", "/api/v1/namespaces/default/configmaps")
    item = next(i for i in listing["items"] if i["metadata"]["name"] == "shared")
    item["data"]["k"] = "changed"  # the client's copy (it came over the wire): the stored object is untouched
    stored = world.cluster.store.peek(("", "ConfigMap", "default", "shared"))
    assert stored["data"] == {"k": "v"} and stored["apiVersion"] == "v1"
    _, _, one = raw(world, "GET", "/api/v1/namespaces/default/configmaps/shared")
    assert one["data"] == {"k": "v"} and one["kind"] == "ConfigMap"


def test_a_new_crd_is_served_and_discovered_at_once_and_gone_when_deleted(world) -> None:
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.memo.example.com"},
           "spec": {"group": "memo.example.com", "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                    "versions": [{"name": "v1", "served": True, "storage": True,
                                  "schema": {"openAPIV3Schema": {"type": "object",
                                                                 "x-kubernetes-preserve-unknown-fields": True}}}]}}
    aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

    def discovered() -> bool:
        context = ssl.create_default_context(cadata=world.cluster.tls_cert)
        request = urllib.request.Request(world.cluster.server_url + "/apis", headers={
            "Authorization": f"Bearer {world.cluster.token}", "Accept": aggregated})
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            doc = json.loads(response.read())
        return any(i["metadata"]["name"] == "memo.example.com" for i in doc["items"])

    assert not discovered()
    assert raw(world, "GET", "/apis/memo.example.com/v1/namespaces/default/widgets")[0] == 404
    assert raw(world, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
               json.dumps(crd).encode())[0] == 201
    assert discovered()
    assert raw(world, "GET", "/apis/memo.example.com/v1/namespaces/default/widgets")[0] == 200
    raw(world, "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.memo.example.com")
    world.clock.advance(120)  # finalizers and grace, if the fake holds any
    assert not discovered()
    assert raw(world, "GET", "/apis/memo.example.com/v1/namespaces/default/widgets")[0] == 404
