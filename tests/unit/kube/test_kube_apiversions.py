"""Removed/deprecated API table and the manifest check against a target version.

Covers: the table rows the deprecation guide lists (spot checks per release), table
consistency, version parsing, removed vs deprecated vs fine per target version on the
real guestbook / CockroachDB / descheduler manifests, and finding messages that name
object, source file and replacement.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bluegreen.kube.apiversions import API_CHANGES, lookup, parse_version, removed_api_findings
from bluegreen.kube.manifests import load_manifests


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


def test_guestbook_deployments_are_removed_on_1_30(corpus: Path) -> None:
    manifests = load_manifests([corpus / "guestbook-all-in-one-extensions-v1beta1.yaml"])
    findings = removed_api_findings(manifests, "1.30.5")
    assert [(f.severity, f.kind, f.name) for f in findings] == [
        ("removed", "Deployment", "redis-master"),
        ("removed", "Deployment", "redis-slave"),
        ("removed", "Deployment", "frontend"),
    ]
    message = findings[0].message
    assert "Deployment redis-master" in message
    assert "guestbook-all-in-one-extensions-v1beta1.yaml document 2 (line 18)" in message
    assert "removed in 1.16" in message and "use apps/v1" in message


def test_cockroachdb_pdb_by_target_version(corpus: Path) -> None:
    manifests = load_manifests([corpus / "cockroachdb-statefulset-policy-v1beta1.yaml"])
    assert removed_api_findings(manifests, "1.20.0") == []
    (deprecated,) = removed_api_findings(manifests, "1.24.9")
    assert deprecated.severity == "deprecated"
    assert "deprecated since 1.21, removal planned in 1.25; use policy/v1" in deprecated.message
    (removed,) = removed_api_findings(manifests, "1.25.0")
    assert (removed.severity, removed.kind, removed.name) == ("removed", "PodDisruptionBudget", "cockroachdb-budget")


def test_current_manifests_have_no_findings(corpus: Path) -> None:
    for name in ("descheduler-cronjob.yaml", "aks-store-all-in-one.yaml", "microservices-demo-kubernetes-manifests.yaml"):
        assert removed_api_findings(load_manifests([corpus / name]), "1.33.0") == [], name


def test_live_objects_without_source() -> None:
    live = {"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "shop"}}
    (finding,) = removed_api_findings([live], "v1.30")
    assert finding.source is None
    assert finding.message.startswith("CronJob shop/nightly uses batch/v1beta1, removed in 1.25; use batch/v1")


def test_psp_has_no_replacement() -> None:
    psp = {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "restricted"}}
    (finding,) = removed_api_findings([psp], "1.25")
    assert finding.message.endswith("it has no replacement")
