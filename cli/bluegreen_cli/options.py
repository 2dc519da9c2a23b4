"""Arguments and options shared by several commands (typer and the standard library only)."""

# No `from __future__ import annotations`: Typer would compile every string annotation at start-up.

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class Output(str, Enum):
    text = "text"
    json = "json"


class Step(str, Enum):
    """The steps in order; bluegreen.plan.STEPS is the source (tests/cli checks they agree). Spelled out
    here so that `--help` need not load the library."""

    preflight = "preflight"
    provision = "provision"
    redeploy = "redeploy"
    smoke = "smoke"
    switch = "switch"
    decommission = "decommission"


PlaybookArg = Annotated[Path, typer.Argument(help="The cutover playbook (YAML).", show_default=False)]
OutputOpt = Annotated[Output, typer.Option("--output", "-o", help="text for people, json for pipelines.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the plan of what would run, and change nothing.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
