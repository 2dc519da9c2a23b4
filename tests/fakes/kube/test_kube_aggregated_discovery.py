"""Aggregated discovery (KEP-3352) as the simulated API server serves it at /api and /apis.

Covers: which releases serve which apidiscovery.k8s.io versions (none before 1.27, v2beta1 1.27-1.29, both
1.30-1.32, v2 only from 1.33); content negotiation as kube-apiserver does it (empty Accept, kubectl's list,
q-values, wildcards, an aggregated clause winning over a plain one whatever its q, 406 when nothing is
acceptable, group version documents never aggregated); the answer's Content-Type, ETag, Vary and 304; the
document's shape (core group at /api, versions in preference order, subresources folded into their parents,
freshness); for every release in the simulator's table, CRDs included, the aggregated and legacy documents
describe the same groups, versions, resources, verbs, scopes and subresources, and the library's conversion
of the aggregated document gives back the legacy lists exactly; the feature gate off serves legacy only.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
from typing import Any

import pytest
import yaml
from kube_helpers import World

from bluegreen.kube.transport import resource_list as library_resource_list
from bluegreen.sim.kube import discovery
from bluegreen.sim.kube.api import ApiError
from bluegreen.sim.kube.apis import BUILTIN, ApiTable

V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
KUBECTL_ACCEPT = f"{V2},{V2BETA1},application/json"  # client-go's acceptDiscoveryFormats

# Every minor the simulator's release table distinguishes, one beyond its last removal included.
MINORS = range(min(r.since for r in BUILTIN if r.since), max(r.until for r in BUILTIN if r.until < 999) + 2)

CRDS = [
    {"spec": {"group": "example.com", "scope": "Namespaced",
              "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"],
                        "categories": ["all", "toys"]},
              "versions": [{"name": "v1", "served": True}, {"name": "v1alpha1", "served": True},
                           {"name": "v0", "served": False}]}},
    {"spec": {"group": "example.com", "scope": "Cluster",
              "names": {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"},
              "versions": [{"name": "v1", "served": True}]}},
]


def table_with_crds(minor: int) -> ApiTable:
    table = ApiTable(minor)
    table.set_custom_from_crds(CRDS)
    return table


@pytest.mark.parametrize(("minor", "versions"), [
    (20, ()), (26, ()), (27, ("v2beta1",)), (29, ("v2beta1",)), (30, ("v2", "v2beta1")), (32, ("v2", "v2beta1")),
    (33, ("v2",)), (35, ("v2",)),
])
def test_which_releases_serve_which_versions(minor: int, versions: tuple[str, ...]) -> None:
    assert discovery.aggregated_versions(minor) == versions


@pytest.mark.parametrize(("accept", "minor", "expected"), [
    ("", 30, None),  # no Accept: JSON, the plain document
    ("application/json", 30, None),
    ("*/*", 30, None),
    (KUBECTL_ACCEPT, 30, "v2"),
    (KUBECTL_ACCEPT, 29, "v2beta1"),  # v2 is not served before 1.30: the next clause
    (KUBECTL_ACCEPT, 33, "v2"),
    (KUBECTL_ACCEPT, 26, None),  # alpha and off by default: the plain document
    (f"{V2BETA1};q=0.9,{V2}", 30, "v2"),  # q orders the clauses, not their place in the list
    (f"{V2};q=0.5,{V2BETA1}", 31, "v2beta1"),
    (f"application/json,{V2};q=0.1", 30, "v2"),  # an aggregated clause wins over a plain one whatever its q
    ("*/*;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", 30, "v2"),
    ("application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io", 30, "v2"),  # parameters in any order
    ("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json", 30, None),
    ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json", 30, None),
    (f"{V2};profile=nopeer,{V2},application/json", 33, "v2"),  # newer kubectl's parameter is ignored
])
def test_negotiation_of_api_and_apis(accept: str, minor: int, expected: str | None) -> None:
    assert discovery.negotiate(accept, minor, aggregated=True) == expected


@pytest.mark.parametrize(("accept", "minor"), [
    (V2, 26), (V2, 29), (V2BETA1, 33), ("text/html", 30), ("application/json;as=Table;v=v1;g=meta.k8s.io", 30),
])
def test_nothing_acceptable_is_406(accept: str, minor: int) -> None:
    with pytest.raises(ApiError) as info:
        discovery.negotiate(accept, minor, aggregated=True)
    assert (info.value.code, info.value.reason) == (406, "NotAcceptable")


def test_group_version_documents_are_never_aggregated() -> None:
    assert discovery.negotiate(KUBECTL_ACCEPT, 30, aggregated=False) is None
    with pytest.raises(ApiError, match="only the following media types"):
        discovery.negotiate(V2, 30, aggregated=False)


def test_document_shape() -> None:
    table = table_with_crds(30)
    apis = discovery.aggregated(table, "v2", core=False)
    assert (apis["kind"], apis["apiVersion"]) == ("APIGroupDiscoveryList", "apidiscovery.k8s.io/v2")
    by_name = {g["metadata"]["name"]: g for g in apis["items"]}
    assert "" not in by_name
    flowcontrol = by_name["flowcontrol.apiserver.k8s.io"]
    assert [v["version"] for v in flowcontrol["versions"]] == ["v1", "v1beta3"]  # preferred first
    assert [v["version"] for v in by_name["example.com"]["versions"]] == ["v1", "v1alpha1"]  # v0 is not served
    apps_v1 = {r["resource"]: r for r in by_name["apps"]["versions"][0]["resources"]}
    assert apps_v1["deployments"] == {
        "resource": "deployments", "responseKind": {"group": "", "version": "", "kind": "Deployment"},
        "scope": "Namespaced", "singularResource": "deployment", "verbs": [
            "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["deploy"], "categories": ["all"], "subresources": [
            {"subresource": "status", "responseKind": {"group": "", "version": "", "kind": "Deployment"},
             "verbs": ["get", "patch", "update"]},
            {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
             "verbs": ["get", "patch", "update"]}]}
    assert all(v["freshness"] == "Current" for g in apis["items"] for v in g["versions"])
    gizmos = next(r for r in by_name["example.com"]["versions"][0]["resources"] if r["resource"] == "gizmos")
    assert gizmos["scope"] == "Cluster" and "shortNames" not in gizmos
    core = discovery.aggregated(table, "v2beta1", core=True)
    assert core["apiVersion"] == "apidiscovery.k8s.io/v2beta1"
    (group,) = core["items"]
    assert group["metadata"]["name"] == "" and [v["version"] for v in group["versions"]] == ["v1"]
    assert {"pods", "namespaces", "configmaps"} <= {r["resource"] for r in group["versions"][0]["resources"]}


def _legacy_view(table: ApiTable, core: bool) -> list[tuple[str, list[tuple[str, list[tuple]]]]]:
    """What the plain documents say: groups in order, each version's resources and subresources."""
    if core:
        groups = [("", ["v1"])]
    else:
        groups = [(g["name"], [v["version"] for v in g["versions"]]) for g in discovery.group_list(table)["groups"]]
        for name, versions in groups:
            assert discovery.group(table, name)["preferredVersion"]["version"] == versions[0]  # type: ignore[index]
    out = []
    for name, versions in groups:
        described = []
        for version in versions:
            doc = discovery.resource_list(table, name, version)
            assert doc is not None
            entries = []
            for r in doc["resources"]:
                parent, _, sub = r["name"].partition("/")
                entries.append((parent, sub, r["kind"], r.get("group", ""), r.get("version", ""), r["namespaced"],
                                tuple(r["verbs"]), tuple(r.get("shortNames", ())), tuple(r.get("categories", ())),
                                r["singularName"] if not sub else ""))
            described.append((version, sorted(entries)))
        out.append((name, described))
    return out


def _aggregated_view(doc: dict[str, Any]) -> list[tuple[str, list[tuple[str, list[tuple]]]]]:
    out = []
    for group in doc["items"]:
        described = []
        for version in group["versions"]:
            entries = []
            for r in version["resources"]:
                namespaced = {"Namespaced": True, "Cluster": False}[r["scope"]]
                kind = r["responseKind"]
                entries.append((r["resource"], "", kind["kind"], kind["group"], kind["version"], namespaced,
                                tuple(r["verbs"]), tuple(r.get("shortNames", ())), tuple(r.get("categories", ())),
                                r["singularResource"]))
                for s in r.get("subresources", []):
                    sk = s["responseKind"]
                    entries.append((r["resource"], s["subresource"], sk["kind"], sk["group"], sk["version"],
                                    namespaced, tuple(s["verbs"]), (), (), ""))
            described.append((version["version"], sorted(entries)))
        out.append((group["metadata"]["name"], described))
    return out


@pytest.mark.parametrize("minor", MINORS)
def test_aggregated_and_legacy_documents_agree_for_every_release(minor: int) -> None:
    table = table_with_crds(minor)
    for version in discovery.aggregated_versions(minor) or ("v2",):
        for core in (True, False):
            doc = discovery.aggregated(table, version, core=core)
            assert _aggregated_view(doc) == _legacy_view(table, core), (minor, version, core)


@pytest.mark.parametrize("minor", MINORS)
def test_the_library_reads_back_the_legacy_lists_exactly(minor: int) -> None:
    table = table_with_crds(minor)
    for core in (True, False):
        for group in discovery.aggregated(table, "v2", core=core)["items"]:
            name = group["metadata"]["name"]
            for version in group["versions"]:
                gv = f"{name}/{version['version']}" if name else version["version"]
                legacy = discovery.resource_list(table, name, version["version"])
                converted = library_resource_list(gv, version["resources"])
                assert converted["groupVersion"] == legacy["groupVersion"]  # type: ignore[index]
                key = lambda e: e["name"]  # noqa: E731
                assert sorted(converted["resources"], key=key) == sorted(legacy["resources"], key=key)  # type: ignore[index]


# --- over the wire -----------------------------------------------------------------------------------


class Raw:
    """Plain HTTPS requests with the cluster's CA and token, headers as sent."""

    def __init__(self, world: World) -> None:
        config = yaml.safe_load(world.cluster.kubeconfig())
        self.host, self.port = config["clusters"][0]["cluster"]["server"].removeprefix("https://").split(":")
        ca = base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
        self.context = ssl.create_default_context(cadata=ca)
        self.token = config["users"][0]["user"]["token"]

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], Any]:
        conn = http.client.HTTPSConnection(self.host, int(self.port), context=self.context, timeout=10)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}",
                                               **{k.replace("_", "-"): v for k, v in headers.items()}})
            response = conn.getresponse()
            data = response.read()
            return response.status, dict(response.getheaders()), json.loads(data) if data else None
        finally:
            conn.close()


@pytest.fixture(scope="module")
def world() -> Any:
    w = World(version="1.30")
    yield w
    w.close()


def test_apis_answers_aggregated_with_its_media_type_etag_and_304(world: World) -> None:
    raw = Raw(world)
    status, headers, doc = raw.get("/apis", Accept=KUBECTL_ACCEPT)
    assert status == 200 and doc["kind"] == "APIGroupDiscoveryList"
    assert headers["Content-Type"] == V2
    assert headers["Vary"] == "Accept" and headers["ETag"].startswith('"')
    status, headers_again, body = raw.get("/apis", Accept=KUBECTL_ACCEPT, If_None_Match=headers["ETag"])
    assert (status, body) == (304, None)
    status, beta_headers, beta = raw.get("/apis", Accept=V2BETA1)
    assert beta_headers["Content-Type"] == V2BETA1 and beta["apiVersion"] == "apidiscovery.k8s.io/v2beta1"
    assert beta["items"] == doc["items"]


def test_api_and_apis_stay_plain_without_asking(world: World) -> None:
    raw = Raw(world)
    status, headers, core = raw.get("/api", Accept="application/json")
    assert (status, headers["Content-Type"], core["kind"]) == (200, "application/json", "APIVersions")
    status, _, groups = raw.get("/apis")
    assert groups["kind"] == "APIGroupList"
    _, headers, aggregated_core = raw.get("/api", Accept=KUBECTL_ACCEPT)
    assert headers["Content-Type"] == V2 and aggregated_core["items"][0]["metadata"]["name"] == ""


def test_unacceptable_accept_is_406_with_a_status(world: World) -> None:
    raw = Raw(world)
    status, _, body = raw.get("/apis/apps/v1", Accept=V2)
    assert (status, body["kind"], body["reason"]) == (406, "Status", "NotAcceptable")
    status, _, body = raw.get("/apis", Accept="text/html")
    assert status == 406
    status, _, body = raw.get("/apis/apps/v1", Accept=KUBECTL_ACCEPT)
    assert (status, body["kind"]) == (200, "APIResourceList")


def test_v2beta1_alone_is_refused_from_1_33_and_the_gate_off_serves_legacy() -> None:
    newest = World(version="1.33")
    try:
        raw = Raw(newest)
        assert raw.get("/apis", Accept=V2BETA1)[0] == 406
        assert raw.get("/apis", Accept=KUBECTL_ACCEPT)[1]["Content-Type"] == V2
    finally:
        newest.close()
    gated = World(version="1.29")
    try:
        gated.cluster._server.disable_aggregated_discovery()  # type: ignore[union-attr]
        status, headers, doc = Raw(gated).get("/apis", Accept=KUBECTL_ACCEPT)
        assert (status, headers["Content-Type"], doc["kind"]) == (200, "application/json", "APIGroupList")
    finally:
        gated.close()
