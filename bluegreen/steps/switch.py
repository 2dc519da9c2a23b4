"""Switch: point the DNS record at green, then hand the CronJobs over.

The intent (from which value to which) is recorded before the record is
written, so a rollback after a crash knows what to undo. The record is read
with its ETag and written with If-Match, then read back. CronJobs: blue's are
suspended first, then green's get back their original value, so the same timer
is never active on both clusters.
"""

from __future__ import annotations

from bluegreen.actions import Action, RestoreCronJob, SetRecord, SwitchIntent, VerifyResolution
from bluegreen.derive import (
    green_cronjobs,
    handoff_actions,
    record_before,
    record_label,
    unmanaged_schedulers,
)
from bluegreen.observe import Observed
from bluegreen.plan import Check, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord
from bluegreen.traffic import externaldns, ttl
from bluegreen.traffic.shift import plan_shift


def plan_switch(pb: Playbook, obs: Observed, record: RunRecord | None = None) -> StepPlan:
    if pb.switch.weighted:
        return _plan_weighted(pb, obs, record)
    checks: list[Check] = []
    actions: list[Action] = []
    notes: list[str] = []
    blue_value = pb.switch.blue_value or obs.blue_value
    green_value = pb.switch.green_value or obs.green_value
    facts = record.facts if record is not None else None
    smoked = facts.smoked_address if facts else None
    if not pb.switch.green_value and smoked and green_value != smoked:
        checks.append(Check("smoke checked green's address", False,
                            f"green's ingress is {green_value} now but smoke checked {smoked}; run smoke again"))
    dns = obs.record
    write = False
    if dns is None:
        checks.append(Check("record", False, f"{record_label(pb)} not found"))
    elif green_value and list(dns.values) == [green_value]:
        notes.append(f"{record_label(pb)} already points at green ({green_value})")
        write = not (facts and facts.switched_at)  # written by a run killed before it recorded the time
    elif blue_value is None or list(dns.values) != [blue_value]:
        expected = (f"expected blue's {blue_value}" if blue_value else "and blue's ingress address is unknown "
                    f"(Service {pb.ingress.namespace}/{pb.ingress.service} has no LoadBalancer address)")
        checks.append(Check("record points at blue", False,
                            f"{record_label(pb)} holds {', '.join(dns.values)}, {expected}; "
                            "refusing to change a record that does not hold what we expect"))
    else:
        write = True
    ahead, bound = ttl.before_flip(pb, obs, record)
    if write and dns is not None:
        notes.append(f"TTL {bound}s: resolvers may keep sending clients to blue for up to {bound}s after the switch")
        if not green_value or not blue_value:
            checks.append(Check("ingress addresses known", False,
                                "green's or blue's ingress address is unknown; cannot switch",
                                satisfied_by="redeploy"))
        actions.extend(ahead)
        actions.append(Action(id="switch/intent", params=SwitchIntent(blue_value, green_value)))
        handover, owner_checks, owner_notes = externaldns.plan_handover(
            obs.external_dns, obs.ownership, pb.zone_rg, pb.switch.zone or "", "switch", "blue", "green")
        actions.extend(handover)  # before the flip: blue's ExternalDNS must stop managing the record first
        checks.extend(owner_checks)
        notes.extend(owner_notes)
        actions.append(Action(
            id="switch/record",
            params=SetRecord(pb.zone_rg, pb.switch.zone or "", pb.switch.record or "", pb.switch.record_type,
                             expected=blue_value, value=green_value, toward="green"),
            before=record_before(dns),
            after=({"values": [green_value] if green_value else ["(known after redeploy)"], "ttl": dns.ttl}
                   if pb.switch.ttl is None else  # with TTL discipline the plan states the bound it buys
                   {"values": [green_value] if green_value else ["(known after redeploy)"],
                    "ttl": min(dns.ttl or 0, pb.switch.ttl.lower_to), "clients_may_reach_blue_seconds": bound}),
            eta_seconds=5,
        ))
    resolver = pb.switch.verify_resolver
    if write and dns is not None and resolver is not None:  # right after the flip, before the CronJobs move
        sw = pb.switch
        fqdn = sw.zone if sw.record in ("@", None) else f"{sw.record}.{sw.zone}"
        actions.append(Action(id="switch/resolve", params=VerifyResolution(
            str(fqdn), sw.record_type, green_value, resolver.address, resolver.port, resolver.timeout,
            resolver.interval), eta_seconds=float(bound or 0)))
    if obs.blue.exists and not obs.blue.reachable:
        checks.append(Check("blue reachable", False,
                            f"cannot read blue's CronJobs ({obs.blue.unreachable_reason}); they must be suspended "
                            "before green's are resumed, so the switch waits until blue answers"))
    if obs.blue.reachable:
        for message, accepted in unmanaged_schedulers(pb, obs):
            checks.append(Check("schedulers bluegreen cannot hand over", False,
                                message + (" (accepted by the playbook)" if accepted else ""),
                                severity="warning" if accepted else "error"))
    handoff = handoff_actions("switch", obs.blue.objects, green_cronjobs(pb, obs), "blue", "green")
    actions.extend(handoff)
    if any(isinstance(a.params, RestoreCronJob) for a in handoff):
        notes.append("each resumed CronJob first gets blue's status.lastScheduleTime, so the run blue already "
                     "made is not started again on green")
    return StepPlan(name="switch", actions=tuple(actions), checks=tuple(checks), notes=tuple(notes))


def _plan_weighted(pb: Playbook, obs: Observed, record: RunRecord | None) -> StepPlan:
    """A weighted router moves in steps (bluegreen.traffic.shift); CronJobs change hands at the named step."""
    checks: list[Check] = []
    facts = record.facts if record is not None else None
    green_value = obs.green_value
    smoked = facts.smoked_address if facts else None
    if smoked and green_value != smoked:
        checks.append(Check("smoke checked green's address", False,
                            f"green's ingress is {green_value} now but smoke checked {smoked}; run smoke again"))
    if obs.blue.exists and not obs.blue.reachable:
        checks.append(Check("blue reachable", False,
                            f"cannot read blue's CronJobs ({obs.blue.unreachable_reason}); they must be suspended "
                            "before green's are resumed, so the switch waits until blue answers"))
    handoff = handoff_actions("switch", obs.blue.objects, green_cronjobs(pb, obs), "blue", "green")
    actions, shift_checks, notes = plan_shift(pb, obs, record, handoff)
    return StepPlan(name="switch", actions=tuple(actions), checks=tuple(checks + shift_checks), notes=tuple(notes))
