"""Is a workload rolled out, and if not, why not -- read from its status alone.

Pure, no I/O: the same rules as `kubectl rollout status`, returning a reason
a person can act on, so a smoke failure says "web: 1 of 3 updated replicas
available" or "container api (image shop/api:2.1) CrashLoopBackOff, 7 restarts"
rather than "timed out".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bluegreen.kube.objects import describe, name_of, namespace_of

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass(frozen=True)
class WorkloadStatus:
    kind: str
    namespace: str | None
    name: str
    ready: bool
    reason: str

    def __str__(self) -> str:
        state = "ready" if self.ready else "not ready"
        return f"{describe(self.kind, self.namespace, self.name)} {state}: {self.reason}"


def workload_status(obj: Mapping[str, Any]) -> WorkloadStatus:
    """Rollout state of a Deployment, StatefulSet or DaemonSet."""
    kind = str(obj.get("kind"))
    if kind not in WORKLOAD_KINDS:
        raise ValueError(f"workload_status handles {', '.join(WORKLOAD_KINDS)}, not {kind}")
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    meta = obj.get("metadata") or {}
    generation = int(meta.get("generation") or 0)
    observed = int(status.get("observedGeneration") or 0)

    def result(ready: bool, reason: str) -> WorkloadStatus:
        return WorkloadStatus(kind, namespace_of(obj), name_of(obj), ready, reason)

    if observed < generation:
        return result(False, f"controller has not observed generation {generation} yet (observed {observed})")
    if kind == "Deployment":
        ready, reason = _deployment(spec, status)
    elif kind == "StatefulSet":
        ready, reason = _statefulset(spec, status)
    else:
        ready, reason = _daemonset(status)
    return result(ready, reason)


def _n(status: Mapping[str, Any], key: str) -> int:
    return int(status.get(key) or 0)


def _deployment(spec: Mapping[str, Any], status: Mapping[str, Any]) -> tuple[bool, str]:
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            return False, f"progress deadline exceeded: {condition.get('message', '')}".rstrip(": ")
    wanted = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    updated, total, available = _n(status, "updatedReplicas"), _n(status, "replicas"), _n(status, "availableReplicas")
    if updated < wanted:
        return False, f"{updated} of {wanted} replicas updated"
    if total > updated:
        return False, f"{total - updated} old replicas pending termination"
    if available < updated:
        return False, f"{available} of {updated} updated replicas available"
    return True, f"{available} of {wanted} replicas available"


def _statefulset(spec: Mapping[str, Any], status: Mapping[str, Any]) -> tuple[bool, str]:
    wanted = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    ready = _n(status, "readyReplicas")
    if ready < wanted:
        return False, f"{ready} of {wanted} replicas ready"
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return True, f"{ready} of {wanted} replicas ready (OnDelete: revision not checked)"
    partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
    updated = _n(status, "updatedReplicas")
    if partition:
        if updated < wanted - partition:
            return False, f"{updated} of {wanted - partition} replicas above partition {partition} updated"
        return True, f"{ready} of {wanted} replicas ready (partition {partition})"
    current, update = status.get("currentRevision"), status.get("updateRevision")
    if update and current != update:
        return False, f"{updated} of {wanted} replicas on revision {update}"
    return True, f"{ready} of {wanted} replicas ready"


def _daemonset(status: Mapping[str, Any]) -> tuple[bool, str]:
    desired = _n(status, "desiredNumberScheduled")
    updated, available = _n(status, "updatedNumberScheduled"), _n(status, "numberAvailable")
    if updated < desired:
        return False, f"{updated} of {desired} nodes run the updated pod"
    if available < desired:
        return False, f"{available} of {desired} updated pods available"
    return True, f"{available} of {desired} pods available"


# Waiting reasons that will not fix themselves by waiting longer.
_BAD_WAITING = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)


def pod_problems(pods: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per stuck container or unschedulable pod, naming container, image and restarts."""
    problems: list[str] = []
    for pod in pods:
        pod_name = describe("Pod", namespace_of(pod), name_of(pod))
        status = pod.get("status") or {}
        statuses = list(status.get("initContainerStatuses") or []) + list(status.get("containerStatuses") or [])
        for container in statuses:
            waiting = (container.get("state") or {}).get("waiting") or {}
            reason = waiting.get("reason")
            if reason not in _BAD_WAITING:
                continue
            restarts = int(container.get("restartCount") or 0)
            line = (
                f"{pod_name}: container {container.get('name')} (image {container.get('image')}) "
                f"{reason}, {restarts} restart{'s' if restarts != 1 else ''}"
            )
            last = (container.get("lastState") or {}).get("terminated") or {}
            if last:
                line += f"; last exit {last.get('reason') or 'Error'} (code {last.get('exitCode')})"
            if waiting.get("message"):
                line += f": {waiting['message']}"
            problems.append(line)
        for condition in status.get("conditions") or []:
            if (
                condition.get("type") == "PodScheduled"
                and condition.get("status") == "False"
                and condition.get("reason") == "Unschedulable"
            ):
                problems.append(f"{pod_name}: unschedulable: {condition.get('message', '')}".rstrip(": "))
    return problems
