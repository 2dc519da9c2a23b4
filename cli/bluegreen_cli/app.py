"""The Typer application: global options, exit codes, and one function per command.

Exit codes: 0 success; 1 a step failed (or Azure/Kubernetes answered with an
error); 2 bad input (playbook, arguments); 3 refused (stale plan, lock held,
guard); 130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from bluegreen import engine
from bluegreen.clock import SystemClock
from bluegreen.errors import BluegreenError, PlaybookError, RefusedError
from bluegreen.plan import STEPS, Plan
from bluegreen.playbook import LoadedPlaybook, json_schema, load_playbook, validation_problems
from bluegreen.runtime import Runtime
from bluegreen_cli import sim_cmd
from bluegreen_cli.render import (
    EventRenderer,
    console,
    err_console,
    render_json,
    render_plan,
    render_step,
    render_summary,
)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_REFUSED = 0, 1, 2, 3

app = typer.Typer(help="Blue/green cluster cutovers on Azure Kubernetes Service.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.add_typer(sim_cmd.app, name="sim")


class Output(str, Enum):
    text = "text"
    json = "json"


class Step(str, Enum):
    preflight = "preflight"
    provision = "provision"
    redeploy = "redeploy"
    smoke = "smoke"
    switch = "switch"
    decommission = "decommission"


@dataclass
class Options:
    simulate: Path | None = None
    state_dir: Path | None = None


OPTIONS = Options()
PlaybookArg = Annotated[Path, typer.Argument(help="The cutover playbook (YAML).", show_default=False)]
OutputOpt = Annotated[Output, typer.Option("--output", "-o", help="text for people, json for pipelines.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the plan of what would run, and change nothing.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@app.callback()
def main_options(
    simulate: Annotated[Path | None, typer.Option(
        "--simulate", envvar="BLUEGREEN_SIMULATE",
        help="Run against the simulated world in DIR (created from the playbook's simulation: section "
             "if missing) instead of Azure.")] = None,
    state_dir: Annotated[Path | None, typer.Option(
        "--state-dir", envvar="BLUEGREEN_STATE_DIR",
        help="Where journals and locks live (default: .bluegreen next to the playbook, or DIR/state "
             "when simulating).")] = None,
) -> None:
    OPTIONS.simulate = simulate
    OPTIONS.state_dir = state_dir


def fail(message: str, code: int) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, PlaybookError):
        return EXIT_BAD_INPUT
    if isinstance(exc, RefusedError):
        return EXIT_REFUSED
    return EXIT_FAILED


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Map library errors to messages and exit codes, in one place."""
    try:
        yield
    except BluegreenError as exc:
        problems = getattr(exc, "problems", None)
        if isinstance(exc, PlaybookError) and problems and len(problems) > 1:
            for field, message in problems:
                err_console.print(f"[red]error:[/red] {escape(field)}: {escape(message)}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        raise fail(escape(str(exc)), exit_code_for(exc)) from None
    except KeyboardInterrupt:
        raise fail("interrupted; run the same command again to resume", 130) from None


def _load(path: Path) -> LoadedPlaybook:
    return load_playbook(path)


@contextlib.contextmanager
def runtime_for(loaded: LoadedPlaybook) -> Iterator[Runtime]:
    """The seams: the simulated world when --simulate is given, Azure otherwise."""
    if OPTIONS.simulate is not None:
        from bluegreen.sim import persist
        from bluegreen.sim.world import World

        directory = OPTIONS.simulate
        if not persist.is_world(directory):
            if loaded.playbook.simulation is None:
                raise PlaybookError(f"{directory} is not a simulated world and the playbook has no simulation: "
                                    "section to create one from", field="simulation")
            World.create(directory, loaded.playbook.simulation, loaded.base_dir)
        state_dir = OPTIONS.state_dir or directory / "state"
        with World.open(directory) as world:
            yield Runtime(
                credential=world.credential, clock=world.clock, state_dir=state_dir,
                subscription_id=None if loaded.playbook.subscription_id else world.subscription_id,
            )
        return
    from bluegreen.azure.credentials import default_credential

    yield Runtime(credential=default_credential(), clock=SystemClock(),
                  state_dir=OPTIONS.state_dir or loaded.base_dir / ".bluegreen")


# ---------------------------------------------------------------------------------------------- commands
@app.command()
def validate(playbook: PlaybookArg, output: OutputOpt = Output.text) -> None:
    """Check a playbook; report every problem with its field path."""
    import yaml

    try:
        raw = yaml.safe_load(playbook.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise fail(f"{playbook}: {exc}", EXIT_BAD_INPUT) from None
    problems = validation_problems(raw)
    if not problems:
        with handled():
            load_playbook(playbook)  # file references too
    if output == Output.json:
        render_json({"valid": not problems, "problems": [{"field": f, "message": m} for f, m in problems]})
    elif not problems:
        console.print(f"[green]ok[/green] {playbook}")
    for field, message in problems if output == Output.text else []:
        err_console.print(f"[red]error:[/red] {escape(field)}: {escape(message)}")
    if problems:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def schema() -> None:
    """Print the playbook JSON Schema (for editors)."""
    render_json(json_schema())


@app.command()
def plan(
    playbook: PlaybookArg,
    out: Annotated[Path | None, typer.Option("--out", help="Save the plan as JSON for `run --plan`.")] = None,
    output: OutputOpt = Output.text,
) -> None:
    """Observe Azure and both clusters and print what a run would do. Changes nothing."""
    with handled():
        loaded = _load(playbook)
        with runtime_for(loaded) as rt:
            the_plan = engine.make_plan(loaded, rt, EventRenderer(output) if output == Output.json else _quiet)
        render_plan(the_plan, output)
        if out:
            out.write_text(the_plan.to_json() + "\n")
            if output == Output.text:
                console.print(f"saved to {out}")


def _quiet(_: Any) -> None:
    return None


def _confirm(yes: bool, what: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise fail(f"refusing to {what} without --yes (no terminal to ask on)", EXIT_BAD_INPUT)
    if not typer.confirm(f"{what}?", default=False):
        raise typer.Exit(EXIT_REFUSED)


@app.command()
def run(
    playbook: PlaybookArg,
    plan_file: Annotated[Path | None, typer.Option("--plan", help="Apply this saved plan (refused if stale).")] = None,
    until: Annotated[Step | None, typer.Option("--until", help="Stop after this step (e.g. redeploy).")] = None,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = Output.text,
) -> None:
    """Run the cutover (or resume it) up to --until."""
    with handled():
        loaded = _load(playbook)
        saved = _read_plan(plan_file) if plan_file else None
        with runtime_for(loaded) as rt:
            if dry_run:
                render_plan(engine.make_plan(loaded, rt, _quiet), output)
                return
            resumable = saved is not None
            if saved is None and not yes:
                # What the operator reviews is what gets applied: the shown plan's fingerprint is checked.
                saved = engine.make_plan(loaded, rt, _quiet)
                render_plan(saved, output)
            _confirm(yes, "apply this plan")
            result = _execute(loaded, rt, output, saved_plan=saved, until=until.value if until else None,
                              resumable_plan=resumable)
        _summary(result.journal, output)


def _execute(loaded: LoadedPlaybook, rt: Runtime, output: Output, **how: Any) -> engine.RunResult:
    """Run with events rendered as they come; `how` is engine.run's saved_plan/until/only."""
    with EventRenderer(output) as sink:
        return engine.run(loaded, rt, sink, **how)


def _read_plan(path: Path) -> Plan:
    try:
        return Plan.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PlaybookError(f"not a readable plan: {exc}", field=str(path)) from exc


def _summary(journal: dict[str, Any], output: str) -> None:
    if output != Output.json:
        render_summary(journal, STEPS)


def _step_command(name: str) -> None:
    def command(
        playbook: PlaybookArg,
        yes: YesOpt = False,
        dry_run: DryRunOpt = False,
        output: OutputOpt = Output.text,
    ) -> None:
        with handled():
            loaded = _load(playbook)
            with runtime_for(loaded) as rt:
                shown = engine.make_plan(loaded, rt, _quiet, steps=[name])
                step_plan = shown.steps[0]
                if dry_run or (not yes and output == Output.text):
                    if output == Output.json:
                        render_json(asdict(step_plan))
                    else:
                        render_step(step_plan)
                if dry_run:
                    return
                _confirm(yes, f"run {name}")
                # What was shown is what runs: its fingerprint is checked before the step starts.
                result = _execute(loaded, rt, output, only=name, saved_plan=shown, resumable_plan=False)
            _summary(result.journal, output)

    command.__doc__ = {
        "preflight": "Check that the cutover can start (reads only).",
        "provision": "Create (or adopt) green as a clone of blue with the target version.",
        "redeploy": "Put the workloads on green; CronJobs stay suspended there.",
        "smoke": "Check green's workloads and HTTP user flows before any traffic moves.",
        "switch": "Point the DNS record at green, then hand the CronJobs over.",
        "decommission": "Archive blue, remove what can run on it, then stop or delete it.",
    }[name]
    app.command(name=name)(command)


for _name in STEPS:
    _step_command(_name)


@app.command()
def rollback(playbook: PlaybookArg, yes: YesOpt = False, dry_run: DryRunOpt = False,
             output: OutputOpt = Output.text) -> None:
    """Point the record back at blue and hand the CronJobs back (after switch, before decommission)."""
    with handled():
        loaded = _load(playbook)
        with runtime_for(loaded) as rt:
            step_plan = engine.rollback(loaded, rt, _quiet, dry_run=True)
            render_step(step_plan) if output == Output.text else render_json(asdict(step_plan))
            if dry_run:
                return
            _confirm(yes, "roll back to blue")
            with EventRenderer(output) as sink:
                engine.rollback(loaded, rt, sink)


@app.command()
def status(playbook: PlaybookArg, output: OutputOpt = Output.text) -> None:
    """The journal of the playbook plus the live state of blue, green and the record."""
    with handled():
        loaded = _load(playbook)
        with runtime_for(loaded) as rt:
            data = engine.status(loaded, rt, _quiet)
    if output == Output.json:
        render_json(data)
        return
    for name, state in data["steps"].items():
        console.print(f"  {state:<12} {name}")
    for role in ("blue", "green"):
        info = data[role]
        console.print(f"  {role:<6} " + ("absent" if info is None else
                      f"{info['name']}: {info['power_state']}, {info['provisioning_state']}, "
                      f"Kubernetes {info['kubernetes_version']}"))
    record = data["record"]
    if record:
        console.print(f"  record {record['name']} = {', '.join(record['values'])} (TTL {record['ttl']}s)")


@app.command()
def demo(
    keep: Annotated[Path | None, typer.Option("--keep", help="Put the demo world here (default: a temp dir).")] = None,
    output: OutputOpt = Output.text,
) -> None:
    """A full cutover against a simulated Azure and two simulated clusters."""
    workdir = keep or Path(tempfile.mkdtemp(prefix="bluegreen-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    source = resources.files("bluegreen") / "demo"
    for entry in ("playbook.yaml", "manifests"):
        src = Path(str(source / entry))
        dst = workdir / entry
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy(src, dst)
    playbook = workdir / "playbook.yaml"
    OPTIONS.simulate = workdir / "world"
    OPTIONS.state_dir = workdir / "state"
    if output == Output.text:
        console.print(f"[bold]bluegreen demo[/bold]: simulated Azure + clusters in {workdir}\n")
    with handled():
        loaded = _load(playbook)
        with runtime_for(loaded) as rt:
            if output == Output.text:
                render_plan(engine.make_plan(loaded, rt, _quiet), "text")
            with EventRenderer(output) as sink:
                result = engine.run(loaded, rt, sink)
        _summary(result.journal, output)
    if output == Output.text:
        me = _how_i_was_called()
        console.print(f"\n  world:   {OPTIONS.simulate}   ({me} sim show {OPTIONS.simulate})")
        console.print(f"  journal: {OPTIONS.state_dir}")
        console.print(f"  try:     {me} sim start-cluster {OPTIONS.simulate} "
                      f"{loaded.playbook.blue.name} && {me} sim advance {OPTIONS.simulate} 2h "
                      f"&& {me} sim show {OPTIONS.simulate}   (the zombie test: nothing fires)")


def _how_i_was_called() -> str:
    """The command as the user can type it again: `.venv/bin/bluegreen` when run from a venv, say."""
    invoked = Path(sys.argv[0])
    if shutil.which(invoked.name) == str(invoked.resolve()) or not invoked.is_absolute():
        return invoked.name if shutil.which(invoked.name) else str(invoked)
    try:
        return str(invoked.relative_to(Path.cwd()))
    except ValueError:
        return str(invoked)


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()


if __name__ == "__main__":
    main()
