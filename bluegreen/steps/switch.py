"""Switch: point the DNS record at green, then hand the CronJobs over.

The record is read with its ETag and written with If-Match, so a concurrent
edit is detected instead of overwritten; it is read back before the step is
done. CronJobs: blue's are suspended first, then green's get back their
original value, so the same timer is never active on both clusters.
"""

from __future__ import annotations

from typing import Any

from bluegreen.azure.dns import RecordSetInfo
from bluegreen.context import StepContext
from bluegreen.errors import GuardError, StepFailedError
from bluegreen.events import ACTION_FINISHED, ACTION_STARTED
from bluegreen.kube.client import KubeClient
from bluegreen.kube.objects import name_of, namespace_of
from bluegreen.observe import Observed
from bluegreen.plan import Action, Check, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.steps.kinds import ORIGINAL_SUSPEND


def record_label(pb: Playbook) -> str:
    return f"{pb.switch.record}.{pb.switch.zone} {pb.switch.record_type}"


def record_before(record: RecordSetInfo) -> dict[str, Any]:
    return {"values": list(record.values), "ttl": record.ttl, "etag": record.etag,
            "last_modified_by": record.last_modified_by}


def _active(obj: dict[str, Any]) -> bool:
    return not (obj.get("spec") or {}).get("suspend")


def _original(obj: dict[str, Any]) -> str | None:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(ORIGINAL_SUSPEND)


def handoff_actions(step: str, source: list[dict[str, Any]], target: list[dict[str, Any]],
                    source_name: str, target_name: str) -> list[Action]:
    """Suspend every active CronJob on `source`, then restore `target`'s original values."""
    actions = []
    for cj in (o for o in source if o.get("kind") == "CronJob" and _active(o)):
        key = f"{namespace_of(cj)}/{name_of(cj)}"
        actions.append(Action(id=f"{step}/suspend/{source_name}/{key}", kind="suspend_cronjob",
                              target=f"CronJob {key} on {source_name}",
                              summary=f"suspend CronJob {key} on {source_name}",
                              before={"suspend": False}, after={"suspend": True},
                              params={"cluster": source_name, "namespace": namespace_of(cj), "name": name_of(cj)}))
    for cj in (o for o in target if o.get("kind") == "CronJob"):
        original = _original(cj)
        if original is None:
            continue
        wanted = original == "true"
        current = bool((cj.get("spec") or {}).get("suspend"))
        if current == wanted:
            continue
        key = f"{namespace_of(cj)}/{name_of(cj)}"
        actions.append(Action(id=f"{step}/restore/{target_name}/{key}", kind="restore_cronjob",
                              target=f"CronJob {key} on {target_name}",
                              summary=f"restore CronJob {key} on {target_name} to suspend={original}",
                              before={"suspend": current}, after={"suspend": wanted},
                              params={"cluster": target_name, "namespace": namespace_of(cj), "name": name_of(cj),
                                      "suspend": wanted}))
    return actions


def plan_switch(pb: Playbook, obs: Observed) -> StepPlan:
    checks: list[Check] = []
    actions: list[Action] = []
    blue_value = pb.switch.blue_value or obs.blue_value
    green_value = pb.switch.green_value or obs.green_value
    record = obs.record
    notes = []
    if record is None:
        checks.append(Check("record", False, f"{record_label(pb)} not found"))
    elif green_value and list(record.values) == [green_value]:
        notes.append(f"{record_label(pb)} already points at green ({green_value})")
    elif blue_value is None or list(record.values) != [blue_value]:
        checks.append(Check("record points at blue", False,
                            f"{record_label(pb)} holds {', '.join(record.values)}, expected blue's {blue_value}; "
                            "refusing to change a record that does not hold what we expect"))
    else:
        actions.append(Action(
            id="switch/record", kind="set_record", target=record_label(pb),
            summary=f"point {record_label(pb)} at green: {blue_value} -> "
                    f"{green_value or '(green ingress IP, known after redeploy)'}",
            before=record_before(record),
            after={"values": [green_value] if green_value else ["(known after redeploy)"], "ttl": record.ttl},
            eta_seconds=5,
        ))
        notes.append(f"TTL {record.ttl}s: resolvers may keep sending clients to blue for up to {record.ttl}s "
                     "after the switch")
    if obs.blue.exists and not obs.blue.reachable:
        checks.append(Check("blue reachable", False,
                            f"cannot read blue's CronJobs ({obs.blue.unreachable_reason}); they must be suspended "
                            "before green's are resumed, so the switch waits until blue answers"))
    green_cronjobs = obs.green.objects if obs.green.reachable else [
        o for o in obs.source_objects if o.get("kind") == "CronJob"
    ]
    if not obs.green.reachable:
        from bluegreen.steps.redeploy import prepare_for_green

        green_cronjobs = [prepare_for_green(o, pb.workloads.namespaces[0]) for o in green_cronjobs]
    handoff = handoff_actions("switch", obs.blue.objects, green_cronjobs, "blue", "green")
    actions.extend(handoff)
    if any(a.kind == "restore_cronjob" for a in handoff):
        notes.append("each resumed CronJob first gets blue's status.lastScheduleTime, so the run blue already "
                     "made is not started again on green")
    return StepPlan(name="switch", actions=tuple(actions), checks=tuple(checks), notes=tuple(notes))


def set_record(ctx: StepContext, step: str, expected: str, new_value: str) -> RecordSetInfo:
    """Write the record from `expected` to `new_value` with If-Match, then read it back."""
    pb = ctx.pb
    record = ctx.dns.get(pb.zone_rg, pb.switch.zone, pb.switch.record, pb.switch.record_type)
    if record is None:
        raise GuardError(f"{record_label(pb)} vanished")
    if list(record.values) == [new_value]:
        return record
    if list(record.values) != [expected]:
        raise GuardError(f"{record_label(pb)} holds {', '.join(record.values)}, expected {expected}; not touching it")
    ctx.dns.set_values(record, [new_value])
    after = ctx.dns.get(pb.zone_rg, pb.switch.zone, pb.switch.record, pb.switch.record_type)
    if after is None or list(after.values) != [new_value]:
        raise StepFailedError(f"{record_label(pb)} reads back {after.values if after else 'nothing'}, "
                              f"expected {new_value}", step)
    return after


def _carry_last_schedule(clusters: dict[str, KubeClient], target: str, namespace: str, name: str) -> None:
    """Tell the resuming CronJob when the other cluster last ran it.

    A resumed CronJob starts its most recent missed run at once, counted from its own
    status.lastScheduleTime; on the cluster that never ran it, that run is one the other cluster
    already made. Copying the other side's lastScheduleTime first means nothing runs twice.
    """
    source = next(c for label, c in clusters.items() if label != target)
    other = source.get("batch/v1", "CronJob", namespace, name)
    last = ((other or {}).get("status") or {}).get("lastScheduleTime")
    if last:
        clusters[target].patch_merge("batch/v1", "CronJob", namespace, name,
                                     {"status": {"lastScheduleTime": last}}, subresource="status")


def run_handoff(ctx: StepContext, step: str, actions: list[Action], clusters: dict[str, KubeClient]) -> None:
    for action in actions:
        if action.kind not in ("suspend_cronjob", "restore_cronjob") or action.id in ctx.journal.actions:
            continue
        kube = clusters[action.params["cluster"]]
        ctx.emit(ACTION_STARTED, action.summary, step, action=action.id)
        ns, name = action.params["namespace"], action.params["name"]
        if action.kind == "suspend_cronjob":
            patch = {"metadata": {"annotations": {ORIGINAL_SUSPEND: "false"}}, "spec": {"suspend": True}}
        else:
            if not action.params["suspend"]:
                _carry_last_schedule(clusters, action.params["cluster"], ns, name)
            patch = {"spec": {"suspend": action.params["suspend"]}}
        kube.patch_merge("batch/v1", "CronJob", ns, name, patch)
        ctx.journal.actions[action.id] = ctx.clock.now().isoformat()
        ctx.save_journal()
        ctx.emit(ACTION_FINISHED, action.summary, step, action=action.id)


def run_switch(ctx: StepContext, obs: Observed, plan: StepPlan) -> None:
    if plan.blocking:
        raise GuardError("; ".join(c.detail for c in plan.blocking))
    pb = ctx.pb
    assert obs.green.info is not None and obs.blue.info is not None
    green_value = pb.switch.green_value or obs.green_value
    blue_value = pb.switch.blue_value or obs.blue_value
    smoked = ctx.journal.facts.get("smoked_address")
    if not pb.switch.green_value and smoked and green_value != smoked:
        raise GuardError(f"green's ingress is {green_value} now but smoke checked {smoked}; run smoke again")
    ctx.journal.facts.update(switched_from=blue_value, switched_to=green_value)
    ctx.save_journal()  # the intent, before the write: a rollback after a crash knows what to undo
    for action in plan.actions:
        if action.kind != "set_record" or action.id in ctx.journal.actions:
            continue
        if not green_value or not blue_value:
            raise GuardError("green's or blue's ingress address is unknown; cannot switch")
        ctx.emit(ACTION_STARTED, action.summary, "switch", action=action.id, before=action.before)
        after = set_record(ctx, "switch", blue_value, green_value)
        ctx.journal.actions[action.id] = ctx.clock.now().isoformat()
        ctx.journal.facts["switched_at"] = ctx.clock.now().isoformat()
        ctx.journal.facts["record_ttl"] = after.ttl
        ctx.save_journal()
        ctx.emit(ACTION_FINISHED, f"{record_label(pb)} now {', '.join(after.values)} (TTL {after.ttl}s)",
                 "switch", action=action.id)
    if "switched_at" not in ctx.journal.facts and obs.record is not None:
        # The record already held green's value (a run killed right after writing it): the TTL counts from now.
        ctx.journal.facts["switched_at"] = ctx.clock.now().isoformat()
        ctx.journal.facts["record_ttl"] = obs.record.ttl
        ctx.save_journal()
    clusters = {"blue": ctx.kube(obs.blue.info), "green": ctx.kube(obs.green.info)}
    run_handoff(ctx, "switch", list(plan.actions), clusters)
