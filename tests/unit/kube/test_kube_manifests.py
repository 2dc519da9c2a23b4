"""Manifest loading and ordering.

Covers, on the project's own manifests (tests/data/manifests; tests/conformance runs the same
kube_checks bodies on ../shared's corpus): every file loads with the counts its header states;
source file, document index and line are kept; leading comments and namespaces; a folder loads as
the sum of its files; apply order (namespaces/CRDs/storage first, config and Services before
workloads, custom resources last) and delete order (what can run first). On written-here inputs:
folders are searched recursively; empty documents are skipped; `kind: List` is flattened; JSON
files; bad documents raise PlaybookError naming file, document and line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bg_shared import DATA
from kube_checks import (
    check_apply_order,
    check_delete_order,
    check_document_position,
    check_folder_is_the_sum_of_its_files,
    check_kind_counts,
    check_single_object,
)

from bluegreen.errors import PlaybookError
from bluegreen.kube.manifests import load_manifests, order_for_apply, order_for_delete

MANIFESTS = DATA / "manifests"


def test_shop_counts() -> None:
    check_kind_counts(MANIFESTS / "shop.yaml", {"Deployment": 4, "Service": 5, "ServiceAccount": 3, "Ingress": 1,
                                                "HorizontalPodAutoscaler": 1, "PodDisruptionBudget": 1})


def test_orders_counts() -> None:
    check_kind_counts(MANIFESTS / "orders.yaml",
                      {"Deployment": 3, "StatefulSet": 2, "Service": 4, "Secret": 2, "ConfigMap": 1})


def test_source_index_and_line_are_kept() -> None:
    check_document_position(MANIFESTS / "legacy-deployments.yaml", 1, ("extensions/v1beta1", "Deployment", "legacy-web"), 11)


def test_leading_comments_and_namespace() -> None:
    cron = check_single_object(MANIFESTS / "janitor-cronjob.yaml", "CronJob", "node-janitor", "kube-system")
    assert cron.line == 5  # the first line of the object, after the file's leading comments
    crd, widget = load_manifests([MANIFESTS / "widgets-crd.yaml"])
    assert (crd.kind, widget.kind, widget.name, widget.namespace) == ("CustomResourceDefinition", "Widget", "spinner", None)


def test_folder_is_the_sum_of_its_files() -> None:
    assert len({m.source for m in check_folder_is_the_sum_of_its_files(MANIFESTS)}) >= 8


def test_apply_order() -> None:
    check_apply_order(load_manifests([MANIFESTS]), ["Namespace", "CustomResourceDefinition", "StorageClass"], "Widget", [
        (("StorageClass", "ledger-ssd"), ("StatefulSet", "ledger")),
        (("StatefulSet", "vault-store"), ("PodDisruptionBudget", "vault-store-budget")),
        (("Deployment", "frontend"), ("HorizontalPodAutoscaler", "frontend")),
        (("Deployment", "legacy-web"), ("CronJob", "node-janitor")),
    ])


def test_delete_order_removes_what_can_run_first() -> None:
    loaded = load_manifests([MANIFESTS])
    check_delete_order(loaded, "Widget", cronjobs=3)
    kinds = [m.kind for m in order_for_delete(loaded)]
    assert kinds.index("Widget") < kinds.index("CustomResourceDefinition")  # a CRD outlives its resources


def test_folder_is_searched_recursively_in_name_order(tmp_path: Path) -> None:
    sub = tmp_path / "b"
    sub.mkdir()
    (tmp_path / "a.yml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    (sub / "c.json").write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}))
    (tmp_path / "notes.txt").write_text("not a manifest: [")
    loaded = load_manifests([tmp_path])
    assert [(m.source.name, m.kind) for m in loaded] == [("a.yml", "Namespace"), ("c.json", "ConfigMap")]


def test_empty_documents_skipped_and_list_flattened(tmp_path: Path) -> None:
    file = tmp_path / "app.yaml"
    file.write_text(
        "---\n# only a comment\n---\n"
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: one, namespace: shop}}\n"
        "- {apiVersion: v1, kind: Secret, metadata: {name: two, namespace: shop}}\n"
        "---\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
    )
    loaded = load_manifests([file])
    assert [(m.kind, m.name, m.index, m.item) for m in loaded] == [
        ("ConfigMap", "one", 1, 0),
        ("Secret", "two", 1, 1),
        ("Service", "web", 3, None),
    ]
    assert "item 2" in loaded[1].location


def test_repr_never_shows_object_data(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2}\n")
    (secret,) = load_manifests([file])
    assert "hunter2" not in repr(secret)
    assert "Secret db" in repr(secret)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [unclosed\n", r"document 2 \(line \d+\).*invalid YAML"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- just\n- a list\n", "document 2.*expected a Kubernetes object"),
        ("kind: ConfigMap\nmetadata: {name: a}\n", "document 1.*missing or empty apiVersion"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "document 1.*ConfigMap has no metadata.name"),
        ("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap}\n", "document 1.*item 1.*no metadata.name"),
    ],
)
def test_bad_documents_name_file_document_and_line(tmp_path: Path, text: str, expected: str) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(text)
    with pytest.raises(PlaybookError, match=expected) as info:
        load_manifests([file])
    assert info.value.field == str(file)


def test_yaml_error_reports_the_failing_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {x: [1}\n")
    with pytest.raises(PlaybookError, match=r"document 1 \(line 5\)"):
        load_manifests([file])


def test_bad_json_and_missing_path(tmp_path: Path) -> None:
    file = tmp_path / "bad.json"
    file.write_text('{"apiVersion": "v1",\n "kind": }')
    with pytest.raises(PlaybookError, match=r"line 2.*invalid JSON"):
        load_manifests([file])
    with pytest.raises(PlaybookError, match="no such manifest"):
        load_manifests([tmp_path / "missing"])


def obj(api_version: str, kind: str, name: str) -> dict:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}


def test_apply_order_is_stable_and_accepts_dicts() -> None:
    objects = [
        obj("networking.k8s.io/v1", "NetworkPolicy", "deny"),
        obj("apps/v1", "Deployment", "b"),
        obj("policy/v1", "PodDisruptionBudget", "pdb"),
        obj("autoscaling/v2", "HorizontalPodAutoscaler", "hpa"),
        obj("networking.k8s.io/v1", "Ingress", "ing"),
        obj("batch/v1", "CronJob", "cron"),
        obj("batch/v1", "Job", "job"),
        obj("apps/v1", "Deployment", "a"),
        obj("v1", "PersistentVolumeClaim", "data"),
        obj("rbac.authorization.k8s.io/v1", "RoleBinding", "rb"),
        obj("rbac.authorization.k8s.io/v1", "Role", "r"),
        obj("v1", "ServiceAccount", "sa"),
        obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "hook"),
        obj("coordination.k8s.io/v1", "Lease", "lease"),
    ]
    assert [o["metadata"]["name"] for o in order_for_apply(objects)] == [
        "sa", "r", "rb", "data", "b", "a", "job", "cron", "ing", "hpa", "pdb", "deny", "lease", "hook",
    ]


def test_delete_order_for_all_runnable_kinds() -> None:
    objects = [
        obj("apps/v1", "ReplicaSet", "rs"),
        obj("apps/v1", "DaemonSet", "ds"),
        obj("v1", "ConfigMap", "cm"),
        obj("apps/v1", "StatefulSet", "sts"),
        obj("apps/v1", "Deployment", "deploy"),
        obj("batch/v1", "Job", "job"),
        obj("batch/v1", "CronJob", "cron"),
    ]
    assert [o["metadata"]["name"] for o in order_for_delete(objects)] == [
        "cron", "job", "deploy", "sts", "ds", "rs", "cm",
    ]
