"""Manifest loading and ordering.

Covers: every corpus file loads with the counts its SOURCES.md states; folders are searched
recursively; empty documents are skipped; `kind: List` is flattened; JSON files; source file,
document index and line are kept; bad documents raise PlaybookError naming file, document and
line; apply order (namespaces/CRDs/storage first, custom resources last) and delete order
(what can run first) on real manifests.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bluegreen.errors import PlaybookError
from bluegreen.kube.manifests import Manifest, load_manifests, order_for_apply, order_for_delete


def kinds(manifests: list[Manifest]) -> Counter[str]:
    return Counter(m.kind for m in manifests)


def test_online_boutique_counts(corpus: Path) -> None:
    loaded = load_manifests([corpus / "microservices-demo-kubernetes-manifests.yaml"])
    counts = kinds(loaded)
    assert counts["Deployment"] == 12
    assert counts["Service"] == 12
    assert counts["ServiceAccount"] == 11


def test_aks_store_counts(corpus: Path) -> None:
    counts = kinds(load_manifests([corpus / "aks-store-all-in-one.yaml"]))
    assert (counts["Deployment"], counts["StatefulSet"], counts["Service"]) == (7, 2, 7)
    assert (counts["Secret"], counts["ConfigMap"]) == (2, 1)


def test_source_index_and_line_are_kept(corpus: Path) -> None:
    loaded = load_manifests([corpus / "guestbook-all-in-one-extensions-v1beta1.yaml"])
    second = loaded[1]
    assert (second.api_version, second.kind, second.name) == ("extensions/v1beta1", "Deployment", "redis-master")
    assert second.source == corpus / "guestbook-all-in-one-extensions-v1beta1.yaml"
    assert second.index == 1
    assert second.line == 18
    assert "document 2 (line 18)" in second.location


def test_leading_comments_and_namespace(corpus: Path) -> None:
    (route,) = load_manifests([corpus / "gateway-api-httproute-traffic-split-2.yaml"])
    assert (route.kind, route.name, route.namespace) == ("HTTPRoute", "foo-route", None)
    (cron,) = load_manifests([corpus / "descheduler-cronjob.yaml"])
    assert cron.namespace == "kube-system"


def test_folder_is_searched_recursively_in_name_order(tmp_path: Path, corpus: Path) -> None:
    sub = tmp_path / "b"
    sub.mkdir()
    (tmp_path / "a.yml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    (sub / "c.json").write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}))
    (tmp_path / "notes.txt").write_text("not a manifest: [")
    loaded = load_manifests([tmp_path])
    assert [(m.source.name, m.kind) for m in loaded] == [("a.yml", "Namespace"), ("c.json", "ConfigMap")]
    assert len(load_manifests([corpus])) == sum(len(load_manifests([f])) for f in sorted(corpus.glob("*.yaml")))


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


def test_apply_order_on_real_manifests(corpus: Path) -> None:
    loaded = load_manifests([corpus])
    extra = [
        Manifest(Path("x.yaml"), 0, obj("v1", "Namespace", "shop")),
        Manifest(Path("x.yaml"), 1, obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "httproutes")),
    ]
    ordered = order_for_apply(loaded + extra)
    position = {(m.kind, m.name): i for i, m in enumerate(ordered)}
    assert ordered[0].kind == "Namespace"
    assert ordered[1].kind == "CustomResourceDefinition"
    assert ordered[-1].kind == "HTTPRoute"  # custom resources after everything built in
    assert position[("StorageClass", "fast")] < position[("StatefulSet", "cassandra")]
    assert max(i for (k, _), i in position.items() if k in ("Secret", "ConfigMap")) < min(
        i for (k, _), i in position.items() if k == "Deployment"
    )
    assert max(i for (k, _), i in position.items() if k == "Service") < min(
        i for (k, _), i in position.items() if k in ("Deployment", "StatefulSet")
    )
    assert position[("PodDisruptionBudget", "cockroachdb-budget")] > position[("StatefulSet", "cockroachdb")]
    assert position[("CronJob", "descheduler-cronjob")] > position[("Deployment", "redis-master")]


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


def test_delete_order_removes_what_can_run_first(corpus: Path) -> None:
    loaded = load_manifests([corpus]) + [Manifest(Path("x.yaml"), 0, obj("v1", "Namespace", "shop"))]
    ordered = order_for_delete(loaded)
    names = [m.kind for m in ordered]
    assert names[0] == "CronJob"
    runnable = {"CronJob", "Deployment", "StatefulSet"}
    last_runnable = max(i for i, k in enumerate(names) if k in runnable)
    assert all(k in runnable for k in names[: last_runnable + 1])
    assert names.index("HTTPRoute") < names.index("Service")  # custom resources before built-ins
    assert names[-1] == "Namespace"


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
