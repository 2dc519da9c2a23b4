"""Which kinds observation lists, decided from a discovery listing alone (pure; no server).

Covers: a kind served only in a non-preferred version is found at that version (batch/v1beta1 CronJob on
1.20); the preferred version wins when it serves the kind; kinds served under two groups are listed once
(extensions vs apps/networking, events.k8s.io vs core Event); the cluster's own records and read-only kinds
are skipped with a reason; custom resources are listed, same-named kinds of unrelated groups both kept;
cluster-scoped kinds, subresources and kinds without list/get are never listed; conversion of old versions.
"""

from __future__ import annotations

import pytest

from bluegreen.kube.apiversions import conversion_target, convert
from bluegreen.kube.discovery import ServedResource, select_kinds, version_priority

ALL = ("create", "delete", "get", "list", "patch", "update", "watch")


def r(api_version: str, kind: str, plural: str, *, preferred: bool = True, namespaced: bool = True,
      verbs: tuple[str, ...] = ALL) -> ServedResource:
    return ServedResource(api_version, kind, plural, namespaced, verbs, preferred)


# What a 1.20 server lists (abridged): batch prefers v1, which has Job but no CronJob.
SERVER_1_20 = [
    r("v1", "Pod", "pods"), r("v1", "ConfigMap", "configmaps"), r("v1", "Event", "events"),
    r("v1", "Endpoints", "endpoints"), r("v1", "Namespace", "namespaces", namespaced=False),
    r("v1", "Pod", "pods/status"), r("v1", "Binding", "bindings", verbs=("create",)),
    r("apps/v1", "Deployment", "deployments"), r("apps/v1", "ControllerRevision", "controllerrevisions"),
    r("batch/v1", "Job", "jobs"), r("batch/v1beta1", "CronJob", "cronjobs", preferred=False),
    r("extensions/v1beta1", "Ingress", "ingresses"),
    r("networking.k8s.io/v1", "Ingress", "ingresses"), r("networking.k8s.io/v1beta1", "Ingress", "ingresses",
                                                        preferred=False),
    r("events.k8s.io/v1", "Event", "events"), r("coordination.k8s.io/v1", "Lease", "leases"),
    r("discovery.k8s.io/v1beta1", "EndpointSlice", "endpointslices"),
    r("metrics.k8s.io/v1beta1", "PodMetrics", "pods", verbs=("get", "list")),
    r("example.com/v1", "Widget", "widgets"), r("example.com/v1alpha1", "Widget", "widgets", preferred=False),
    r("other.example.org/v1", "Widget", "widgets"),
]


def test_each_kind_is_listed_once_at_the_version_the_server_serves_it() -> None:
    selection = select_kinds(SERVER_1_20)
    assert sorted((k.api_version, k.kind) for k in selection.listed) == [
        ("apps/v1", "Deployment"),
        ("batch/v1", "Job"),
        ("batch/v1beta1", "CronJob"),  # not in batch's preferred version: found all the same
        ("example.com/v1", "Widget"),  # the preferred version, not v1alpha1
        ("networking.k8s.io/v1", "Ingress"),  # once: extensions/v1beta1 serves the same objects
        ("other.example.org/v1", "Widget"),  # another group's Widget is another kind
        ("v1", "ConfigMap"),
        ("v1", "Pod"),
    ]
    assert selection.version_of("batch", "CronJob") == "batch/v1beta1"
    assert selection.version_of("batch", "Nothing") is None


def test_what_is_left_out_says_why() -> None:
    skipped = {(k.api_version, k.kind): k.reason for k in select_kinds(SERVER_1_20).skipped}
    assert set(skipped) == {
        ("v1", "Event"), ("events.k8s.io/v1", "Event"), ("v1", "Endpoints"), ("apps/v1", "ControllerRevision"),
        ("coordination.k8s.io/v1", "Lease"), ("discovery.k8s.io/v1beta1", "EndpointSlice"),
        ("extensions/v1beta1", "Ingress"), ("metrics.k8s.io/v1beta1", "PodMetrics"),
    }
    assert "networking.k8s.io/v1 Ingress" in skipped[("extensions/v1beta1", "Ingress")]
    assert "v1 Event" in skipped[("events.k8s.io/v1", "Event")]
    assert "read-only" in skipped[("metrics.k8s.io/v1beta1", "PodMetrics")]
    assert "heartbeats" in skipped[("coordination.k8s.io/v1", "Lease")]


def test_a_legacy_group_is_listed_when_it_alone_serves_the_kind() -> None:
    selection = select_kinds([r("extensions/v1beta1", "Ingress", "ingresses"), r("apps/v1", "Deployment", "deployments"),
                              r("extensions/v1beta1", "Deployment", "deployments")])
    assert sorted((k.api_version, k.kind) for k in selection.listed) == [
        ("apps/v1", "Deployment"), ("extensions/v1beta1", "Ingress")]


def test_without_the_preferred_version_the_most_stable_newest_wins() -> None:
    selection = select_kinds([r("x.io/v1alpha1", "Job", "jobs", preferred=False),
                              r("x.io/v2beta1", "Job", "jobs", preferred=False),
                              r("x.io/v1", "Job", "jobs", preferred=False),
                              r("x.io/v2", "Other", "others")])
    assert [k.api_version for k in selection.listed if k.kind == "Job"] == ["x.io/v1"]
    assert sorted(["v1beta1", "v2", "v1alpha1", "v1", "v1beta2", "foo"], key=version_priority, reverse=True) == [
        "v2", "v1", "v1beta2", "v1beta1", "v1alpha1", "foo"]


@pytest.mark.parametrize(("api_version", "kind", "target", "expected"), [
    ("batch/v1beta1", "CronJob", "1.31", "batch/v1"),
    ("batch/v1beta1", "CronJob", "1.21.2", "batch/v1"),  # deprecated there: batch/v1 is served
    ("batch/v1beta1", "CronJob", "1.20", None),  # green on 1.20 serves no batch/v1 CronJob yet
    ("extensions/v1beta1", "Ingress", "1.25", "networking.k8s.io/v1"),
    ("batch/v1", "CronJob", "1.31", None),
    ("example.com/v1", "Widget", "1.31", None),
    ("v1", "Endpoints", "1.33", None),  # a replacement of another kind is no conversion
])
def test_conversion_target(api_version: str, kind: str, target: str, expected: str | None) -> None:
    assert conversion_target(api_version, kind, target) == expected


def test_convert_rewrites_what_the_newer_version_renamed() -> None:
    ingress = {"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "web"},
               "spec": {"backend": {"serviceName": "web", "servicePort": 80},
                        "rules": [{"host": "a", "http": {"paths": [
                            {"path": "/", "backend": {"serviceName": "api", "servicePort": "http"}}]}}]}}
    out = convert(ingress, "networking.k8s.io/v1")
    assert out["apiVersion"] == "networking.k8s.io/v1"
    assert out["spec"]["defaultBackend"] == {"service": {"name": "web", "port": {"number": 80}}}
    path = out["spec"]["rules"][0]["http"]["paths"][0]
    assert path == {"path": "/", "pathType": "ImplementationSpecific",
                    "backend": {"service": {"name": "api", "port": {"name": "http"}}}}
    assert ingress["apiVersion"] == "extensions/v1beta1"  # the input is left alone
    cronjob = {"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": "c"},
               "spec": {"schedule": "* * * * *", "jobTemplate": {}}}
    assert convert(cronjob, "batch/v1") == {**cronjob, "apiVersion": "batch/v1"}
    hpa = {"apiVersion": "autoscaling/v2beta1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
           "spec": {"metrics": [{"type": "Resource", "resource": {"name": "cpu", "targetAverageUtilization": 70}}]}}
    assert convert(hpa, "autoscaling/v2")["spec"]["metrics"][0]["resource"] == {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}
    deployment = {"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "d"},
                  "spec": {"template": {"metadata": {"labels": {"app": "d"}}}}}
    assert convert(deployment, "apps/v1")["spec"]["selector"] == {"matchLabels": {"app": "d"}}
