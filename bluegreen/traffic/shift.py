"""Planning the move of a weighted router: one step, or a stepwise shift with pauses and gates.

Pure, like every planner: the playbook, the observation and the run record in,
actions out. Each step's move expects the split the step before it left, so a
router edited by somebody else in between is refused as stale when the move runs.
"""

from __future__ import annotations

from bluegreen.actions import Action, Gate, PauseShift, SetTarget, SetWeights, SwitchIntent
from bluegreen.observe import Observed
from bluegreen.plan import Check
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord
from bluegreen.traffic.split import Setting, TrafficState, describe, percent_of, setting_for

# Seconds a move takes: a Traffic Manager PATCH is synchronous, a Front Door origin update a long-running one.
MOVE_ETA = {"traffic_manager": 5.0, "front_door": 90.0, "gateway_api": 2.0}
GATE_ETA = 10.0


def sides(pb: Playbook) -> tuple[str, str]:
    """Blue's and green's endpoint or origin names."""
    sw = pb.switch
    if sw.traffic_manager is not None:
        return sw.traffic_manager.blue_endpoint, sw.traffic_manager.green_endpoint
    if sw.front_door is not None:
        return sw.front_door.blue_origin, sw.front_door.green_origin
    if sw.gateway_api is not None:
        return sw.gateway_api.blue_backend, sw.gateway_api.green_backend
    raise ValueError("not a weighted switch")


def router_checks(obs: Observed) -> tuple[TrafficState | None, list[Check]]:
    state = obs.traffic
    if state is None or state.problem or state.setting is None:
        detail = state.problem if state is not None and state.problem else "the router could not be read"
        return None, [Check("router", False, detail)]
    return state, []


def plan_green_target(pb: Playbook, obs: Observed,
                      state: TrafficState) -> tuple[list[Action], list[Check], list[str]]:
    """`green_target: auto`: green's endpoint/origin pointed at green's ingress before the first move.

    Unset, the targets are the operator's: the plan says where green's side points, so a reviewer sees it.
    """
    sw = pb.switch
    spec = sw.traffic_manager or sw.front_door
    if spec is None or state.green is None:
        return [], [], []
    current, address = state.green.target, obs.green_value
    what = f"{state.router}'s {state.green.name}"
    if spec.green_target != "auto":
        return [], [], [f"{what} points at {current} (targets are the operator's; `green_target: auto` points it "
                        "at green's ingress)"]
    if not address:
        return [], [Check("green's ingress address", False,
                          "green_target: auto needs green's ingress address, which is not known yet")], []
    if current == address:
        return [], [], [f"{what} already points at green's ingress {address}"]
    return [Action(id="switch/green-target", params=SetTarget(state.router, state.green.name, current, address),
                   before={"target": current}, after={"target": address}, eta_seconds=MOVE_ETA.get(sw.type, 5.0))
            ], [], []


def plan_shift(pb: Playbook, obs: Observed, record: RunRecord | None,
               handoff: list[Action]) -> tuple[list[Action], list[Check], list[str]]:
    """The switch step for a weighted router: intent, then per step move (+ CronJob handoff), pause, gate."""
    state, checks = router_checks(obs)
    if state is None:
        return [], checks, []
    assert state.setting is not None
    facts = record.facts if record is not None else None
    done = record.finished("switch") if record is not None else {}
    shift = pb.switch.shift
    steps = list(shift.steps) if shift else [100]
    notes: list[str] = []
    actions: list[Action] = []
    current = state.green_percent
    if facts is not None and facts.shift_failed:
        checks.append(Check("no failed gate", False,
                            f"the gate {facts.shift_failed.removeprefix('failed ')} and traffic went back to blue; "
                            "run `bluegreen rollback PLAYBOOK` before shifting again"))
        return actions, checks, notes
    started = any(k.startswith("switch/shift/") for k in done)
    if not started and current not in (0, 100):
        checks.append(Check("router sends everything to blue", False,
                            f"{state.router} holds {describe(state.setting)}; a shift starts from all-blue"))
    if not started and current == 100:
        notes.append(f"{state.router} already sends everything to green")
    blue_name, green_name = sides(pb)
    actions.append(Action(id="switch/intent", params=SwitchIntent(blue_name, green_name)))
    target_actions, target_checks, target_notes = plan_green_target(pb, obs, state)
    actions += target_actions
    checks += target_checks
    notes += target_notes
    previous: Setting = state.setting if current == 0 else setting_for(0)
    handoff_at = shift.handoff_at if shift else 100
    kind = pb.switch.type
    for i, percent in enumerate(steps):
        target = setting_for(percent)
        actions.append(Action(
            id=f"switch/shift/{percent}",
            params=SetWeights(state.router, percent, previous, target, "green"),
            before={"green_percent": percent_of(previous)}, after={"green_percent": percent},
            eta_seconds=MOVE_ETA.get(kind, 5.0),
        ))
        previous = target
        if percent == handoff_at:
            actions.extend(handoff)
        if shift is None:
            continue
        last = i == len(steps) - 1
        if not last and (shift.pause == "manual" or shift.pause):
            seconds = None if shift.pause == "manual" else float(shift.pause)
            promoted = bool(facts and facts.shift_promoted is not None and facts.shift_promoted >= percent)
            actions.append(Action(id=f"switch/pause/{percent}", params=PauseShift(percent, seconds, promoted),
                                  eta_seconds=seconds or 0.0))
        http = tuple(c.name for c in pb.smoke.http) if shift.gate.http else ()
        hooks = tuple(w.name for w in shift.gate.webhooks)
        metrics = tuple(m.name for m in shift.gate.metrics)
        if http or hooks or metrics:
            promoted = bool(facts and facts.shift_promoted is not None and facts.shift_promoted >= percent)
            sampling = max((m.samples - 1) * m.interval for m in shift.gate.metrics) if metrics else 0.0
            entry = shift.gate.entry_point if http else None
            actions.append(Action(id=f"switch/gate/{percent}", params=Gate(
                state.router, percent, http, obs.green_value, hooks, promoted, metrics,
                entry.host if entry else None, entry.requests if entry else 0),
                eta_seconds=GATE_ETA + sampling))
    if shift is not None:
        pause = "until `bluegreen promote`" if shift.pause == "manual" else f"{float(shift.pause):g}s"
        eta = sum(a.eta_seconds for a in actions)
        notes.append(f"steps {' -> '.join(f'{p}%' for p in steps)}; pause {pause} after each step but the last; "
                     f"a gate after each; CronJobs change hands at {handoff_at}%; ETA {eta:.0f}s"
                     + (" plus the manual pauses" if shift.pause == "manual" else ""))
        notes.append("a failed gate sends all traffic back to blue at once; an inconclusive one waits for "
                     "`bluegreen promote`; `bluegreen abort` returns traffic to blue at any step")
    return actions, checks, notes


def plan_back(pb: Playbook, obs: Observed) -> tuple[list[Action], list[Check], list[str]]:
    """Rollback or abort: the router back to all-blue from whatever it holds now."""
    state, checks = router_checks(obs)
    if state is None:
        return [], checks, []
    assert state.setting is not None
    if state.green_percent == 0:
        return [], checks, [f"{state.router} already sends everything to blue"]
    target = setting_for(0)
    return [Action(id="rollback/weights", params=SetWeights(state.router, 0, state.setting, target, "blue"),
                   before={"green_percent": state.green_percent}, after={"green_percent": 0},
                   eta_seconds=MOVE_ETA.get(pb.switch.type, 5.0))], checks, []
