"""Redeploy: put blue's workloads (or the manifests) on green, CronJobs suspended.

A CronJob must never be active on both clusters: on green it is created
suspended and remembers its original `suspend` in an annotation, which the
switch step restores. Objects go on with server-side apply (field manager
`bluegreen`), so a resumed redeploy re-applies harmlessly.
"""

from __future__ import annotations

import copy
from typing import Any

from bluegreen.context import StepContext
from bluegreen.errors import GuardError
from bluegreen.events import ACTION_FINISHED, ACTION_STARTED, WAITING
from bluegreen.kube.manifests import order_for_apply
from bluegreen.kube.objects import name_of, namespace_of
from bluegreen.kube.wait import NotYet, wait_until
from bluegreen.observe import Observed, object_key, source_digest
from bluegreen.plan import Action, Check, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.steps.kinds import ORIGINAL_SUSPEND

CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "StorageClass", "PersistentVolume", "ClusterRole",
                  "ClusterRoleBinding", "PriorityClass", "IngressClass"}


def prepare_for_green(obj: dict[str, Any], default_namespace: str) -> dict[str, Any]:
    """The object as green receives it: namespaced, CronJobs suspended with their original value kept."""
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    if out.get("kind") not in CLUSTER_SCOPED and not meta.get("namespace"):
        meta["namespace"] = default_namespace
    if out.get("kind") == "CronJob":
        spec = out.setdefault("spec", {})
        annotations = meta.setdefault("annotations", {}) or {}
        meta["annotations"] = annotations
        # The source's own spec is the truth: an annotation left by an earlier cutover may be stale.
        annotations[ORIGINAL_SUSPEND] = "true" if spec.get("suspend") else "false"
        spec["suspend"] = True
    return out


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
    if kind == "CronJob":
        return {"schedule": spec.get("schedule"), "suspend": True,
                "original_suspend": (obj["metadata"].get("annotations") or {}).get(ORIGINAL_SUSPEND)}
    if kind == "Service":
        return {"type": spec.get("type", "ClusterIP"), "ports": [p.get("port") for p in spec.get("ports") or []]}
    return {"apiVersion": obj.get("apiVersion")}


def _one_off_jobs(obs: Observed) -> list[dict[str, Any]]:
    """Standalone Jobs seen on blue: they already ran there; copying them would run them again on green."""
    if obs.source_kind != "live":
        return []
    return [o for o in obs.source_objects if o.get("kind") == "Job"]


def planned_objects(pb: Playbook, obs: Observed) -> list[dict[str, Any]]:
    default_ns = pb.workloads.namespaces[0]
    skipped = {object_key(o) for o in _one_off_jobs(obs)}
    return order_for_apply(
        [prepare_for_green(o, default_ns) for o in obs.source_objects if object_key(o) not in skipped]
    )


def plan_redeploy(pb: Playbook, obs: Observed) -> StepPlan:
    checks: list[Check] = [Check("source", False, p) for p in obs.source_problems]
    objects = planned_objects(pb, obs)
    on_green = {object_key(o) for o in obs.green.objects}
    namespaces = sorted(set(pb.workloads.namespaces) | {ns for o in objects if (ns := namespace_of(o))})
    actions = [
        Action(id=f"redeploy/namespace/{ns}", kind="ensure_namespace", target=f"Namespace {ns}",
               summary=f"ensure namespace {ns} on green", eta_seconds=1)
        for ns in namespaces
        if not any(o.get("kind") == "Namespace" and name_of(o) == ns for o in obs.green.objects)
    ]
    for obj in objects:
        key = object_key(obj)
        exists = key in on_green
        actions.append(Action(
            id=f"redeploy/apply/{key}",
            kind="apply",
            target=f"{obj.get('kind')} {namespace_of(obj) or ''}/{name_of(obj)}".replace(" /", " "),
            summary=("update" if exists else "create") + f" {obj.get('kind')} {key.split('/', 1)[0]}/{name_of(obj)}",
            before="exists on green" if exists else None,
            after=_after(obj),
            eta_seconds=1,
            params={"key": key},
        ))
    waits = (f"LoadBalancer IP of {pb.ingress.namespace}/{pb.ingress.service} on green",)
    notes: tuple[str, ...] = (f"{len(objects)} objects from {obs.source_kind} ({', '.join(pb.workloads.namespaces)}); "
             "CronJobs stay suspended on green until the switch",)
    notes += tuple(f"Job {namespace_of(j)}/{name_of(j)} is not copied: it already ran on blue; "
                   "apply it to green yourself if green needs it" for j in _one_off_jobs(obs))
    return StepPlan(name="redeploy", actions=tuple(actions), checks=tuple(checks), notes=notes, waits=waits)


def run_redeploy(ctx: StepContext, obs: Observed, plan: StepPlan) -> None:
    if plan.blocking:
        raise GuardError("; ".join(c.detail for c in plan.blocking))
    assert obs.green.info is not None, "provision runs before redeploy"
    kube = ctx.kube(obs.green.info)
    digest = source_digest(obs)
    if ctx.journal.facts.get("redeploy_source") != digest:
        # Applied from another version of the source (resumed after blue changed): apply everything again.
        ctx.journal.actions = {k: v for k, v in ctx.journal.actions.items() if not k.startswith("redeploy/")}
        ctx.journal.facts["redeploy_source"] = digest
        ctx.save_journal()
    by_key = {object_key(o): o for o in planned_objects(ctx.pb, obs)}
    for action in plan.actions:
        if action.id in ctx.journal.actions:
            continue
        ctx.emit(ACTION_STARTED, action.summary, "redeploy", action=action.id)
        if action.kind == "ensure_namespace":
            kube.ensure_namespace(action.target.split(" ", 1)[1])
        else:
            kube.apply(by_key[action.params["key"]], field_manager="bluegreen", force=True)
        ctx.journal.actions[action.id] = ctx.clock.now().isoformat()
        ctx.save_journal()
        ctx.emit(ACTION_FINISHED, action.summary, "redeploy", action=action.id)
    ns, svc = ctx.pb.ingress.namespace, ctx.pb.ingress.service
    ctx.emit(WAITING, f"waiting for a LoadBalancer IP on {ns}/{svc}", "redeploy")

    def ingress_ip() -> str:
        ip = kube.load_balancer_ip(ns, svc)
        if not ip:
            raise NotYet(f"Service {ns}/{svc} has no LoadBalancer IP yet")
        return ip

    ip = wait_until(ingress_ip, clock=ctx.clock, timeout=600, interval=ctx.rt.poll_interval,
                    describe=f"green's ingress {ns}/{svc}")
    ctx.journal.facts["green_ingress_ip"] = ip
