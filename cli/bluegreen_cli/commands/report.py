"""`bluegreen report`: one self-contained HTML page of a pair's run, to attach to a change record.

Library imports happen inside the command: `bluegreen --help` must not pay for them.
"""

# No `from __future__ import annotations`: Typer would compile every string annotation at start-up.

from pathlib import Path
from typing import Annotated

import typer

from bluegreen_cli.application import application
from bluegreen_cli.exits import EXIT_REFUSED
from bluegreen_cli.options import PlaybookArg

HtmlOpt = Annotated[Path, typer.Option("--html", help="Write the report to FILE (one HTML page, loads nothing).",
                                       show_default=False)]


def report(ctx: typer.Context, playbook: PlaybookArg, html: HtmlOpt) -> None:
    """Write a pair's run as one HTML page: steps on a timeline, the traffic split, the CronJob handoff."""
    from bluegreen import load_playbook
    from bluegreen.journal import atomic_write
    from bluegreen.report import load_record, pair_page, pair_report

    app = application(ctx)
    loaded = load_playbook(playbook)
    with app.runtime_for(loaded) as rt:
        record = load_record(loaded, rt)
    if not record.steps:
        app.abort(f"playbook {loaded.playbook.name!r} has no run record yet: nothing to report "
                  "(run `bluegreen run PLAYBOOK` first)", EXIT_REFUSED)
    atomic_write(html, pair_page(pair_report(record)), mode=0o644)
    app.display(f"wrote {html}")
