"""`bluegreen fleet ...`: plan, run, approve, status, pipeline, run-pair, gate and render for a fleet of pairs.

Library imports happen inside each command: `bluegreen --help` must not pay for them.
"""

# No `from __future__ import annotations`: Typer would compile every string annotation at start-up.

import getpass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from bluegreen_cli.application import application
from bluegreen_cli.exits import EXIT_FAILED
from bluegreen_cli.options import Output, OutputOpt, Step, YesOpt

app = typer.Typer(help="Many cluster pairs cut over in stages (a fleet file).", no_args_is_help=True)

FleetArg = Annotated[Path, typer.Argument(help="The fleet file (YAML).", show_default=False)]


class Format(str, Enum):
    github_actions = "github-actions"
    azure_pipelines = "azure-pipelines"


def _quiet(_: Any) -> None:
    return None


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds else "-"


@app.command()
def plan(ctx: typer.Context, fleet: FleetArg, output: OutputOpt = Output.text) -> None:
    """Observe every pair at once and print one table, plus the fleet-wide findings. Changes nothing."""
    from bluegreen.fleet import load_fleet, plan_fleet

    app_ = application(ctx)
    loaded = load_fleet(fleet)
    with app_.fleet_runtime(loaded) as rt:
        result = plan_fleet(loaded, rt, _quiet)
    if output == Output.json:
        app_.display_json(result.to_dict())
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"fleet {loaded.name}: {len(result.pairs)} pairs")
    for column in ("pair", "stage", "blue", "target", "findings", "ETA"):
        table.add_column(column)
    for row in result.pairs:
        findings = row.skip and f"skipped: {row.skip}" or "; ".join(row.findings) or "none"
        cells = (row.pair, row.stage, row.blue_version or "-", row.target_version, findings, _minutes(row.eta_seconds))
        table.add_row(*(Text(c) for c in cells))  # findings quote paths like [file.yaml line 1]: not markup
    app_.console.print(table)
    app_.display("fleet-wide findings:")
    removed, short = result.removed_apis, result.subnets_short
    if not removed and not short:
        app_.display("  none: no pair uses an API removed in its target version; every subnet has room")
    for pair, details in removed.items():
        app_.display(f"  {pair}: uses APIs removed in its target version: {'; '.join(details)}")
    for pair, details in short.items():
        app_.display(f"  {pair}: subnet lacks room: {'; '.join(details)}")


@app.command()
def run(
    ctx: typer.Context,
    fleet: FleetArg,
    until: Annotated[Step | None, typer.Option("--until", help="Stop every pair after this step.")] = None,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
) -> None:
    """Run the stages in order on a bounded worker pool (resumes where the last run stopped)."""
    from bluegreen.fleet import load_fleet, run_fleet
    from bluegreen.fleet.runner import PAIR_FAILED, PAIR_FINISHED, PAIR_SKIPPED, STAGE_FINISHED, STAGE_STARTED

    app_ = application(ctx)
    loaded = load_fleet(fleet)
    app_.confirm(yes, f"cut over the {len(loaded.pairs)} pairs of fleet {loaded.name} (review `bluegreen fleet plan`)")
    shown = {STAGE_STARTED, STAGE_FINISHED, PAIR_FINISHED, PAIR_FAILED, PAIR_SKIPPED}

    def sink(event: Any) -> None:
        if output == Output.json:
            import json
            import sys

            sys.stdout.write(json.dumps(event.to_json(), default=str) + "\n")
        elif event.kind in shown:
            typer.echo(f"  {event.message}")

    with app_.fleet_runtime(loaded) as rt:
        result = run_fleet(loaded, rt, sink, until=until.value if until else None)
    if output == Output.text:
        app_.display_success(f"stages done: {', '.join(result.stages_done)}")


@app.command("run-pair")
def run_pair(
    ctx: typer.Context,
    fleet: FleetArg,
    pair: Annotated[str, typer.Argument(help="The pair to run.", show_default=False)],
    until: Annotated[Step | None, typer.Option("--until", help="Stop after this step.")] = None,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
) -> None:
    """Run one pair under the fleet's skip rules (a pipeline's pair job): a skipped pair exits 0 saying why."""
    from bluegreen.fleet import load_fleet
    from bluegreen.fleet.runner import SKIPPED
    from bluegreen.fleet.runner import run_pair as run_one
    from bluegreen_cli.render import EventRenderer

    app_ = application(ctx)
    loaded = load_fleet(fleet)
    the_pair = loaded.pair(pair)
    app_.confirm(yes, f"cut over pair {pair} of fleet {loaded.name}")
    with app_.fleet_runtime(loaded) as rt, EventRenderer(output.value, app_.console) as sink:  # as `bluegreen run`
        outcome, detail = run_one(loaded, rt, sink, the_pair, until=until.value if until else None)
    if output == Output.text:
        app_.display_success(f"{pair}: skipped ({detail})" if outcome == SKIPPED else f"{pair}: {detail}")


@app.command()
def gate(
    ctx: typer.Context,
    fleet: FleetArg,
    stage: Annotated[str, typer.Argument(help="The stage to judge.", show_default=False)],
    until: Annotated[Step | None, typer.Option("--until", help="The step its pairs were run to.")] = None,
    output: OutputOpt = Output.text,
) -> None:
    """Exit 1 when the stage's failed pairs reach its failure budget, or a pair neither finished nor was skipped."""
    from bluegreen.fleet import load_fleet
    from bluegreen.fleet.runner import gate_stage

    app_ = application(ctx)
    loaded = load_fleet(fleet)
    with app_.fleet_runtime(loaded) as rt:
        result = gate_stage(loaded, rt, stage, until=until.value if until else None)
    if output == Output.json:
        app_.display_json({"stage": result.stage, "budget": result.budget, "passed": result.passed,
                           "verdict": result.verdict,
                           "pairs": [{"pair": p, "outcome": o, "detail": d} for p, o, d in result.pairs]})
    else:
        for name, outcome, detail in result.pairs:
            app_.display(f"  {outcome:<10} {name}  {detail}")
    if not result.passed:
        app_.abort(result.verdict, EXIT_FAILED)
    if output == Output.text:
        app_.display_success(result.verdict)


@app.command()
def approve(ctx: typer.Context, fleet: FleetArg,
            stage: Annotated[str, typer.Argument(help="The stage to let start.", show_default=False)],
            by: Annotated[str | None, typer.Option("--by", help="Who approves (default: this user).")] = None,
            ) -> None:
    """Approve a stage gated by `approval: manual`; the next `fleet run` goes past the gate."""
    from bluegreen.fleet import approve as approve_stage
    from bluegreen.fleet import load_fleet

    app_ = application(ctx)
    loaded = load_fleet(fleet)
    with app_.fleet_runtime(loaded) as rt:
        entry = approve_stage(loaded, rt, stage, by or getpass.getuser())
    app_.display_success(f"stage {stage} approved by {entry['by']} at {entry['at']}")


@app.command()
def status(ctx: typer.Context, fleet: FleetArg, output: OutputOpt = Output.text) -> None:
    """Every pair's run record and the fleet's progress (reads the state only)."""
    from bluegreen.fleet import fleet_progress, load_fleet

    app_ = application(ctx)
    loaded = load_fleet(fleet)
    with app_.fleet_runtime(loaded) as rt:
        data = fleet_progress(loaded, rt)
    if output == Output.json:
        app_.display_json(data)
        return
    for stage in data["stages"]:
        gate = ""
        if stage["approval"] == "manual":
            gate = f" (approved by {stage['approved']['by']})" if stage["approved"] else " (needs approval)"
        app_.display(f"stage {stage['name']}: {stage['state']}{gate}")
        for row in data["pairs"]:
            if row["stage"] == stage["name"]:
                app_.display(f"  {row['state']:<12} {row['pair']}  {row['detail']}")


@app.command()
def pipeline(
    ctx: typer.Context,
    fleet: FleetArg,
    format: Annotated[Format, typer.Option("--format", help="The CI/CD system.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of to stdout.")] = None,
    root: Annotated[Path | None, typer.Option(
        "--root", help="The repository root the CI checks out (paths are relative to it; default: the current "
                       "folder).")] = None,
    until: Annotated[Step | None, typer.Option("--until", help="Every pair job stops after this step.")] = None,
) -> None:
    """Write the CI/CD workflow that runs this fleet: a job per group (a matrix of pairs), stages in order."""
    from bluegreen.fleet import load_fleet
    from bluegreen.fleet.pipeline import pipeline as make_pipeline

    app_ = application(ctx)
    loaded = load_fleet(fleet)
    text = make_pipeline(loaded, format.value, root or Path.cwd(), until.value if until else None)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text)
    app_.display_success(f"wrote {out}")


@app.command()
def render(
    ctx: typer.Context,
    fleet: FleetArg,
    pair: Annotated[str, typer.Argument(help="The pair (a row of the fleet's table).", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of to stdout.")] = None,
) -> None:
    """A template pair's playbook, its row's values put in (what a pipeline job runs)."""
    from bluegreen.fleet import load_fleet
    from bluegreen.fleet.spec import rendered_text

    loaded = load_fleet(fleet)
    text = rendered_text(loaded, loaded.pair(pair))
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text)
