"""Decommission: retire blue so that nothing on it can ever run again.

Order matters (field notes §2, the zombie timer): archive every object first,
then suspend and delete CronJobs, delete Jobs and workloads, wait until no
application pod is left, and only then tag and stop or delete the cluster. A
stopped cluster that somebody restarts comes back empty.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bluegreen.archive import write_archive
from bluegreen.azure.aks import ManagedClusterInfo
from bluegreen.context import StepContext
from bluegreen.errors import GuardError
from bluegreen.events import ACTION_FINISHED, ACTION_STARTED, WAITING
from bluegreen.kube.client import KubeClient
from bluegreen.kube.manifests import order_for_delete
from bluegreen.kube.objects import name_of, namespace_of
from bluegreen.kube.wait import NotYet, wait_until
from bluegreen.observe import Observed, object_key
from bluegreen.plan import Action, Check, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.steps.kinds import RUNNABLE_KINDS
from bluegreen.steps.switch import record_label

STOP_ETA, DELETE_ETA = 180.0, 300.0


def archived_objects(obs: Observed) -> list[dict]:
    """Every object of blue's namespaces except Pods that a controller owns (their owners are archived)."""
    return [o for o in obs.blue.objects
            if not (o.get("kind") == "Pod" and (o.get("metadata") or {}).get("ownerReferences"))]


def _runnable(obs: Observed) -> list[dict]:
    kinds = {k for _, k in RUNNABLE_KINDS}
    owned_by_runnable = {"ReplicaSet", "Job", "Pod"}
    out = []
    for obj in obs.blue.objects:
        if obj.get("kind") not in kinds:
            continue
        owners = (obj.get("metadata") or {}).get("ownerReferences") or []
        if obj.get("kind") in owned_by_runnable and owners:
            continue  # goes with its owner
        out.append(obj)
    return order_for_delete(out)


def plan_decommission(pb: Playbook, obs: Observed, drained: bool = False) -> StepPlan:
    """`drained`: the journal says blue's workloads were already removed (resume after a stop)."""
    checks: list[Check] = []
    actions: list[Action] = []
    blue = obs.blue.info
    green_value = pb.switch.green_value or obs.green_value
    blue_value = pb.switch.blue_value or obs.blue_value
    if obs.record is not None:
        values = list(obs.record.values)
        if blue_value and blue_value in values:
            checks.append(Check("record no longer points at blue", False,
                                f"{record_label(pb)} still points at blue ({blue_value}); switch first"))
        elif green_value and values != [green_value]:
            checks.append(Check("record points at green", False,
                                f"{record_label(pb)} holds {', '.join(values)}, not green's {green_value}"))
    elif obs.blue.exists:
        checks.append(Check("record", False, f"{record_label(pb)} not found; cannot prove traffic left blue"))
    if blue is None:
        return StepPlan(name="decommission", checks=tuple(checks), notes=("blue is already gone",))
    if obs.blue.reachable:
        actions.append(Action(
            id="decommission/archive", kind="archive", target=f"{len(archived_objects(obs))} objects on blue",
            summary=f"archive {len(archived_objects(obs))} objects of {', '.join(pb.workloads.namespaces)} "
                    f"to {pb.decommission.archive_dir}/ (mode 0600)",
            after={"objects": len(archived_objects(obs)),
                   "secrets": sum(1 for o in obs.blue.objects if o.get("kind") == "Secret")},
            eta_seconds=2,
        ))
        for cj in (o for o in obs.blue.objects if o.get("kind") == "CronJob"):
            if not (cj.get("spec") or {}).get("suspend"):
                key = f"{namespace_of(cj)}/{name_of(cj)}"
                actions.append(Action(id=f"decommission/suspend/{key}", kind="suspend_cronjob",
                                      target=f"CronJob {key}", summary=f"suspend CronJob {key} on blue",
                                      before={"suspend": False}, after={"suspend": True},
                                      params={"cluster": "blue", "namespace": namespace_of(cj), "name": name_of(cj)}))
        for obj in _runnable(obs):
            key = object_key(obj)
            actions.append(Action(id=f"decommission/delete/{key}", kind="delete",
                                  target=f"{obj.get('kind')} {namespace_of(obj)}/{name_of(obj)}",
                                  summary=f"delete {obj.get('kind')} {namespace_of(obj)}/{name_of(obj)} on blue",
                                  before="exists", after=None, eta_seconds=1,
                                  params={"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                                          "namespace": namespace_of(obj), "name": name_of(obj)}))
        actions.append(Action(id="decommission/drain", kind="wait_no_pods",
                              target=f"pods in {', '.join(pb.workloads.namespaces)}",
                              summary="wait until no application pod is left on blue",
                              eta_seconds=60))
    elif drained:
        pass  # resumed after the workloads were removed (e.g. killed while blue was stopping)
    elif obs.blue.running and blue.provisioning_state == "Succeeded":
        checks.append(Check("blue reachable", False, f"cannot reach blue's API server: {obs.blue.unreachable_reason}"))
    else:
        checks.append(Check("blue's workloads removed", False,
                            f"blue is {blue.power_state} but bluegreen never removed its workloads: a restart "
                            "would bring them back. Start it (az aks start) and run decommission again"))
    mode = pb.decommission.mode
    final_state = "Stopped" if mode == "stop" else "(deleted)"
    if blue.power_state != "Stopped":
        actions.append(Action(id="decommission/tag", kind="tag_cluster", target=f"managedClusters/{blue.name}",
                              summary=f"tag {blue.name} with when and why it was retired",
                              after={"bluegreen-retired-by": pb.name}, eta_seconds=30))
    if blue.power_state != "Stopped" or mode == "delete":
        actions.append(Action(
            id=f"decommission/{mode}", kind=f"{mode}_cluster", target=f"managedClusters/{blue.name}",
            summary=f"{mode} blue cluster {blue.name}", before={"powerState": blue.power_state},
            after={"powerState": final_state}, eta_seconds=STOP_ETA if mode == "stop" else DELETE_ETA,
        ))
    checks.extend(_unmanaged_timer_checks(pb, obs))
    waits: tuple[str, ...] = ()
    if pb.decommission.wait_for_ttl and obs.record is not None:
        waits = (f"one record TTL ({obs.record.ttl}s) after the switch before touching blue",)
    return StepPlan(name="decommission", actions=tuple(actions), checks=tuple(checks), waits=waits)


def _unmanaged_timer_checks(pb: Playbook, obs: Observed) -> list[Check]:
    """Active CronJobs bluegreen does not manage stay on a stopped blue: the zombie timers of field notes §2."""
    if not obs.blue.reachable:
        return []
    accepted = pb.decommission.accept_unmanaged_cronjobs
    if obs.blue.other_cronjobs is None:
        return [Check("timers outside the playbook", pb.decommission.mode == "delete",
                      f"cannot list blue's CronJobs outside the playbook's namespaces ({obs.blue.other_cronjobs_error})"
                      + ("" if pb.decommission.mode == "delete" else "; with mode stop they could run again if blue "
                         "is started: use mode delete, or set decommission.accept_unmanaged_cronjobs"),
                      severity="error" if pb.decommission.mode == "stop" and not accepted else "warning")]
    if not obs.blue.other_cronjobs:
        return []
    others = ", ".join(obs.blue.other_cronjobs)
    if pb.decommission.mode == "delete":
        return [Check("timers outside the playbook", True, f"active CronJobs outside the playbook ({others}) go "
                      "with the cluster")]
    return [Check("timers outside the playbook", False,
                  f"blue also runs CronJobs bluegreen does not manage ({others}); a stopped blue that is started "
                  "again runs them: use mode delete, remove them first, or set "
                  "decommission.accept_unmanaged_cronjobs", severity="warning" if accepted else "error")]


def _wait_ttl(ctx: StepContext, obs: Observed) -> None:
    """Clients may cache the record's old value for one TTL: blue keeps serving until that has passed."""
    if not ctx.pb.decommission.wait_for_ttl:
        return
    switched = ctx.journal.facts.get("switched_at")
    ttl = ctx.journal.facts.get("record_ttl") or (obs.record.ttl if obs.record else None)
    if not ttl:
        return
    # Without a journaled switch time (switched by hand, or a lost journal write), count from now.
    start = datetime.fromisoformat(switched) if switched else ctx.clock.now()
    remaining = (start + timedelta(seconds=int(ttl)) - ctx.clock.now()).total_seconds()
    if remaining > 0:
        ctx.emit(WAITING, f"waiting {remaining:.0f}s for the record's TTL to pass since the switch",
                 "decommission", seconds=remaining)
        ctx.clock.sleep(remaining)


def _guard_traffic_left_blue(ctx: StepContext, blue_value: str | None, green_value: str | None) -> None:
    """Read the record again right before touching blue: somebody may have pointed it back meanwhile."""
    pb = ctx.pb
    record = ctx.dns.get(pb.zone_rg, pb.switch.zone, pb.switch.record, pb.switch.record_type)
    if record is None:
        raise GuardError(f"{record_label(pb)} is gone; not touching blue while that is unexplained")
    values = list(record.values)
    if blue_value and blue_value in values:
        raise GuardError(f"{record_label(pb)} points at blue ({blue_value}) again; not touching blue")
    if green_value and values != [green_value]:
        raise GuardError(f"{record_label(pb)} holds {', '.join(values)}, not green's {green_value}; "
                         "not touching blue")


_DESTRUCTIVE = ("suspend_cronjob", "delete", "tag_cluster", "stop_cluster", "delete_cluster")
BEGUN = "decommission/begun"


def run_decommission(ctx: StepContext, obs: Observed, plan: StepPlan) -> None:
    pb = ctx.pb
    if plan.blocking:
        raise GuardError("; ".join(c.detail for c in plan.blocking))
    blue = obs.blue.info
    if blue is None:
        return
    blue_value = pb.switch.blue_value or obs.blue_value
    green_value = pb.switch.green_value or obs.green_value
    _wait_ttl(ctx, obs)
    kube = ctx.kube(blue) if obs.blue.reachable else None
    guarded_at_last = False
    for action in plan.actions:
        if action.id in ctx.journal.actions:
            continue
        if action.kind in _DESTRUCTIVE and (not guarded_at_last or action.kind.endswith("_cluster")):
            _guard_traffic_left_blue(ctx, blue_value, green_value)
            guarded_at_last = True
            if BEGUN not in ctx.journal.actions:  # from here on, rollback is refused
                ctx.journal.actions[BEGUN] = ctx.clock.now().isoformat()
                ctx.save_journal()
        ctx.emit(ACTION_STARTED, action.summary, "decommission", action=action.id, eta_seconds=action.eta_seconds)
        if action.kind == "archive":
            _archive(ctx, blue, obs)
        elif action.kind == "suspend_cronjob":
            assert kube is not None
            kube.patch_merge("batch/v1", "CronJob", action.params["namespace"], action.params["name"],
                             {"spec": {"suspend": True}})
        elif action.kind == "delete":
            assert kube is not None
            p = action.params
            kube.delete(p["apiVersion"], p["kind"], p["namespace"], p["name"], propagation="Background")
        elif action.kind == "wait_no_pods":
            assert kube is not None
            _wait_no_pods(ctx, kube)
            guarded_at_last = False  # the drain took time: look at the record again before the cluster goes
        elif action.kind == "tag_cluster":
            tags = dict(blue.tags)
            tags.update({"bluegreen-retired-at": ctx.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "bluegreen-retired-by": pb.name,
                         "bluegreen-retired-why": f"replaced by {pb.green.name}; workloads removed"})
            ctx.aks.update_tags(pb.blue_rg, blue.name, tags)
        elif action.kind == "stop_cluster":
            current = _settled(ctx)
            if current is not None and current.power_state != "Stopped":
                ctx.aks.stop(pb.blue_rg, blue.name)
            ctx.forget_kube(blue)
        elif action.kind == "delete_cluster":
            if _settled(ctx) is not None:
                ctx.aks.delete(pb.blue_rg, blue.name)
            ctx.forget_kube(blue)
        ctx.journal.actions[action.id] = ctx.clock.now().isoformat()
        ctx.save_journal()
        ctx.emit(ACTION_FINISHED, action.summary, "decommission", action=action.id)


class _At:
    """A clock frozen at one instant, so the archive's path is known before it is written."""

    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def now(self) -> datetime:
        return self._moment

    def sleep(self, seconds: float) -> None:
        raise AssertionError("the archive does not wait")


def _archive(ctx: StepContext, blue: ManagedClusterInfo, obs: Observed) -> None:
    """Write the archive once: its path is journaled first, so a run killed mid-write adopts or redoes it."""
    directory = ctx.loaded.resolve(ctx.pb.decommission.archive_dir)
    facts = ctx.journal.facts
    if facts.get("archive_started"):
        moment = datetime.fromisoformat(facts["archive_started"])
        previous = directory / f"{blue.name}-{moment.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
        if (previous / "index.json").exists():
            facts["archive"] = str(previous)
            return
        if previous.exists():  # half-written before a crash: blue still has every object, so write anew
            previous.rename(previous.with_name(previous.name + f".partial-{ctx.clock.now():%H%M%S%f}"))
    moment = ctx.clock.now()
    facts["archive_started"] = moment.isoformat()
    ctx.save_journal()
    info = write_archive(directory, blue.name, archived_objects(obs), clock=_At(moment))
    facts["archive"] = str(info.path)
    facts["archived_objects"] = info.objects


_TRANSITIONS = ("Stopping", "Starting", "Deleting", "Updating", "Creating")
OPERATION_TIMEOUT = 3600.0


def _settled(ctx: StepContext) -> ManagedClusterInfo | None:
    """Blue once no operation is in flight on it (a resumed run may find its own stop still running)."""
    pb = ctx.pb
    absent = object()

    def settled() -> object:
        info = ctx.aks.get(pb.blue_rg, pb.blue.name)
        if info is not None and info.provisioning_state in _TRANSITIONS:
            raise NotYet(f"blue is {info.provisioning_state}")
        return absent if info is None else info

    result = wait_until(settled, clock=ctx.clock, timeout=OPERATION_TIMEOUT, interval=ctx.rt.poll_interval * 3,
                        describe="the operation in flight on blue")
    return None if result is absent else result  # type: ignore[return-value]


def _wait_no_pods(ctx: StepContext, kube: KubeClient) -> None:
    namespaces = ctx.pb.workloads.namespaces

    def drained() -> bool:
        left: list[str] = []
        for ns in namespaces:
            left.extend(f"{ns}/{name_of(p)}" for p in kube.list("v1", "Pod", ns))
        if left:
            raise NotYet(f"{len(left)} pods left: {', '.join(left[:5])}")
        return True

    ctx.emit(WAITING, "waiting until no application pod is left on blue", "decommission")
    wait_until(drained, clock=ctx.clock, timeout=ctx.pb.decommission.drain_timeout,
               interval=ctx.rt.poll_interval, describe="blue's application pods to be gone")
