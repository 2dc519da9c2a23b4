"""Removed/deprecated API table and the manifest check against a target version.

Covers: the table rows the deprecation guide lists (spot checks per release), table
consistency, version parsing, removed vs deprecated vs fine per target version on the
project's own manifests (tests/data/manifests; tests/conformance runs the same kube_checks
bodies on ../shared's guestbook / CockroachDB / descheduler), and finding messages that name
object, source file and replacement.
"""

from __future__ import annotations

import pytest
from bg_shared import DATA
from kube_checks import check_no_findings, check_pdb_by_target_version, check_removed_deployments

from bluegreen.kube.apiversions import API_CHANGES, lookup, parse_version, removed_api_findings

MANIFESTS = DATA / "manifests"


@pytest.mark.parametrize(
    ("api_version", "kind", "removed_in", "replacement"),
    [
        ("extensions/v1beta1", "Deployment", (1, 16), "apps/v1"),
        ("apps/v1beta1", "Deployment", (1, 16), "apps/v1"),
        ("apps/v1beta2", "StatefulSet", (1, 16), "apps/v1"),
        ("extensions/v1beta1", "DaemonSet", (1, 16), "apps/v1"),
        ("extensions/v1beta1", "Ingress", (1, 22), "networking.k8s.io/v1"),
        ("networking.k8s.io/v1beta1", "Ingress", (1, 22), "networking.k8s.io/v1"),
        ("batch/v1beta1", "CronJob", (1, 25), "batch/v1"),
        ("policy/v1beta1", "PodDisruptionBudget", (1, 25), "policy/v1"),
        ("policy/v1beta1", "PodSecurityPolicy", (1, 25), None),
        ("autoscaling/v2beta1", "HorizontalPodAutoscaler", (1, 25), "autoscaling/v2"),
        ("discovery.k8s.io/v1beta1", "EndpointSlice", (1, 25), "discovery.k8s.io/v1"),
        ("events.k8s.io/v1beta1", "Event", (1, 25), "events.k8s.io/v1"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", (1, 26), "autoscaling/v2"),
        ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", (1, 26), "flowcontrol.apiserver.k8s.io/v1"),
        ("storage.k8s.io/v1beta1", "CSIStorageCapacity", (1, 27), "storage.k8s.io/v1"),
        ("flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration", (1, 29), "flowcontrol.apiserver.k8s.io/v1"),
        ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", (1, 32), "flowcontrol.apiserver.k8s.io/v1"),
    ],
)
def test_table_rows(api_version: str, kind: str, removed_in: tuple[int, int], replacement: str | None) -> None:
    row = lookup(api_version, kind)
    assert row is not None
    assert (row.removed_in, row.replacement) == (removed_in, replacement)


def test_table_is_consistent() -> None:
    keys = [(row.api_version, row.kind) for row in API_CHANGES]
    assert len(keys) == len(set(keys))
    for row in API_CHANGES:
        assert row.deprecated_in is not None
        if row.removed_in is not None:
            assert row.deprecated_in < row.removed_in, row
        assert row.replacement != row.api_version
    assert lookup("apps/v1", "Deployment") is None


@pytest.mark.parametrize(
    ("text", "expected"), [("1.30.5", (1, 30)), ("v1.29", (1, 29)), ("1.31.1-hotfix.20240911", (1, 31))]
)
def test_parse_version(text: str, expected: tuple[int, int]) -> None:
    assert parse_version(text) == expected


def test_parse_version_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not a Kubernetes version"):
        parse_version("latest")


def test_removed_deployments_by_target_version() -> None:
    check_removed_deployments(MANIFESTS / "legacy-deployments.yaml", ["legacy-web", "legacy-cache", "legacy-worker"],
                              "legacy-deployments.yaml document 2 (line 11)")


def test_pdb_by_target_version() -> None:
    check_pdb_by_target_version(MANIFESTS / "legacy-budget.yaml", "vault-store-budget")


@pytest.mark.parametrize(
    "name", ["shop.yaml", "orders.yaml", "janitor-cronjob.yaml", "reports-cronjobs.yaml", "ledger-statefulset.yaml",
             "widgets-crd.yaml"],
)
def test_current_manifests_have_no_findings(name: str) -> None:
    check_no_findings(MANIFESTS / name)


def test_live_objects_without_source() -> None:
    live = {"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "shop"}}
    (finding,) = removed_api_findings([live], "v1.30")
    assert finding.source is None
    assert finding.message.startswith("CronJob shop/nightly uses batch/v1beta1, removed in 1.25; use batch/v1")


def test_psp_has_no_replacement() -> None:
    psp = {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "restricted"}}
    (finding,) = removed_api_findings([psp], "1.25")
    assert finding.message.endswith("it has no replacement")
