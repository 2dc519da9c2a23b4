"""The Typer application: global options and the command table.

The commands live in `bluegreen_cli.commands` and `bluegreen_cli.sim_cmd`; their
state is one `Application` per invocation (`ctx.obj`), and errors become exit
codes in one place (`application.Group`, see `exits.py`). Nothing heavy is
imported here, so `bluegreen --help` costs about what a bare Typer app costs.
"""

# No `from __future__ import annotations`: Typer would compile every string annotation at start-up.

import os
from pathlib import Path
from typing import Annotated

import typer

from bluegreen_cli import sim_cmd
from bluegreen_cli.application import Application, Group
from bluegreen_cli.commands import cutover, demo, fleet, playbook, traffic
from bluegreen_cli.commands import report as report_cmd
from bluegreen_cli.options import Step

app = typer.Typer(help="Blue/green cluster cutovers on Azure Kubernetes Service.", no_args_is_help=True,
                  pretty_exceptions_enable=False, cls=Group)
app.add_typer(sim_cmd.app, name="sim")
app.add_typer(fleet.app, name="fleet")


@app.callback()
def main_options(
    ctx: typer.Context,
    simulate: Annotated[Path | None, typer.Option(
        "--simulate", envvar="BLUEGREEN_SIMULATE",
        help="Run against the simulated world in DIR (created from the playbook's simulation: section "
             "if missing) instead of Azure.")] = None,
    state_dir: Annotated[Path | None, typer.Option(
        "--state-dir", envvar="BLUEGREEN_STATE_DIR",
        help="Where journals and locks live (default: .bluegreen next to the playbook, or DIR/state "
             "when simulating).")] = None,
    state: Annotated[str | None, typer.Option(
        "--state", envvar="BLUEGREEN_STATE", metavar="URL",
        help="Keep run records and locks in Azure Blob Storage: azblob://ACCOUNT/CONTAINER/PREFIX or "
             "https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX, the prefix optional (overrides the "
             "playbook's state:).")] = None,
) -> None:
    ctx.obj = Application(simulate=simulate, state_dir=state_dir, state=state)


app.command()(playbook.validate)
app.command()(playbook.schema)
app.command()(cutover.plan)
app.command()(cutover.run)
for _step in Step:
    app.command(name=_step.value)(cutover.step_command(_step.value))
app.command()(cutover.rollback)
app.command()(cutover.status)
app.command()(demo.demo)
app.command()(traffic.promote)
app.command()(traffic.abort)
app.command()(report_cmd.report)


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()


if __name__ == "__main__":
    main()
