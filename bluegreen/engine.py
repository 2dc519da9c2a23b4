"""Plans and applies a cutover, step by step, resumably.

`make_plan` observes and plans every step (pure planning over one
observation). `run` takes the playbook's lock, checks a saved plan's
fingerprint, then for each step re-observes, re-plans and applies, journaling
every finished action, so a process killed anywhere is resumed by running the
same command again: finished actions are not repeated, unfinished ones are
re-planned from the live state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bluegreen.context import StepContext
from bluegreen.errors import GuardError, NotFoundError, PlaybookError, StalePlanError, StepFailedError
from bluegreen.events import (
    PLAN_READY,
    RUN_FINISHED,
    STEP_FAILED,
    STEP_FINISHED,
    STEP_SKIPPED,
    STEP_STARTED,
    WARNING,
    EventSink,
)
from bluegreen.journal import DONE, FAILED, PENDING, ROLLED_BACK, RUNNING
from bluegreen.observe import Observed, fingerprint, observe, source_digest
from bluegreen.plan import READ_ONLY_STEPS, STEPS, Plan, StepPlan, fingerprint_drift
from bluegreen.playbook import LoadedPlaybook
from bluegreen.runtime import Runtime
from bluegreen.steps.decommission import plan_decommission, run_decommission
from bluegreen.steps.preflight import plan_preflight
from bluegreen.steps.provision import plan_provision, run_provision
from bluegreen.steps.redeploy import plan_redeploy, run_redeploy
from bluegreen.steps.rollback import may_roll_back, plan_rollback, run_rollback
from bluegreen.steps.smoke import plan_smoke, run_smoke
from bluegreen.steps.switch import plan_switch, record_label, run_switch

Runner = Callable[[StepContext, Observed, StepPlan], None]


def _run_preflight(ctx: StepContext, obs: Observed, plan: StepPlan) -> None:
    """Preflight acts only through its checks, which the engine enforces."""


RUNNERS: dict[str, Runner] = {
    "preflight": _run_preflight,
    "provision": run_provision,
    "redeploy": run_redeploy,
    "smoke": run_smoke,
    "switch": run_switch,
    "decommission": run_decommission,
}


def plan_step(ctx: StepContext, name: str, obs: Observed) -> StepPlan:
    pb = ctx.pb
    if name == "preflight":
        return plan_preflight(pb, obs)
    if name == "provision":
        return plan_provision(pb, obs)
    if name == "redeploy":
        return plan_redeploy(pb, obs)
    if name == "smoke":
        return plan_smoke(pb, obs)
    if name == "switch":
        return plan_switch(pb, obs)
    if name == "decommission":
        return plan_decommission(pb, obs, drained="decommission/drain" in ctx.journal.actions)
    raise ValueError(name)


def _projected(step: StepPlan, earlier_pending: set[str]) -> StepPlan:
    """In a whole-cutover plan, guards that earlier steps will satisfy are notes, not failures."""
    if step.name == "decommission" and "switch" in earlier_pending:
        kept = tuple(c for c in step.checks if "record" not in c.name)
        return StepPlan(step.name, step.actions, kept,
                        step.notes + ("guard: refuses unless the record points at green when it runs",), step.waits)
    return step


@dataclass
class RunResult:
    completed: list[str]
    skipped: list[str]
    journal: dict[str, Any]


def _steps_between(until: str | None, only: str | None) -> list[str]:
    if only:
        return [only]
    if until:
        return list(STEPS[: STEPS.index(until) + 1])
    return list(STEPS)


def _plan_steps(ctx: StepContext, steps: Sequence[str] | None = None, obs: Observed | None = None) -> Plan:
    """Observe once and plan every step (or the named ones). Makes no mutating request."""
    obs = obs or observe(ctx)
    names = list(steps) if steps else list(STEPS)
    pending = {s for s in STEPS if ctx.journal.status(s) != DONE}
    planned: list[StepPlan] = []
    for name in names:
        if ctx.journal.status(name) == DONE and not steps:
            planned.append(StepPlan(name=name, notes=("done",)))
            continue
        earlier = {s for s in STEPS[: STEPS.index(name)] if s in pending}
        planned.append(_projected(plan_step(ctx, name, obs), earlier))
    plan = Plan(
        playbook=ctx.pb.name,
        playbook_digest=ctx.loaded.digest,
        created_at=ctx.clock.now().isoformat(),
        steps=tuple(planned),
        fingerprint=fingerprint(ctx, obs),
    )
    ctx.emit(PLAN_READY, f"plan {plan.id}: {sum(len(s.actions) for s in planned)} actions", plan_id=plan.id)
    return plan


def make_plan(
    loaded: LoadedPlaybook, runtime: Runtime, sink: EventSink, steps: Sequence[str] | None = None
) -> Plan:
    """The plan of the whole cutover (or of the named steps): data to print, save, review and apply."""
    return _plan_steps(StepContext(loaded, runtime, sink), steps)


def _check_saved_plan(ctx: StepContext, saved: Plan, obs: Observed) -> None:
    if saved.playbook != ctx.pb.name or saved.playbook_digest != ctx.loaded.digest:
        raise StalePlanError("the playbook changed since this plan was made; make a new plan")
    resuming = ctx.journal.plan_id == saved.id
    started = {s for s in STEPS if ctx.journal.status(s) != PENDING} if resuming else set()
    drift = fingerprint_drift(saved.fingerprint, fingerprint(ctx, obs), started)
    if drift:
        raise StalePlanError("the plan is stale, the live state moved on: " + "; ".join(drift))


def _skip_reason(ctx: StepContext, name: str) -> str | None:
    status = ctx.journal.status(name)
    if status == DONE and name not in READ_ONLY_STEPS:
        return "already done"
    if name in READ_ONLY_STEPS:
        following = STEPS[STEPS.index(name) + 1]
        if ctx.journal.status(following) == DONE:
            return f"{following} is already done"
    return None


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

    A `saved_plan` is first checked against the live state (stale: refused). With `resumable_plan` it
    becomes the journal's plan, so running it again after a crash ignores what its own steps changed;
    a plan shown just before one step runs is checked but not adopted.
    """
    ctx = StepContext(loaded, runtime, sink)
    selected = _steps_between(until, only)
    completed: list[str] = []
    skipped: list[str] = []
    with ctx.store.locked(ctx.clock.now()):
        ctx.journal = ctx.store.load()
        if only:
            _require_previous(ctx, only)
        obs: Observed | None = observe(ctx)
        if saved_plan is not None:
            assert obs is not None
            _check_saved_plan(ctx, saved_plan, obs)
            if resumable_plan:
                ctx.journal.plan_id = saved_plan.id
                ctx.save_journal()
        for name in selected:
            reason = _skip_reason(ctx, name)
            if name == "redeploy" and reason:
                obs = obs or observe(ctx)
                if _redeploy_again(ctx, obs, explicit=only == name):
                    reason = None
            if reason:
                ctx.emit(STEP_SKIPPED, f"{name}: skipped ({reason})", name)
                skipped.append(name)
                continue
            obs = obs or observe(ctx)
            step_plan = plan_step(ctx, name, obs)
            started = ctx.clock.now()
            ctx.journal.steps[name] = {"status": RUNNING, "started": started.isoformat()}
            if name == "redeploy":
                # Whatever smoke checked is not what green runs any more: smoke must pass again.
                ctx.journal.steps["smoke"] = {"status": PENDING}
                ctx.journal.facts.pop("smoked_address", None)
            ctx.save_journal()
            ctx.emit(STEP_STARTED, f"{name}: {len(step_plan.actions)} actions", name,
                     eta_seconds=step_plan.eta_seconds)
            for check in step_plan.checks:
                if check.severity == "warning" and not check.ok:
                    ctx.emit(WARNING, f"{check.name}: {check.detail}", name)
            try:
                bad_input = [c for c in step_plan.blocking if c.field]
                if bad_input:
                    raise PlaybookError("; ".join(f"{c.field}: {c.detail}" for c in bad_input),
                                        problems=[(c.field or "", c.detail) for c in bad_input])
                if step_plan.blocking and name in ("preflight",):
                    raise StepFailedError(
                        "preflight failed: " + "; ".join(f"{c.name}: {c.detail}" for c in step_plan.blocking),
                        name,
                    )
                RUNNERS[name](ctx, obs, step_plan)
            except Exception as exc:
                # Errors leave the library through the redactor too (a server may echo what it was sent).
                exc.args = tuple(ctx.redactor.scrub(a) if isinstance(a, str) else a for a in exc.args)
                ctx.journal.steps[name] = {"status": FAILED, "started": started.isoformat(),
                                           "error": str(exc)}
                ctx.save_journal()
                ctx.emit(STEP_FAILED, f"{name} failed: {exc}", name, error=type(exc).__name__)
                raise
            finished = ctx.clock.now()
            ctx.journal.steps[name] = {"status": DONE, "started": started.isoformat(),
                                       "finished": finished.isoformat()}
            ctx.save_journal()
            ctx.emit(STEP_FINISHED, f"{name}: done", name,
                     seconds=(finished - started).total_seconds())
            completed.append(name)
            obs = None  # the next step observes what this one changed
        ctx.emit(RUN_FINISHED, "run finished", None, completed=completed, skipped=skipped)
        return RunResult(completed, skipped, ctx.journal.to_dict())


def _redeploy_again(ctx: StepContext, obs: Observed, *, explicit: bool) -> bool:
    """A done redeploy runs again (asked for, or its source changed) as long as the switch has not begun.

    After the switch, re-applying would suspend green's CronJobs again; before it, server-side apply of the
    same objects is harmless and a fix shipped to blue or the manifests must reach green before smoke.
    """
    if any(key.startswith("switch/") for key in ctx.journal.actions):
        return False
    changed = ctx.journal.facts.get("redeploy_source") != source_digest(obs)
    if not (explicit or changed):
        return False
    ctx.journal.actions = {k: v for k, v in ctx.journal.actions.items() if not k.startswith("redeploy/")}
    ctx.emit(WARNING, "redeploy runs again: " + ("asked for" if explicit else "its source changed since"), "redeploy")
    return True


def _require_previous(ctx: StepContext, name: str) -> None:
    """A single step needs every step before it done (a redeploy run again resets smoke, for one)."""
    for previous in STEPS[: STEPS.index(name)]:
        if ctx.journal.status(previous) != DONE:
            raise GuardError(f"{name} needs {previous} to be done first (it is {ctx.journal.status(previous)}); "
                             f"run `bluegreen {previous}` or `bluegreen run --until {name}`")


def rollback(loaded: LoadedPlaybook, runtime: Runtime, sink: EventSink, *, dry_run: bool = False) -> StepPlan:
    """Traffic and CronJobs back to blue; allowed after the switch moved something, before decommission."""
    ctx = StepContext(loaded, runtime, sink)
    with ctx.store.locked(ctx.clock.now()):
        ctx.journal = ctx.store.load()
        refusal = may_roll_back(ctx.journal.actions, ctx.journal.facts)
        if refusal:
            raise GuardError(refusal)
        obs = observe(ctx)
        step = plan_rollback(ctx.pb, obs, ctx.journal.facts)
        if dry_run:
            return step
        run_rollback(ctx, obs, step)
        # The switch (and the smoke check before it) must run again before traffic moves to green.
        ctx.journal.steps["switch"] = {"status": ROLLED_BACK, "at": ctx.clock.now().isoformat()}
        ctx.journal.steps["smoke"] = {"status": PENDING}
        ctx.journal.steps["decommission"] = {"status": PENDING}
        ctx.journal.actions = {k: v for k, v in ctx.journal.actions.items()
                               if not k.startswith(("switch/", "rollback/", "decommission/"))}
        for fact in ("switched_at", "switched_to", "switched_from", "smoked_address", "record_ttl",
                     "archive", "archive_started", "archived_objects"):
            ctx.journal.facts.pop(fact, None)
        ctx.save_journal()
        ctx.emit(STEP_FINISHED, "rolled back to blue", "rollback")
        return step


def status(loaded: LoadedPlaybook, runtime: Runtime, sink: EventSink) -> dict[str, Any]:
    """The journal plus what Azure and the clusters say now."""
    ctx = StepContext(loaded, runtime, sink)
    pb = ctx.pb
    blue = ctx.aks.get(pb.blue_rg, pb.blue.name)
    try:
        green = ctx.aks.get(pb.green_rg, pb.green.name)
    except NotFoundError:  # green's resource group does not exist (yet): no green
        green = None
    record = ctx.dns.get(pb.zone_rg, pb.switch.zone, pb.switch.record, pb.switch.record_type) \
        if ctx.dns.zone_exists(pb.zone_rg, pb.switch.zone) else None

    def cluster(info: Any) -> dict[str, Any] | None:
        if info is None:
            return None
        return {"name": info.name, "power_state": info.power_state,
                "provisioning_state": info.provisioning_state, "kubernetes_version": info.kubernetes_version}

    return {
        "playbook": pb.name,
        "steps": {s: ctx.journal.status(s) for s in STEPS},
        "facts": ctx.journal.facts,
        "blue": cluster(blue),
        "green": cluster(green),
        "record": None if record is None else {"name": record_label(pb), "values": list(record.values),
                                               "ttl": record.ttl, "etag": record.etag},
    }
