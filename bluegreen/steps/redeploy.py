"""Redeploy: put blue's workloads (or the manifests) on green, CronJobs suspended.

A CronJob must never be active on both clusters: on green it is created
suspended and remembers its original `suspend` in an annotation, which the
switch step restores. Objects go on with server-side apply (field manager
`bluegreen`), so a resumed redeploy re-applies harmlessly. The step's basis is
the source's content: when blue or the manifests change, everything is applied
again, and a redeploy already done runs again as long as the switch has not begun.
"""

from __future__ import annotations

from typing import Any

from bluegreen.actions import Action, Apply, AwaitIngress, CheckSuspended, EnsureNamespace, Sealed
from bluegreen.derive import crds_green_has, one_off_jobs, planned_objects, unmanaged_schedulers
from bluegreen.kinds import ORIGINAL_SUSPEND, is_cronjob
from bluegreen.kube.objects import name_of, namespace_of
from bluegreen.kube.sanitize import should_copy
from bluegreen.observe import Observed, object_key, source_digest
from bluegreen.plan import Check, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord
from bluegreen.traffic import ttl


def _after(obj: dict[str, Any]) -> dict[str, Any]:
    """What the plan shows of an object: never Secret values."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Secret":
        keys = sorted(set(obj.get("data") or {}) | set(obj.get("stringData") or {}))
        return {"type": obj.get("type", "Opaque"), "keys": keys, "values": "(redacted)"}
    if kind == "ConfigMap":
        return {"keys": sorted(obj.get("data") or {})}
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
        return {"replicas": spec.get("replicas", 1) if kind != "DaemonSet" else "per node",
                "images": [c.get("image") for c in containers]}
    if is_cronjob(obj):
        return {"schedule": spec.get("schedule"), "suspend": True,
                "original_suspend": (obj["metadata"].get("annotations") or {}).get(ORIGINAL_SUSPEND)}
    if kind == "Service":
        return {"type": spec.get("type", "ClusterIP"), "ports": [p.get("port") for p in spec.get("ports") or []]}
    return {"apiVersion": obj.get("apiVersion")}


def plan_redeploy(pb: Playbook, obs: Observed, record: RunRecord | None = None) -> StepPlan:
    checks: list[Check] = [Check("source", False, p) for p in obs.source_problems]
    if obs.source_kind == "live" and obs.blue.reachable:
        # Copied to green, such a scheduler's operator there would start its timers while blue's still run.
        checks.extend(Check("schedulers bluegreen cannot hand over", False, message)
                      for message, accepted in unmanaged_schedulers(pb, obs) if not accepted)
    objects = planned_objects(pb, obs)
    on_green = {object_key(o) for o in obs.green.objects}
    namespaces = sorted(set(pb.workloads.namespaces) | {ns for o in objects if (ns := namespace_of(o))})
    actions = [
        Action(id=f"redeploy/namespace/{ns}", params=EnsureNamespace("green", ns), eta_seconds=1)
        for ns in namespaces
        if not any(o.get("kind") == "Namespace" and name_of(o) == ns for o in obs.green.objects)
    ]
    converted = {f"{c.namespace or '-'}/{c.kind}/{c.name}": c.from_version for c in obs.conversions}
    for obj in objects:
        key = object_key(obj)
        exists = key in on_green
        after = _after(obj)
        if key in converted:
            after = {**after, "converted_from": converted[key], "apiVersion": obj.get("apiVersion")}
        actions.append(Action(
            id=f"redeploy/apply/{key}",
            params=Apply("green", str(obj.get("kind")), namespace_of(obj), name_of(obj), exists, Sealed(obj)),
            before="exists on green" if exists else None,
            after=after,
            eta_seconds=1,
        ))
    cronjob_version = next((str(o.get("apiVersion")) for o in objects if is_cronjob(o)), "batch/v1")
    actions.append(Action(id="redeploy/cronjobs-suspended", params=CheckSuspended("green", tuple(namespaces), cronjob_version),
                          eta_seconds=1))
    actions.append(Action(id="redeploy/ingress", params=AwaitIngress("green", pb.ingress.namespace,
                                                                     pb.ingress.service), eta_seconds=30))
    actions.extend(ttl.lower(pb, obs, record, "redeploy"))  # well ahead of the switch
    waits = (f"LoadBalancer IP of {pb.ingress.namespace}/{pb.ingress.service} on green",)
    notes: tuple[str, ...] = (f"{len(objects)} objects from {obs.source_kind} ({', '.join(pb.workloads.namespaces)}); "
             "CronJobs stay suspended on green until the switch",)
    notes += tuple(f"Job {namespace_of(j)}/{name_of(j)} is not copied: it already ran on blue; "
                   "apply it to green yourself if green needs it" for j in one_off_jobs(obs))
    notes += _discovery_notes(obs)
    # After the switch, applying again would suspend green's CronJobs again.
    switch_begun = record is not None and bool(record.finished("switch"))
    return StepPlan(name="redeploy", actions=tuple(actions), checks=tuple(checks), notes=notes, waits=waits,
                    basis=source_digest(obs), may_rerun=not switch_begun, resets=("smoke",))


def _discovery_notes(obs: Observed) -> tuple[str, ...]:
    """What blue serves that is not copied, and why: kinds left out by rule, objects the target makes itself."""
    if obs.source_kind != "live" or not obs.blue.reachable:
        return ()
    notes: list[str] = []
    if obs.blue.kinds is not None:
        notes.extend(f"kind {k.api_version} {k.kind} is not copied, archived or deleted: {k.reason}"
                     for k in obs.blue.kinds.skipped)
    notes.extend(f"{c.message}: green gets it at the version it serves" for c in obs.conversions)
    notes.extend(f"CustomResourceDefinition {name_of(c)} is not copied: green already serves its kind"
                 for c in crds_green_has(obs))
    skipped: dict[str, list[str]] = {}
    for obj in obs.blue.objects:
        if obj.get("kind") == "Pod" and (obj.get("metadata") or {}).get("ownerReferences"):
            continue  # pods come with their owners; too many to name
        decision = should_copy(obj)
        if not decision:
            skipped.setdefault(decision.reason, []).append(f"{obj.get('kind')} {namespace_of(obj)}/{name_of(obj)}")
    notes.extend(f"not copied ({reason}): {', '.join(sorted(names))}" for reason, names in sorted(skipped.items()))
    notes.extend(f"cannot list {what} on blue ({error}): its objects are not copied"
                 for what, error in sorted(obs.blue.unreadable.items()))
    return tuple(notes)
