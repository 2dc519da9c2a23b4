"""KubeClient against the simulated API server (bluegreen.sim.kube) over real HTTPS.

Covers: kubeconfig from the fake (self-signed CA, token); server-side apply create and
re-apply (generation moves, our field manager recorded, re-apply of the same object is a
no-op); redeploying the project's own manifests (tests/data/manifests; ../shared's AKS Store
and guestbook in tests/conformance, same kube_checks bodies) and seeing workloads roll out on
the simulated clock; list by label selector; delete with Background and Foreground
propagation (dependents go), already-gone -> False; discovery on 1.30 missing the APIs
removed earlier while 1.24 still serves policy/v1beta1 and accepts a v1beta1 budget, and
applying a removed API failing with a clear "does not serve"; 401 with a wrong token; a stopped server -> connection
refused retried on the clock, then TransientRemoteError.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from bg_shared import DATA
from kube_checks import (
    RecordingClock,
    check_old_cluster_serves_policy_v1beta1,
    check_removed_api_refused,
    check_rolls_out,
    start_cluster,
)

from bluegreen.errors import PermanentRemoteError, TransientRemoteError
from bluegreen.kube.client import KubeClient
from bluegreen.kube.discovery import ServedResource
from bluegreen.kube.wait import NotYet, wait_until
from bluegreen.retry import RetryPolicy
from bluegreen.sim.kube.cluster import ClusterSimulator

MANIFESTS = DATA / "manifests"


@pytest.fixture
def clock() -> RecordingClock:
    return RecordingClock()


@pytest.fixture
def sim(clock: RecordingClock) -> Iterator[ClusterSimulator]:
    cluster = start_cluster(clock)
    yield cluster
    cluster.stop()


@pytest.fixture
def kube(sim: ClusterSimulator, clock: RecordingClock) -> KubeClient:
    return KubeClient.from_kubeconfig(sim.kubeconfig(), clock=clock, retry=RetryPolicy(attempts=3))


def deployment(name: str, replicas: int = 1, labels: dict[str, str] | None = None) -> dict:
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": f"shop/{name}:1.0"}]},
            },
        },
    }


def test_server_side_apply_create_and_reapply(kube: KubeClient, clock: RecordingClock) -> None:
    kube.ensure_namespace("shop")
    created = kube.apply(deployment("web", replicas=1))
    assert created["metadata"]["generation"] == 1
    managers = {m.get("manager") for m in created["metadata"].get("managedFields", [])}
    assert "bluegreen" in managers
    again = kube.apply(deployment("web", replicas=1))
    assert again["metadata"]["generation"] == 1  # same intent, no new generation
    scaled = kube.apply(deployment("web", replicas=3))
    assert scaled["metadata"]["generation"] == 2
    assert scaled["spec"]["replicas"] == 3
    live = kube.get("apps/v1", "Deployment", "shop", "web")
    assert live is not None and live["spec"]["replicas"] == 3 and live["kind"] == "Deployment"


def test_orders_roll_out_on_the_simulated_clock(
    kube: KubeClient, clock: RecordingClock, no_real_sleep: list[float]
) -> None:
    check_rolls_out(kube, clock, MANIFESTS / "orders.yaml", "orders", "orders-web")


def test_list_by_label_selector(kube: KubeClient) -> None:
    kube.ensure_namespace("shop")
    kube.apply(deployment("web", labels={"app": "web", "tier": "front"}))
    kube.apply(deployment("api", labels={"app": "api", "tier": "back"}))
    kube.apply(deployment("admin", labels={"app": "admin", "tier": "front"}))
    front = kube.list("apps/v1", "Deployment", "shop", label_selector="tier=front")
    assert sorted(o["metadata"]["name"] for o in front) == ["admin", "web"]
    not_front = kube.list("apps/v1", "Deployment", "shop", label_selector="tier!=front")
    assert [o["metadata"]["name"] for o in not_front] == ["api"]
    assert kube.list("apps/v1", "Deployment", label_selector="app in (api,web)")  # all namespaces


@pytest.mark.parametrize("propagation", ["Background", "Foreground"])
def test_delete_with_propagation_removes_dependents(
    kube: KubeClient, clock: RecordingClock, propagation: str
) -> None:
    kube.ensure_namespace("shop")
    kube.apply(deployment("web", replicas=2))
    clock.advance(60)
    assert kube.list("v1", "Pod", "shop", label_selector="app=web")
    assert kube.delete("apps/v1", "Deployment", "shop", "web", propagation=propagation) is True

    def pods_gone() -> bool | None:
        pods = kube.list("v1", "Pod", "shop", label_selector="app=web")
        if pods:
            raise NotYet(f"{len(pods)} pods left")
        return True

    assert wait_until(pods_gone, clock=clock, timeout=300, interval=5, describe="web pods to go")
    assert kube.list("apps/v1", "ReplicaSet", "shop") == []
    assert kube.delete("apps/v1", "Deployment", "shop", "web") is False


def test_removed_apis_are_not_discovered_on_1_30(kube: KubeClient) -> None:
    served = kube.served_api_versions()
    assert {"apps/v1", "batch/v1", "policy/v1", "networking.k8s.io/v1"} <= served
    assert not {"extensions/v1beta1", "policy/v1beta1", "batch/v1beta1", "apps/v1beta2"} & served


def test_removed_api_is_refused_by_a_1_30_server(kube: KubeClient) -> None:
    check_removed_api_refused(kube, MANIFESTS / "legacy-deployments.yaml")


def test_old_cluster_still_serves_policy_v1beta1() -> None:
    check_old_cluster_serves_policy_v1beta1(MANIFESTS / "legacy-budget.yaml", "vault-store-budget")


def test_wrong_token_is_unauthorized(sim: ClusterSimulator, clock: RecordingClock) -> None:
    config = yaml.safe_load(sim.kubeconfig())
    config["users"][0]["user"]["token"] = "not-the-token"
    kube = KubeClient.from_kubeconfig(yaml.safe_dump(config).encode(), clock=clock)
    with pytest.raises(PermanentRemoteError) as info:
        kube.get("v1", "Namespace", None, "default")
    assert info.value.status == 401
    assert sim.server_url in str(info.value)
    assert "not-the-token" not in str(info.value)
    assert clock.sleeps == []


def test_stopped_server_is_transient_and_retried(sim: ClusterSimulator, clock: RecordingClock) -> None:
    kube = KubeClient.from_kubeconfig(sim.kubeconfig(), clock=clock, retry=RetryPolicy(attempts=4, base_delay=5))
    assert kube.server_version() == "1.30.5"
    sim.stop()
    with pytest.raises(TransientRemoteError, match="connection refused"):
        kube.get("v1", "Namespace", None, "default")
    assert clock.sleeps == [5.0, 10.0, 20.0]


def test_crd_kinds_appear_without_a_new_client(kube: KubeClient) -> None:
    assert "example.com/v1" not in kube.served_api_versions()
    assert kube.list_namespaced_all("default", [("example.com/v1", "Widget")]) == []
    kube.apply({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": True, "storage": True,
                          "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}],
        },
    })
    assert "example.com/v1" in kube.served_api_versions()
    kube.apply({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"},
                "spec": {"size": 3}})
    (widget,) = kube.list_namespaced_all("default", [("example.com/v1", "Widget")])
    assert widget["spec"] == {"size": 3}


def _preferred_namespaced(kube: KubeClient) -> dict[tuple[str, str], ServedResource]:
    return {(r.api_version, r.kind): r for r in kube.served_resources()
            if r.preferred and r.namespaced and "list" in r.verbs}


def test_served_resources_lists_preferred_versions_and_new_crds(kube: KubeClient) -> None:
    served = _preferred_namespaced(kube)
    assert served[("apps/v1", "Deployment")].plural == "deployments"
    assert ("v1", "ConfigMap") in served and ("batch/v1", "CronJob") in served
    assert ("v1", "Namespace") not in served  # cluster-scoped
    assert all(r.namespaced and "/" not in r.plural for r in served.values())
    assert ("example.com/v1", "Widget") not in served
    kube.apply({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": True, "storage": True,
                          "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}],
        },
    })
    assert ("example.com/v1", "Widget") in _preferred_namespaced(kube)


def test_watch_streams_current_objects_then_changes(kube: KubeClient) -> None:
    kube.ensure_namespace("shop")
    kube.apply(deployment("web"))
    events = kube.watch("apps/v1", "Deployment", "shop", resource_version="0", timeout_seconds=5)
    first = next(events)
    assert (first.type, first.object["metadata"]["name"]) == ("ADDED", "web")
    kube.patch_merge("apps/v1", "Deployment", "shop", "web", {"metadata": {"labels": {"watched": "yes"}}})
    change = next(e for e in events if e.object["metadata"].get("labels", {}).get("watched") == "yes")
    assert change.type == "MODIFIED"
    events.close()


def test_watch_of_a_stopped_server_is_transient(sim: ClusterSimulator, clock: RecordingClock) -> None:
    kube = KubeClient.from_kubeconfig(sim.kubeconfig(), clock=clock, retry=RetryPolicy(attempts=2))
    kube.resource("v1", "Pod")
    sim.stop()
    with pytest.raises(TransientRemoteError, match="connection refused"):
        next(kube.watch("v1", "Pod", "default"))


def test_a_list_across_namespaces_keeps_only_the_namespaces_asked_for_page_by_page(
    kube: KubeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bluegreen.kube.client as client_module

    for ns in ("a", "b", "c"):
        kube.ensure_namespace(ns)
        for i in range(3):
            kube.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm{i}", "namespace": ns}})
    monkeypatch.setattr(client_module, "_PAGE", 2)  # several pages, each mixing namespaces
    kept = kube.list("v1", "ConfigMap", only_in={"a", "c"})
    assert sorted((o["metadata"]["namespace"], o["metadata"]["name"]) for o in kept
                  if o["metadata"]["name"].startswith("cm")) == [(ns, f"cm{i}") for ns in ("a", "c") for i in range(3)]
    assert {o["metadata"]["namespace"] for o in kept} == {"a", "c"}  # kube-root-ca.crt of each, too
    assert all(o["kind"] == "ConfigMap" and o["apiVersion"] == "v1" for o in kept)
    everything = kube.list("v1", "ConfigMap")
    assert {"a", "b", "c"} <= {o["metadata"]["namespace"] for o in everything}
