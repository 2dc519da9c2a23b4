"""KubeClient against a scripted HTTP(S) server: the exact wire form and error translation.

Covers: kubeconfig parsing (current context, namespace, token, tokenFile-less token user,
client certificates over real TLS with a private CA, exec plugin refused without a token
provider and never run with one); discovery (server version, served versions, kind ->
plural, subresources ignored, unserved API versions, re-discovery on a miss); get (404 ->
None), list (apiVersion/kind filled in, label selector, pagination), apply (SSA content
type, fieldManager, force, default namespace), merge patch, delete (propagation, already
gone), ensure_namespace; errors: 401, 404, 409 AlreadyExists/Conflict, 422 with causes,
429 Retry-After and 5xx retried on the injected clock, connection refused retried then
surfacing, TLS failure not retried; tokens never appear in repr or error text.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from kube_checks import RecordingClock
from kube_stub import DISCOVERY, NOT_FOUND, Reply, Request, StubApiServer, b64, kubeconfig, make_pki

from bluegreen.errors import (
    NotFoundError,
    PermanentRemoteError,
    PlaybookError,
    PreconditionFailedError,
    TransientRemoteError,
)
from bluegreen.kube.client import KubeClient
from bluegreen.retry import RetryPolicy
from bluegreen.sim.clock import SimClock

TOKEN = "s3cr3t-token-value"


def client_for(stub: StubApiServer, clock: SimClock | None = None, **kw: object) -> KubeClient:
    return KubeClient.from_kubeconfig(
        kubeconfig(stub.url, {"token": TOKEN}, namespace="shop"), clock=clock or SimClock(), **kw  # type: ignore[arg-type]
    )


def test_discovery_and_version() -> None:
    with StubApiServer() as stub:
        kube = client_for(stub)
        assert kube.server_version() == "1.30.5"
        assert kube.served_api_versions() == {"v1", "apps/v1", "batch/v1"}
        deployments = kube.resource("apps/v1", "Deployment")
        assert (deployments.plural, deployments.namespaced) == ("deployments", True)
        assert kube.resource("v1", "Namespace").namespaced is False
        kube.resource("apps/v1", "Deployment")
        assert len(stub.calls("GET", "/apis/apps/v1")) == 1  # cached per client
        assert stub.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_unserved_api_version_is_named() -> None:
    with StubApiServer() as stub:
        kube = client_for(stub)
        with pytest.raises(PermanentRemoteError, match=r"does not serve extensions/v1beta1") as info:
            kube.get("extensions/v1beta1", "Deployment", "shop", "web")
        assert info.value.code == "NotServed"
        assert stub.url in str(info.value)


def test_new_kind_is_rediscovered_once() -> None:
    widgets = {"kind": "APIResourceList", "resources": [{"name": "widgets", "kind": "Widget", "namespaced": True}]}
    groups = DISCOVERY[("GET", "/apis")].body  # type: ignore[union-attr]
    example = {"name": "example.com", "versions": [{"groupVersion": "example.com/v1", "version": "v1"}],
               "preferredVersion": {"groupVersion": "example.com/v1", "version": "v1"}}
    routes = {
        ("GET", "/apis"): Reply(body={**groups, "groups": [*groups["groups"], example]}),
        ("GET", "/apis/example.com/v1"): [Reply(body={"kind": "APIResourceList", "resources": []}), Reply(body=widgets)],
        ("GET", "/apis/example.com/v1/namespaces/shop/widgets/w"): Reply(body={"metadata": {"name": "w"}}),
    }
    with StubApiServer(routes) as stub:
        kube = client_for(stub)
        widget = kube.get("example.com/v1", "Widget", "shop", "w")
        assert widget == {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
        with pytest.raises(PermanentRemoteError, match="no kind Gadget"):
            kube.get("example.com/v1", "Gadget", "shop", "g")


def test_get_missing_is_none_and_default_namespace_from_context() -> None:
    with StubApiServer() as stub:
        kube = client_for(stub)
        assert kube.get("apps/v1", "Deployment", None, "web") is None
        assert stub.requests[-1].path == "/apis/apps/v1/namespaces/shop/deployments/web"


def test_list_fills_kind_follows_pages_and_passes_selector() -> None:
    pages = [
        Reply(body={"kind": "DeploymentList", "metadata": {"continue": "tok1"}, "items": [{"metadata": {"name": "a"}}]}),
        Reply(body={"kind": "DeploymentList", "metadata": {}, "items": [{"metadata": {"name": "b"}}]}),
    ]
    with StubApiServer({("GET", "/apis/apps/v1/namespaces/shop/deployments"): pages}) as stub:
        kube = client_for(stub)
        items = kube.list("apps/v1", "Deployment", "shop", label_selector="app=web,tier in (front)")
        assert [(i["apiVersion"], i["kind"], i["metadata"]["name"]) for i in items] == [
            ("apps/v1", "Deployment", "a"),
            ("apps/v1", "Deployment", "b"),
        ]
        first, second = stub.calls("GET", "/apis/apps/v1/namespaces/shop/deployments")
        assert first.query == {"limit": "500", "labelSelector": "app=web,tier in (front)"}
        assert second.query["continue"] == "tok1"


def test_list_all_namespaces_and_list_namespaced_all_skips_unserved() -> None:
    routes = {
        ("GET", "/apis/apps/v1/deployments"): Reply(body={"items": [{"metadata": {"name": "x", "namespace": "a"}}]}),
        ("GET", "/api/v1/namespaces/shop/configmaps"): Reply(body={"items": [{"metadata": {"name": "cm"}}]}),
        ("GET", "/apis/apps/v1/namespaces/shop/deployments"): Reply(body={"items": []}),
    }
    with StubApiServer(routes) as stub:
        kube = client_for(stub)
        assert [i["metadata"]["name"] for i in kube.list("apps/v1", "Deployment")] == ["x"]
        found = kube.list_namespaced_all(
            "shop", [("v1", "ConfigMap"), ("apps/v1", "Deployment"), ("batch/v1beta1", "CronJob")]
        )
        assert [(o["kind"], o["metadata"]["name"]) for o in found] == [("ConfigMap", "cm")]
        assert not stub.calls("GET", "/apis/batch/v1beta1/namespaces/shop/cronjobs")


def test_apply_is_server_side_apply() -> None:
    path = "/apis/apps/v1/namespaces/shop/deployments/web"
    with StubApiServer({("PATCH", path): lambda r: Reply(body={**r.body, "status": {}})}) as stub:
        kube = client_for(stub)
        obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2}}
        result = kube.apply(obj)
        (call,) = stub.calls("PATCH", path)
        assert call.headers["Content-Type"] == "application/apply-patch+yaml"
        assert call.query == {"fieldManager": "bluegreen", "force": "true"}
        assert call.body["metadata"] == {"name": "web", "namespace": "shop"}
        assert result["spec"] == {"replicas": 2}
        assert obj["metadata"] == {"name": "web"}  # caller's object untouched
        kube.apply({**obj, "metadata": {"name": "web", "namespace": "shop"}}, field_manager="ops", force=False)
        assert stub.calls("PATCH", path)[-1].query == {"fieldManager": "ops", "force": "false"}


def test_apply_needs_identity() -> None:
    with StubApiServer() as stub, pytest.raises(PlaybookError, match="metadata.name"):
        client_for(stub).apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})


def test_patch_merge_and_delete() -> None:
    path = "/apis/batch/v1/namespaces/shop/cronjobs/nightly"
    routes = {
        ("PATCH", path): lambda r: Reply(body={"spec": r.body["spec"]}),
        ("DELETE", path): [Reply(body={"kind": "Status", "status": "Success"}), Reply(404, NOT_FOUND)],
    }
    with StubApiServer(routes) as stub:
        kube = client_for(stub)
        assert kube.patch_merge("batch/v1", "CronJob", "shop", "nightly", {"spec": {"suspend": True}}) == {
            "spec": {"suspend": True}
        }
        assert stub.calls("PATCH", path)[0].headers["Content-Type"] == "application/merge-patch+json"
        assert kube.delete("batch/v1", "CronJob", "shop", "nightly", propagation="Foreground") is True
        assert stub.calls("DELETE", path)[0].body == {
            "apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Foreground",
        }
        assert kube.delete("batch/v1", "CronJob", "shop", "nightly") is False


def test_ensure_namespace_creates_only_when_missing() -> None:
    created = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    routes = {
        ("GET", "/api/v1/namespaces/shop"): [Reply(404, NOT_FOUND), Reply(body=created)],
        ("POST", "/api/v1/namespaces"): Reply(201, created),
    }
    with StubApiServer(routes) as stub:
        kube = client_for(stub)
        assert kube.ensure_namespace("shop")["metadata"]["name"] == "shop"
        assert kube.ensure_namespace("shop")["metadata"]["name"] == "shop"
        assert len(stub.calls("POST", "/api/v1/namespaces")) == 1


def test_ensure_namespace_tolerates_a_race() -> None:
    exists = {"kind": "Status", "reason": "AlreadyExists", "code": 409, "message": 'namespaces "shop" already exists'}
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "uid": "1"}}
    routes = {
        ("GET", "/api/v1/namespaces/shop"): [Reply(404, NOT_FOUND), Reply(body=ns)],
        ("POST", "/api/v1/namespaces"): Reply(409, exists),
    }
    with StubApiServer(routes) as stub:
        assert client_for(stub).ensure_namespace("shop")["metadata"]["uid"] == "1"


def test_load_balancer_ip() -> None:
    svc = {"status": {"loadBalancer": {"ingress": [{"ip": "20.1.2.3"}]}}}
    routes = {
        ("GET", "/api/v1/namespaces/ingress/services/gw"): [Reply(body={"status": {"loadBalancer": {}}}), Reply(body=svc)],
    }
    with StubApiServer(routes) as stub:
        kube = client_for(stub)
        assert kube.load_balancer_ip("ingress", "gw") is None
        assert kube.load_balancer_ip("ingress", "gw") == "20.1.2.3"
        assert kube.load_balancer_ip("ingress", "missing") is None


def status(code: int, reason: str, message: str, **details: object) -> dict:
    body: dict = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "reason": reason,
                  "message": message}
    if details:
        body["details"] = details
    return body


def test_422_carries_message_causes_object_and_server() -> None:
    path = "/apis/apps/v1/namespaces/shop/deployments/web"
    body = status(422, "Invalid", 'Deployment.apps "web" is invalid', causes=[
        {"reason": "FieldValueRequired", "field": "spec.selector", "message": "Required value"},
        {"reason": "FieldValueInvalid", "field": "spec.template.metadata.labels", "message": "Invalid value: selector does not match"},
    ])
    with StubApiServer({("PATCH", path): Reply(422, body)}) as stub:
        clock = RecordingClock()
        kube = client_for(stub, clock)
        with pytest.raises(PermanentRemoteError) as info:
            kube.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}})
        error = info.value
        assert (error.status, error.code, error.resource) == (422, "Invalid", "Deployment shop/web")
        text = str(error)
        assert text.startswith("Deployment shop/web: PATCH on " + stub.url)
        assert "spec.selector: Required value" in text and "selector does not match" in text
        assert clock.sleeps == [] and len(stub.calls("PATCH", path)) == 1


@pytest.mark.parametrize(
    ("code", "reason", "error_type", "expected_code"),
    [
        (401, "Unauthorized", PermanentRemoteError, "Unauthorized"),
        (403, "Forbidden", PermanentRemoteError, "Forbidden"),
        (409, "AlreadyExists", PermanentRemoteError, "AlreadyExists"),
        (409, "Conflict", PreconditionFailedError, "Conflict"),
    ],
)
def test_client_errors_are_permanent(code: int, reason: str, error_type: type, expected_code: str) -> None:
    path = "/api/v1/namespaces/shop/configmaps/cm"
    with StubApiServer({("PATCH", path): Reply(code, status(code, reason, f"{reason} happened"))}) as stub:
        clock = RecordingClock()
        with pytest.raises(error_type) as info:
            client_for(stub, clock).patch_merge("v1", "ConfigMap", "shop", "cm", {"data": {"a": "b"}})
        assert type(info.value) is error_type
        assert info.value.code == expected_code
        assert clock.sleeps == []


def test_wrong_token_is_401_and_not_retried() -> None:
    def auth(request: Request) -> Reply:
        if request.headers.get("Authorization") != "Bearer right":
            return Reply(401, status(401, "Unauthorized", "Unauthorized"))
        return Reply(body={"gitVersion": "v1.30.5"})

    with StubApiServer({("GET", "/version"): auth}) as stub:
        with pytest.raises(PermanentRemoteError) as info:
            client_for(stub).server_version()
        assert info.value.status == 401
        assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
        assert len(stub.calls("GET", "/version")) == 1
        right = KubeClient.from_kubeconfig(kubeconfig(stub.url, {"token": "right"}), clock=SimClock())
        assert right.server_version() == "1.30.5"


def test_429_and_503_are_retried_honouring_retry_after() -> None:
    path = "/api/v1/namespaces/shop/configmaps/cm"
    replies = [
        Reply(429, status(429, "TooManyRequests", "slow down"), {"Retry-After": "7"}),
        Reply(503, status(503, "ServiceUnavailable", "etcd leader change", retryAfterSeconds=3)),
        Reply(500, b"oops"),
        Reply(body={"metadata": {"name": "cm"}}),
    ]
    with StubApiServer({("GET", path): replies}) as stub:
        clock = RecordingClock()
        kube = client_for(stub, clock, retry=RetryPolicy(attempts=5, base_delay=2))
        assert kube.get("v1", "ConfigMap", "shop", "cm") == {"apiVersion": "v1", "kind": "ConfigMap",
                                                             "metadata": {"name": "cm"}}
        assert clock.sleeps == [7.0, 3.0, 8.0]  # Retry-After, retryAfterSeconds, then backoff 2*2**2


def test_persistent_5xx_surfaces_as_transient_after_attempts() -> None:
    with StubApiServer({("GET", "/version"): Reply(502, b"bad gateway")}) as stub:
        clock = RecordingClock()
        with pytest.raises(TransientRemoteError, match="502") as info:
            client_for(stub, clock, retry=RetryPolicy(attempts=3)).server_version()
        assert info.value.status == 502
        assert len(stub.calls("GET", "/version")) == 3 and len(clock.sleeps) == 2


def test_connection_refused_is_retried_then_surfaces() -> None:
    with StubApiServer() as stub:
        url = stub.url
    clock = RecordingClock()
    kube = KubeClient.from_kubeconfig(kubeconfig(url, {"token": TOKEN}), clock=clock, retry=RetryPolicy(attempts=4))
    with pytest.raises(TransientRemoteError, match="connection refused") as info:
        kube.get("v1", "ConfigMap", "shop", "cm")
    assert info.value.code == "ConnectionError"
    assert url in str(info.value)
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert TOKEN not in str(info.value)


def test_token_provider_wins_and_exec_plugin_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    exec_user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "/bin/sh",
                          "args": ["-c", f"touch {marker}"]}}
    with StubApiServer() as stub:
        tokens = (f"entra-{n}" for n in itertools.count(1))
        kube = KubeClient.from_kubeconfig(kubeconfig(stub.url, exec_user), clock=SimClock(),
                                          token_provider=lambda: next(tokens))
        kube.server_version()
        kube.served_api_versions()
        sent = [r.headers["Authorization"] for r in stub.requests]
        assert len(sent) >= 3
        assert sent == [f"Bearer entra-{n}" for n in range(1, len(sent) + 1)]  # asked before every request
        assert not marker.exists()
        assert "entra" not in repr(kube)


def exec_plugin(folder: Path, credential: dict | None, *, fail: str | None = None) -> Path:
    """A credential plugin script that counts its runs and prints `credential` as an ExecCredential."""
    runs = folder / "runs"
    script = folder / "plugin.sh"
    if fail:
        body = f"echo run >> {runs}\necho '{fail}' >&2\nexit 1\n"
    else:
        doc = {"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential", "status": credential}
        body = f"echo run >> {runs}\ncat <<'JSON'\n{json.dumps(doc)}\nJSON\n"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o700)
    return runs


def exec_kubeconfig_file(folder: Path, url: str) -> Path:
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "./plugin.sh"}}
    path = folder / "kubeconfig"
    path.write_bytes(kubeconfig(url, user))
    return path


def test_exec_plugin_runs_lazily_from_the_kubeconfig_folder_and_its_token_is_reused(tmp_path: Path) -> None:
    runs = exec_plugin(tmp_path, {"token": "exec-token"})
    seen: list[str] = []
    with StubApiServer() as stub:
        kube = KubeClient.from_kubeconfig_file(exec_kubeconfig_file(tmp_path, stub.url), clock=SimClock(),
                                               on_secret=seen.append)
        assert not runs.exists()  # building a client runs nothing
        assert kube.server_version() == "1.30.5"
        kube.served_api_versions()
        assert {r.headers["Authorization"] for r in stub.requests} == {"Bearer exec-token"}
        assert runs.read_text().count("run") == 1
        assert seen == ["exec-token"]
        assert "exec-token" not in repr(kube)


def test_exec_token_is_renewed_when_it_expires_on_the_injected_clock(tmp_path: Path) -> None:
    clock = SimClock()
    expiry = (clock.now() + timedelta(minutes=10)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    runs = exec_plugin(tmp_path, {"token": "short-lived", "expirationTimestamp": expiry})
    with StubApiServer() as stub:
        kube = KubeClient.from_kubeconfig_file(exec_kubeconfig_file(tmp_path, stub.url), clock=clock)
        kube.server_version()
        kube.server_version()
        assert runs.read_text().count("run") == 1
        clock.advance(10 * 60)
        kube.server_version()
        assert runs.read_text().count("run") == 2


def test_failing_exec_plugin_is_a_permanent_error_naming_it(tmp_path: Path) -> None:
    runs = exec_plugin(tmp_path, None, fail="please run az login")
    with StubApiServer() as stub:
        clock = RecordingClock()
        kube = KubeClient.from_kubeconfig_file(exec_kubeconfig_file(tmp_path, stub.url), clock=clock)
        with pytest.raises(PermanentRemoteError, match="plugin.sh failed.*please run az login") as info:
            kube.server_version()
        assert info.value.code == "AuthenticationFailed"
        assert clock.sleeps == [] and runs.read_text().count("run") == 1
        assert not stub.requests


def test_missing_kubeconfig_file_is_a_playbook_error(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="cannot read kubeconfig"):
        KubeClient.from_kubeconfig_file(tmp_path / "absent", clock=SimClock())


def test_client_certificate_over_tls(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    with StubApiServer(tls=pki.server_context()) as stub:
        cluster = {"certificate-authority-data": b64(pki.ca_pem)}
        user = {"client-certificate-data": b64(pki.client_cert_pem), "client-key-data": b64(pki.client_key_pem)}
        kube = KubeClient.from_kubeconfig(kubeconfig(stub.url, user, cluster), clock=SimClock())
        assert kube.server_version() == "1.30.5"
        assert stub.requests[-1].peer_cn == "masterclient"
        assert "Authorization" not in stub.requests[-1].headers
        assert repr(kube) == f"KubeClient({stub.url})"


def test_tls_server_name_is_used_for_verification(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    with StubApiServer(tls=pki.server_context()) as stub:
        def client(server_name: str) -> KubeClient:
            cluster = {"certificate-authority-data": b64(pki.ca_pem), "tls-server-name": server_name}
            return KubeClient.from_kubeconfig(kubeconfig(stub.url, {"token": TOKEN}, cluster), clock=SimClock())

        assert client("apiserver.internal").server_version() == "1.30.5"
        with pytest.raises(PermanentRemoteError) as info:
            client("elsewhere.internal").server_version()
        assert info.value.code == "TLSError"


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_untrusted_server_certificate_is_permanent(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    (tmp_path / "other").mkdir()
    other = make_pki(tmp_path / "other")  # a different CA
    with StubApiServer(tls=pki.server_context()) as stub:
        cluster = {"certificate-authority-data": b64(other.ca_pem)}
        clock = RecordingClock()
        kube = KubeClient.from_kubeconfig(kubeconfig(stub.url, {"token": TOKEN}, cluster), clock=clock)
        with pytest.raises(PermanentRemoteError) as info:
            kube.server_version()
        assert info.value.code == "TLSError"
        assert clock.sleeps == []
        insecure = KubeClient.from_kubeconfig(
            kubeconfig(stub.url, {"token": TOKEN}, {"insecure-skip-tls-verify": True}), clock=SimClock()
        )
        assert insecure.server_version() == "1.30.5"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"clusters: [unclosed\n", "not valid YAML"),
        (b"apiVersion: v1\nkind: Config\n", "no current-context"),
        (kubeconfig("ftp://x", {"token": "t"}), "no http"),
        (kubeconfig("https://x", {"client-certificate-data": "%%%"}), "not valid base64"),
    ],
)
def test_bad_kubeconfigs(data: bytes, message: str) -> None:
    with pytest.raises(PlaybookError, match=message) as info:
        KubeClient.from_kubeconfig(data, clock=SimClock())
    assert "%%%" not in str(info.value)


def test_not_found_error_type_for_missing_parent() -> None:
    with StubApiServer() as stub:
        kube = client_for(stub)
        with pytest.raises(NotFoundError):
            kube.patch_merge("v1", "ConfigMap", "shop", "absent", {"data": {}})


def test_unavailable_discovery_is_retried_not_taken_for_a_missing_kind() -> None:
    apps = DISCOVERY[("GET", "/apis/apps/v1")]
    routes = {
        ("GET", "/apis/apps/v1"): [Reply(503, status(503, "ServiceUnavailable", "aggregated API down")), apps],
        ("GET", "/apis/apps/v1/namespaces/shop/deployments/web"): Reply(body={"metadata": {"name": "web"}}),
    }
    with StubApiServer(routes) as stub:
        clock = RecordingClock()
        kube = client_for(stub, clock)
        assert kube.get("apps/v1", "Deployment", "shop", "web") is not None
        assert len(clock.sleeps) == 1


def test_close_removes_the_private_key_folder(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    user = {"client-certificate-data": b64(pki.client_cert_pem), "client-key-data": b64(pki.client_key_pem)}
    kube = KubeClient.from_kubeconfig(kubeconfig("https://127.0.0.1:1", user), clock=SimClock())
    key_file = Path(kube._conn.api.configuration.key_file)
    assert key_file.read_bytes() == pki.client_key_pem
    kube.close()
    assert not key_file.parent.exists()


def test_importing_the_library_does_not_load_kubernetes() -> None:
    code = (
        "import sys, bluegreen, bluegreen.playbook, bluegreen.kube, bluegreen.kube.client, bluegreen.context\n"
        "loaded = sorted(m for m in sys.modules if m == 'kubernetes' or m.startswith('kubernetes.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
