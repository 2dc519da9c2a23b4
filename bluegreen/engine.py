"""Plans and applies a cutover, step by step, resumably. The only loop over actions.

`make_plan` observes and plans every step (pure planning over one
observation). `run` takes the playbook's lock, checks a saved plan's
fingerprint, then for each step re-observes and re-plans; the new actions must
all be in the approved plan. It enforces the step's guards, runs each action
once through its kind's executor, records it in the run record and emits
events (through the redactor), so a process killed anywhere is resumed by
running the same command again: finished actions are not repeated, unfinished
ones are re-planned from the live state. The engine knows no step's internals.

The run record is bound to the playbook's identity (`Identity`): a record that
another playbook (or this one before its clusters or record were edited) wrote
is refused, never resumed. Before any step at or after a later step's
`Blocker.applies_from`, the later steps are planned and their blockers stop the
run, so a refusal known in advance comes before traffic moves, not after.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bluegreen.actions import Learned
from bluegreen.context import Session
from bluegreen.errors import (
    GuardError,
    NotFoundError,
    PausedError,
    PlaybookError,
    RecordOwnerError,
    StalePlanError,
    StepFailedError,
)
from bluegreen.events import (
    ACTION_FINISHED,
    ACTION_STARTED,
    PLAN_READY,
    RUN_FINISHED,
    STEP_FAILED,
    STEP_FINISHED,
    STEP_PAUSED,
    STEP_SKIPPED,
    STEP_STARTED,
    WARNING,
    EventSink,
)
from bluegreen.executors import EXECUTORS, CheckFailed, ExecEnv
from bluegreen.journal import RecordStore
from bluegreen.kube.client import KubeClient
from bluegreen.observe import Observed, fingerprint, observe
from bluegreen.plan import DONE_NOTE, READ_ONLY_STEPS, STEPS, Plan, StepPlan, fingerprint_drift
from bluegreen.playbook import LoadedPlaybook, Playbook
from bluegreen.record import DONE, FAILED, PAUSED, PENDING, ROLLED_BACK, RUNNING, Identity, RunRecord
from bluegreen.runtime import Runtime
from bluegreen.state import open_store
from bluegreen.steps import PLANNERS
from bluegreen.steps.rollback import may_roll_back, plan_rollback
from bluegreen.traffic.status import shift_status


def playbook_identity(pb: Playbook, subscription: str) -> Identity:
    """What a run of `pb` changes, and where: the fields that bind its run record."""
    return Identity(playbook=pb.name, subscription=subscription, blue=f"{pb.blue_rg}/{pb.blue.name}",
                    green=f"{pb.green_rg}/{pb.green.name}", switched=_switched_identity(pb))


def _switched_identity(pb: Playbook) -> str:
    """What the switch writes: the DNS record, or the weighted router's entries for blue and green."""
    sw = pb.switch
    if sw.type == "traffic_manager" and sw.traffic_manager is not None:
        tm = sw.traffic_manager
        return (f"{sw.type} {tm.resource_group or pb.zone_rg}/{tm.profile}/"
                f"{tm.blue_endpoint},{tm.green_endpoint}")
    if sw.type == "front_door" and sw.front_door is not None:
        fd = sw.front_door
        return (f"{sw.type} {fd.resource_group or pb.zone_rg}/{fd.profile}/{fd.origin_group}/"
                f"{fd.blue_origin},{fd.green_origin}")
    if sw.type == "gateway_api" and sw.gateway_api is not None:
        gw = sw.gateway_api
        return (f"{sw.type} {gw.cluster.resource_group or pb.blue_rg}/{gw.cluster.name} {gw.namespace}/{gw.route}"
                f"[{gw.rule}]/{gw.blue_backend},{gw.green_backend}")
    return f"{sw.type} {pb.zone_rg}/{sw.zone}/{sw.record_type}/{sw.record}"


@dataclass
class RunResult:
    completed: list[str]
    skipped: list[str]
    journal: dict[str, Any]


class _Engine:
    """One command against one playbook: its clients, its record store and the record it holds."""

    def __init__(self, loaded: LoadedPlaybook, runtime: Runtime, sink: EventSink) -> None:
        self.session = Session(loaded, runtime, sink)
        self.loaded = loaded
        self.pb = loaded.playbook
        self.clock = runtime.clock
        self.store: RecordStore = open_store(self.pb, runtime)
        self.record: RunRecord = self.store.load()

    def __enter__(self) -> _Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()

    def emit(self, kind: str, message: str, step: str | None = None, **data: Any) -> None:
        self.session.emit(kind, message, step, **data)

    def save(self) -> None:
        self.store.save(self.record)

    # -- whose record ---------------------------------------------------------------------------------------
    def claim(self, bind: bool) -> None:
        """Refuse a run record bound to another identity; with `bind`, bind it to this playbook's.

        A record with no identity (new, or written before identities) is bound on first use. One bound
        to another identity under which nothing was done yet is rebound: it holds no work to protect.
        """
        mine = playbook_identity(self.pb, self.session.subscription_id)
        record = self.record
        theirs = record.identity
        if theirs is not None and theirs != mine:
            if record.changed_anything:
                changes = "; ".join(theirs.changes(mine))
                here = str(self.loaded.path.resolve())
                owner = (f"this playbook ({here}) before it was edited" if record.playbook_path == here else
                         f"another playbook: {theirs.playbook!r}, last run from {record.playbook_path or 'unknown'}")
                raise RecordOwnerError(
                    f"the run record {self.store.where} belongs to {owner} ({theirs.describe()}); "
                    f"this playbook differs in {changes}. These fields say what a run changes, so the record "
                    "cannot carry over: if this is the same cutover, put those values back; if it is another "
                    "one, give it its own --state-dir or another name")
            self.emit(WARNING, "the run record was bound to other clusters, but nothing had been done under "
                      "them: it is bound to this playbook now (" + "; ".join(theirs.changes(mine)) + ")")
        if bind:
            path = str(self.loaded.path.resolve())
            if record.identity != mine or record.playbook_path != path:
                # A record under which nothing was done yet is bound in memory and saved with the first thing
                # done: a run refused at once (bad input) leaves the state directory as it found it.
                write_now = theirs is not None or record.changed_anything
                record.identity, record.playbook_path = mine, path
                if write_now:
                    self.save()

    def observe(self) -> Observed:
        obs = observe(self.loaded, self.session)
        for secret in obs.secrets():
            self.session.redactor.add_secret_object(secret)
        return obs

    def plan_step(self, name: str, obs: Observed) -> StepPlan:
        return PLANNERS[name](self.pb, obs, self.record)

    # -- guards ---------------------------------------------------------------------------------------------
    def check_blockers(self, name: str, obs: Observed) -> None:
        """Refuse to start `name` while a later step's blocker says that step will refuse (see Blocker)."""
        later = STEPS[STEPS.index(name) + 1:] if name in STEPS else ()
        found = [(other, b) for other in later if self.record.status(other) != DONE
                 for b in self.plan_step(other, obs).blockers if b.applies_to(name)]
        if found:
            raise GuardError(f"{name} does not start: " + "; ".join(
                f"{other} would refuse ({b.name}): {b.detail}" for other, b in found)
                + ". Nothing was changed by this step; fix that first, so the cutover does not stop halfway")

    @staticmethod
    def guard(step: StepPlan) -> None:
        """A step's blocking checks and its own blockers become one error: bad input, a failed preflight, or
        a refusal."""
        if step.blockers:
            raise GuardError("; ".join(f"{b.name}: {b.detail}" for b in step.blockers))
        blocking = step.blocking
        bad_input = [c for c in blocking if c.field]
        if bad_input:
            raise PlaybookError("; ".join(f"{c.field}: {c.detail}" for c in bad_input),
                                problems=[(c.field or "", c.detail) for c in bad_input])
        if blocking and step.name == "preflight":
            raise StepFailedError("; ".join(f"{c.name}: {c.detail}" for c in blocking), step.name)
        if blocking:
            raise GuardError("; ".join(c.detail for c in blocking))

    # -- applying ----------------------------------------------------------------------------------------------
    def env(self, step: str, obs: Observed) -> ExecEnv:
        def kube(label: str) -> KubeClient:
            view, rg, name = ((obs.blue, self.pb.blue_rg, self.pb.blue.name) if label == "blue"
                              else (obs.green, self.pb.green_rg, self.pb.green.name))
            info = view.info or self.session.aks.get(rg, name)  # e.g. green, created by this step
            if info is None:
                raise StepFailedError(f"{label} cluster {name} does not exist", step)
            return self.session.kube(info)

        def forget(label: str) -> None:
            info = obs.blue.info if label == "blue" else obs.green.info
            if info is not None:
                self.session.forget_kube(info)

        def checkpoint(learned: Learned) -> None:
            self.record.learn(learned)
            self.save()

        return ExecEnv(
            loaded=self.loaded, clock=self.clock, poll_interval=self.session.rt.poll_interval,
            aks=self.session.aks, dns=self.session.dns, kube=kube, forget=forget,
            report=lambda kind, message, **data: self.emit(kind, message, step, **data),
            checkpoint=checkpoint, run_id=self.record.run_id, archive_path=lambda: self.record.facts.archive,
            traffic=self.session.traffic, resolver=self.session.rt.resolver, azure=lambda: self.session.azure,
        )

    def run_actions(self, step: StepPlan, obs: Observed) -> list[str]:
        """Each action once (checks on every attempt); returns the checks that failed."""
        entry = self.record.step(step.name)
        env = self.env(step.name, obs)
        failed: list[str] = []
        for action in step.actions:
            repeat = action.params.REPEAT
            if action.id in entry.actions and not repeat:
                continue
            self.emit(ACTION_STARTED, action.summary, step.name, action=action.id, action_kind=action.kind.value,
                      eta_seconds=action.eta_seconds, before=action.before)
            try:
                outcome = EXECUTORS[type(action.params)](action.params, env)
            except CheckFailed as exc:
                failed.append(str(exc))
                continue
            self.record.learn(outcome.learned)
            if not repeat:
                entry.actions[action.id] = self.clock.now().isoformat()
            self.save()
            self.emit(ACTION_FINISHED, outcome.message or action.summary, step.name, action=action.id)
        return failed

    def apply_step(self, step: StepPlan, obs: Observed) -> None:
        name = step.name
        if any(c.field for c in step.blocking):
            self.guard(step)  # bad input: refused before the run record is touched, as if validate had said it
        entry = self.record.step(name)
        if step.basis is not None and entry.basis != step.basis:
            entry.actions.clear()  # made from another source: everything is done again
            entry.basis = step.basis
        started = self.clock.now()
        entry.status, entry.started, entry.finished, entry.error = RUNNING, started.isoformat(), None, None
        for later in step.resets:
            self.record.reset(later)
        self.save()
        self.emit(STEP_STARTED, f"{name}: {len(step.actions)} actions", name, eta_seconds=step.eta_seconds)
        for check in step.checks:
            if check.severity == "warning" and not check.ok:
                self.emit(WARNING, f"{check.name}: {check.detail}", name)
        try:
            self.guard(step)
            failed = self.run_actions(step, obs)
            if failed:
                raise StepFailedError("checks failed: " + "; ".join(failed), name)
            if step.incomplete:
                self.emit(WARNING, step.incomplete, name)
                raise StepFailedError(step.incomplete, name)
        except Exception as exc:
            # Errors leave the library through the redactor too (a server may echo what it was sent).
            exc.args = tuple(self.session.redactor.scrub(a) if isinstance(a, str) else a for a in exc.args)
            if isinstance(exc, PausedError):  # waits for a person: resumable by promote, not a failure
                entry.status, entry.error = PAUSED, str(exc)
                self.save()
                self.emit(STEP_PAUSED, f"{name} paused: {exc}", name)
                raise
            entry.status, entry.error = FAILED, str(exc)
            self.save()
            self.emit(STEP_FAILED, f"{name} failed: {exc}", name, error=type(exc).__name__)
            raise
        finished = self.clock.now()
        entry.status, entry.finished = DONE, finished.isoformat()
        self.save()
        self.emit(STEP_FINISHED, f"{name}: done", name, seconds=(finished - started).total_seconds())

    # -- what runs -----------------------------------------------------------------------------------------------
    def skip_reason(self, name: str, obs: Observed | None, explicit: bool) -> tuple[str | None, Observed | None]:
        """Why a step is skipped (None: it runs); a done step that runs again forgets its finished actions."""
        reason, obs, again = self.decide(name, obs, explicit)
        if again:
            self.record.step(name).actions.clear()
            self.emit(WARNING, f"{name} runs again: {again}", name)
        return reason, obs

    def decide(self, name: str, obs: Observed | None,
               explicit: bool) -> tuple[str | None, Observed | None, str | None]:
        """(why the step is skipped or None, the observation, why a done step runs again or None).

        A done step runs again when its plan says its basis moved (or when asked); a read-only step runs
        again until the step after it is done. `make_plan` asks the same question, so a plan shows what a
        run will do.
        """
        if name in READ_ONLY_STEPS:
            following = STEPS[STEPS.index(name) + 1]
            return (f"{following} is already done" if self.record.status(following) == DONE else None), obs, None
        if self.record.status(name) != DONE:
            return None, obs, None
        obs = obs or self.observe()
        step = self.plan_step(name, obs)
        changed = step.basis is not None and self.record.step(name).basis != step.basis
        if step.may_rerun and step.basis is not None and (explicit or changed):
            return None, obs, "asked for" if explicit else "its source changed since"
        return "already done", obs, None

    def require_previous(self, name: str) -> None:
        """A single step needs every step before it done (a redeploy run again resets smoke, for one)."""
        for previous in STEPS[: STEPS.index(name)]:
            if self.record.status(previous) != DONE:
                raise GuardError(f"{name} needs {previous} to be done first (it is {self.record.status(previous)}); "
                                 f"run `bluegreen {previous}` or `bluegreen run --until {name}`")

    def check_saved_plan(self, saved: Plan, obs: Observed) -> None:
        if saved.playbook != self.pb.name or saved.playbook_digest != self.loaded.digest:
            raise StalePlanError("the playbook changed since this plan was made; make a new plan")
        resuming = self.record.plan_id == saved.id
        started = {s for s in STEPS if self.record.status(s) != PENDING} if resuming else set()
        drift = fingerprint_drift(saved.fingerprint, fingerprint(self.pb, obs), started)
        if drift:
            raise StalePlanError("the plan is stale, the live state moved on: " + "; ".join(drift))

    @staticmethod
    def check_approved(saved: Plan, step: StepPlan) -> None:
        """Apply only what was approved: an action the saved plan did not contain makes it stale."""
        approved = saved.step(step.name)
        known = {a.id for a in approved.actions} if approved is not None else set()
        new = [a for a in step.actions if a.id not in known]
        if new:
            raise StalePlanError(
                f"the plan is stale: {step.name} would now also {new[0].summary} ({new[0].id})"
                + (f" and {len(new) - 1} more actions" if len(new) > 1 else "")
                + ", which the approved plan does not contain; make a new plan")


def _steps_between(until: str | None, only: str | None) -> list[str]:
    if only:
        return [only]
    if until:
        return list(STEPS[: STEPS.index(until) + 1])
    return list(STEPS)


def _projected(step: StepPlan, earlier_pending: set[str]) -> StepPlan:
    """In a whole-cutover plan, guards that earlier steps will satisfy are notes, not failures."""
    deferred = [c for c in step.checks if not c.ok and c.satisfied_by in earlier_pending]
    if not deferred:
        return step
    kept = tuple(c for c in step.checks if c not in deferred)
    notes = tuple(f"guard: {c.name}, which {c.satisfied_by} makes hold, is checked again when {step.name} runs"
                  for c in deferred)
    return replace(step, checks=kept, notes=step.notes + notes)


def make_plan(
    loaded: LoadedPlaybook,
    runtime: Runtime,
    sink: EventSink,
    steps: Sequence[str] | None = None,
    *,
    on_observed: Callable[[Observed], None] | None = None,
) -> Plan:
    """The plan of the whole cutover (or of the named steps): data to print, save, review and apply.

    Observes once and makes no mutating request; `on_observed` sees that observation (a fleet plan judges
    its skip rules from it instead of reading blue again).
    """
    with _Engine(loaded, runtime, sink) as engine:
        engine.claim(bind=False)
        obs = engine.observe()
        if on_observed is not None:
            on_observed(obs)
        names = list(steps) if steps else list(STEPS)
        # A whole-cutover plan shows a step as done exactly when a run would skip it.
        pending = {s for s in STEPS if engine.decide(s, obs, explicit=False)[0] is None}
        planned: list[StepPlan] = []
        for name in names:
            if not steps and name not in pending:
                planned.append(StepPlan(name=name, notes=(DONE_NOTE,)))
                continue
            earlier = {s for s in STEPS[: STEPS.index(name)] if s in pending}
            planned.append(_projected(engine.plan_step(name, obs), earlier))
        plan = Plan(
            playbook=engine.pb.name,
            playbook_digest=loaded.digest,
            created_at=engine.clock.now().isoformat(),
            steps=tuple(planned),
            fingerprint=fingerprint(engine.pb, obs),
        )
        engine.emit(PLAN_READY, f"plan {plan.id}: {sum(len(s.actions) for s in planned)} actions", plan_id=plan.id)
        return plan


def run(
    loaded: LoadedPlaybook,
    runtime: Runtime,
    sink: EventSink,
    *,
    saved_plan: Plan | None = None,
    until: str | None = None,
    only: str | None = None,
    resumable_plan: bool = True,
) -> RunResult:
    """Apply the cutover (or `until` a step, or `only` one step).

    A `saved_plan` is first checked against the live state (stale: refused), and each step's actions
    against it (an action it does not contain: refused). With `resumable_plan` it becomes the run
    record's plan, so running it again after a crash ignores what its own steps changed; a plan shown
    just before one step runs is checked but not adopted.
    """
    with _Engine(loaded, runtime, sink) as engine:
        selected = _steps_between(until, only)
        completed: list[str] = []
        skipped: list[str] = []
        with engine.store.locked(engine.clock.now()):
            engine.record = engine.store.load()
            engine.claim(bind=True)
            if only:
                engine.require_previous(only)
            first = engine.observe()
            obs: Observed | None = first
            if saved_plan is not None:
                engine.check_saved_plan(saved_plan, first)
                if resumable_plan:
                    engine.record.plan_id = saved_plan.id
                    engine.save()
            for name in selected:
                reason, obs = engine.skip_reason(name, obs, explicit=only == name)
                if reason:
                    engine.emit(STEP_SKIPPED, f"{name}: skipped ({reason})", name)
                    skipped.append(name)
                    continue
                obs = obs or engine.observe()
                step = engine.plan_step(name, obs)
                if saved_plan is not None:
                    engine.check_approved(saved_plan, step)
                engine.check_blockers(name, obs)
                engine.apply_step(step, obs)
                completed.append(name)
                obs = None  # the next step observes what this one changed
            engine.emit(RUN_FINISHED, "run finished", None, completed=completed, skipped=skipped)
            return RunResult(completed, skipped, engine.record.to_dict())


def rollback(loaded: LoadedPlaybook, runtime: Runtime, sink: EventSink, *, dry_run: bool = False) -> StepPlan:
    """Traffic and CronJobs back to blue; allowed after the switch moved something, before decommission."""
    with _Engine(loaded, runtime, sink) as engine, engine.store.locked(engine.clock.now()):
        engine.record = engine.store.load()
        engine.claim(bind=not dry_run)
        refusal = may_roll_back(engine.record)
        if refusal:
            raise GuardError(refusal)
        obs = engine.observe()
        step = plan_rollback(engine.pb, obs, engine.record)
        if dry_run:
            return step
        engine.apply_step(step, obs)
        # The switch (and the smoke check before it) must run again before traffic moves to green.
        engine.record.reset("switch", ROLLED_BACK, at=engine.clock.now().isoformat())
        engine.record.reset("smoke")
        engine.record.reset("decommission")
        engine.record.steps.pop("rollback", None)
        engine.save()
        engine.emit(STEP_FINISHED, "rolled back to blue", "rollback")
        return step


def status(loaded: LoadedPlaybook, runtime: Runtime, sink: EventSink) -> dict[str, Any]:
    """The run record plus what Azure and the clusters say now."""
    with _Engine(loaded, runtime, sink) as engine:
        engine.claim(bind=False)
        session, pb = engine.session, engine.pb
        blue = session.aks.get(pb.blue_rg, pb.blue.name)
        try:
            green = session.aks.get(pb.green_rg, pb.green.name)
        except NotFoundError:  # green's resource group does not exist (yet): no green
            green = None
        sw = pb.switch
        record = session.dns.lookup(pb.zone_rg, sw.zone, sw.record or "", sw.record_type)[1] if sw.zone else None
        traffic = session.traffic.observe() if session.traffic is not None else None

        def cluster(info: Any) -> dict[str, Any] | None:
            if info is None:
                return None
            return {"name": info.name, "power_state": info.power_state,
                    "provisioning_state": info.provisioning_state, "kubernetes_version": info.kubernetes_version}

        return {
            "playbook": pb.name,
            "steps": {s: engine.record.status(s) for s in STEPS},
            "facts": engine.record.to_dict()["facts"],
            "blue": cluster(blue),
            "green": cluster(green),
            "record": None if record is None else {"name": f"{pb.switch.record}.{pb.switch.zone} {pb.switch.record_type}",
                                                   "values": list(record.values), "ttl": record.ttl, "etag": record.etag},
            "traffic": None if traffic is None else {**traffic.to_dict(), **shift_status(engine.record)},
        }


def promote(loaded: LoadedPlaybook, runtime: Runtime, sink: EventSink) -> int:
    """Release the step a stepwise shift waits at (manual pause or inconclusive gate); returns its percent.

    Only records the decision: the next `run` goes on from there.
    """
    with _Engine(loaded, runtime, sink) as engine, engine.store.locked(engine.clock.now()):
        engine.record = engine.store.load()
        paused = engine.record.facts.shift_paused_at
        if paused is None:
            raise GuardError("nothing waits for promote: the shift is not paused")
        engine.record.facts.shift_promoted = paused
        engine.save()
        engine.emit(STEP_FINISHED, f"promoted the shift past {paused}%", "switch", percent=paused)
        return paused
