"""Commands that only read the playbook: `validate` and `schema`. No Azure, Kubernetes or rich here."""

from __future__ import annotations

import typer

from bluegreen_cli.application import application
from bluegreen_cli.exits import EXIT_BAD_INPUT
from bluegreen_cli.options import Output, OutputOpt, PlaybookArg


def validate(ctx: typer.Context, playbook: PlaybookArg, output: OutputOpt = Output.text) -> None:
    """Check a playbook; report every problem with its field path."""
    import yaml

    from bluegreen.playbook import load_playbook, validation_problems

    app = application(ctx)
    try:
        raw = yaml.safe_load(playbook.read_text())
    except (OSError, yaml.YAMLError) as exc:
        app.abort(f"{playbook}: {exc}", EXIT_BAD_INPUT)
    problems = validation_problems(raw)
    if not problems:
        load_playbook(playbook)  # file references too
    if output == Output.json:
        app.display_json({"valid": not problems, "problems": [{"field": f, "message": m} for f, m in problems]})
    elif not problems:
        app.display_success(str(playbook))
    for field, message in problems if output == Output.text else []:
        app.display_error(f"{field}: {message}")
    if problems:
        raise typer.Exit(EXIT_BAD_INPUT)


def schema(ctx: typer.Context) -> None:
    """Print the playbook JSON Schema (for editors)."""
    from bluegreen.playbook import json_schema

    application(ctx).display_json(json_schema())
