"""Turn live objects read from blue into objects that can be applied to green.

Pure data manipulation, no I/O. A live object carries fields the blue API
server and controllers wrote (uids, resourceVersions, allocated cluster IPs,
bound volume names, controller-generated selectors). Applied to another
cluster those fields are at best noise and at worst rejected (an immutable
clusterIP from another service CIDR, a PVC bound to a volume that does not
exist there), so they are dropped here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bluegreen.json_copy import json_copy

_SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
_SERVER_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
)
# PVC binding state written by the PV controller and the scheduler; `selected-node` would pin the
# claim to a blue node name that does not exist on green.
_PVC_ANNOTATION_PREFIXES = ("pv.kubernetes.io/", "volume.beta.kubernetes.io/")
_PVC_ANNOTATIONS = ("volume.kubernetes.io/selected-node", "volume.kubernetes.io/storage-provisioner")
# Labels the Job controller stamps on the selector and pod template of a Job it created the selector for.
_JOB_CONTROLLER_LABELS = (
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
    "job-name",
    "batch.kubernetes.io/job-name",
)


def strip_server_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `obj` without what the source cluster's server and controllers wrote."""
    # Left out before copying, not after: status and managedFields are most of a live object.
    source = {k: v for k, v in obj.items() if k != "status"}
    if isinstance(source.get("metadata"), Mapping):
        source["metadata"] = {k: v for k, v in source["metadata"].items() if k not in _SERVER_METADATA}
    clean: dict[str, Any] = json_copy(source)
    meta = clean.get("metadata")
    if isinstance(meta, dict):
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            for key in _SERVER_ANNOTATIONS:
                annotations.pop(key, None)
    kind = clean.get("kind")
    spec = clean.get("spec")
    if isinstance(spec, dict):
        if kind == "Service":
            _strip_service(spec)
        elif kind == "PersistentVolumeClaim":
            _strip_pvc(spec, meta if isinstance(meta, dict) else {})
        elif kind == "Job":
            _strip_job(spec)
    if isinstance(meta, dict) and meta.get("annotations") == {}:
        meta.pop("annotations")
    return clean


def _strip_service(spec: dict[str, Any]) -> None:
    if spec.get("clusterIP") != "None":
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
    spec.pop("healthCheckNodePort", None)
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.pop("nodePort", None)


def _strip_pvc(spec: dict[str, Any], meta: dict[str, Any]) -> None:
    spec.pop("volumeName", None)
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        for key in list(annotations):
            if key.startswith(_PVC_ANNOTATION_PREFIXES) or key in _PVC_ANNOTATIONS:
                del annotations[key]


def _strip_job(spec: dict[str, Any]) -> None:
    if spec.get("manualSelector") is True:
        return
    selector = spec.get("selector")
    if isinstance(selector, dict):
        labels = selector.get("matchLabels")
        if isinstance(labels, dict):
            for key in _JOB_CONTROLLER_LABELS:
                labels.pop(key, None)
            if not labels:
                selector.pop("matchLabels")
        if not selector:
            spec.pop("selector")
    template_meta = (spec.get("template") or {}).get("metadata")
    if isinstance(template_meta, dict) and isinstance(template_meta.get("labels"), dict):
        for key in _JOB_CONTROLLER_LABELS:
            template_meta["labels"].pop(key, None)


@dataclass(frozen=True)
class CopyDecision:
    """Whether to redeploy a live object on green; falsy when skipped, with the reason why."""

    copy: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.copy


_EVENT_GROUPS = ("v1", "events.k8s.io/v1", "events.k8s.io/v1beta1")


def should_copy(obj: Mapping[str, Any]) -> CopyDecision:
    """Skip what the target cluster makes itself: owned objects, endpoints, events, token plumbing."""
    kind = obj.get("kind")
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    owners = meta.get("ownerReferences") or []
    if owners:
        owner = owners[0]
        return CopyDecision(False, f"owned by {owner.get('kind')} {owner.get('name')}; its owner recreates it")
    if kind == "Event" and obj.get("apiVersion") in _EVENT_GROUPS:
        return CopyDecision(False, "events belong to the cluster that emitted them")
    if kind in ("Endpoints", "EndpointSlice"):
        return CopyDecision(False, "endpoints are derived from Services by the target cluster")
    if kind == "ConfigMap" and name == "kube-root-ca.crt":
        return CopyDecision(False, "published by the target cluster's root CA controller")
    if kind == "ServiceAccount" and name == "default":
        return CopyDecision(False, "every namespace gets its own default ServiceAccount")
    if kind == "Secret" and obj.get("type") == "kubernetes.io/service-account-token":
        return CopyDecision(False, "service account tokens are signed by the source cluster")
    return CopyDecision(True)
