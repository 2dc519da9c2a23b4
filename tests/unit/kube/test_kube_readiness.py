"""Workload rollout state and pod problems, from status alone.

Covers: Deployment (generation not observed, replicas not updated, old replicas left,
updated not available, progress deadline, ready, scaled to zero); StatefulSet (ready
count, revision, partition, OnDelete); DaemonSet; rejection of other kinds; pod_problems
naming container, image, restarts and last exit, unschedulable pods, healthy pods silent.
"""

from __future__ import annotations

from typing import Any

import pytest

from bluegreen.kube.readiness import pod_problems, workload_status


def workload(kind: str, spec: dict[str, Any], status: dict[str, Any], generation: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": "web", "namespace": "shop", "generation": generation},
        "spec": spec,
        "status": status,
    }


@pytest.mark.parametrize(
    ("spec", "status", "ready", "reason"),
    [
        ({"replicas": 3}, {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}, False, "generation 2"),
        ({"replicas": 3}, {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 1, "availableReplicas": 3}, False, "1 of 3 replicas updated"),
        ({"replicas": 3}, {"observedGeneration": 2, "replicas": 4, "updatedReplicas": 3, "availableReplicas": 3}, False, "1 old replicas"),
        ({"replicas": 3}, {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 2}, False, "2 of 3 updated replicas available"),
        ({"replicas": 3}, {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}, True, "3 of 3"),
        ({}, {"observedGeneration": 2, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}, True, "1 of 1"),
        ({"replicas": 0}, {"observedGeneration": 2}, True, "0 of 0"),
        ({"replicas": 2}, {}, False, "generation 2"),
    ],
)
def test_deployment(spec: dict[str, Any], status: dict[str, Any], ready: bool, reason: str) -> None:
    result = workload_status(workload("Deployment", spec, status))
    assert (result.kind, result.namespace, result.name) == ("Deployment", "shop", "web")
    assert result.ready is ready
    assert reason in result.reason


def test_deployment_progress_deadline_is_reported() -> None:
    status = {
        "observedGeneration": 2,
        "replicas": 3,
        "updatedReplicas": 3,
        "availableReplicas": 3,
        "conditions": [
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
             "message": 'ReplicaSet "web-5d9" has timed out progressing.'}
        ],
    }
    result = workload_status(workload("Deployment", {"replicas": 3}, status))
    assert not result.ready
    assert "progress deadline exceeded" in result.reason and "web-5d9" in result.reason
    assert str(result).startswith("Deployment shop/web not ready: ")


@pytest.mark.parametrize(
    ("spec", "status", "ready", "reason"),
    [
        ({"replicas": 3}, {"observedGeneration": 2, "readyReplicas": 2}, False, "2 of 3 replicas ready"),
        ({"replicas": 3}, {"observedGeneration": 2, "readyReplicas": 3, "updatedReplicas": 1,
                           "currentRevision": "web-1", "updateRevision": "web-2"}, False, "revision web-2"),
        ({"replicas": 3}, {"observedGeneration": 2, "readyReplicas": 3, "updatedReplicas": 3,
                           "currentRevision": "web-2", "updateRevision": "web-2"}, True, "3 of 3"),
        ({"replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}},
         {"observedGeneration": 2, "readyReplicas": 3, "updatedReplicas": 0}, False, "partition 2"),
        ({"replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}},
         {"observedGeneration": 2, "readyReplicas": 3, "updatedReplicas": 1,
          "currentRevision": "web-1", "updateRevision": "web-2"}, True, "partition 2"),
        ({"replicas": 2, "updateStrategy": {"type": "OnDelete"}},
         {"observedGeneration": 2, "readyReplicas": 2, "currentRevision": "a", "updateRevision": "b"}, True, "OnDelete"),
    ],
)
def test_statefulset(spec: dict[str, Any], status: dict[str, Any], ready: bool, reason: str) -> None:
    result = workload_status(workload("StatefulSet", spec, status))
    assert result.ready is ready
    assert reason in result.reason


@pytest.mark.parametrize(
    ("status", "ready", "reason"),
    [
        ({"observedGeneration": 2, "desiredNumberScheduled": 3, "updatedNumberScheduled": 2, "numberAvailable": 3}, False, "2 of 3 nodes"),
        ({"observedGeneration": 2, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 1}, False, "1 of 3 updated pods"),
        ({"observedGeneration": 2, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 3}, True, "3 of 3"),
    ],
)
def test_daemonset(status: dict[str, Any], ready: bool, reason: str) -> None:
    result = workload_status(workload("DaemonSet", {}, status))
    assert result.ready is ready
    assert reason in result.reason


def test_other_kinds_are_rejected() -> None:
    with pytest.raises(ValueError, match="not CronJob"):
        workload_status(workload("CronJob", {}, {}))


def pod(name: str, status: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop"}, "status": status}


def test_pod_problems_name_container_image_and_restarts() -> None:
    crashing = pod("api-7f9-abc", {
        "containerStatuses": [
            {"name": "api", "image": "shop/api:2.1", "restartCount": 7, "ready": False,
             "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}},
             "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}},
            {"name": "sidecar", "image": "envoy:1.30", "restartCount": 0, "ready": True, "state": {"running": {}}},
        ]
    })
    pulling = pod("web-1", {
        "initContainerStatuses": [
            {"name": "init", "image": "shop/init:typo", "restartCount": 1,
             "state": {"waiting": {"reason": "ImagePullBackOff"}}},
        ]
    })
    pending = pod("db-0", {"conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available"}
    ]})
    healthy = pod("ok", {"containerStatuses": [{"name": "c", "image": "i", "state": {"running": {}}}]})
    starting = pod("new", {"containerStatuses": [{"name": "c", "image": "i", "state": {"waiting": {"reason": "ContainerCreating"}}}]})
    assert pod_problems([crashing, pulling, pending, healthy, starting]) == [
        "Pod shop/api-7f9-abc: container api (image shop/api:2.1) CrashLoopBackOff, 7 restarts; "
        "last exit OOMKilled (code 137): back-off 5m0s restarting failed container",
        "Pod shop/web-1: container init (image shop/init:typo) ImagePullBackOff, 1 restart",
        "Pod shop/db-0: unschedulable: 0/3 nodes are available",
    ]
