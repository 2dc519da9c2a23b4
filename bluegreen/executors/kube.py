"""Executors of the Kubernetes kinds: namespaces, apply, delete, CronJob handoff, waits on a cluster."""

from __future__ import annotations

from pathlib import Path

from bluegreen.actions import (
    Apply,
    AwaitIngress,
    CheckSuspended,
    Delete,
    EnsureNamespace,
    RestoreCronJob,
    SuspendCronJob,
    WaitNoPods,
)
from bluegreen.archive import NotArchivedError, verify_archived
from bluegreen.errors import PermanentRemoteError, StepFailedError
from bluegreen.events import WAITING
from bluegreen.executors.base import ExecEnv, Outcome, executes
from bluegreen.kinds import ORIGINAL_SUSPEND
from bluegreen.kube.client import KubeClient
from bluegreen.kube.manifests import is_builtin
from bluegreen.kube.objects import describe, name_of
from bluegreen.kube.wait import NotYet, wait_until


@executes(EnsureNamespace)
def ensure_namespace(p: EnsureNamespace, env: ExecEnv) -> Outcome:
    env.kube(p.cluster).ensure_namespace(p.namespace)
    return Outcome()


@executes(Apply)
def apply(p: Apply, env: ExecEnv) -> Outcome:
    if p.obj is None:
        raise ValueError("an object's body is not saved with a plan: apply a plan made now")
    kube, obj = env.kube(p.cluster), p.obj.value
    if not is_builtin(obj):
        # A CRD applied a moment ago is served once the API server has established it.
        def served() -> bool:
            try:
                kube.resource(str(obj.get("apiVersion")), str(obj.get("kind")))
            except PermanentRemoteError as exc:
                if exc.code != "NotServed":
                    raise
                raise NotYet(str(exc)) from None
            return True

        wait_until(served, clock=env.clock, timeout=120.0, interval=env.poll_interval,
                   describe=f"{p.cluster} to serve {obj.get('apiVersion')} {obj.get('kind')}")
    kube.apply(obj, field_manager="bluegreen", force=True)
    return Outcome()


@executes(AwaitIngress)
def await_ingress(p: AwaitIngress, env: ExecEnv) -> Outcome:
    kube = env.kube(p.cluster)
    env.report(WAITING, f"waiting for a LoadBalancer IP on {p.namespace}/{p.service}")

    def ingress_ip() -> str:
        ip = kube.load_balancer_ip(p.namespace, p.service)
        if not ip:
            raise NotYet(f"Service {p.namespace}/{p.service} has no LoadBalancer IP yet")
        return ip

    ip = wait_until(ingress_ip, clock=env.clock, timeout=p.timeout, interval=env.poll_interval,
                    describe=f"{p.cluster}'s ingress {p.namespace}/{p.service}")
    return Outcome({"green_ingress_ip": ip} if p.cluster == "green" else {}, f"{p.namespace}/{p.service} has {ip}")


@executes(CheckSuspended)
def check_suspended(p: CheckSuspended, env: ExecEnv) -> Outcome:
    """Read back what was applied: an admission webhook or a default may have un-suspended a CronJob."""
    kube = env.kube(p.cluster)
    active = sorted(f"{ns}/{name_of(cj)}" for ns in p.namespaces for cj in kube.list(p.api_version, "CronJob", ns)
                    if not (cj.get("spec") or {}).get("suspend"))
    if active:
        raise StepFailedError(f"CronJobs are active on {p.cluster} before the switch ({', '.join(active)}): they "
                              "would run on both clusters; find what un-suspends them, then run redeploy again")
    return Outcome()


@executes(SuspendCronJob)
def suspend_cronjob(p: SuspendCronJob, env: ExecEnv) -> Outcome:
    patch: dict = {"spec": {"suspend": True}}
    if p.keep_original:
        patch["metadata"] = {"annotations": {ORIGINAL_SUSPEND: "false"}}
    env.kube(p.cluster).patch_merge(p.api_version, "CronJob", p.namespace, p.name, patch)
    return Outcome()


@executes(RestoreCronJob)
def restore_cronjob(p: RestoreCronJob, env: ExecEnv) -> Outcome:
    """A resumed CronJob first takes over when the other cluster last ran it.

    It starts its most recent missed run at once, counted from its own status.lastScheduleTime; on the
    cluster that never ran it, that run is one the other cluster already made. Copying the other side's
    lastScheduleTime first means nothing runs twice.
    """
    kube = env.kube(p.cluster)
    if not p.suspend and p.carry_from:
        other = env.kube(p.carry_from).get(p.carry_api_version, "CronJob", p.namespace, p.name)
        last = ((other or {}).get("status") or {}).get("lastScheduleTime")
        if last:
            kube.patch_merge(p.api_version, "CronJob", p.namespace, p.name, {"status": {"lastScheduleTime": last}},
                             subresource="status")
    kube.patch_merge(p.api_version, "CronJob", p.namespace, p.name, {"spec": {"suspend": p.suspend}})
    return Outcome()


@executes(Delete)
def delete(p: Delete, env: ExecEnv) -> Outcome:
    """Nothing is deleted that this run did not archive: checked against the archive's index each time."""
    if p.archived:
        path = env.archive_path()
        if path is None:
            raise NotArchivedError(f"{p.kind} {p.namespace}/{p.name} is to be deleted, but this run has no archive "
                                   "yet; refusing to delete what was not archived")
        verify_archived(Path(path), env.run_id, [(p.kind, p.namespace, p.name, p.uid)])
    env.kube(p.cluster).delete(p.api_version, p.kind, p.namespace, p.name, propagation="Background")
    return Outcome()


@executes(WaitNoPods)
def wait_no_pods(p: WaitNoPods, env: ExecEnv) -> Outcome:
    kube = env.kube(p.cluster)

    def drained() -> bool:
        left: list[str] = []
        holders: list[str] = []
        for ns in p.namespaces:
            for pod in kube.list("v1", "Pod", ns):
                left.append(f"{ns}/{name_of(pod)}")
                holder = _held_by(kube, pod)
                if holder and holder not in holders:
                    holders.append(holder)
        if left:
            held = f"; {'; '.join(holders)}" if holders else ""
            raise NotYet(f"{len(left)} pods left: {', '.join(left[:5])}{held}")
        return True

    env.report(WAITING, f"waiting until no application pod is left on {p.cluster}")
    wait_until(drained, clock=env.clock, timeout=p.timeout, interval=env.poll_interval,
               describe=f"{p.cluster}'s application pods to be gone")
    return Outcome()


def _held_by(kube: KubeClient, pod: dict) -> str | None:
    """What keeps a pod from going: a finalizer on it, or on an owner that is being deleted but cannot go."""
    obj: dict | None = pod
    for _ in range(4):  # Pod -> ReplicaSet -> Deployment, and a little beyond
        if obj is None:
            return None
        meta = obj.get("metadata") or {}
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp") and finalizers:
            what = describe(str(obj.get("kind") or "Pod"), meta.get("namespace"), str(meta.get("name")))
            return f"{what} is being deleted but held by finalizer {', '.join(finalizers)}"
        ref = next((r for r in meta.get("ownerReferences") or [] if r.get("controller")), None)
        if ref is None:
            return None
        obj = kube.get(str(ref.get("apiVersion")), str(ref.get("kind")), meta.get("namespace"), str(ref.get("name")))
    return None
