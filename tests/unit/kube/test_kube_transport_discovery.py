"""The client's discovery through aggregated documents (bluegreen.kube.transport), with the legacy walk as fallback.

Covers: reading a response's Content-Type; converting one aggregated version into the APIResourceList the legacy
walk reads (subresources, kinds served elsewhere, entries without a kind); against the simulator, a 1.29 and a
1.30 cluster discovered in two requests and a 1.25 cluster (and a 1.30 with the gate off) by the legacy walk,
with identical results; the official DynamicClient search still working on what aggregated discovery fed it;
a CRD added to an existing group version found on the next read, both ways; a `Stale` group version read from
the wire, its 503 retried and never taken for "no resources", exactly as a 503 in the legacy walk.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kube_checks import RecordingClock, start_cluster
from kube_stub import DISCOVERY, Reply, StubApiServer, kubeconfig

from bluegreen.errors import TransientRemoteError
from bluegreen.kube.client import KubeClient
from bluegreen.kube.discovery import ServedResource
from bluegreen.kube.kubeconfig import parse_kubeconfig
from bluegreen.kube.transport import AGGREGATED_ACCEPT, Connection, aggregated_version, resource_list
from bluegreen.retry import RetryPolicy
from bluegreen.sim.clock import SimClock

V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@pytest.mark.parametrize(("content_type", "expected"), [
    (V2, "v2"),
    ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList", "v2beta1"),
    ("application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io", "v2"),  # any order, spaces
    ("Application/JSON;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "v2"),
    ("application/json", None),
    ("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList", None),
    ("application/json;as=Table;v=v1;g=meta.k8s.io", None),
    ("application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", None),
    ("", None),
])
def test_aggregated_version_from_content_type(content_type: str, expected: str | None) -> None:
    assert aggregated_version(content_type) == expected


def test_accept_asks_v2_then_v2beta1_then_plain_json() -> None:
    assert AGGREGATED_ACCEPT.split(",") == [V2, V2.replace("v=v2;", "v=v2beta1;"), "application/json"]


def test_one_aggregated_version_becomes_the_legacy_resource_list() -> None:
    resources = [
        {"resource": "deployments", "responseKind": {"group": "", "version": "", "kind": "Deployment"},
         "scope": "Namespaced", "singularResource": "deployment", "verbs": ALL, "shortNames": ["deploy"],
         "categories": ["all"], "subresources": [
             {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
              "verbs": ["get", "patch", "update"]},
             {"subresource": "status", "responseKind": {"group": "", "version": "", "kind": "Deployment"},
              "verbs": ["get", "patch", "update"]},
             {"subresource": "odd", "verbs": ["get"]}]},  # no responseKind: client-go drops it too
        {"resource": "nodes", "responseKind": {"group": "", "version": "", "kind": "Node"}, "scope": "Cluster",
         "singularResource": "node", "verbs": ["get", "list"]},
        # the server's stand-in parent for a subresource whose resource it does not serve: no kind, not listed
        {"resource": "ghosts", "responseKind": {"group": "", "version": "", "kind": ""}, "scope": "Namespaced",
         "singularResource": "", "verbs": [], "subresources": [
             {"subresource": "status", "responseKind": {"group": "", "version": "", "kind": "Ghost"}, "verbs": ["get"]}]},
    ]
    assert resource_list("apps/v1", resources) == {
        "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1", "resources": [
            {"name": "deployments", "singularName": "deployment", "namespaced": True, "kind": "Deployment",
             "verbs": ALL, "shortNames": ["deploy"], "categories": ["all"]},
            {"name": "deployments/scale", "singularName": "", "namespaced": True, "kind": "Scale",
             "verbs": ["get", "patch", "update"], "group": "autoscaling", "version": "v1"},
            {"name": "deployments/status", "singularName": "", "namespaced": True, "kind": "Deployment",
             "verbs": ["get", "patch", "update"]},
            {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node", "verbs": ["get", "list"]},
            {"name": "ghosts/status", "singularName": "", "namespaced": True, "kind": "Ghost", "verbs": ["get"]},
        ]}


# --- against the simulator ---------------------------------------------------------------------------


def discovered(version: str, *, gate: bool = True) -> tuple[list[ServedResource], dict[tuple[str, str], int]]:
    """A fresh client's served resources and the discovery documents the server sent for them."""
    clock = SimClock()
    sim = start_cluster(clock, version)
    try:
        if not gate:
            sim._server.disable_aggregated_discovery()  # type: ignore[union-attr]
        kube = KubeClient.from_kubeconfig(sim.kubeconfig(), clock=clock)
        try:
            served = kube.served_resources()
            # resolving kinds afterwards reads nothing more: the client keeps what it was told
            assert kube.resource("apps/v1", "Deployment").plural == "deployments"
            assert kube.resource("v1", "Namespace").namespaced is False
        finally:
            kube.close()
        return served, dict(sim._server.discovery_requests)  # type: ignore[union-attr]
    finally:
        sim.stop()


@pytest.mark.parametrize(("version", "aggregated"), [("1.29.9", "v2beta1"), ("1.30.5", "v2")])
def test_an_aggregated_cluster_is_discovered_in_two_requests_with_the_legacy_result(
    version: str, aggregated: str
) -> None:
    served, requests = discovered(version)
    assert requests == {("/apis", aggregated): 1, ("/api", aggregated): 1}
    legacy, legacy_requests = discovered(version, gate=False)
    assert served == legacy
    assert legacy_requests[("/apis/apps/v1", "legacy")] == 1 and len(legacy_requests) > 15
    kinds = {(r.api_version, r.kind): r for r in served}
    assert kinds[("apps/v1", "Deployment")] == ServedResource(
        "apps/v1", "Deployment", "deployments", True, tuple(ALL), True)
    assert not any("/" in r.plural for r in served)  # subresources stay out
    assert kinds[("autoscaling/v2", "HorizontalPodAutoscaler")].preferred is not kinds[
        ("autoscaling/v1", "HorizontalPodAutoscaler")].preferred


def test_a_1_25_cluster_is_still_walked_group_by_group() -> None:
    served, requests = discovered("1.25.16")
    assert requests[("/apis", "legacy")] == 1  # asked for the aggregated document, answered the plain one
    assert requests[("/api/v1", "legacy")] == 1 and requests[("/apis/autoscaling/v2beta2", "legacy")] == 1
    assert ("/api", "legacy") not in requests  # the legacy walk never needed /api
    assert ("autoscaling/v2beta2", "HorizontalPodAutoscaler") in {(r.api_version, r.kind) for r in served}


def test_the_official_search_works_on_what_aggregated_discovery_fed_it() -> None:
    clock = SimClock()
    sim = start_cluster(clock, "1.30.5")
    conn = Connection(parse_kubeconfig(sim.kubeconfig()), None)
    try:
        deployments = conn.dynamic.resources.get(api_version="apps/v1", kind="Deployment")
        assert (deployments.name, deployments.preferred) == ("deployments", True)
        assert set(deployments.subresources) == {"scale", "status"}
        assert deployments.subresources["scale"].kind == "Scale"
        hpas = conn.dynamic.resources.search(group="autoscaling", kind="HorizontalPodAutoscaler")
        assert {r.api_version for r in hpas} == {"v1", "v2"}
        assert conn.find("batch/v1", "CronJob") is not None and conn.find("batch/v1beta1", "CronJob") is None
        assert conn.serves("policy/v1", refresh=False) and not conn.serves("policy/v1beta1", refresh=True)
        assert conn.dynamic.version["kubernetes"]["gitVersion"] == "v1.30.5"  # read when asked, not at start
        # /api and /apis once on first use, again for the miss of batch/v1beta1, again for the explicit refresh
        assert dict(sim._server.discovery_requests) == {("/apis", "v2"): 3, ("/api", "v2"): 3}  # type: ignore[union-attr]
    finally:
        conn.close()
        sim.stop()


def crd(kind: str, plural: str) -> dict:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                         "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}


@pytest.mark.parametrize("version", ["1.25.16", "1.30.5"])
def test_a_kind_added_to_a_known_group_version_is_found_on_the_next_read(version: str) -> None:
    clock = SimClock()
    sim = start_cluster(clock, version)
    kube = KubeClient.from_kubeconfig(sim.kubeconfig(), clock=clock)
    try:
        kube.apply(crd("Widget", "widgets"))
        assert ("example.com/v1", "Widget") in {(r.api_version, r.kind) for r in kube.served_resources()}
        kube.apply(crd("Gadget", "gadgets"))  # same group version, already read once
        assert ("example.com/v1", "Gadget") in {(r.api_version, r.kind) for r in kube.served_resources()}
        kube.apply({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g", "namespace": "default"}})
    finally:
        kube.close()
        sim.stop()


# --- a Stale group version, against a scripted server --------------------------------------------------

APPS = {"resource": "deployments", "responseKind": {"group": "", "version": "", "kind": "Deployment"},
        "scope": "Namespaced", "singularResource": "deployment", "verbs": ALL}
METRICS_LIST = {"kind": "APIResourceList", "groupVersion": "metrics.k8s.io/v1beta1", "resources": [
    {"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics", "verbs": ["get", "list"]}]}
UNAVAILABLE = Reply(503, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 503,
                          "reason": "ServiceUnavailable", "message": "the server is currently unable to handle the request"})


def aggregated_routes(metrics_replies: list[Reply]) -> dict:
    apis = {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": [
        {"metadata": {"name": "apps"}, "versions": [{"version": "v1", "resources": [APPS], "freshness": "Current"}]},
        {"metadata": {"name": "metrics.k8s.io"}, "versions": [{"version": "v1beta1", "freshness": "Stale"}]}]}
    core = {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": [
        {"metadata": {"name": ""}, "versions": [{"version": "v1", "freshness": "Current", "resources": [
            {"resource": "configmaps", "responseKind": {"group": "", "version": "", "kind": "ConfigMap"},
             "scope": "Namespaced", "singularResource": "configmap", "verbs": ALL}]}]}]}
    return {("GET", "/apis"): Reply(body=apis, headers={"Content-Type": V2}),
            ("GET", "/api"): Reply(body=core, headers={"Content-Type": V2}),
            ("GET", "/apis/metrics.k8s.io/v1beta1"): metrics_replies}


def legacy_routes(metrics_replies: list[Reply]) -> dict:
    apis = {"kind": "APIGroupList", "groups": [
        {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
         "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v}}
        for g, v in (("apps", "v1"), ("metrics.k8s.io", "v1beta1"))]}
    return {("GET", "/apis"): Reply(body=apis), ("GET", "/apis/metrics.k8s.io/v1beta1"): metrics_replies}


Routes = Callable[[list[Reply]], dict]


def stub_client(stub: StubApiServer, clock: SimClock, attempts: int = 5) -> KubeClient:
    return KubeClient.from_kubeconfig(kubeconfig(stub.url, {"token": "t"}), clock=clock,
                                      retry=RetryPolicy(attempts=attempts))


@pytest.mark.parametrize("routes", [aggregated_routes, legacy_routes])
def test_an_unavailable_group_version_is_retried_then_read(routes: Routes) -> None:
    with StubApiServer(routes([UNAVAILABLE, Reply(body=METRICS_LIST)])) as stub:
        clock = RecordingClock()
        served = {(r.api_version, r.kind) for r in stub_client(stub, clock).served_resources()}
        assert {("apps/v1", "Deployment"), ("metrics.k8s.io/v1beta1", "PodMetrics")} <= served
        assert len(clock.sleeps) == 1
        assert len(stub.calls("GET", "/apis/metrics.k8s.io/v1beta1")) == 2
        if routes is aggregated_routes:  # only the stale group version was read on its own
            assert not stub.calls("GET", "/apis/apps/v1") and not stub.calls("GET", "/api/v1")


@pytest.mark.parametrize("routes", [aggregated_routes, legacy_routes])
def test_a_group_version_that_stays_unavailable_is_an_error_not_an_empty_list(routes: Routes) -> None:
    with StubApiServer(routes([UNAVAILABLE])) as stub, pytest.raises(TransientRemoteError, match="503"):
        stub_client(stub, RecordingClock(), attempts=2).served_resources()


def test_the_stub_default_is_still_legacy() -> None:
    """The scripted server answers plain JSON whatever the Accept: the client must not mistake it."""
    with StubApiServer() as stub:
        kube = stub_client(stub, SimClock())
        assert {(r.api_version, r.kind) for r in kube.served_resources()} >= {("apps/v1", "Deployment"),
                                                                               ("batch/v1", "CronJob")}
        assert stub.calls("GET", "/apis")[0].headers["Accept"] == AGGREGATED_ACCEPT
        assert DISCOVERY[("GET", "/apis/apps/v1")] is not None and stub.calls("GET", "/apis/apps/v1")


# --- aggregated documents shared by ETag; a closed connection leaves no cycle ------------------------------


def _served_with(documents: object, monkeypatch: pytest.MonkeyPatch, sim: object) -> list[ServedResource]:
    from bluegreen.kube import transport

    monkeypatch.setattr(transport, "DISCOVERY_DOCUMENTS", documents)
    kube = KubeClient.from_kubeconfig(sim.kubeconfig(), clock=SimClock())  # type: ignore[attr-defined]
    try:
        return kube.served_resources()
    finally:
        kube.close()


def test_clusters_serving_the_same_apis_share_one_parsed_document(monkeypatch: pytest.MonkeyPatch) -> None:
    from bluegreen.kube.transport import DiscoveryDocuments

    clock = SimClock()
    first, second, third = (start_cluster(clock, "1.30.5") for _ in range(3))
    try:
        kube = KubeClient.from_kubeconfig(third.kubeconfig(), clock=clock)
        kube.apply(crd("Widget", "widgets"))
        kube.close()
        shared = DiscoveryDocuments()
        hits: list[str] = []
        get = shared.get

        def counted(etag: str) -> object:
            found = get(etag)
            hits.append(etag if found is not None else "")
            return found

        shared.get = counted  # type: ignore[method-assign]
        served_first = _served_with(shared, monkeypatch, first)
        assert hits == []  # nothing offered yet: both documents came in full
        served_second = _served_with(shared, monkeypatch, second)
        assert len(hits) == 2 and all(hits)  # /apis and /api answered 304, from the documents parsed for `one`
        assert served_second == served_first == _served_with(DiscoveryDocuments(), monkeypatch, second)
        served_third = _served_with(shared, monkeypatch, third)  # another document: answered in full
        assert len(hits) == 3  # only /api (unchanged by a CRD) was a 304
        assert ("example.com/v1", "Widget") in {(r.api_version, r.kind) for r in served_third}
        assert ("example.com/v1", "Widget") not in {(r.api_version, r.kind) for r in served_second}
    finally:
        for sim in (first, second, third):
            sim.stop()


def test_the_shared_documents_are_bounded_and_offer_what_they_still_hold() -> None:
    from bluegreen.kube.transport import DiscoveryDocuments

    docs = DiscoveryDocuments(size=2)
    assert docs.offer("/apis") is None
    docs.put("/apis", '"A"', V2, {"items": []})
    docs.put("/api", '"B"', V2, {"items": []})
    assert docs.offer("/apis") == '"A"'
    assert docs.get('"A"') is not None  # A is now the most recently used
    docs.put("/apis", '"C"', V2, {"items": [1]})
    assert docs.get('"B"') is None and docs.offer("/api") is None  # evicted, so no longer offered
    assert docs.offer("/apis") == '"C"' and docs.get('"A"') is not None


def test_a_closed_connection_leaves_nothing_for_the_cycle_collector() -> None:
    import gc

    clock = SimClock()
    sim = start_cluster(clock, "1.30.5")
    try:
        gc.collect()
        conn = Connection(parse_kubeconfig(sim.kubeconfig()), None)
        assert conn.all_resources()
        assert conn.dynamic.resources.get(api_version="apps/v1", kind="Deployment").subresources
        conn.close()
        del conn
        assert gc.collect() < 100  # was about 1,200 objects a cluster: discovery's resources and their client
    finally:
        sim.stop()
