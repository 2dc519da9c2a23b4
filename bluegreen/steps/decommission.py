"""Decommission: retire blue so that nothing on it can ever run again.

Order matters (field notes §2, the zombie timer): wait one record TTL, archive
every object, then suspend and delete CronJobs, delete Jobs and workloads, wait
until no application pod is left, and only then tag and stop or delete the
cluster. The record is read again before each destructive stretch. A stopped
cluster that somebody restarts comes back empty.
"""

from __future__ import annotations

from bluegreen.actions import (
    Action,
    Archive,
    BeginDecommission,
    ConfirmRecord,
    ConfirmTraffic,
    Delete,
    DeleteCluster,
    Sealed,
    StopCluster,
    SuspendCronJob,
    TagCluster,
    VerifyArchive,
    WaitNoPods,
    WaitTtl,
)
from bluegreen.derive import archived_objects, deleted_on_blue, holds_data, record_label
from bluegreen.kinds import is_cronjob
from bluegreen.kube.objects import name_of, namespace_of
from bluegreen.observe import Observed, object_key
from bluegreen.plan import Blocker, Check, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord
from bluegreen.traffic.ttl import restore as restore_ttl

STOP_ETA, DELETE_ETA = 180.0, 300.0


def _record_checks(pb: Playbook, obs: Observed) -> list[Check]:
    green_value = pb.switch.green_value or obs.green_value
    blue_value = pb.switch.blue_value or obs.blue_value
    if obs.record is not None:
        values = list(obs.record.values)
        if blue_value and blue_value in values:
            return [Check("record no longer points at blue", False,
                          f"{record_label(pb)} still points at blue ({blue_value}); switch first", satisfied_by="switch")]
        if green_value and values != [green_value]:
            return [Check("record points at green", False,
                          f"{record_label(pb)} holds {', '.join(values)}, not green's {green_value}",
                          satisfied_by="switch")]
    elif obs.blue.exists:
        return [Check("record", False, f"{record_label(pb)} not found; cannot prove traffic left blue",
                      satisfied_by="switch")]
    return []


def _traffic_checks(obs: Observed) -> list[Check]:
    """A weighted router must send everything to green before blue is touched."""
    state = obs.traffic
    if state is None or state.problem:
        return [Check("router", False, state.problem if state and state.problem else "the router could not be read")]
    if state.green_percent != 100:
        return [Check("router sends everything to green", False,
                      f"{state.router} sends {state.green_percent}% to green; finish the switch first",
                      satisfied_by="switch")]
    return []


def plan_decommission(pb: Playbook, obs: Observed, record: RunRecord | None = None) -> StepPlan:
    checks = _traffic_checks(obs) if pb.switch.weighted else _record_checks(pb, obs)
    blue = obs.blue.info
    if blue is None:
        return StepPlan(name="decommission", checks=tuple(checks), notes=("blue is already gone",))
    facts = record.facts if record is not None else None
    drained = record is not None and "decommission/drain" in record.finished("decommission")
    actions: list[Action] = []
    notes: list[str] = []
    ttl = (facts.record_ttl if facts else None) or (obs.record.ttl if obs.record else None)
    if pb.decommission.wait_for_ttl and ttl:
        actions.append(Action(id="decommission/ttl", params=WaitTtl(int(ttl), facts.switched_at if facts else None),
                              eta_seconds=float(ttl)))
    actions.extend(restore_ttl(pb, obs, record))  # the soak is over: the record's own TTL again
    blue_value = pb.switch.blue_value or obs.blue_value
    green_value = pb.switch.green_value or obs.green_value
    begun = False

    def confirm(before: str) -> None:
        nonlocal begun
        if obs.traffic is not None:
            actions.append(Action(id=f"decommission/confirm/{before}", params=ConfirmTraffic(obs.traffic.router)))
        else:
            actions.append(Action(id=f"decommission/confirm/{before}", params=ConfirmRecord(
                pb.zone_rg, pb.switch.zone or "", pb.switch.record or "", pb.switch.record_type, blue_value,
                green_value)))
        if not begun:
            actions.append(Action(id="decommission/begin", params=BeginDecommission("blue")))
            begun = True

    if obs.blue.reachable:
        objects = archived_objects(obs)
        actions.append(Action(
            id="decommission/archive",
            params=Archive(blue.name, pb.decommission.archive_dir, tuple(pb.workloads.namespaces), len(objects),
                           started=facts.archive_started if facts else None, objects=Sealed(objects)),
            after={"objects": len(objects), "secrets": sum(1 for o in obs.blue.objects if o.get("kind") == "Secret")},
            eta_seconds=2,
        ))
        confirm("workloads")
        for cj in (o for o in obs.blue.objects if is_cronjob(o)):
            if not (cj.get("spec") or {}).get("suspend"):
                key = f"{namespace_of(cj)}/{name_of(cj)}"
                actions.append(Action(id=f"decommission/suspend/{key}",
                                      params=SuspendCronJob("blue", namespace_of(cj) or "", name_of(cj),
                                                            keep_original=False,
                                                            api_version=str(cj.get("apiVersion") or "batch/v1")),
                                      before={"suspend": False}, after={"suspend": True}))
        kept = [o for o in obs.blue.objects if holds_data(o)]
        if kept and not pb.decommission.delete_volume_claims:
            notes.append(f"kept on blue: {len(kept)} PersistentVolumeClaim(s) ("
                         + ", ".join(f"{namespace_of(o)}/{name_of(o)}" for o in kept[:5])
                         + (", ..." if len(kept) > 5 else "") + "); their volumes hold data the archive does not"
                         + (" (deleting the cluster deletes them)" if pb.decommission.mode == "delete" else "")
                         + "; set decommission.delete_volume_claims to delete them")
        for obj in deleted_on_blue(obs, delete_volume_claims=pb.decommission.delete_volume_claims):
            actions.append(Action(id=f"decommission/delete/{object_key(obj)}",
                                  params=Delete("blue", str(obj.get("apiVersion")), str(obj.get("kind")),
                                                namespace_of(obj), name_of(obj), archived=True,
                                                uid=(obj.get("metadata") or {}).get("uid")),
                                  before="exists", after=None, eta_seconds=1))
        actions.append(Action(id="decommission/drain",
                              params=WaitNoPods("blue", tuple(pb.workloads.namespaces),
                                                float(pb.decommission.drain_timeout)),
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
    if blue.power_state != "Stopped":
        confirm("tag")
        actions.append(Action(id="decommission/tag",
                              params=TagCluster(pb.blue_rg, blue.name, dict(blue.tags), pb.name,
                                                f"replaced by {pb.green.name}; workloads removed"),
                              after={"bluegreen-retired-by": pb.name}, eta_seconds=30))
    if mode == "delete":  # everything still on blue goes with it: this run's archive must hold it
        left = tuple((str(o.get("kind")), namespace_of(o), name_of(o), (o.get("metadata") or {}).get("uid"))
                     for o in (obs.blue.objects if obs.blue.reachable else ())
                     if not (o.get("metadata") or {}).get("ownerReferences"))
        actions.append(Action(id="decommission/verify-archive", params=VerifyArchive("blue", len(left), Sealed(left))))
    if blue.power_state != "Stopped" or mode == "delete":
        confirm(mode)
        params = (StopCluster("blue", pb.blue_rg, blue.name) if mode == "stop"
                  else DeleteCluster("blue", pb.blue_rg, blue.name))
        actions.append(Action(id=f"decommission/{mode}", params=params, before={"powerState": blue.power_state},
                              after={"powerState": "Stopped" if mode == "stop" else "(deleted)"},
                              eta_seconds=STOP_ETA if mode == "stop" else DELETE_ETA))
    timers = _unmanaged_timer_checks(pb, obs)
    checks.extend(c for c in timers if c.ok or c.severity != "error")
    # Known before the switch and not changed by it: the run stops before traffic moves, not halfway.
    blockers = tuple(Blocker(c.name, c.detail) for c in timers if not c.ok and c.severity == "error")
    checks.extend(Check("kinds blue serves", False, f"cannot list {what} on blue ({error}): its objects are "
                        "neither archived nor deleted", severity="warning")
                  for what, error in sorted(obs.blue.unreadable.items()))
    waits: tuple[str, ...] = ()
    if pb.decommission.wait_for_ttl and obs.record is not None:
        waits = (f"one record TTL ({obs.record.ttl}s) after the switch before touching blue",)
    return StepPlan(name="decommission", actions=tuple(actions), checks=tuple(checks), waits=waits,
                    notes=tuple(notes), blockers=blockers)


def _unmanaged_timer_checks(pb: Playbook, obs: Observed) -> list[Check]:
    """Active CronJobs bluegreen does not manage stay on a stopped blue: the zombie timers of field notes §2.

    Failing ones become the step's blockers (they stop the switch too)."""
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
