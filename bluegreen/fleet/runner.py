"""A fleet's plan, run, approvals and status, on top of the single-pair engine.

Every pair is one `engine.make_plan` / `engine.run` with the shared Runtime (one
credential, one clock, one state directory holding each pair's run record). A
worker pool bounds how many pairs run at once; stages run in order, the groups
of a stage side by side. The fleet's own state (approvals, each pair's outcome)
is a JSON file beside the pairs' run records, so `status` and a later `run`
on this machine or another agent sharing the state directory see it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bluegreen import engine
from bluegreen.azure.aks import ManagedClusterInfo
from bluegreen.context import Session
from bluegreen.errors import BluegreenError, NotFoundError, RecordConflictError, RefusedError, StepFailedError
from bluegreen.events import Event, EventSink
from bluegreen.fleet.spec import LoadedFleet, Pair
from bluegreen.observe import Observed
from bluegreen.plan import STEPS
from bluegreen.record import DONE, FAILED, PAUSED, PENDING, RunRecord
from bluegreen.record import RUNNING as STEP_RUNNING
from bluegreen.report.model import FleetRow
from bluegreen.runtime import Runtime
from bluegreen.state import Document, open_document, open_store

# Fleet event kinds (the pairs' own events pass through with `pair` in their data).
STAGE_STARTED = "stage_started"
STAGE_FINISHED = "stage_finished"
STAGE_WAITING = "stage_waiting"
PAIR_STARTED = "pair_started"
PAIR_FINISHED = "pair_finished"
PAIR_FAILED = "pair_failed"
PAIR_SKIPPED = "pair_skipped"

# A pair's state in the fleet.
SKIPPED, STOPPED, RUNNING = "skipped", "stopped", "running"


class ApprovalRequiredError(RefusedError):
    """A stage gated by `approval: manual` has not been approved: the run stops before it (exit 3)."""


class FleetStoppedError(StepFailedError):
    """A stage used up its failure budget: the fleet stops (exit 1)."""


@dataclass
class PairPlan:
    pair: str
    stage: str
    group: str
    blue_version: str | None
    target_version: str
    findings: list[str]
    eta_seconds: float
    skip: str | None = None
    error: str | None = None
    removed_apis: list[str] = field(default_factory=list)
    subnet_short: list[str] = field(default_factory=list)
    # The plan's id, not the plan: a fleet's rows outlive the planning, and 300 plans with every object of
    # every pair were most of what the process held (and the garbage collector walked) while it planned.
    plan_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FleetPlan:
    fleet: str
    pairs: list[PairPlan]

    @property
    def removed_apis(self) -> dict[str, list[str]]:
        return {p.pair: p.removed_apis for p in self.pairs if p.removed_apis}

    @property
    def subnets_short(self) -> dict[str, list[str]]:
        return {p.pair: p.subnet_short for p in self.pairs if p.subnet_short}

    def to_dict(self) -> dict[str, Any]:
        return {"fleet": self.fleet, "pairs": [p.to_dict() for p in self.pairs],
                "findings": {"removed_apis": self.removed_apis, "subnets_lacking_room": self.subnets_short},
                "eta_seconds": sum(p.eta_seconds for p in self.pairs)}


# ------------------------------------------------------------------------------------------ fleet state
class FleetState:
    """A fleet's approvals, stages and pair outcomes: `<state_dir>/<fleet>.fleet.json`, or with remote state
    (`--state`) the blob `<prefix>/<fleet>/fleet.json` that every agent reads and changes. Each change is
    written over the version read; when another agent changed it meanwhile, it is read again and the change
    made again (an approval on a laptop and a stage finishing on an agent both stay)."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self._lock = threading.Lock()
        data, self._version = document.read()
        self.data = _fleet_data(data)

    @classmethod
    def open(cls, fleet: LoadedFleet, runtime: Runtime) -> FleetState:
        return cls(open_document(runtime, fleet.name, "fleet.json", runtime.state_dir / f"{fleet.name}.fleet.json"))

    def update(self, change: Callable[[dict[str, Any]], None]) -> None:
        with self._lock:
            for _ in range(_FLEET_WRITE_ATTEMPTS):
                change(self.data)
                try:
                    self._version = self.document.write(self.data, self._version)
                    return
                except RecordConflictError:
                    data, self._version = self.document.read()
                    self.data = _fleet_data(data)
        raise RecordConflictError(f"{self.document.where} kept changing under this agent "
                                  f"({_FLEET_WRITE_ATTEMPTS} attempts); run the same command again")

    def set_pair(self, pair: str, state: str, detail: str) -> None:
        self.update(lambda data: data["pairs"].__setitem__(pair, {"state": state, "detail": detail}))

    def set_stage(self, stage: str, state: str) -> None:
        self.update(lambda data: data["stages"].__setitem__(stage, state))

    def approval(self, stage: str) -> dict[str, Any] | None:
        found = self.data["approvals"].get(stage)
        return found if isinstance(found, dict) else None


_FLEET_WRITE_ATTEMPTS = 8


def _fleet_data(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"approvals": {}, "pairs": {}, "stages": {}}
    out.update({k: v for k, v in data.items() if isinstance(v, dict) or k not in out})
    return out


def approve(fleet: LoadedFleet, runtime: Runtime, stage: str, by: str) -> dict[str, Any]:
    """Record that `stage` may start; the next `fleet run` goes past its gate."""
    names = [s.name for s in fleet.spec.rollout.stages]
    if stage not in names:
        from bluegreen.errors import PlaybookError

        raise PlaybookError(f"the fleet has no stage {stage!r} (stages: {', '.join(names)})", field="STAGE")
    entry = {"by": by, "at": runtime.clock.now().isoformat()}
    FleetState.open(fleet, runtime).update(lambda data: data["approvals"].__setitem__(stage, entry))
    return entry


# ------------------------------------------------------------------------------------------ helpers
def _forward(sink: EventSink, pair: str) -> EventSink:
    def forward(event: Event) -> None:
        sink(replace(event, data={**event.data, "pair": pair}))

    return forward


def _emit(sink: EventSink, runtime: Runtime, kind: str, message: str, **data: Any) -> None:
    sink(Event(kind=kind, message=message, time=runtime.clock.now(), data=data))


def skip_reason(pair: Pair, runtime: Runtime, fleet: LoadedFleet) -> tuple[str | None, str | None]:
    """(why the pair is skipped or None, blue's Kubernetes version): stopped or already retired blues."""
    pb = pair.loaded.playbook
    record = open_store(pb, runtime).load()
    retired = _retired(record, fleet)
    if retired:
        return retired, None
    session = Session(pair.loaded, runtime, lambda _: None)
    try:
        blue = session.aks.get(pb.blue_rg, pb.blue.name)
    except NotFoundError:
        blue = None
    return _blue_skip(pair, record, fleet, blue), (blue.kubernetes_version if blue else None)


def _retired(record: RunRecord, fleet: LoadedFleet) -> str | None:
    if fleet.spec.rollout.skip_retired and record.status("decommission") == DONE:
        return "already retired: decommission is done"
    return None


def _blue_skip(pair: Pair, record: RunRecord, fleet: LoadedFleet, blue: ManagedClusterInfo | None) -> str | None:
    """Why the pair is skipped, judged from blue as Azure shows it (None: it is not)."""
    rollout = fleet.spec.rollout
    if blue is None:
        if rollout.skip_retired and record.status("switch") == DONE:
            return "already retired: traffic is on green and blue is gone"
        return None
    power = blue.power_state or "Running"
    if rollout.skip_stopped and power != "Running" and record.status("provision") == PENDING:
        return f"blue {pair.loaded.playbook.blue.name} is {power}"
    return None


# ------------------------------------------------------------------------------------------ plan
def plan_fleet(fleet: LoadedFleet, runtime: Runtime, sink: EventSink, *, workers: int | None = None) -> FleetPlan:
    """Observe every pair concurrently and plan it; a pair that cannot be planned says why in its row."""

    def one(pair: Pair) -> PairPlan:
        pb = pair.loaded.playbook
        row = PairPlan(pair.name, pair.stage, pair.group, None, pb.green.kubernetes_version, [], 0.0)
        try:
            record = open_store(pb, runtime).load()
            row.skip = _retired(record, fleet)
            if row.skip:
                return row

            def observed(obs: Observed) -> None:  # blue as the plan read it: no second read for the skip rules
                blue = obs.blue.info
                row.blue_version = blue.kubernetes_version if blue else None
                row.skip = _blue_skip(pair, record, fleet, blue)

            the_plan = engine.make_plan(pair.loaded, runtime, _forward(sink, pair.name), on_observed=observed)
            if row.skip:
                return row
        except BluegreenError as exc:
            if row.skip:  # a skipped pair's plan may well fail (a stopped blue): the skip is its answer
                return row
            row.error = str(exc)
            row.findings.append(f"cannot plan: {exc}")
            return row
        row.plan_id = the_plan.id
        row.eta_seconds = the_plan.eta_seconds
        for step in the_plan.steps:
            for check in step.checks:
                if check.ok:
                    continue
                row.findings.append(f"{step.name}: {check.name}: {check.detail}")
                if check.name == "API versions":
                    row.removed_apis.append(check.detail)
                if check.name == "subnet has room":
                    row.subnet_short.append(check.detail)
            for blocker in step.blockers:
                row.findings.append(f"{step.name}: {blocker.name}: {blocker.detail}")
        return row

    count = workers or min(16, max(1, len(fleet.pairs)))
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="fleet-plan") as pool:
        rows = list(pool.map(one, fleet.pairs))
    return FleetPlan(fleet.name, rows)


# ------------------------------------------------------------------------------------------ run
@dataclass
class FleetResult:
    rows: list[FleetRow]
    stages_done: list[str]


def run_fleet(fleet: LoadedFleet, runtime: Runtime, sink: EventSink, *, until: str | None = None) -> FleetResult:
    """Stages in order, each pair through `engine.run` on a bounded worker pool.

    Stops before a stage whose manual approval is missing (ApprovalRequiredError), and after a stage in
    which `failure_budget` pairs failed (FleetStoppedError; the stage's pairs not yet started are left
    `stopped`). Running it again resumes: finished pairs are finished, the engine resumes the others.
    """
    if until is not None and until not in STEPS:
        from bluegreen.errors import PlaybookError

        raise PlaybookError(f"no step {until!r} (steps: {', '.join(STEPS)})", field="--until")
    state = FleetState.open(fleet, runtime)
    rollout = fleet.spec.rollout
    target = until or STEPS[-1]
    done_stages: list[str] = []
    for index, stage in enumerate(rollout.stages):
        pairs = fleet.stage_pairs(stage.name)
        if all(state.data["pairs"].get(p.name, {}).get("state") in (target, SKIPPED) for p in pairs):
            done_stages.append(stage.name)
            continue
        if stage.approval == "manual" and state.approval(stage.name) is None:
            _emit(sink, runtime, STAGE_WAITING, f"stage {stage.name} waits for approval", stage=stage.name)
            state.set_stage(stage.name, "waiting for approval")
            raise ApprovalRequiredError(
                f"stage {stage.name} needs approval before it starts: run "
                f"`bluegreen fleet approve {fleet.path} {stage.name}`, then `bluegreen fleet run` again")
        _emit(sink, runtime, STAGE_STARTED, f"stage {stage.name}: {len(pairs)} pairs", stage=stage.name)
        state.set_stage(stage.name, RUNNING)
        failed = _run_stage(fleet, runtime, sink, state, stage.name, pairs, stage.failure_budget, until)
        if len(failed) >= stage.failure_budget:
            state.set_stage(stage.name, FAILED)
            raise FleetStoppedError(
                f"stage {stage.name} stopped the fleet: {len(failed)} pair(s) failed (budget {stage.failure_budget}): "
                + "; ".join(failed), stage.name)
        state.set_stage(stage.name, DONE)
        done_stages.append(stage.name)
        _emit(sink, runtime, STAGE_FINISHED, f"stage {stage.name}: done", stage=stage.name)
        if rollout.wait_seconds and index + 1 < len(rollout.stages):
            runtime.clock.sleep(rollout.wait_seconds)  # the soak before the next stage, on the injected clock
    return FleetResult(status_rows(fleet, runtime), done_stages)


def _run_stage(fleet: LoadedFleet, runtime: Runtime, sink: EventSink, state: FleetState, stage: str,
               pairs: list[Pair], budget: int, until: str | None) -> list[str]:
    """Run the stage's pairs (all groups side by side) until done or `budget` failed; returns the failures."""
    target = until or STEPS[-1]
    failed: list[str] = []
    # Skipped pairs are asked again: a blue started since is cut over with the rest.
    queue = [p for p in pairs if state.data["pairs"].get(p.name, {}).get("state") != target]

    def one(pair: Pair) -> tuple[str, str]:
        def starting() -> None:
            state.set_pair(pair.name, RUNNING, f"running until {target}")
            _emit(sink, runtime, PAIR_STARTED, f"{pair.name}: started", pair=pair.name, stage=stage)

        return run_pair(fleet, runtime, sink, pair, until=until, starting=starting)

    with ThreadPoolExecutor(max_workers=fleet.spec.rollout.max_concurrency, thread_name_prefix="fleet") as pool:
        running: dict[Future[tuple[str, str]], Pair] = {}
        while queue or running:
            while queue and len(running) < fleet.spec.rollout.max_concurrency and len(failed) < budget:
                pair = queue.pop(0)
                running[pool.submit(one, pair)] = pair
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                pair = running.pop(future)
                try:
                    outcome, detail = future.result()
                except Exception as exc:  # one pair's failure is the fleet's data, not its crash
                    outcome, detail = FAILED, f"{type(exc).__name__}: {exc}"
                state.set_pair(pair.name, outcome, detail)
                if outcome == FAILED:
                    failed.append(f"{pair.name}: {detail}")
                    _emit(sink, runtime, PAIR_FAILED, f"{pair.name}: failed: {detail}", pair=pair.name, stage=stage)
                elif outcome == SKIPPED:
                    _emit(sink, runtime, PAIR_SKIPPED, f"{pair.name}: skipped ({detail})", pair=pair.name,
                          stage=stage, reason=detail)
                else:
                    _emit(sink, runtime, PAIR_FINISHED, f"{pair.name}: {detail}", pair=pair.name, stage=stage)
            if len(failed) >= budget:
                queue_left, queue = queue, []
                for pair in queue_left:
                    state.set_pair(pair.name, STOPPED, f"not started: stage {stage} used its failure budget")
    return failed


# ------------------------------------------------------------------------------------------ one pair, a stage's gate
def run_pair(fleet: LoadedFleet, runtime: Runtime, sink: EventSink, pair: Pair, *, until: str | None = None,
             starting: Callable[[], None] | None = None) -> tuple[str, str]:
    """One pair under the fleet's skip rules, as the local pool or a pipeline job runs it.

    Returns (SKIPPED, why) or (the target step, what was done); raises the run's error. What the pair's steps
    cannot show (a skip, a failure before any step was recorded) is marked in its run record, so agents that
    share the remote state, `fleet gate` and `fleet status` all see it; a pair that runs again loses the mark.
    """
    target = until or STEPS[-1]
    try:
        reason, _ = skip_reason(pair, runtime, fleet)
        if reason:
            _mark(pair, runtime, {"state": SKIPPED, "detail": reason})
            return SKIPPED, reason
        _mark(pair, runtime, None)
        if starting is not None:
            starting()
        result = engine.run(pair.loaded, runtime, _forward(sink, pair.name), until=until)
    except Exception as exc:
        with contextlib.suppress(BluegreenError):  # e.g. another agent holds the lock: its run will say
            _mark(pair, runtime, {"state": FAILED, "detail": f"{type(exc).__name__}: {exc}"})
        raise
    return target, f"done through {target}" + (f" ({', '.join(result.skipped)} already done)"
                                                if result.skipped else "")


def _mark(pair: Pair, runtime: Runtime, mark: dict[str, str] | None) -> None:
    """Set (or clear) the fleet's word in the pair's run record, under the record's lock."""
    store = open_store(pair.loaded.playbook, runtime)
    if mark is None and store.load().fleet is None:
        return  # nothing to clear: no lock, no write
    now = runtime.clock.now()
    with store.locked(now):
        record = store.load()
        record.fleet = None if mark is None else {**mark, "at": now.isoformat()}
        store.save(record)


# A pair's outcome at a stage's gate.
FINISHED, UNFINISHED = "finished", "unfinished"


def pair_outcome(record: RunRecord, target: str) -> tuple[str, str]:
    """(FINISHED | SKIPPED | FAILED | UNFINISHED, detail) of a pair run `until` target, from its record alone."""
    mark = record.fleet or {}
    if mark.get("state") == SKIPPED:
        return SKIPPED, mark.get("detail", "")
    if record.status(target) == DONE:
        return FINISHED, f"done through {target}"
    failed = [s for s in STEPS if record.status(s) == FAILED]
    if failed:
        err = record.steps[failed[0]].error
        return FAILED, f"{failed[0]} failed" + (f": {err}" if err else "")
    if mark.get("state") == FAILED:
        return FAILED, mark.get("detail", "")
    running = [s for s in STEPS if record.status(s) == STEP_RUNNING]
    if running:
        return UNFINISHED, f"stopped while {running[0]} was running (cancelled, or its agent died)"
    paused = [s for s in STEPS if record.status(s) == PAUSED]
    if paused:
        return UNFINISHED, f"{paused[0]} paused, waiting for `bluegreen promote`"
    done = [s for s in STEPS if record.status(s) == DONE]
    if done:
        return UNFINISHED, f"done through {done[-1]}, not {target}"
    return UNFINISHED, "never started"


@dataclass
class GateResult:
    """Every pair of a stage by outcome, and whether the next stage may start."""

    stage: str
    budget: int
    pairs: list[tuple[str, str, str]]  # (pair, outcome, detail)

    def of(self, outcome: str) -> list[tuple[str, str, str]]:
        return [p for p in self.pairs if p[1] == outcome]

    @property
    def passed(self) -> bool:
        return len(self.of(FAILED)) < self.budget and not self.of(UNFINISHED)

    @property
    def verdict(self) -> str:
        failed, unfinished = self.of(FAILED), self.of(UNFINISHED)
        if len(failed) >= self.budget:
            return (f"stage {self.stage} spent its failure budget: {len(failed)} pair(s) failed "
                    f"(budget {self.budget}): {_named(failed)}")
        if unfinished:
            return (f"stage {self.stage} is not over: {len(unfinished)} pair(s) neither finished nor were skipped: "
                    f"{_named(unfinished)}")
        return (f"stage {self.stage} passes: {len(self.of(FINISHED))} finished, {len(self.of(SKIPPED))} skipped, "
                f"{len(failed)} failed (budget {self.budget})")


def _named(rows: list[tuple[str, str, str]]) -> str:
    return "; ".join(f"{pair}: {detail}" for pair, _, detail in rows)


def gate_stage(fleet: LoadedFleet, runtime: Runtime, stage: str, *, until: str | None = None) -> GateResult:
    """Judge a stage from its pairs' run records (as the pipeline's pair jobs left them in the shared state)."""
    names = [s.name for s in fleet.spec.rollout.stages]
    if stage not in names:
        from bluegreen.errors import PlaybookError

        raise PlaybookError(f"the fleet has no stage {stage!r} (stages: {', '.join(names)})", field="STAGE")
    if until is not None and until not in STEPS:
        from bluegreen.errors import PlaybookError

        raise PlaybookError(f"no step {until!r} (steps: {', '.join(STEPS)})", field="--until")
    budget = next(s.failure_budget for s in fleet.spec.rollout.stages if s.name == stage)
    target = until or STEPS[-1]
    rows = []
    for pair in fleet.stage_pairs(stage):
        outcome, detail = pair_outcome(open_store(pair.loaded.playbook, runtime).load(), target)
        rows.append((pair.name, outcome, detail))
    return GateResult(stage, budget, rows)


# ------------------------------------------------------------------------------------------ status
def status_rows(fleet: LoadedFleet, runtime: Runtime) -> list[FleetRow]:
    """Every pair's progress from its run record and the fleet state (no Azure call): one row per pair."""
    state = FleetState.open(fleet, runtime)
    awaiting = {s.name for s in fleet.spec.rollout.stages if s.approval == "manual" and state.approval(s.name) is None}
    rows = []
    for pair in fleet.pairs:
        record = open_store(pair.loaded.playbook, runtime).load()  # local or remote, as the pair's run keeps it
        # The record's mark first: agents sharing remote state (pipeline jobs) see it, not this machine's file.
        fleet_entry = record.fleet or state.data["pairs"].get(pair.name, {})
        steps = {s: record.status(s) for s in STEPS}
        done = [s for s in STEPS if steps[s] == DONE]
        failed = [s for s in STEPS if steps[s] == FAILED]
        # The grid's states (bluegreen.report.FLEET_STATES); the detail says the rest.
        if fleet_entry.get("state") == SKIPPED:
            the_state, detail = "skipped", fleet_entry.get("detail", "")
        elif fleet_entry.get("state") == STOPPED:
            the_state, detail = "pending", "stopped: " + fleet_entry.get("detail", "its stage spent its failure budget")
        elif failed:
            err = record.steps[failed[0]].error if failed[0] in record.steps else None
            the_state, detail = "failed", f"{failed[0]} failed" + (f": {err}" if err else "")
        elif fleet_entry.get("state") == FAILED:
            the_state, detail = "failed", fleet_entry.get("detail", "")
        elif done:
            the_state = "done" if len(done) == len(STEPS) else "running"
            detail = f"{len(done)}/{len(STEPS)} steps done, last {done[-1]}"
        elif pair.stage in awaiting:
            the_state, detail = "waiting-approval", f"stage {pair.stage} waits for `bluegreen fleet approve`"
        else:
            the_state, detail = "pending", fleet_entry.get("detail", "not started")
        rows.append(FleetRow(pair.name, pair.stage, the_state, detail))
    return rows


def fleet_progress(fleet: LoadedFleet, runtime: Runtime) -> dict[str, Any]:
    """The rows plus the fleet's stages and approvals, for `fleet status`."""
    state = FleetState.open(fleet, runtime)
    rows = status_rows(fleet, runtime)
    return {"fleet": fleet.name, "stages": [
        {"name": s.name, "state": state.data["stages"].get(s.name, PENDING), "approval": s.approval,
         "approved": state.approval(s.name)} for s in fleet.spec.rollout.stages],
        "pairs": [asdict(r) for r in rows]}
