"""Stripping server-written fields from live objects, and choosing what to copy to green.

Covers: metadata and status removal; server annotations; Service cluster IPs (headless kept),
node ports and health-check port; PVC binding fields and annotations; Job controller selectors;
the input is never mutated; the project's own manifests (tests/data/manifests; ../shared's corpus in
tests/conformance, same kube_checks body) pass through unchanged;
should_copy skips owned objects, endpoints, events, kube-root-ca.crt, the default
ServiceAccount and service-account-token Secrets, with a reason.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from bg_shared import DATA
from kube_checks import check_sanitizer_keeps_user_manifests

from bluegreen.kube.sanitize import should_copy, strip_server_fields

LIVE_META = {
    "uid": "6f1c1d1e-0000-4000-8000-000000000001",
    "resourceVersion": "81234",
    "generation": 4,
    "creationTimestamp": "2025-11-02T10:00:00Z",
    "selfLink": "/apis/apps/v1/namespaces/shop/deployments/web",
    "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
}


def live(kind: str, api_version: str = "v1", **extra: Any) -> dict[str, Any]:
    meta = {"name": "web", "namespace": "shop", "labels": {"app": "web"}, **copy.deepcopy(LIVE_META)}
    meta.update(extra.pop("metadata", {}))
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **extra}


def test_deployment_loses_server_metadata_annotations_and_status() -> None:
    obj = live(
        "Deployment",
        "apps/v1",
        metadata={
            "annotations": {
                "deployment.kubernetes.io/revision": "7",
                "kubectl.kubernetes.io/last-applied-configuration": '{"secret": "x"}',
                "team": "checkout",
            },
            "deletionTimestamp": "2025-11-03T00:00:00Z",
        },
        spec={"replicas": 3, "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "t"}}}},
        status={"replicas": 3, "availableReplicas": 3},
    )
    before = copy.deepcopy(obj)
    clean = strip_server_fields(obj)
    assert obj == before  # input untouched
    assert clean["metadata"] == {
        "name": "web",
        "namespace": "shop",
        "labels": {"app": "web"},
        "annotations": {"team": "checkout"},
    }
    assert "status" not in clean
    assert clean["spec"] == before["spec"]


def test_empty_annotations_are_dropped() -> None:
    obj = live("ConfigMap", metadata={"annotations": {"deployment.kubernetes.io/revision": "1"}}, data={"a": "b"})
    assert "annotations" not in strip_server_fields(obj)["metadata"]


def test_service_ips_and_ports() -> None:
    obj = live(
        "Service",
        spec={
            "type": "LoadBalancer",
            "clusterIP": "10.0.12.7",
            "clusterIPs": ["10.0.12.7"],
            "externalTrafficPolicy": "Local",
            "healthCheckNodePort": 31987,
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}],
            "selector": {"app": "web"},
        },
        status={"loadBalancer": {"ingress": [{"ip": "20.1.2.3"}]}},
    )
    clean = strip_server_fields(obj)
    assert clean["spec"] == {
        "type": "LoadBalancer",
        "externalTrafficPolicy": "Local",
        "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
        "selector": {"app": "web"},
    }
    assert "status" not in clean


def test_headless_service_keeps_cluster_ip_none() -> None:
    obj = live("Service", spec={"clusterIP": "None", "clusterIPs": ["None"], "ports": [{"port": 26257}]})
    assert strip_server_fields(obj)["spec"] == {"clusterIP": "None", "clusterIPs": ["None"], "ports": [{"port": 26257}]}


def test_pvc_binding_is_dropped() -> None:
    obj = live(
        "PersistentVolumeClaim",
        metadata={
            "annotations": {
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
                "volume.beta.kubernetes.io/storage-provisioner": "disk.csi.azure.com",
                "volume.kubernetes.io/selected-node": "aks-nodepool1-123-vmss000001",
                "backup": "daily",
            },
            "finalizers": ["kubernetes.io/pvc-protection"],
        },
        spec={"accessModes": ["ReadWriteOnce"], "volumeName": "pvc-6f1c", "storageClassName": "managed-csi"},
        status={"phase": "Bound"},
    )
    clean = strip_server_fields(obj)
    assert clean["spec"] == {"accessModes": ["ReadWriteOnce"], "storageClassName": "managed-csi"}
    assert clean["metadata"]["annotations"] == {"backup": "daily"}


def test_job_generated_selector_and_labels_are_dropped() -> None:
    uid = "9d3a"
    obj = live(
        "Job",
        "batch/v1",
        spec={
            "selector": {"matchLabels": {"controller-uid": uid, "batch.kubernetes.io/controller-uid": uid}},
            "template": {
                "metadata": {
                    "labels": {
                        "controller-uid": uid,
                        "batch.kubernetes.io/controller-uid": uid,
                        "job-name": "web",
                        "batch.kubernetes.io/job-name": "web",
                        "app": "migrate",
                    }
                },
                "spec": {"restartPolicy": "Never"},
            },
        },
    )
    clean = strip_server_fields(obj)
    assert "selector" not in clean["spec"]
    assert clean["spec"]["template"]["metadata"]["labels"] == {"app": "migrate"}


def test_job_manual_selector_is_kept() -> None:
    spec = {"manualSelector": True, "selector": {"matchLabels": {"controller-uid": "mine"}}, "template": {}}
    assert strip_server_fields(live("Job", "batch/v1", spec=spec))["spec"] == spec


def test_own_manifests_pass_the_sanitizer_unchanged() -> None:
    check_sanitizer_keeps_user_manifests(DATA / "manifests")


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        (live("Pod", metadata={"ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d9"}]}), "ReplicaSet web-5d9"),
        (live("ReplicaSet", "apps/v1", metadata={"ownerReferences": [{"kind": "Deployment", "name": "web"}]}), "owned"),
        (live("Job", "batch/v1", metadata={"ownerReferences": [{"kind": "CronJob", "name": "nightly"}]}), "CronJob"),
        (live("Endpoints"), "endpoints"),
        (live("EndpointSlice", "discovery.k8s.io/v1"), "endpoints"),
        (live("Event"), "events"),
        (live("Event", "events.k8s.io/v1"), "events"),
        (live("ConfigMap", metadata={"name": "kube-root-ca.crt"}), "root CA"),
        (live("ServiceAccount", metadata={"name": "default"}), "default ServiceAccount"),
        (live("Secret", type="kubernetes.io/service-account-token"), "token"),
    ],
)
def test_should_copy_skips_what_green_makes_itself(obj: dict[str, Any], reason: str) -> None:
    decision = should_copy(obj)
    assert not decision
    assert reason in decision.reason


@pytest.mark.parametrize(
    "obj",
    [
        live("Deployment", "apps/v1"),
        live("ConfigMap", metadata={"name": "settings"}),
        live("ServiceAccount", metadata={"name": "web"}),
        live("Secret", type="Opaque"),
        live("Job", "batch/v1"),
    ],
)
def test_should_copy_keeps_user_objects(obj: dict[str, Any]) -> None:
    decision = should_copy(obj)
    assert decision
    assert decision.reason == ""
