"""Commands that only read the playbook: `validate` and `schema`. No Azure, Kubernetes or rich here."""

# No `from __future__ import annotations`: Typer would compile every string annotation at start-up.

import typer

from bluegreen_cli.application import application
from bluegreen_cli.exits import EXIT_BAD_INPUT
from bluegreen_cli.options import Output, OutputOpt, PlaybookArg


def validate(ctx: typer.Context, playbook: PlaybookArg, output: OutputOpt = Output.text) -> None:
    """Check a playbook; report every problem with its field path."""
    from bluegreen.errors import PlaybookError
    from bluegreen.playbook import load_playbook
    from bluegreen_cli.exits import INPUT_ERRORS

    app = application(ctx)
    try:
        load_playbook(playbook)  # the schema, cross-field rules and file references, every problem at once
        problems: list[tuple[str, str]] = []
    except PlaybookError as exc:
        problems = exc.problems or [(exc.field or str(playbook), str(exc))]
    except INPUT_ERRORS as exc:  # the loaders refuse these themselves; a report in the asked format regardless
        problems = [(str(playbook), f"cannot read: {type(exc).__name__}")]
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
