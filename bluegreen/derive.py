"""Derivations more than one planner needs, so that no step imports another.

Pure functions of the playbook and the observation: what green receives, the
cluster body green is created from, what blue's archive holds, the CronJob
handoff in either direction. No I/O, no run record.
"""

from __future__ import annotations

from typing import Any

from bluegreen.actions import Action, RestoreCronJob, SuspendCronJob
from bluegreen.azure.aks_clone import green_cluster_body
from bluegreen.azure.dns import RecordSetInfo
from bluegreen.errors import GuardError
from bluegreen.json_copy import json_copy
from bluegreen.kinds import CRONJOB, MANAGED_BY_TAG, ORIGINAL_SUSPEND, group_kind, is_cronjob, runnable_rank
from bluegreen.kube.manifests import is_builtin, order_for_apply, order_for_delete
from bluegreen.kube.objects import name_of, namespace_of
from bluegreen.kube.sanitize import should_copy
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
    out = json_copy(obj)
    meta = out.setdefault("metadata", {})
    if out.get("kind") not in CLUSTER_SCOPED and not meta.get("namespace"):
        meta["namespace"] = default_namespace
    if is_cronjob(out):
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


def _crd_kind(crd: dict[str, Any]) -> tuple[str, str]:
    spec = crd.get("spec") or {}
    return str(spec.get("group") or ""), str((spec.get("names") or {}).get("kind") or "")


def green_serves(obs: Observed, group: str, kind: str) -> bool:
    """Whether green's discovery lists the kind (listed or deliberately skipped); False while green is unknown."""
    kinds = obs.green.kinds
    if not obs.green.reachable or kinds is None:
        return False
    return any(k.group == group and k.kind == kind for k in kinds.listed) or any(
        k.api_version.rpartition("/")[0] == group and k.kind == kind for k in kinds.skipped)


def crds_green_has(obs: Observed) -> list[dict[str, Any]]:
    """Blue's CRDs that are not copied because green already serves their kind (installed there some other way)."""
    if obs.source_kind != "live":
        return []
    return [o for o in obs.source_objects if o.get("kind") == "CustomResourceDefinition" and is_builtin(o)
            and green_serves(obs, *_crd_kind(o))]


def planned_objects(pb: Playbook, obs: Observed) -> list[dict[str, Any]]:
    default_ns = pb.workloads.namespaces[0]
    skipped = {object_key(o) for o in one_off_jobs(obs) + crds_green_has(obs)}
    return order_for_apply(
        [prepare_for_green(o, default_ns) for o in obs.source_objects if object_key(o) not in skipped]
    )


def green_cronjobs(pb: Playbook, obs: Observed) -> list[dict[str, Any]]:
    """Green's CronJobs as they are, or (green not reachable yet) as redeploy will leave them."""
    if obs.green.reachable:
        return obs.green.objects
    return [prepare_for_green(o, pb.workloads.namespaces[0]) for o in obs.source_objects if is_cronjob(o)]


# -- what blue loses ---------------------------------------------------------------------------------------------
def archived_objects(obs: Observed) -> list[dict[str, Any]]:
    """Every object discovered in blue's namespaces except Pods that a controller owns (their owners are
    archived), and the CRDs of the custom resources among them, so the archive can be applied again."""
    return [o for o in obs.blue.objects
            if not (o.get("kind") == "Pod" and (o.get("metadata") or {}).get("ownerReferences"))] + list(obs.blue.crds)


def _recreated_by_cluster(obj: dict[str, Any]) -> bool:
    """What every namespace gets from the cluster itself (default ServiceAccount, root CA, tokens): deleting it
    is undone at once."""
    decision = should_copy({k: v for k, v in obj.items() if k != "metadata"} | {
        "metadata": {k: v for k, v in (obj.get("metadata") or {}).items() if k != "ownerReferences"}})
    return not decision and obj.get("kind") in ("ServiceAccount", "ConfigMap", "Secret")


def holds_data(obj: dict[str, Any]) -> bool:
    """A claim's volume holds data no manifest archive can keep: deleting it may delete the disk."""
    return group_kind(obj) == ("", "PersistentVolumeClaim")


def deleted_on_blue(obs: Observed, *, delete_volume_claims: bool = False) -> list[dict[str, Any]]:
    """Every object discovered in blue's namespaces, in deletion order: what can run first, timers first (CronJobs
    at whatever version blue serves them), then the rest.

    An owned object goes with its owner (the garbage collector), except CronJobs: a timer is never left to a
    later deletion. What is already being deleted, and what the cluster would recreate at once, is left alone.
    """

    def chosen(obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        if meta.get("deletionTimestamp") or _recreated_by_cluster(obj):
            return False
        if holds_data(obj) and not delete_volume_claims:
            return False
        return is_cronjob(obj) or not meta.get("ownerReferences")

    picked = [o for o in obs.blue.objects if chosen(o)]
    runnable = sorted((o for o in picked if runnable_rank(o) is not None), key=lambda o: runnable_rank(o) or 0)
    return runnable + order_for_delete([o for o in picked if runnable_rank(o) is None])


def runnable_on_blue(obs: Observed) -> list[dict[str, Any]]:
    """What can run on blue (timers first), as decommission deletes it."""
    return [o for o in deleted_on_blue(obs) if runnable_rank(o) is not None]


# -- schedulers bluegreen cannot hand over --------------------------------------------------------------------
def unmanaged_schedulers(pb: Playbook, obs: Observed) -> list[tuple[str, bool]]:
    """What could start pods on blue on a schedule after the switch, that the CronJob handoff cannot stop: a custom
    resource owning CronJobs or Jobs (its operator recreates or resumes them), or CronJobs bluegreen cannot read.
    Each as (message, accepted by `switch.accept_unmanaged_schedulers`)."""
    accepted = set(pb.switch.accept_unmanaged_schedulers)
    out: list[tuple[str, bool]] = []
    owners: dict[tuple[str, str], set[str]] = {}
    owned: dict[tuple[str, str], list[str]] = {}
    for obj in obs.blue.objects:
        if group_kind(obj) not in (CRONJOB, ("batch", "Job")):
            continue
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
            ref_obj = {"apiVersion": ref.get("apiVersion") or "", "kind": ref.get("kind")}
            if is_builtin(ref_obj):
                continue
            key = (str(ref_obj["apiVersion"]).rpartition("/")[0], str(ref.get("kind")))
            owners.setdefault(key, set()).add(f"{namespace_of(obj)}/{ref.get('name')}")
            owned.setdefault(key, []).append(f"{obj.get('kind')} {namespace_of(obj)}/{name_of(obj)}")
    for (group, kind), names in sorted(owners.items()):
        ok = f"{group}/{kind}" in accepted or names <= accepted
        out.append((f"{kind} ({group}) {', '.join(sorted(names))} owns {', '.join(sorted(owned[(group, kind)]))}: "
                    "its operator can create or resume them on blue after the switch, and bluegreen cannot hand "
                    f"it over; remove it from blue, or accept it in switch.accept_unmanaged_schedulers "
                    f"(\"{group}/{kind}\")", ok))
    for what, error in sorted(obs.blue.unreadable.items()):
        api_version, _, kind = what.partition(" ")
        if (api_version.rpartition("/")[0], kind) == CRONJOB:
            out.append((f"cannot read blue's {api_version} CronJobs ({error}): they cannot be suspended; grant "
                        "bluegreen list/patch on them, or accept it in switch.accept_unmanaged_schedulers "
                        "(\"batch/CronJob\")", "batch/CronJob" in accepted))
    return out


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
    source_versions = {(namespace_of(o), name_of(o)): str(o.get("apiVersion") or "batch/v1")
                       for o in source if is_cronjob(o)}
    for cj in (o for o in source if is_cronjob(o) and _active(o)):
        key = f"{namespace_of(cj)}/{name_of(cj)}"
        actions.append(Action(id=f"{step}/suspend/{source_name}/{key}",
                              params=SuspendCronJob(source_name, namespace_of(cj) or "", name_of(cj),
                                                    api_version=str(cj.get("apiVersion") or "batch/v1")),
                              before={"suspend": False}, after={"suspend": True}))
    for cj in (o for o in target if is_cronjob(o)):
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
                                                    carry_from=None if wanted else source_name,
                                                    api_version=str(cj.get("apiVersion") or "batch/v1"),
                                                    carry_api_version=source_versions.get(
                                                        (namespace_of(cj), name_of(cj)), "batch/v1")),
                              before={"suspend": current}, after={"suspend": wanted}))
    return actions
