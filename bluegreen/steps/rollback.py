"""Rollback: traffic and timers back to blue, after the switch and before decommission touches blue.

The record goes back only from the value the switch wrote (or is left alone
if it already holds blue's); anything else is somebody else's edit and is
refused. CronJobs go back in the same order as the switch, mirrored: green's
are suspended before blue's resume, so a timer is never active on both.
"""

from __future__ import annotations

from bluegreen.actions import Action, SetRecord
from bluegreen.derive import handoff_actions, record_before, record_label
from bluegreen.observe import Observed
from bluegreen.plan import Check, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord


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
    facts = record.facts
    blue_value = facts.switched_from or pb.switch.blue_value or obs.blue_value
    switched_to = facts.switched_to or pb.switch.green_value or obs.green_value
    checks: list[Check] = []
    actions: list[Action] = []
    notes: list[str] = []
    incomplete = None
    if obs.blue.info is None or not obs.blue.reachable:
        checks.append(Check("blue reachable", False, f"blue cannot take traffic back: {obs.blue.unreachable_reason}"))
    dns = obs.record
    if dns is None:
        checks.append(Check("record", False, f"{record_label(pb)} not found"))
    elif blue_value and list(dns.values) == [blue_value]:
        notes.append(f"{record_label(pb)} already points at blue ({blue_value})")
    elif switched_to and list(dns.values) == [switched_to] and blue_value:
        actions.append(Action(
            id="rollback/record",
            params=SetRecord(pb.zone_rg, pb.switch.zone, pb.switch.record, pb.switch.record_type,
                             expected=switched_to, value=blue_value, toward="blue"),
            before=record_before(dns),
            after={"values": [blue_value], "ttl": dns.ttl},
        ))
        notes.append(f"TTL {dns.ttl}s: resolvers may keep sending clients to green for up to {dns.ttl}s")
    else:
        known = [f"{side}'s {value}" for side, value in (("green", switched_to), ("blue", blue_value)) if value]
        expected = ("neither " + " nor ".join(known) if len(known) == 2 else
                    f"not {known[0]}" if known else "and neither side's address is known")
        checks.append(Check("record holds green", False,
                            f"{record_label(pb)} holds {', '.join(dns.values)}, {expected}; "
                            "not touching a record somebody else changed"))
    if obs.green.reachable:
        actions.extend(handoff_actions("rollback", obs.green.objects, obs.blue.objects, "green", "blue"))
    else:
        notes.append(f"green is unreachable ({obs.green.unreachable_reason}): its CronJobs cannot be suspended, so "
                     "blue's stay suspended; run rollback again once green answers")
        incomplete = ("traffic is back on blue, but green is unreachable so the CronJobs were not handed back "
                      "(blue's stay suspended); run rollback again once green answers")
    return StepPlan(name="rollback", actions=tuple(actions), checks=tuple(checks), notes=tuple(notes),
                    incomplete=incomplete)
