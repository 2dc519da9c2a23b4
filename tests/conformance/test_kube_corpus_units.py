"""Conformance: the kube layer's unit checks on ../shared's public manifests.

The bodies live in tests/unit/kube/kube_checks.py; tests/unit/kube/test_kube_*.py run each of them on the
project's own manifests (tests/data/manifests), so a bare clone proves the same behaviour. Here they run on
Online Boutique, the AKS Store demo, the 2017 guestbook (extensions/v1beta1), CockroachDB (policy/v1beta1),
Cassandra, the descheduler CronJob and a Gateway API HTTPRoute, with the counts SOURCES.md states.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kube_checks import (
    check_apply_order,
    check_delete_order,
    check_document_position,
    check_folder_is_the_sum_of_its_files,
    check_kind_counts,
    check_no_findings,
    check_old_cluster_serves_policy_v1beta1,
    check_pdb_by_target_version,
    check_removed_api_refused,
    check_removed_deployments,
    check_rolls_out,
    check_sanitizer_keeps_user_manifests,
    check_single_object,
    start_cluster,
)

from bluegreen.kube.client import KubeClient
from bluegreen.kube.manifests import Manifest, load_manifests
from bluegreen.retry import RetryPolicy
from bluegreen.sim.clock import SimClock

BOUTIQUE = "microservices-demo-kubernetes-manifests.yaml"
STORE = "aks-store-all-in-one.yaml"
GUESTBOOK = "guestbook-all-in-one-extensions-v1beta1.yaml"
COCKROACH = "cockroachdb-statefulset-policy-v1beta1.yaml"


def extra(index: int, api_version: str, kind: str, name: str) -> Manifest:
    """What the corpus lacks for a full ordering check (it has an HTTPRoute but no CRD, and no Namespace)."""
    return Manifest(Path("extra.yaml"), index, {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}})


def test_online_boutique_counts(corpus: Path) -> None:
    check_kind_counts(corpus / BOUTIQUE, {"Deployment": 12, "Service": 12, "ServiceAccount": 11})


def test_aks_store_counts(corpus: Path) -> None:
    check_kind_counts(corpus / STORE, {"Deployment": 7, "StatefulSet": 2, "Service": 7, "Secret": 2, "ConfigMap": 1})


def test_source_index_and_line_are_kept(corpus: Path) -> None:
    check_document_position(corpus / GUESTBOOK, 1, ("extensions/v1beta1", "Deployment", "redis-master"), 18)


def test_leading_comments_and_namespace(corpus: Path) -> None:
    check_single_object(corpus / "gateway-api-httproute-traffic-split-2.yaml", "HTTPRoute", "foo-route", None)
    check_single_object(corpus / "descheduler-cronjob.yaml", "CronJob", "descheduler-cronjob", "kube-system")


def test_folder_is_the_sum_of_its_files(corpus: Path) -> None:
    check_folder_is_the_sum_of_its_files(corpus)


def test_apply_order(corpus: Path) -> None:
    manifests = load_manifests([corpus]) + [
        extra(0, "v1", "Namespace", "shop"),
        extra(1, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "httproutes"),
    ]
    check_apply_order(manifests, ["Namespace", "CustomResourceDefinition"], "HTTPRoute", [
        (("StorageClass", "fast"), ("StatefulSet", "cassandra")),
        (("StatefulSet", "cockroachdb"), ("PodDisruptionBudget", "cockroachdb-budget")),
        (("Deployment", "redis-master"), ("CronJob", "descheduler-cronjob")),
    ])


def test_delete_order(corpus: Path) -> None:
    check_delete_order(load_manifests([corpus]) + [extra(0, "v1", "Namespace", "shop")], "HTTPRoute", cronjobs=1)


def test_removed_deployments_by_target_version(corpus: Path) -> None:
    check_removed_deployments(corpus / GUESTBOOK, ["redis-master", "redis-slave", "frontend"],
                              f"{GUESTBOOK} document 2 (line 18)")


def test_pdb_by_target_version(corpus: Path) -> None:
    check_pdb_by_target_version(corpus / COCKROACH, "cockroachdb-budget")


@pytest.mark.parametrize("name", ["descheduler-cronjob.yaml", STORE, BOUTIQUE])
def test_current_manifests_have_no_findings(corpus: Path, name: str) -> None:
    check_no_findings(corpus / name)


def test_corpus_manifests_pass_the_sanitizer_unchanged(corpus: Path) -> None:
    check_sanitizer_keeps_user_manifests(corpus)


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def kube(clock: SimClock) -> Iterator[KubeClient]:
    sim = start_cluster(clock)
    try:
        yield KubeClient.from_kubeconfig(sim.kubeconfig(), clock=clock, retry=RetryPolicy(attempts=3))
    finally:
        sim.stop()


def test_aks_store_rolls_out_on_the_simulated_clock(
    kube: KubeClient, clock: SimClock, corpus: Path, no_real_sleep: list[float]
) -> None:
    check_rolls_out(kube, clock, corpus / STORE, "store", "store-front")


def test_removed_api_is_refused_by_a_1_30_server(kube: KubeClient, corpus: Path) -> None:
    check_removed_api_refused(kube, corpus / GUESTBOOK)


def test_old_cluster_still_serves_policy_v1beta1(corpus: Path) -> None:
    check_old_cluster_serves_policy_v1beta1(corpus / COCKROACH, "cockroachdb-budget")


def test_every_corpus_file_loads_the_same_through_libyaml_and_the_bounded_loader(corpus: Path) -> None:
    from bluegreen import safe_yaml

    files = sorted(corpus.rglob("*.yaml")) + sorted(corpus.rglob("*.yml"))
    assert files
    for file in files:
        text = file.read_text()
        loaders = [safe_yaml.open_loader(text), safe_yaml.BoundedLoader(text)]
        results = []
        for loader in loaders:
            out = []
            while loader.check_data():
                out.append(loader.get_data())
            loader.dispose()
            results.append(out)
        assert results[0] == results[1], file
