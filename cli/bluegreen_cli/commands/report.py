"""`bluegreen report`: one self-contained HTML page of a pair's run, to attach to a change record.

Library imports happen inside the command: `bluegreen --help` must not pay for them.
"""

# No `from __future__ import annotations`: Typer would compile every string annotation at start-up.

from pathlib import Path
from typing import Annotated

import typer

from bluegreen_cli.application import Application, application
from bluegreen_cli.exits import EXIT_REFUSED
from bluegreen_cli.options import PlaybookArg

HtmlOpt = Annotated[Path, typer.Option("--html", help="Write the report to FILE (one HTML page, loads nothing).",
                                       show_default=False)]


def report(ctx: typer.Context, playbook: PlaybookArg, html: HtmlOpt) -> None:
    """Write a pair's run (or a fleet's progress) as one HTML page: for a pair, the steps on a timeline, the
    traffic split and the CronJob handoff; for a fleet file (kind: Fleet), a grid of pairs by stage."""
    from bluegreen import load_playbook, safe_yaml
    from bluegreen.journal import atomic_write
    from bluegreen.playbook import MAX_PLAYBOOK_BYTES
    from bluegreen.report import load_record, pair_page, pair_report

    app = application(ctx)
    document = safe_yaml.load_file(playbook, max_bytes=MAX_PLAYBOOK_BYTES, what="playbook or fleet")
    if isinstance(document, dict) and document.get("kind") == "Fleet":
        _fleet_report(app, playbook, html)
        return
    loaded = load_playbook(playbook)
    with app.runtime_for(loaded) as rt:
        record = load_record(loaded, rt)
    if not record.steps:
        app.abort(f"playbook {loaded.playbook.name!r} has no run record yet: nothing to report "
                  "(run `bluegreen run PLAYBOOK` first)", EXIT_REFUSED)
    atomic_write(html, pair_page(pair_report(record)), mode=0o644)
    app.display(f"wrote {html}")


def _fleet_report(app: "Application", path: Path, html: Path) -> None:
    from bluegreen.fleet import load_fleet, status_rows
    from bluegreen.journal import atomic_write
    from bluegreen.report import fleet_page

    fleet = load_fleet(path)
    with app.fleet_runtime(fleet) as rt:
        rows = status_rows(fleet, rt)
    atomic_write(html, fleet_page(f"fleet {fleet.name}", rows), mode=0o644)
    app.display(f"wrote {html}")
