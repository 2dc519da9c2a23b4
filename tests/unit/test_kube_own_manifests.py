"""The kube layer on the project's own manifests (tests/data/manifests), so a bare clone proves it.

Covers what tests/unit/kube proves on ../shared's corpus (its conformance tier): every file loads with
the counts its header states; source, document index and line are kept; leading comments and
namespaces; a folder loads as the sum of its files; apply order (namespaces, CRDs, storage, config
and Services before workloads, custom resources last) and delete order (what can run first);
removed and deprecated API findings by target version; user-authored manifests pass the sanitizer
unchanged; KubeClient redeploys the order pipeline onto the simulated API server, where it rolls
out on the simulated clock, and a 1.30 server refuses an API removed in 1.16.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from bg_shared import DATA

from bluegreen.errors import PermanentRemoteError
from bluegreen.kube.apiversions import removed_api_findings
from bluegreen.kube.client import KubeClient
from bluegreen.kube.manifests import Manifest, load_manifests, order_for_apply, order_for_delete
from bluegreen.kube.readiness import workload_status
from bluegreen.kube.sanitize import strip_server_fields
from bluegreen.kube.wait import NotYet, wait_until
from bluegreen.retry import RetryPolicy
from bluegreen.sim.clock import SimClock
from bluegreen.sim.kube.cluster import ClusterSimulator

MANIFESTS = DATA / "manifests"


def kinds(manifests: list[Manifest]) -> Counter[str]:
    return Counter(m.kind for m in manifests)


def test_shop_counts() -> None:
    counts = kinds(load_manifests([MANIFESTS / "shop.yaml"]))
    assert (counts["Deployment"], counts["Service"], counts["ServiceAccount"]) == (4, 5, 3)
    assert (counts["Ingress"], counts["HorizontalPodAutoscaler"], counts["PodDisruptionBudget"]) == (1, 1, 1)


def test_orders_counts() -> None:
    counts = kinds(load_manifests([MANIFESTS / "orders.yaml"]))
    assert (counts["Deployment"], counts["StatefulSet"], counts["Service"]) == (3, 2, 4)
    assert (counts["Secret"], counts["ConfigMap"]) == (2, 1)


def test_source_index_and_line_are_kept() -> None:
    file = MANIFESTS / "legacy-deployments.yaml"
    second = load_manifests([file])[1]
    assert (second.api_version, second.kind, second.name) == ("extensions/v1beta1", "Deployment", "legacy-web")
    assert (second.source, second.index, second.line) == (file, 1, 11)
    assert "document 2 (line 11)" in second.location


def test_leading_comments_and_namespace() -> None:
    (cron,) = load_manifests([MANIFESTS / "janitor-cronjob.yaml"])
    assert (cron.kind, cron.name, cron.namespace, cron.line) == ("CronJob", "node-janitor", "kube-system", 5)
    crd, widget = load_manifests([MANIFESTS / "widgets-crd.yaml"])
    assert (widget.kind, widget.name, widget.namespace) == ("Widget", "spinner", None)


def test_folder_is_the_sum_of_its_files() -> None:
    files = sorted(MANIFESTS.glob("*.yaml"))
    assert len(files) >= 8
    assert len(load_manifests([MANIFESTS])) == sum(len(load_manifests([f])) for f in files)


def test_apply_order() -> None:
    ordered = order_for_apply(load_manifests([MANIFESTS]))
    position = {(m.kind, m.name): i for i, m in enumerate(ordered)}
    assert [m.kind for m in ordered[:3]] == ["Namespace", "CustomResourceDefinition", "StorageClass"]
    assert ordered[-1].kind == "Widget"  # custom resources after everything built in
    assert position[("StorageClass", "ledger-ssd")] < position[("StatefulSet", "ledger")]
    assert max(i for (k, _), i in position.items() if k in ("Secret", "ConfigMap", "ServiceAccount")) < min(
        i for (k, _), i in position.items() if k == "Deployment"
    )
    assert max(i for (k, _), i in position.items() if k == "Service") < min(
        i for (k, _), i in position.items() if k in ("Deployment", "StatefulSet")
    )
    assert position[("PodDisruptionBudget", "vault-store-budget")] > position[("StatefulSet", "vault-store")]
    assert position[("HorizontalPodAutoscaler", "frontend")] > position[("Deployment", "frontend")]
    assert position[("CronJob", "node-janitor")] > position[("Deployment", "legacy-web")]


def test_delete_order_removes_what_can_run_first() -> None:
    names = [m.kind for m in order_for_delete(load_manifests([MANIFESTS]))]
    assert names[:3] == ["CronJob"] * 3
    runnable = {"CronJob", "Deployment", "StatefulSet"}
    last_runnable = max(i for i, k in enumerate(names) if k in runnable)
    assert all(k in runnable for k in names[: last_runnable + 1])
    assert names.index("Widget") < names.index("Service")  # custom resources before built-ins
    assert names.index("Widget") < names.index("CustomResourceDefinition")
    assert names[-1] == "Namespace"


def test_removed_deployments_by_target_version() -> None:
    findings = removed_api_findings(load_manifests([MANIFESTS / "legacy-deployments.yaml"]), "1.30.5")
    assert [(f.severity, f.kind, f.name) for f in findings] == [
        ("removed", "Deployment", "legacy-web"),
        ("removed", "Deployment", "legacy-cache"),
        ("removed", "Deployment", "legacy-worker"),
    ]
    message = findings[0].message
    assert "Deployment legacy-web" in message and "legacy-deployments.yaml document 2 (line 11)" in message
    assert "removed in 1.16" in message and "use apps/v1" in message


def test_pdb_by_target_version() -> None:
    manifests = load_manifests([MANIFESTS / "legacy-budget.yaml"])
    assert removed_api_findings(manifests, "1.20.0") == []
    (deprecated,) = removed_api_findings(manifests, "1.24.9")
    assert deprecated.severity == "deprecated"
    assert "deprecated since 1.21, removal planned in 1.25; use policy/v1" in deprecated.message
    (removed,) = removed_api_findings(manifests, "1.25.0")
    assert (removed.severity, removed.kind, removed.name) == ("removed", "PodDisruptionBudget", "vault-store-budget")


@pytest.mark.parametrize(
    "name", ["shop.yaml", "orders.yaml", "janitor-cronjob.yaml", "reports-cronjobs.yaml", "ledger-statefulset.yaml",
             "widgets-crd.yaml"],
)
def test_current_manifests_have_no_findings(name: str) -> None:
    assert removed_api_findings(load_manifests([MANIFESTS / name]), "1.33.0") == []


def test_own_manifests_pass_the_sanitizer_unchanged() -> None:
    for manifest in load_manifests([MANIFESTS]):
        assert strip_server_fields(manifest.obj) == manifest.obj, manifest.location


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def kube(clock: SimClock) -> Iterator[KubeClient]:
    addresses = (f"20.0.1.{n}" for n in itertools.count(10))
    sim = ClusterSimulator("green", "1.30.5", clock, lock=threading.RLock(), ip_allocator=lambda: next(addresses))
    clock.subscribe(sim.on_clock)
    sim.start()
    try:
        yield KubeClient.from_kubeconfig(sim.kubeconfig(), clock=clock, retry=RetryPolicy(attempts=3))
    finally:
        sim.stop()


def test_orders_roll_out_on_the_simulated_clock(kube: KubeClient, clock: SimClock, no_real_sleep: list[float]) -> None:
    kube.ensure_namespace("orders")
    manifests = load_manifests([MANIFESTS / "orders.yaml"])
    for manifest in order_for_apply(manifests):
        kube.apply({**manifest.obj, "metadata": {**manifest.obj["metadata"], "namespace": "orders"}})

    def ready() -> bool | None:
        for api_version, kind in (("apps/v1", "Deployment"), ("apps/v1", "StatefulSet")):
            for obj in kube.list(api_version, kind, "orders"):
                if not workload_status(obj).ready:
                    raise NotYet(str(workload_status(obj)))
        return True

    assert wait_until(ready, clock=clock, timeout=900, interval=10, describe="orders workloads")
    assert kube.load_balancer_ip("orders", "orders-web") is not None
    names = {o["metadata"]["name"] for o in kube.list_namespaced_all("orders", [("v1", "Secret"), ("v1", "ConfigMap")])}
    assert {m.name for m in manifests if m.kind in ("Secret", "ConfigMap")} <= names


def test_removed_api_is_refused_by_a_1_30_server(kube: KubeClient, tmp_path: Path) -> None:
    kube.ensure_namespace("default")
    old = next(m for m in load_manifests([MANIFESTS / "legacy-deployments.yaml"]) if m.kind == "Deployment")
    with pytest.raises(PermanentRemoteError, match="does not serve extensions/v1beta1") as info:
        kube.apply(old.obj)
    assert info.value.code == "NotServed"
