"""Rollback: traffic and timers back to blue, after the switch and before decommission touches blue.

The record goes back only from the value the switch wrote (or is left alone
if it already holds blue's); anything else is somebody else's edit and is
refused. CronJobs go back in the same order as the switch, mirrored: green's
are suspended before blue's resume, so a timer is never active on both.
"""

from __future__ import annotations

from typing import Any

from bluegreen.context import StepContext
from bluegreen.errors import GuardError, StepFailedError
from bluegreen.events import ACTION_FINISHED, ACTION_STARTED, WARNING
from bluegreen.observe import Observed
from bluegreen.plan import Action, Check, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.steps.decommission import BEGUN
from bluegreen.steps.switch import handoff_actions, record_label, run_handoff, set_record


def may_roll_back(actions: dict[str, str], facts: dict[str, Any]) -> str | None:
    """Why rollback is refused given the journal, or None when it is allowed.

    The switch journals its intent (`switched_to`) before writing the record, so a run killed between
    the write and its journal entry can still be rolled back.
    """
    if not any(key.startswith("switch/") for key in actions) and not facts.get("switched_to"):
        return "nothing to roll back: the switch has changed nothing yet"
    if BEGUN in actions:
        return "rollback is refused once decommission has started removing blue's workloads"
    return None


def plan_rollback(pb: Playbook, obs: Observed, facts: dict[str, Any]) -> StepPlan:
    blue_value = facts.get("switched_from") or pb.switch.blue_value or obs.blue_value
    switched_to = facts.get("switched_to") or pb.switch.green_value or obs.green_value
    checks: list[Check] = []
    actions: list[Action] = []
    notes: list[str] = []
    if obs.blue.info is None or not obs.blue.reachable:
        checks.append(Check("blue reachable", False, f"blue cannot take traffic back: {obs.blue.unreachable_reason}"))
    record = obs.record
    if record is None:
        checks.append(Check("record", False, f"{record_label(pb)} not found"))
    elif blue_value and list(record.values) == [blue_value]:
        notes.append(f"{record_label(pb)} already points at blue ({blue_value})")
    elif switched_to and list(record.values) == [switched_to] and blue_value:
        actions.append(Action(
            id="rollback/record", kind="set_record", target=record_label(pb),
            summary=f"point {record_label(pb)} back at blue: {switched_to} -> {blue_value}",
            before={"values": list(record.values), "ttl": record.ttl, "etag": record.etag,
                    "last_modified_by": record.last_modified_by},
            after={"values": [blue_value], "ttl": record.ttl},
            params={"expected": switched_to, "value": blue_value},
        ))
        notes.append(f"TTL {record.ttl}s: resolvers may keep sending clients to green for up to {record.ttl}s")
    else:
        checks.append(Check("record holds green", False,
                            f"{record_label(pb)} holds {', '.join(record.values)}, neither green's {switched_to} "
                            f"nor blue's {blue_value}; not touching a record somebody else changed"))
    if obs.green.reachable:
        actions.extend(handoff_actions("rollback", obs.green.objects, obs.blue.objects, "green", "blue"))
    else:
        notes.append(f"green is unreachable ({obs.green.unreachable_reason}): its CronJobs cannot be suspended, so "
                     "blue's stay suspended; run rollback again once green answers")
    return StepPlan(name="rollback", actions=tuple(actions), checks=tuple(checks), notes=tuple(notes))


def run_rollback(ctx: StepContext, obs: Observed, plan: StepPlan) -> None:
    if plan.blocking:
        raise GuardError("; ".join(c.detail for c in plan.blocking))
    assert obs.blue.info is not None
    for action in plan.actions:
        if action.kind == "set_record":
            ctx.emit(ACTION_STARTED, action.summary, "rollback", action=action.id, before=action.before)
            after = set_record(ctx, "rollback", action.params["expected"], action.params["value"])
            ctx.emit(ACTION_FINISHED, f"{record_label(ctx.pb)} now {', '.join(after.values)}", "rollback",
                     action=action.id)
    if not obs.green.reachable:
        message = ("traffic is back on blue, but green is unreachable so the CronJobs were not handed back "
                   "(blue's stay suspended); run rollback again once green answers")
        ctx.emit(WARNING, message, "rollback")
        raise StepFailedError(message, "rollback")
    assert obs.green.info is not None
    run_handoff(ctx, "rollback", list(plan.actions),
                {"blue": ctx.kube(obs.blue.info), "green": ctx.kube(obs.green.info)})
