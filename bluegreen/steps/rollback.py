"""Rollback: traffic and timers back to blue, after the switch and before decommission touches blue.

The record goes back only from the value the switch wrote (or is left alone
if it already holds blue's); anything else is somebody else's edit and is
refused. CronJobs go back in the same order as the switch, mirrored: green's
are suspended before blue's resume, so a timer is never active on both.
"""

from __future__ import annotations

from bluegreen.actions import Action, SetRecord
from bluegreen.derive import handoff_actions, record_before, record_label
from bluegreen.kube.readiness import workload_status
from bluegreen.observe import Observed
from bluegreen.plan import Check, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord
from bluegreen.traffic import externaldns
from bluegreen.traffic.shift import plan_back


def may_roll_back(record: RunRecord) -> str | None:
    """Why rollback is refused given the run record, or None when it is allowed.

    The switch records its intent (`switched_to`) before writing the record, so a run killed between
    the write and its record entry can still be rolled back.
    """
    if not record.finished("switch") and not record.facts.switched_to:
        return "nothing to roll back: the switch has changed nothing yet"
    if record.facts.decommission_begun:
        return "rollback is refused once decommission has started removing blue's workloads"
    return None


def plan_rollback(pb: Playbook, obs: Observed, record: RunRecord) -> StepPlan:
    checks: list[Check] = []
    actions: list[Action] = []
    notes: list[str] = []
    incomplete = None
    if obs.blue.info is None or not obs.blue.reachable:
        checks.append(Check("blue reachable", False, f"blue cannot take traffic back: {obs.blue.unreachable_reason}"))
    else:
        checks.extend(_blue_available(pb, obs))
    if pb.switch.weighted:
        back, back_checks, back_notes = plan_back(pb, obs)
    else:
        back, back_checks, back_notes = _record_back(pb, obs, record)
    actions.extend(back)
    checks.extend(back_checks)
    notes.extend(back_notes)
    if obs.green.reachable:
        actions.extend(handoff_actions("rollback", obs.green.objects, obs.blue.objects, "green", "blue"))
    else:
        notes.append(f"green is unreachable ({obs.green.unreachable_reason}): its CronJobs cannot be suspended, so "
                     "blue's stay suspended; run rollback again once green answers")
        incomplete = ("traffic is back on blue, but green is unreachable so the CronJobs were not handed back "
                      "(blue's stay suspended); run rollback again once green answers")
    return StepPlan(name="rollback", actions=tuple(actions), checks=tuple(checks), notes=tuple(notes),
                    incomplete=incomplete)


def _blue_available(pb: Playbook, obs: Observed) -> list[Check]:
    """Traffic goes back only to a blue that can serve it: every workload there must still be available."""
    pending = [workload_status(o) for o in obs.blue.objects if o.get("kind") in ("Deployment", "StatefulSet",
                                                                                   "DaemonSet")]
    pending = [st for st in pending if not st.ready]
    if not pending:
        return []
    return [Check("blue's workloads available", False,
                  f"blue cannot serve the traffic it would get back: {pending[0]}"
                  + (f" (and {len(pending) - 1} more)" if len(pending) > 1 else "")
                  + f"; restore them first, e.g. from the archive under {pb.decommission.archive_dir}/ "
                  "(kubectl apply), then roll back")]


def _record_back(pb: Playbook, obs: Observed, record: RunRecord) -> tuple[list[Action], list[Check], list[str]]:
    """The DNS record back to blue, only from the value the switch wrote."""
    facts = record.facts
    blue_value = facts.switched_from or pb.switch.blue_value or obs.blue_value
    switched_to = facts.switched_to or pb.switch.green_value or obs.green_value
    dns = obs.record
    if dns is None:
        return [], [Check("record", False, f"{record_label(pb)} not found")], []
    if blue_value and list(dns.values) == [blue_value]:
        return [], [], [f"{record_label(pb)} already points at blue ({blue_value})"]
    if switched_to and list(dns.values) == [switched_to] and blue_value:
        handover, owner_checks, owner_notes = externaldns.plan_handover(
            obs.external_dns, obs.ownership, pb.zone_rg, pb.switch.zone or "", "rollback", "green", "blue")
        action = Action(
            id="rollback/record",
            params=SetRecord(pb.zone_rg, pb.switch.zone or "", pb.switch.record or "", pb.switch.record_type,
                             expected=switched_to, value=blue_value, toward="blue"),
            before=record_before(dns),
            after={"values": [blue_value], "ttl": dns.ttl},
        )
        return [*handover, action], owner_checks, [
            *owner_notes, f"TTL {dns.ttl}s: resolvers may keep sending clients to green for up to {dns.ttl}s"]
    known = [f"{side}'s {value}" for side, value in (("green", switched_to), ("blue", blue_value)) if value]
    expected = ("neither " + " nor ".join(known) if len(known) == 2 else
                f"not {known[0]}" if known else "and neither side's address is known")
    return [], [Check("record holds green", False,
                      f"{record_label(pb)} holds {', '.join(dns.values)}, {expected}; "
                      "not touching a record somebody else changed")], []
