"""Validation the real API server does on create/update, returned as Status causes.

Only the checks that catch real mistakes in manifests we handle: names, selectors
that do not match template labels, containers without name or image, Service
ports, CronJob schedules and time zones, CRD names.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from croniter import croniter

from .selectors import match_label_selector_object

Cause = dict[str, str]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def _required(field: str) -> Cause:
    return {"reason": "FieldValueRequired", "message": "Required value", "field": field}


def _invalid(field: str, value: Any, detail: str) -> Cause:
    return {"reason": "FieldValueInvalid", "message": f"Invalid value: {value!r}: {detail}", "field": field}


def _unsupported(field: str, value: Any, allowed: list[str]) -> Cause:
    supported = ", ".join(f'"{a}"' for a in allowed)
    return {"reason": "FieldValueNotSupported", "message": f"Unsupported value: {value!r}: supported values: "
            f"{supported}", "field": field}


def validate_name(kind: str, name: str) -> list[Cause]:
    if not name:
        return [_required("metadata.name")]
    pattern = _LABEL if kind in ("Namespace", "Service") else _SUBDOMAIN
    limit = 63 if kind in ("Namespace", "Service") else 253
    if len(name) > limit or not pattern.match(name):
        return [_invalid("metadata.name", name, "a lowercase RFC 1123 name must consist of lower case "
                         "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                         "character")]
    return []


def _pod_spec(spec: Any, path: str) -> list[Cause]:
    if not isinstance(spec, dict):
        return [_required(path)]
    causes: list[Cause] = []
    containers = spec.get("containers")
    if not containers:
        causes.append(_required(f"{path}.containers"))
    seen: set[str] = set()
    for group in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(group) or []):
            where = f"{path}.{group}[{i}]"
            if not isinstance(c, dict):
                causes.append(_required(where))
                continue
            name = c.get("name")
            if not name:
                causes.append(_required(f"{where}.name"))
            elif name in seen:
                causes.append({"reason": "FieldValueDuplicate", "message": f"Duplicate value: {name!r}",
                               "field": f"{where}.name"})
            seen.add(name or "")
            if not c.get("image"):
                causes.append(_required(f"{where}.image"))
            for j, p in enumerate(c.get("ports") or []):
                port = p.get("containerPort") if isinstance(p, dict) else None
                if not isinstance(port, int) or not 0 < port < 65536:
                    causes.append(_invalid(f"{where}.ports[{j}].containerPort", port,
                                           "must be between 1 and 65535, inclusive"))
    return causes


def _template(spec: dict, path: str, selector_required: bool = True) -> list[Cause]:
    causes: list[Cause] = []
    selector = spec.get("selector")
    template = spec.get("template")
    if not isinstance(template, dict):
        return [_required(f"{path}.template")]
    labels = (template.get("metadata") or {}).get("labels") or {}
    if selector_required:
        if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
            causes.append(_required(f"{path}.selector"))
        elif not match_label_selector_object(selector, labels):
            causes.append(_invalid(f"{path}.template.metadata.labels", labels,
                                   "`selector` does not match template `labels`"))
    causes += _pod_spec(template.get("spec"), f"{path}.template.spec")
    return causes


def _schedule_ok(schedule: str) -> bool:
    if schedule.strip() in _CRON_MACROS:
        return True
    fields = schedule.split()
    return len(fields) == 5 and croniter.is_valid(schedule)


def validate(kind: str, obj: dict) -> list[Cause]:
    """Causes (empty when valid) for an object about to be stored."""
    raw = obj.get("spec")
    spec: dict = raw if isinstance(raw, dict) else {}
    causes: list[Cause] = []
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"):
        causes += _template(spec, "spec")
        replicas = spec.get("replicas")
        if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
            causes.append(_invalid("spec.replicas", replicas, "must be greater than or equal to 0"))
    elif kind == "Pod":
        causes += _pod_spec(obj.get("spec"), "spec")
    elif kind == "Job":
        causes += _job_spec(spec, "spec")
    elif kind == "CronJob":
        schedule = spec.get("schedule")
        if not schedule:
            causes.append(_required("spec.schedule"))
        elif not isinstance(schedule, str) or not _schedule_ok(schedule):
            causes.append(_invalid("spec.schedule", schedule, "unparseable cron expression"))
        tz = spec.get("timeZone")
        if tz is not None:
            try:
                zoneinfo.ZoneInfo(tz)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                causes.append(_invalid("spec.timeZone", tz, "unknown time zone"))
        policy = spec.get("concurrencyPolicy", "Allow")
        if policy not in ("Allow", "Forbid", "Replace"):
            causes.append(_unsupported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]))
        job_spec = (spec.get("jobTemplate") or {}).get("spec")
        if not isinstance(job_spec, dict):
            causes.append(_required("spec.jobTemplate.spec"))
        else:
            causes += _job_spec(job_spec, "spec.jobTemplate.spec")
    elif kind == "Service":
        causes += _service(spec)
    elif kind == "CustomResourceDefinition":
        causes += _crd(obj)
    return causes


def _job_spec(spec: dict, path: str) -> list[Cause]:
    causes = _template(spec, path, selector_required=False)
    restart = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
    if restart not in ("Never", "OnFailure"):
        causes.append(_unsupported(f"{path}.template.spec.restartPolicy", restart, ["OnFailure", "Never"]))
    return causes


def _service(spec: dict) -> list[Cause]:
    causes: list[Cause] = []
    kind = spec.get("type", "ClusterIP")
    if kind not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        return [_unsupported("spec.type", kind, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"])]
    ports = spec.get("ports") or []
    if not ports and kind != "ExternalName" and spec.get("clusterIP") != "None":
        causes.append(_required("spec.ports"))
    names: set[str] = set()
    for i, p in enumerate(ports):
        if not isinstance(p, dict):
            causes.append(_required(f"spec.ports[{i}]"))
            continue
        port = p.get("port")
        if not isinstance(port, int) or not 0 < port < 65536:
            causes.append(_invalid(f"spec.ports[{i}].port", port, "must be between 1 and 65535, inclusive"))
        if len(ports) > 1 and not p.get("name"):
            causes.append(_required(f"spec.ports[{i}].name"))
        if p.get("name") in names:
            causes.append({"reason": "FieldValueDuplicate", "message": f"Duplicate value: {p.get('name')!r}",
                           "field": f"spec.ports[{i}].name"})
        names.add(p.get("name") or "")
    if kind == "ExternalName" and not spec.get("externalName"):
        causes.append(_required("spec.externalName"))
    return causes


def _crd(obj: dict) -> list[Cause]:
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    causes: list[Cause] = []
    for f in ("group",):
        if not spec.get(f):
            causes.append(_required(f"spec.{f}"))
    for f in ("plural", "kind"):
        if not names.get(f):
            causes.append(_required(f"spec.names.{f}"))
    if not spec.get("versions"):
        causes.append(_required("spec.versions"))
    expected = f"{names.get('plural')}.{spec.get('group')}"
    if obj.get("metadata", {}).get("name") != expected:
        causes.append(_invalid("metadata.name", obj.get("metadata", {}).get("name"),
                               f"must be spec.names.plural+\".\"+spec.group ({expected})"))
    return causes


# What an update may not change, per kind (the API server's ValidateXUpdate functions).
_STATEFULSET_MUTABLE = {"replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                        "minReadySeconds", "ordinals", "revisionHistoryLimit"}


def immutable_changes(kind: str, old: dict, new: dict) -> list[dict]:
    """Causes for a 422 when an update touches a field the real server keeps fixed after creation."""
    before, after = old.get("spec") or {}, new.get("spec") or {}
    causes: list[dict] = []

    def fixed(path: str, a: object, b: object, message: str = "field is immutable") -> None:
        if a != b:
            causes.append({"reason": "FieldValueInvalid", "message": message, "field": path})

    if kind in ("Deployment", "ReplicaSet", "DaemonSet"):
        fixed("spec.selector", before.get("selector"), after.get("selector"))
    elif kind == "StatefulSet":
        frozen = sorted((set(before) | set(after)) - _STATEFULSET_MUTABLE)
        if any(before.get(k) != after.get(k) for k in frozen):
            fixed("spec", 0, 1, "Forbidden: updates to statefulset spec for fields other than 'replicas', "
                  "'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                  "'minReadySeconds' are forbidden")
    elif kind == "Job":
        fixed("spec.selector", before.get("selector"), after.get("selector"))
        fixed("spec.template", before.get("template"), after.get("template"))
    elif kind == "PersistentVolumeClaim":
        keep = {k: v for k, v in before.items() if k not in ("resources", "volumeName")}
        now = {k: v for k, v in after.items() if k not in ("resources", "volumeName")}
        fixed("spec", keep, now, "Forbidden: spec is immutable after creation except resources.requests")
    elif kind == "Service" and before.get("clusterIP") and after.get("clusterIP"):
        fixed("spec.clusterIP", before.get("clusterIP"), after.get("clusterIP"))
    return causes
