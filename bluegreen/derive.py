"""Derivations more than one planner needs, so that no step imports another.

Pure functions of the playbook and the observation: what green receives, the
cluster body green is created from, what blue's archive holds, the CronJob
handoff in either direction. No I/O, no run record.
"""

from __future__ import annotations

import copy
from typing import Any

from bluegreen.actions import Action, RestoreCronJob, SuspendCronJob
from bluegreen.azure.aks_clone import green_cluster_body
from bluegreen.azure.dns import RecordSetInfo
from bluegreen.errors import GuardError
from bluegreen.kinds import MANAGED_BY_TAG, ORIGINAL_SUSPEND, RUNNABLE_KINDS
from bluegreen.kube.manifests import order_for_apply, order_for_delete
from bluegreen.kube.objects import name_of, namespace_of
from bluegreen.observe import Observed, object_key
from bluegreen.playbook import NodePoolOverride, Playbook

CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "StorageClass", "PersistentVolume", "ClusterRole",
                  "ClusterRoleBinding", "PriorityClass", "IngressClass"}


# -- the DNS record --------------------------------------------------------------------------------------------
def record_label(pb: Playbook) -> str:
    return f"{pb.switch.record}.{pb.switch.zone} {pb.switch.record_type}"


def record_before(record: RecordSetInfo) -> dict[str, Any]:
    return {"values": list(record.values), "ttl": record.ttl, "etag": record.etag,
            "last_modified_by": record.last_modified_by}


# -- green's cluster ---------------------------------------------------------------------------------------------
def resolve_target_version(pb: Playbook, obs: Observed) -> str | None:
    """The newest GA patch offered for the playbook's target ("1.31" -> "1.31.2"), or None."""
    wanted = pb.green.kubernetes_version
    for v in obs.versions:
        if v.is_preview:
            continue
        patches = sorted(v.patch_versions, key=lambda p: tuple(int(x) for x in p.split(".")))
        if wanted.count(".") == 2 and wanted in patches:
            return wanted
        if wanted.count(".") == 1 and v.version == wanted and patches:
            return patches[-1]
    return None


def green_tags(pb: Playbook) -> dict[str, str]:
    return {MANAGED_BY_TAG: pb.name, "bluegreen-role": "green", "bluegreen-blue": pb.blue.name, **pb.green.tags}


def pool_override_wire(override: NodePoolOverride) -> dict[str, Any]:
    """The playbook's pool override in ARM's wire form (agentPoolProfiles[] field names)."""
    wire: dict[str, Any] = {}
    if override.count is not None:
        wire["count"] = override.count
    if override.vm_size:
        wire["vmSize"] = override.vm_size
    if override.max_pods:
        wire["maxPods"] = override.max_pods
    if override.max_surge:
        wire["upgradeSettings"] = {"maxSurge": override.max_surge}
    return wire


def green_body(pb: Playbook, obs: Observed) -> dict[str, Any]:
    if obs.blue.info is None:  # a typed refusal, not an assertion: the planner checks this first
        raise GuardError(f"blue cluster {pb.blue.name} does not exist: there is nothing to clone")
    target = resolve_target_version(pb, obs) or pb.green.kubernetes_version
    overrides = {name: pool_override_wire(o) for name, o in pb.green.node_pools.items()}
    return green_cluster_body(
        obs.blue.info.raw,
        name=pb.green.name,
        kubernetes_version=target,
        dns_prefix=pb.green.dns_prefix or pb.green.name,
        pool_overrides=overrides,
        subnet_id=pb.green.subnet_id,
        extra_tags=green_tags(pb),
    )


# -- what green receives -----------------------------------------------------------------------------------------
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


def one_off_jobs(obs: Observed) -> list[dict[str, Any]]:
    """Standalone Jobs seen on blue: they already ran there; copying them would run them again on green."""
    if obs.source_kind != "live":
        return []
    return [o for o in obs.source_objects if o.get("kind") == "Job"]


def planned_objects(pb: Playbook, obs: Observed) -> list[dict[str, Any]]:
    default_ns = pb.workloads.namespaces[0]
    skipped = {object_key(o) for o in one_off_jobs(obs)}
    return order_for_apply(
        [prepare_for_green(o, default_ns) for o in obs.source_objects if object_key(o) not in skipped]
    )


def green_cronjobs(pb: Playbook, obs: Observed) -> list[dict[str, Any]]:
    """Green's CronJobs as they are, or (green not reachable yet) as redeploy will leave them."""
    if obs.green.reachable:
        return obs.green.objects
    return [prepare_for_green(o, pb.workloads.namespaces[0]) for o in obs.source_objects
            if o.get("kind") == "CronJob"]


# -- what blue loses ---------------------------------------------------------------------------------------------
def archived_objects(obs: Observed) -> list[dict[str, Any]]:
    """Every object of blue's namespaces except Pods that a controller owns (their owners are archived)."""
    return [o for o in obs.blue.objects
            if not (o.get("kind") == "Pod" and (o.get("metadata") or {}).get("ownerReferences"))]


def runnable_on_blue(obs: Observed) -> list[dict[str, Any]]:
    """What can run on blue, in deletion order (timers first); owned objects go with their owners."""
    kinds = {k for _, k in RUNNABLE_KINDS}
    owned_by_runnable = {"ReplicaSet", "Job", "Pod"}
    out = []
    for obj in obs.blue.objects:
        if obj.get("kind") not in kinds:
            continue
        owners = (obj.get("metadata") or {}).get("ownerReferences") or []
        if obj.get("kind") in owned_by_runnable and owners:
            continue
        out.append(obj)
    return order_for_delete(out)


# -- the CronJob handoff -----------------------------------------------------------------------------------------
def _active(obj: dict[str, Any]) -> bool:
    return not (obj.get("spec") or {}).get("suspend")


def _original(obj: dict[str, Any]) -> str | None:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(ORIGINAL_SUSPEND)


def handoff_actions(step: str, source: list[dict[str, Any]], target: list[dict[str, Any]],
                    source_name: str, target_name: str) -> list[Action]:
    """Suspend every active CronJob on `source`, then restore `target`'s original values.

    A CronJob that resumes first takes over `source`'s lastScheduleTime, so the run `source` already made
    is not started again.
    """
    actions = []
    for cj in (o for o in source if o.get("kind") == "CronJob" and _active(o)):
        key = f"{namespace_of(cj)}/{name_of(cj)}"
        actions.append(Action(id=f"{step}/suspend/{source_name}/{key}",
                              params=SuspendCronJob(source_name, namespace_of(cj) or "", name_of(cj)),
                              before={"suspend": False}, after={"suspend": True}))
    for cj in (o for o in target if o.get("kind") == "CronJob"):
        original = _original(cj)
        if original is None:
            continue
        wanted = original == "true"
        current = bool((cj.get("spec") or {}).get("suspend"))
        if current == wanted:
            continue
        key = f"{namespace_of(cj)}/{name_of(cj)}"
        actions.append(Action(id=f"{step}/restore/{target_name}/{key}",
                              params=RestoreCronJob(target_name, namespace_of(cj) or "", name_of(cj), wanted,
                                                    carry_from=None if wanted else source_name),
                              before={"suspend": current}, after={"suspend": wanted}))
    return actions
