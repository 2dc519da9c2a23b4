"""Discovery documents (/version, /api, /apis, /apis/<g>/<v>) and Table rendering for kubectl."""

from __future__ import annotations

from datetime import datetime

from .apis import ApiTable, Resource
from .controllers import parse_time

_SCALABLE = {"deployments", "replicasets", "statefulsets"}
_WITH_STATUS = {"deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs", "pods", "services",
                "namespaces", "nodes", "persistentvolumeclaims", "persistentvolumes", "horizontalpodautoscalers",
                "poddisruptionbudgets", "ingresses", "customresourcedefinitions"}


def version_doc(version: str) -> dict:
    parts = version.lstrip("v").split(".")
    patch = parts[2] if len(parts) > 2 else "0"
    return {"major": parts[0], "minor": parts[1], "gitVersion": f"v{parts[0]}.{parts[1]}.{patch}",
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.22.5", "compiler": "gc",
            "platform": "linux/amd64"}


def core_versions(host: str) -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}


def _group(name: str, versions: list[str]) -> dict:
    gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": gvs, "preferredVersion": gvs[0]}


def group_list(table: ApiTable) -> dict:
    groups = [_group(g, vs) for g, vs in table.group_versions().items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(table: ApiTable, name: str) -> dict | None:
    versions = table.group_versions().get(name)
    if not versions or not name:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def resource_list(table: ApiTable, group_name: str, version: str) -> dict | None:
    resources = table.in_group_version(group_name, version)
    if not resources:
        return None
    entries = []
    for r in resources:
        entries.append(r.discovery())
        if r.plural in _WITH_STATUS or (r in table.custom):
            entries.append({"name": f"{r.plural}/status", "singularName": "", "namespaced": r.namespaced,
                            "kind": r.kind, "verbs": ["get", "patch", "update"]})
        if r.plural in _SCALABLE:
            entries.append({"name": f"{r.plural}/scale", "singularName": "", "namespaced": r.namespaced,
                            "group": "autoscaling", "version": "v1", "kind": "Scale",
                            "verbs": ["get", "patch", "update"]})
    gv = f"{group_name}/{version}" if group_name else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": entries}


def _age(created: str | None, now: datetime) -> str:
    if not created:
        return "<unknown>"
    seconds = int((now - parse_time(created)).total_seconds())
    if seconds < 120:
        return f"{max(seconds, 0)}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _columns(res: Resource, obj: dict) -> list[tuple[str, str, object]]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if res.kind == "Deployment":
        return [("Ready", "string", f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"),
                ("Up-to-date", "integer", status.get("updatedReplicas", 0)),
                ("Available", "integer", status.get("availableReplicas", 0))]
    if res.kind == "StatefulSet":
        return [("Ready", "string", f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}")]
    if res.kind == "Pod":
        cs = status.get("containerStatuses") or []
        ready = sum(1 for c in cs if c.get("ready"))
        reason = status.get("phase", "Pending")
        for c in cs:
            waiting = (c.get("state") or {}).get("waiting")
            if waiting and reason != "Pending":
                reason = waiting.get("reason", reason)
            if (c.get("state") or {}).get("terminated") and reason == "Succeeded":
                reason = "Completed"
        if (obj.get("metadata") or {}).get("deletionTimestamp"):
            reason = "Terminating"  # as kubectl's printer says it
        return [("Ready", "string", f"{ready}/{len(cs)}"), ("Status", "string", reason),
                ("Restarts", "integer", sum(c.get("restartCount", 0) for c in cs))]
    if res.kind == "Service":
        ingress = ((status.get("loadBalancer") or {}).get("ingress") or [{}])[0].get("ip")
        ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or [])
        return [("Type", "string", spec.get("type", "ClusterIP")), ("Cluster-IP", "string", spec.get("clusterIP")),
                ("External-IP", "string", ingress or ("<pending>" if spec.get("type") == "LoadBalancer"
                                                      else "<none>")),
                ("Port(s)", "string", ports)]
    if res.kind == "CronJob":
        return [("Schedule", "string", spec.get("schedule")), ("Suspend", "boolean", spec.get("suspend", False)),
                ("Active", "integer", len(status.get("active") or []))]
    if res.kind == "Namespace":
        return [("Status", "string", status.get("phase", "Active"))]
    return []


def table(res: Resource, objects: list[dict], now: datetime, resource_version: str) -> dict:
    sample = _columns(res, objects[0]) if objects else _columns(res, {})
    defs = [{"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}]
    defs += [{"name": n, "type": t, "format": "", "description": n, "priority": 0} for n, t, _ in sample]
    defs.append({"name": "Age", "type": "string", "format": "", "description": "Age", "priority": 0})
    rows = []
    for obj in objects:
        cells = [obj["metadata"]["name"], *[v for _, _, v in _columns(res, obj)],
                 _age(obj["metadata"].get("creationTimestamp"), now)]
        rows.append({"cells": cells, "object": obj})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": defs, "rows": rows}
