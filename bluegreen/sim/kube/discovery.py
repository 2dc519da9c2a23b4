"""Discovery documents (/version, /api, /apis, /apis/<g>/<v>), aggregated discovery, and Table rendering for kubectl.

Aggregated discovery (KEP-3352) answers /api and /apis with every group, version and resource in one
APIGroupDiscoveryList when the Accept header asks for it. It is derived from the legacy APIResourceLists,
as kube-apiserver derives it (ConvertGroupVersionIntoToDiscovery), so both shapes always agree.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from .api import ApiError
from .apis import ApiTable, Resource
from .controllers import parse_time

AGGREGATED_GROUP = "apidiscovery.k8s.io"
AGGREGATED_KIND = "APIGroupDiscoveryList"

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


def aggregated_versions(minor: int) -> tuple[str, ...]:
    """The apidiscovery.k8s.io versions a release serves at /api and /apis, by its default feature gates.

    AggregatedDiscoveryEndpoint: alpha and off in 1.26, beta and on (v2beta1) from 1.27, GA with v2 from 1.30;
    AggregatedDiscoveryRemoveBetaType, on from 1.33, stops serving v2beta1.
    """
    if minor < 27:
        return ()
    if minor < 30:
        return ("v2beta1",)
    if minor < 33:
        return ("v2", "v2beta1")
    return ("v2",)


@dataclass
class _Clause:
    type: str
    subtype: str
    q: float = 1.0
    params: dict[str, str] = field(default_factory=dict)


def _parse_accept(header: str) -> list[_Clause]:
    """Accept clauses by q-value, then concrete before wildcard, else in order (goautoneg.ParseAccept)."""
    clauses = []
    for part in header.split(","):
        media, *params = part.strip().split(";")
        kind = [p.strip() for p in media.split("/")]
        if len(kind) == 1 and kind[0] == "*":
            kind.append("*")
        if len(kind) != 2:
            continue
        clause = _Clause(kind[0], kind[1])
        for param in params:
            key, sep, value = param.partition("=")
            if not sep:
                continue
            if key.strip() == "q":
                try:
                    clause.q = float(value)
                except ValueError:
                    clause.q = 0.0
            else:
                clause.params[key.strip()] = value.strip()
        clauses.append(clause)
    clauses.sort(key=lambda c: (-c.q, c.type == "*", c.subtype == "*"))
    return clauses


def _transform(clause: _Clause) -> tuple[str, str, str] | None:
    """The (group, version, kind) a clause asks the response to be converted to, if any."""
    p = clause.params
    if not {"g", "v", "as"} & p.keys():
        return None
    return p.get("g", ""), p.get("v", ""), p.get("as", "")


def _usable(clause: _Clause) -> bool:
    """JSON is what this server writes (the real one also writes YAML and protobuf); `sv` is never allowed."""
    return clause.type in ("application", "*") and clause.subtype in ("json", "*") and not clause.params.get("sv")


def negotiate(accept: str, minor: int, *, aggregated: bool) -> str | None:
    """The apidiscovery version to answer with (None: the plain document), or 406 when nothing is acceptable.

    As kube-apiserver: /api and /apis first look for the earliest clause (in q order) naming a served
    APIGroupDiscoveryList version; otherwise, like every other discovery document, they need a clause without
    a conversion. An empty Accept means JSON.
    """
    if not accept:
        return None
    clauses = [c for c in _parse_accept(accept) if _usable(c)]
    if aggregated:
        served = aggregated_versions(minor)
        for clause in clauses:
            target = _transform(clause)
            if target is not None and target[0] == AGGREGATED_GROUP and target[2] == AGGREGATED_KIND \
                    and target[1] in served:
                return target[1]
    if any(_transform(c) is None for c in clauses):
        return None
    raise ApiError(406, "NotAcceptable", "only the following media types are accepted: application/json")


def aggregated_resources(resource_list_doc: dict) -> list[dict]:
    """An APIResourceList's entries as APIResourceDiscovery: subresources folded into their parents."""
    out: list[dict] = []
    parents: dict[str, dict] = {}
    for r in resource_list_doc["resources"]:
        if "/" in r["name"]:
            continue
        entry: dict = {"resource": r["name"], "responseKind": _kind(r),
                       "scope": "Namespaced" if r["namespaced"] else "Cluster",
                       "singularResource": r.get("singularName", ""), "verbs": list(r["verbs"])}
        for key in ("shortNames", "categories"):
            if r.get(key):
                entry[key] = list(r[key])
        out.append(entry)
        parents[r["name"]] = entry
    for r in resource_list_doc["resources"]:
        parent, slash, sub = r["name"].partition("/")
        if not slash:
            continue
        if parent not in parents:
            parents[parent] = {"resource": parent, "responseKind": {"group": "", "version": "", "kind": ""},
                               "scope": "Namespaced" if r["namespaced"] else "Cluster", "singularResource": "",
                               "verbs": []}
            out.append(parents[parent])
        parents[parent].setdefault("subresources", []).append(
            {"subresource": sub, "responseKind": _kind(r), "verbs": list(r["verbs"])})
    return out


def _kind(r: dict) -> dict:
    return {"group": r.get("group", ""), "version": r.get("version", ""), "kind": r.get("kind", "")}


def _group_discovery(table: ApiTable, name: str, versions: list[str]) -> dict:
    entries = []
    for version in versions:
        doc = resource_list(table, name, version)
        if doc is not None:
            entries.append({"version": version, "resources": aggregated_resources(doc), "freshness": "Current"})
    return {"metadata": {"name": name, "creationTimestamp": None}, "versions": entries}


def aggregated_response(table: ApiTable, version: str, *, core: bool) -> tuple[dict, dict[str, str]]:
    """The aggregated document and its headers, built once per set of served resources (shared: never change
    either): every client of a fleet reads discovery first."""

    def build() -> tuple[dict, dict[str, str]]:
        doc = aggregated(table, version, core=core)
        return doc, aggregated_headers(doc, version)

    found: tuple[dict, dict[str, str]] = table.derived(("aggregated", version, core), build)
    return found


def aggregated(table: ApiTable, version: str, *, core: bool) -> dict:
    """The APIGroupDiscoveryList of /api (core) or /apis: groups and versions in preference order."""
    if core:
        items = [_group_discovery(table, "", table.group_versions().get("", []))]
    else:
        items = [_group_discovery(table, g, vs) for g, vs in table.group_versions().items() if g]
    return {"kind": AGGREGATED_KIND, "apiVersion": f"{AGGREGATED_GROUP}/{version}", "metadata": {}, "items": items}


def aggregated_headers(doc: dict, version: str) -> dict[str, str]:
    """What kube-apiserver sends with the document: its media type with the conversion, and an ETag."""
    etag = hashlib.sha512(json.dumps(doc["items"], separators=(",", ":")).encode()).hexdigest().upper()
    return {"Content-Type": f"application/json;g={AGGREGATED_GROUP};v={version};as={AGGREGATED_KIND}",
            "ETag": f'"{etag}"', "Vary": "Accept", "Cache-Control": "public"}


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
