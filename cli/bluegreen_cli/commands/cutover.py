"""The commands that observe or change Azure and the clusters: plan, run, one per step, rollback, status.

Library, SDK and rich imports happen inside each command: `bluegreen --help` must not pay for them.
"""

# No `from __future__ import annotations`: Typer would compile every string annotation at start-up.

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bluegreen_cli.application import Application, application
from bluegreen_cli.options import DryRunOpt, Output, OutputOpt, PlaybookArg, Step, YesOpt

if TYPE_CHECKING:
    from bluegreen.engine import RunResult
    from bluegreen.plan import Plan
    from bluegreen.playbook import LoadedPlaybook
    from bluegreen.runtime import Runtime


def quiet(_: Any) -> None:
    return None


def plan(
    ctx: typer.Context,
    playbook: PlaybookArg,
    out: Annotated[Path | None, typer.Option("--out", help="Save the plan as JSON for `run --plan`.")] = None,
    output: OutputOpt = Output.text,
) -> None:
    """Observe Azure and both clusters and print what a run would do. Changes nothing."""
    from bluegreen import engine, load_playbook
    from bluegreen_cli.render import EventRenderer, render_plan

    app = application(ctx)
    _check_out(out)
    loaded = load_playbook(playbook)
    with app.runtime_for(loaded) as rt:
        sink = EventRenderer(output, app.console) if output == Output.json else quiet
        the_plan = engine.make_plan(loaded, rt, sink)
    render_plan(the_plan, output, app.console)
    _refuse_bad_input(the_plan)  # before saving: a plan that can only be refused is not kept
    if out:
        from bluegreen.private_files import write_private

        write_private(out, the_plan.to_json() + "\n")  # 0600 at creation: a plan names what it will touch
        if output == Output.text:
            app.display(f"saved to {out}")
    problems = the_plan.blocking_problems
    if problems:  # a pipeline must not go on to `run` a plan that already knows it will stop
        from bluegreen.errors import GuardError

        raise GuardError(f"the plan has {len(problems)} blocking problem(s): " + "; ".join(problems))


def _refuse_bad_input(the_plan: "Plan") -> None:
    """Blocking problems that name a playbook field (a version not offered, a Service that does not exist) are
    bad input: exit 2, each named, as `validate` would, so a pipeline stops here."""
    from bluegreen.errors import PlaybookError

    problems = [(c.field, c.detail) for s in the_plan.steps for c in s.blocking if c.field]
    if problems:
        raise PlaybookError("; ".join(f"{f}: {m}" for f, m in problems), problems=problems)


def run(
    ctx: typer.Context,
    playbook: PlaybookArg,
    plan_file: Annotated[Path | None, typer.Option("--plan", help="Apply this saved plan (refused if stale).")] = None,
    until: Annotated[Step | None, typer.Option("--until", help="Stop after this step (e.g. redeploy).")] = None,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = Output.text,
) -> None:
    """Run the cutover (or resume it) up to --until."""
    from bluegreen import engine, load_playbook
    from bluegreen_cli.render import render_plan

    app = application(ctx)
    loaded = load_playbook(playbook)
    saved = _read_plan(plan_file) if plan_file else None
    with app.runtime_for(loaded) as rt:
        if dry_run:
            shown = engine.make_plan(loaded, rt, quiet)
            render_plan(shown, output, app.console)
            _refuse_bad_input(shown)
            return
        resumable = saved is not None
        if saved is None and not yes:
            # What the operator reviews is what gets applied: the shown plan's fingerprint is checked.
            saved = engine.make_plan(loaded, rt, quiet)
            render_plan(saved, output, app.console)
            _refuse_bad_input(saved)
        app.confirm(yes, "apply this plan")
        result = _execute(app, loaded, rt, output, saved_plan=saved, until=until.value if until else None,
                          resumable_plan=resumable)
    show_summary(app, result.journal, output)


def _execute(app: Application, loaded: "LoadedPlaybook", rt: "Runtime", output: Output, **how: Any) -> "RunResult":
    """Run with events rendered as they come; `how` is engine.run's saved_plan/until/only."""
    from bluegreen import engine
    from bluegreen_cli.render import EventRenderer

    with EventRenderer(output, app.console) as sink:
        return engine.run(loaded, rt, sink, **how)


_MAX_PLAN_BYTES = 16 * 1024 * 1024


def _read_plan(path: Path) -> "Plan":
    """A saved plan, or bad input naming --plan and the file: whatever the file holds, never a traceback."""
    import json

    from bluegreen import safe_yaml
    from bluegreen.errors import BluegreenError, PlaybookError
    from bluegreen.plan import Plan

    def refuse(why: str) -> PlaybookError:
        return PlaybookError(f"{path} is not a saved plan ({why}); make one with `bluegreen plan --out`",
                             field="--plan")

    if path.is_dir():
        raise refuse("it is a folder")
    try:
        text = safe_yaml.read_text(path, max_bytes=_MAX_PLAN_BYTES, what="plan")
    except PlaybookError as exc:
        raise refuse(exc.problems[0][1] if exc.problems else str(exc)) from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise refuse("nested too deeply") from None
    except ValueError as exc:
        raise refuse(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise refuse(f"a JSON {type(data).__name__ if data is not None else 'null'}, not an object")
    if "format" not in data:
        raise refuse("it has no format number")
    try:
        return Plan.from_dict(data)
    except BluegreenError:
        raise
    except Exception as exc:  # any shape a hand-edited file can take is bad input
        detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc) or type(exc).__name__
        raise refuse(detail) from None


def _check_out(out: Path | None) -> None:
    """`--out` must be writable before anything is observed: a plan lost at the end is an hour lost."""
    from bluegreen.errors import PlaybookError

    if out is None:
        return
    if out.is_dir():
        raise PlaybookError(f"{out} is a folder; give a file name", field="--out")
    if not out.parent.is_dir():
        raise PlaybookError(f"{out.parent} does not exist", field="--out")


def show_summary(app: Application, journal: dict[str, Any], output: str) -> None:
    if output != Output.json:
        from bluegreen.plan import STEPS
        from bluegreen_cli.render import render_summary

        render_summary(journal, STEPS, app.console)


_STEP_HELP = {
    "preflight": "Check that the cutover can start (reads only).",
    "provision": "Create (or adopt) green as a clone of blue with the target version.",
    "redeploy": "Put the workloads on green; CronJobs stay suspended there.",
    "smoke": "Check green's workloads and HTTP user flows before any traffic moves.",
    "switch": "Point the DNS record at green, then hand the CronJobs over.",
    "decommission": "Archive blue, remove what can run on it, then stop or delete it.",
}


def step_command(name: str) -> Any:
    """The command that runs one step, `name`, after showing its plan."""

    def command(
        ctx: typer.Context,
        playbook: PlaybookArg,
        yes: YesOpt = False,
        dry_run: DryRunOpt = False,
        output: OutputOpt = Output.text,
    ) -> None:
        from dataclasses import asdict

        from bluegreen import engine, load_playbook
        from bluegreen.plan import READ_ONLY_STEPS
        from bluegreen_cli.render import render_step

        app = application(ctx)
        loaded = load_playbook(playbook)
        with app.runtime_for(loaded) as rt:
            shown = engine.make_plan(loaded, rt, quiet, steps=[name])
            step_plan = shown.steps[0]
            if dry_run or (not yes and output == Output.text):
                if output == Output.json:
                    app.display_json(asdict(step_plan))
                else:
                    render_step(step_plan, app.console)
            if dry_run:
                return
            if name not in READ_ONLY_STEPS:  # a step that changes nothing needs no confirmation
                app.confirm(yes, f"run {name}")
            # What was shown is what runs: its fingerprint is checked before the step starts.
            result = _execute(app, loaded, rt, output, only=name, saved_plan=shown, resumable_plan=False)
        show_summary(app, result.journal, output)

    command.__doc__ = _STEP_HELP[name]
    return command


def rollback(ctx: typer.Context, playbook: PlaybookArg, yes: YesOpt = False, dry_run: DryRunOpt = False,
             output: OutputOpt = Output.text) -> None:
    """Point the record back at blue and hand the CronJobs back (after switch, before decommission)."""
    from dataclasses import asdict

    from bluegreen import engine, load_playbook
    from bluegreen_cli.render import EventRenderer, render_step

    app = application(ctx)
    loaded = load_playbook(playbook)
    with app.runtime_for(loaded) as rt:
        step_plan = engine.rollback(loaded, rt, quiet, dry_run=True)
        if output == Output.text:
            render_step(step_plan, app.console)
        else:
            app.display_json(asdict(step_plan))
        if dry_run:
            return
        app.confirm(yes, "roll back to blue")
        with EventRenderer(output, app.console) as sink:
            engine.rollback(loaded, rt, sink)


def status(ctx: typer.Context, playbook: PlaybookArg, output: OutputOpt = Output.text) -> None:
    """The journal of the playbook plus the live state of blue, green and the record."""
    from bluegreen import engine, load_playbook

    app = application(ctx)
    loaded = load_playbook(playbook)
    with app.runtime_for(loaded) as rt:
        data = engine.status(loaded, rt, quiet)
    if output == Output.json:
        app.display_json(data)
        return
    for name, state in data["steps"].items():
        app.display(f"  {state:<12} {name}")
    for role in ("blue", "green"):
        info = data[role]
        app.display(f"  {role:<6} " + ("absent" if info is None else
                    f"{info['name']}: {info['power_state']}, {info['provisioning_state']}, "
                    f"Kubernetes {info['kubernetes_version']}"))
    record = data["record"]
    if record:
        app.display(f"  record {record['name']} = {', '.join(record['values'])} (TTL {record['ttl']}s)")
    traffic = data.get("traffic")
    if traffic:
        app.display(f"  router {traffic['router']}: {traffic['green_percent']}% to green"
                    + (f" ({traffic['problem']})" if traffic["problem"] else ""))
        if traffic["step_reached"] is not None:
            app.display(f"  shift  reached {traffic['step_reached']}%"
                        + (f", waits at {traffic['paused_at']}% for `bluegreen promote`"
                           if traffic["paused_at"] is not None else ""))
        for step, verdict in traffic["gates"].items():
            app.display(f"  gate   {step}: {verdict}")
