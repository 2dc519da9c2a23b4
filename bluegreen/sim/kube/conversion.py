"""Conversion between the served versions of a kind, as the API server converts on read and write.

An object is stored once, in its storage version, and seen through every version that serves
it. Most versions share a shape; the deprecated API migration guide lists where they differ,
and those differences are converted here: Ingress (extensions and networking.k8s.io v1beta1 vs
v1) and HorizontalPodAutoscaler (autoscaling v1, v2beta1 vs v2/v2beta2).
"""

from __future__ import annotations

import copy
import json
from typing import Any

_HPA_METRICS = "autoscaling.alpha.kubernetes.io/metrics"  # where v1 keeps metrics it cannot express


def changes_shape(obj: dict, to_version: str) -> bool:
    """Whether `to_version` sees more of `obj` differ than its apiVersion (a read can then skip the deep copy)."""
    return obj.get("kind") in ("Ingress", "HorizontalPodAutoscaler") and str(obj.get("apiVersion", "")) != to_version


def convert(obj: dict, to_version: str) -> dict:
    """A copy of `obj` (apiVersion and kind set) as `to_version` ("group/version") sees it."""
    out = copy.deepcopy(obj)
    kind, source = obj.get("kind"), str(obj.get("apiVersion", ""))
    out["apiVersion"] = to_version
    if source == to_version:
        return out
    if kind == "Ingress":
        if _beta(source) and not _beta(to_version):
            _ingress_up(out)
        elif not _beta(source) and _beta(to_version):
            _ingress_down(out)
    elif kind == "HorizontalPodAutoscaler":
        _hpa_to_v2(out, source)
        _hpa_from_v2(out, to_version)
    return out


def _beta(api_version: str) -> bool:
    return "beta" in api_version.rpartition("/")[2]


# --- Ingress -------------------------------------------------------------------------------------

def _backend_up(old: Any) -> Any:
    if not isinstance(old, dict) or "serviceName" not in old:
        return old
    port = old.get("servicePort")
    out = {k: v for k, v in old.items() if k not in ("serviceName", "servicePort")}
    out["service"] = {"name": old["serviceName"],
                      "port": {"name": port} if isinstance(port, str) else {"number": port}}
    return out


def _backend_down(new: Any) -> Any:
    if not isinstance(new, dict) or "service" not in new:
        return new
    service = new.get("service") or {}
    port = service.get("port") or {}
    out = {k: v for k, v in new.items() if k != "service"}
    out["serviceName"] = service.get("name")
    out["servicePort"] = port.get("name") if "name" in port else port.get("number")
    return out


def _ingress_paths(spec: dict, change: Any) -> None:
    for rule in spec.get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            if isinstance(path, dict) and "backend" in path:
                path["backend"] = change(path["backend"])


def _ingress_up(obj: dict) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if "backend" in spec:
        spec["defaultBackend"] = _backend_up(spec.pop("backend"))
    _ingress_paths(spec, _backend_up)
    for rule in spec.get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            if isinstance(path, dict):
                path.setdefault("pathType", "ImplementationSpecific")  # v1beta1's default


def _ingress_down(obj: dict) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if "defaultBackend" in spec:
        spec["backend"] = _backend_down(spec.pop("defaultBackend"))
    _ingress_paths(spec, _backend_down)


# --- HorizontalPodAutoscaler ---------------------------------------------------------------------

def _hpa_to_v2(obj: dict, source: str) -> None:
    """Bring a v1 or v2beta1 HPA to the v2 shape (v2beta2 already has it)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    version = source.rpartition("/")[2]
    if version == "v1":
        metrics = []
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if _HPA_METRICS in annotations:
            metrics = json.loads(annotations.pop(_HPA_METRICS))
            if not annotations:
                obj["metadata"].pop("annotations", None)
        target = spec.pop("targetCPUUtilizationPercentage", None)
        if target is not None:
            metrics.insert(0, {"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": target}}})
        if metrics:
            spec["metrics"] = metrics
    elif version == "v2beta1":
        for metric in spec.get("metrics") or []:
            resource = metric.get("resource") if isinstance(metric, dict) else None
            if isinstance(resource, dict):
                if "targetAverageUtilization" in resource:
                    resource["target"] = {"type": "Utilization",
                                          "averageUtilization": resource.pop("targetAverageUtilization")}
                elif "targetAverageValue" in resource:
                    resource["target"] = {"type": "AverageValue", "averageValue": resource.pop("targetAverageValue")}


def _hpa_from_v2(obj: dict, to_version: str) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    version = to_version.rpartition("/")[2]
    if version == "v1":
        metrics = spec.pop("metrics", None) or []
        rest = []
        for metric in metrics:
            target = ((metric.get("resource") or {}).get("target") or {}) if isinstance(metric, dict) else {}
            if (metric.get("type") == "Resource" and metric["resource"].get("name") == "cpu"
                    and target.get("type") == "Utilization" and "targetCPUUtilizationPercentage" not in spec):
                spec["targetCPUUtilizationPercentage"] = target.get("averageUtilization")
            else:
                rest.append(metric)
        if rest:
            obj.setdefault("metadata", {}).setdefault("annotations", {})[_HPA_METRICS] = json.dumps(
                rest, separators=(",", ":"))
    elif version == "v2beta1":
        for metric in spec.get("metrics") or []:
            resource = metric.get("resource") if isinstance(metric, dict) else None
            if isinstance(resource, dict) and isinstance(resource.get("target"), dict):
                target = resource.pop("target")
                if target.get("type") == "Utilization":
                    resource["targetAverageUtilization"] = target.get("averageUtilization")
                elif target.get("type") == "AverageValue":
                    resource["targetAverageValue"] = target.get("averageValue")
