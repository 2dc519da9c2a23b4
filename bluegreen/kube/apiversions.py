"""Removed and deprecated Kubernetes API versions, and a manifest check against a target version.

Pure: a table plus a function. Green may be several minors newer than blue
(field notes §4), so every manifest is checked against the *target* version's
removals before it is applied. The table follows the official deprecated API
migration guide (kubernetes.io/docs/reference/using-api/deprecation-guide/).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bluegreen.json_copy import json_copy
from bluegreen.kube.manifests import Manifest
from bluegreen.kube.objects import describe, name_of, namespace_of

Version = tuple[int, int]


@dataclass(frozen=True)
class ApiChange:
    api_version: str
    kind: str
    deprecated_in: Version | None
    removed_in: Version | None
    replacement: str | None  # "apps/v1"; None when the kind is gone with no successor


def _rows(
    api_versions: Iterable[str],
    kinds: Iterable[str],
    deprecated_in: Version | None,
    removed_in: Version | None,
    replacement: str | None,
) -> list[ApiChange]:
    return [ApiChange(av, kind, deprecated_in, removed_in, replacement) for av in api_versions for kind in kinds]


_FLOWCONTROL = ("FlowSchema", "PriorityLevelConfiguration")
_RBAC = ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")

API_CHANGES: tuple[ApiChange, ...] = tuple(
    # v1.16
    _rows(["extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"], ["Deployment", "ReplicaSet"], (1, 9), (1, 16), "apps/v1")
    + _rows(["apps/v1beta1", "apps/v1beta2"], ["StatefulSet"], (1, 9), (1, 16), "apps/v1")
    + _rows(["extensions/v1beta1", "apps/v1beta2"], ["DaemonSet"], (1, 9), (1, 16), "apps/v1")
    + _rows(["extensions/v1beta1"], ["NetworkPolicy"], (1, 9), (1, 16), "networking.k8s.io/v1")
    + _rows(["extensions/v1beta1"], ["PodSecurityPolicy"], (1, 11), (1, 16), "policy/v1beta1")
    # v1.22
    + _rows(
        ["admissionregistration.k8s.io/v1beta1"],
        ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"],
        (1, 16),
        (1, 22),
        "admissionregistration.k8s.io/v1",
    )
    + _rows(["apiextensions.k8s.io/v1beta1"], ["CustomResourceDefinition"], (1, 16), (1, 22), "apiextensions.k8s.io/v1")
    + _rows(["apiregistration.k8s.io/v1beta1"], ["APIService"], (1, 19), (1, 22), "apiregistration.k8s.io/v1")
    + _rows(["authentication.k8s.io/v1beta1"], ["TokenReview"], (1, 19), (1, 22), "authentication.k8s.io/v1")
    + _rows(
        ["authorization.k8s.io/v1beta1"],
        ["LocalSubjectAccessReview", "SelfSubjectAccessReview", "SubjectAccessReview", "SelfSubjectRulesReview"],
        (1, 19),
        (1, 22),
        "authorization.k8s.io/v1",
    )
    + _rows(["certificates.k8s.io/v1beta1"], ["CertificateSigningRequest"], (1, 19), (1, 22), "certificates.k8s.io/v1")
    + _rows(["coordination.k8s.io/v1beta1"], ["Lease"], (1, 19), (1, 22), "coordination.k8s.io/v1")
    + _rows(["extensions/v1beta1", "networking.k8s.io/v1beta1"], ["Ingress"], (1, 19), (1, 22), "networking.k8s.io/v1")
    + _rows(["networking.k8s.io/v1beta1"], ["IngressClass"], (1, 19), (1, 22), "networking.k8s.io/v1")
    + _rows(["rbac.authorization.k8s.io/v1beta1"], _RBAC, (1, 17), (1, 22), "rbac.authorization.k8s.io/v1")
    + _rows(["scheduling.k8s.io/v1beta1"], ["PriorityClass"], (1, 14), (1, 22), "scheduling.k8s.io/v1")
    + _rows(
        ["storage.k8s.io/v1beta1"],
        ["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"],
        (1, 19),
        (1, 22),
        "storage.k8s.io/v1",
    )
    # v1.25
    + _rows(["batch/v1beta1"], ["CronJob"], (1, 21), (1, 25), "batch/v1")
    + _rows(["discovery.k8s.io/v1beta1"], ["EndpointSlice"], (1, 21), (1, 25), "discovery.k8s.io/v1")
    + _rows(["events.k8s.io/v1beta1"], ["Event"], (1, 19), (1, 25), "events.k8s.io/v1")
    + _rows(["autoscaling/v2beta1"], ["HorizontalPodAutoscaler"], (1, 22), (1, 25), "autoscaling/v2")
    + _rows(["policy/v1beta1"], ["PodDisruptionBudget"], (1, 21), (1, 25), "policy/v1")
    + _rows(["policy/v1beta1"], ["PodSecurityPolicy"], (1, 21), (1, 25), None)
    + _rows(["node.k8s.io/v1beta1"], ["RuntimeClass"], (1, 20), (1, 25), "node.k8s.io/v1")
    # v1.26
    + _rows(["flowcontrol.apiserver.k8s.io/v1beta1"], _FLOWCONTROL, (1, 23), (1, 26), "flowcontrol.apiserver.k8s.io/v1")
    + _rows(["autoscaling/v2beta2"], ["HorizontalPodAutoscaler"], (1, 23), (1, 26), "autoscaling/v2")
    # v1.27
    + _rows(["storage.k8s.io/v1beta1"], ["CSIStorageCapacity"], (1, 24), (1, 27), "storage.k8s.io/v1")
    # v1.29
    + _rows(["flowcontrol.apiserver.k8s.io/v1beta2"], _FLOWCONTROL, (1, 26), (1, 29), "flowcontrol.apiserver.k8s.io/v1")
    # v1.32
    + _rows(["flowcontrol.apiserver.k8s.io/v1beta3"], _FLOWCONTROL, (1, 29), (1, 32), "flowcontrol.apiserver.k8s.io/v1")
    # Deprecated, still served: EndpointSlices replace Endpoints (v1.33).
    + _rows(["v1"], ["Endpoints"], (1, 33), None, "discovery.k8s.io/v1 EndpointSlice")
)

_INDEX: dict[tuple[str, str], ApiChange] = {(row.api_version, row.kind): row for row in API_CHANGES}


def parse_version(text: str) -> Version:
    """"1.30.5", "v1.30", "1.30.5-eks" -> (1, 30)."""
    match = re.match(r"^v?(\d+)\.(\d+)", text.strip())
    if not match:
        raise ValueError(f"not a Kubernetes version: {text!r}")
    return int(match.group(1)), int(match.group(2))


def lookup(api_version: str, kind: str) -> ApiChange | None:
    return _INDEX.get((api_version, kind))


@dataclass(frozen=True)
class Finding:
    severity: str  # "removed" (apply will fail) or "deprecated" (still works; fix before the next upgrade)
    api_version: str
    kind: str
    namespace: str | None
    name: str
    source: str | None  # "app.yaml document 2 (line 19)" for manifests, None for live objects
    change: ApiChange

    @property
    def message(self) -> str:
        row = self.change
        where = f" ({self.source})" if self.source else ""
        subject = f"{describe(self.kind, self.namespace, self.name)}{where} uses {self.api_version}"
        instead = f"; use {row.replacement}" if row.replacement else "; it has no replacement"
        if self.severity == "removed":
            return f"{subject}, removed in {_fmt(row.removed_in)}{instead}"
        until = f", removal planned in {_fmt(row.removed_in)}" if row.removed_in else ""
        return f"{subject}, deprecated since {_fmt(row.deprecated_in)}{until}{instead}"


def _fmt(version: Version | None) -> str:
    return f"{version[0]}.{version[1]}" if version else "?"


def removed_api_findings(objects: Iterable[Manifest | Mapping[str, Any]], target_version: str) -> list[Finding]:
    """Objects that the target version no longer serves ("removed") or has deprecated ("deprecated")."""
    target = parse_version(target_version)
    findings: list[Finding] = []
    for item in objects:
        obj = item.obj if isinstance(item, Manifest) else item
        source = item.location if isinstance(item, Manifest) else None
        row = lookup(str(obj.get("apiVersion")), str(obj.get("kind")))
        if row is None:
            continue
        if row.removed_in is not None and target >= row.removed_in:
            severity = "removed"
        elif row.deprecated_in is not None and target >= row.deprecated_in:
            severity = "deprecated"
        else:
            continue
        findings.append(
            Finding(severity, row.api_version, row.kind, namespace_of(obj), name_of(obj), source, row)
        )
    return findings


# --- conversion -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    """An object read at an old version, rewritten at the version the target serves instead."""

    kind: str
    namespace: str | None
    name: str
    from_version: str
    to_version: str

    @property
    def message(self) -> str:
        return f"{describe(self.kind, self.namespace, self.name)}: {self.from_version} -> {self.to_version}"


def conversion_target(api_version: str, kind: str, target_version: str) -> str | None:
    """The apiVersion to send an object of this version to a `target_version` cluster in, or None to keep it.

    Converted once the target deprecates the old version: by then it serves the replacement (Kubernetes
    deprecates a version only when its successor is served), and the old one may be gone next.
    """
    row = lookup(api_version, kind)
    if row is None or row.replacement is None or " " in row.replacement:
        return None
    target = parse_version(target_version)
    due = row.deprecated_in or row.removed_in
    if due is None or target < due:
        return None
    return row.replacement


def convert(obj: Mapping[str, Any], to_version: str) -> dict[str, Any]:
    """`obj` at `to_version`: the apiVersion changed and the fields the newer version renamed rewritten."""
    out: dict[str, Any] = json_copy(dict(obj))
    from_version, kind = str(out.get("apiVersion")), str(out.get("kind"))
    out["apiVersion"] = to_version
    spec = out.get("spec")
    if not isinstance(spec, dict):
        return out
    if kind == "Ingress" and from_version in ("extensions/v1beta1", "networking.k8s.io/v1beta1"):
        _ingress_to_v1(spec)
    elif kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet") and to_version == "apps/v1":
        _selector_required(spec)
    elif kind == "HorizontalPodAutoscaler" and from_version == "autoscaling/v2beta1":
        for metric in spec.get("metrics") or []:
            _hpa_metric_to_v2(metric)
    return out


def _ingress_backend(old: Any) -> Any:
    if not isinstance(old, dict) or "serviceName" not in old:
        return old
    port = old.get("servicePort")
    port_ref = {"number": port} if isinstance(port, int) else {"name": str(port)}
    return {"service": {"name": old["serviceName"], "port": port_ref}}


def _ingress_to_v1(spec: dict[str, Any]) -> None:
    if "backend" in spec:
        spec["defaultBackend"] = _ingress_backend(spec.pop("backend"))
    for rule in spec.get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            if isinstance(path, dict):
                path["backend"] = _ingress_backend(path.get("backend"))
                path.setdefault("pathType", "ImplementationSpecific")


def _selector_required(spec: dict[str, Any]) -> None:
    """apps/v1 requires a selector; the beta versions defaulted it to the pod template's labels."""
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if not spec.get("selector") and isinstance(labels, dict):
        spec["selector"] = {"matchLabels": dict(labels)}


def _hpa_metric_to_v2(metric: Any) -> None:
    if not isinstance(metric, dict):
        return
    body = metric.get(_HPA_SOURCE.get(str(metric.get("type")), ""))
    if not isinstance(body, dict):
        return
    if "targetAverageUtilization" in body:
        body["target"] = {"type": "Utilization", "averageUtilization": body.pop("targetAverageUtilization")}
    elif "targetAverageValue" in body:
        body["target"] = {"type": "AverageValue", "averageValue": body.pop("targetAverageValue")}
    elif "targetValue" in body:
        body["target"] = {"type": "Value", "value": body.pop("targetValue")}
    if "metricName" in body:
        body["metric"] = {"name": body.pop("metricName"), **({"selector": body.pop("metricSelector")}
                                                             if "metricSelector" in body else {})}


_HPA_SOURCE = {"Resource": "resource", "Pods": "pods", "Object": "object", "External": "external"}
