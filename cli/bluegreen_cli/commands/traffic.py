"""The commands of a stepwise shift: promote past a pause, abort back to blue.

Library imports happen inside each command: `bluegreen --help` must not pay for them.
"""

# No `from __future__ import annotations`: Typer would compile every string annotation at start-up.

import typer

from bluegreen_cli.application import application
from bluegreen_cli.commands.cutover import _execute, rollback, show_summary
from bluegreen_cli.options import DryRunOpt, Output, OutputOpt, PlaybookArg, YesOpt


def promote(ctx: typer.Context, playbook: PlaybookArg, yes: YesOpt = False, output: OutputOpt = Output.text) -> None:
    """Release a shift that waits for a person (manual pause, inconclusive gate) and go on with the run."""
    from bluegreen import engine, load_playbook

    app = application(ctx)
    loaded = load_playbook(playbook)
    app.confirm(yes, "promote the shift past its pause and go on")
    with app.runtime_for(loaded) as rt:
        percent = engine.promote(loaded, rt, lambda _: None)
        if output == Output.text:
            app.display(f"promoted past {percent}%; going on")
        result = _execute(app, loaded, rt, output)
    show_summary(app, result.journal, output)


def abort(ctx: typer.Context, playbook: PlaybookArg, yes: YesOpt = False, dry_run: DryRunOpt = False,
          output: OutputOpt = Output.text) -> None:
    """Send all traffic back to blue at any step of a shift (and hand the CronJobs back if they moved)."""
    rollback(ctx, playbook, yes=yes, dry_run=dry_run, output=output)
