"""HTML rendering of reports: plain strings, every value escaped, nothing loaded from elsewhere.

Templates would be one more dependency for two pages; `html.escape` on every
value is what keeps a pair name or an error text from becoming markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from bluegreen.report.model import FLEET_STATES, FleetRow

# One colour per state, readable on white and distinct for the common colour-blindnesses (Okabe-Ito).
STATE_COLOURS = {
    "pending": "#d9d9d9",
    "running": "#56b4e9",
    "done": "#009e73",
    "failed": "#d55e00",
    "skipped": "#f0e442",
    "waiting-approval": "#cc79a7",
}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #bbb; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .92em; }
.legend span { display: inline-block; padding: .15em .6em; margin-right: .4em; border-radius: 3px; }
.stage { margin: .8em 0; }
.stage h3 { font-size: 1em; margin: .3em 0; }
.cells { display: flex; flex-wrap: wrap; gap: 4px; }
.cell { min-width: 9em; padding: .35em .5em; border-radius: 3px; font-size: .9em; }
.cell .pair { font-weight: 600; display: block; }
.cell .detail { display: block; font-size: .85em; }
.meta td:first-child { font-weight: 600; }
svg text { font-family: system-ui, sans-serif; font-size: 11px; }
"""


def page(title: str, body: str) -> str:
    """A whole document: inline CSS, no script, no external resource."""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
            f"<body>\n<h1>{escape(title)}</h1>\n{body}\n</body>\n</html>\n")


def state_legend() -> str:
    return '<p class="legend">' + "".join(
        f'<span class="state-{s}" style="background:{STATE_COLOURS[s]}">{escape(s)}</span>'
        for s in FLEET_STATES) + "</p>"


def fleet_grid(rows: Iterable[FleetRow]) -> str:
    """The pairs grouped by stage (in the order stages first appear), each a cell coloured by its state."""
    stages: dict[str, list[FleetRow]] = {}
    for row in rows:
        stages.setdefault(row.stage, []).append(row)
    parts = []
    for stage, members in stages.items():
        counts = ", ".join(f"{n} {s}" for s in FLEET_STATES
                           if (n := sum(1 for r in members if r.state == s)))
        cells = "".join(
            f'<div class="cell state-{r.state}" data-pair="{escape(r.pair)}" data-state="{r.state}" '
            f'style="background:{STATE_COLOURS[r.state]}" title="{escape(r.state)}">'
            f'<span class="pair">{escape(r.pair)}</span><span class="state">{escape(r.state)}</span>'
            + (f'<span class="detail">{escape(r.detail)}</span>' if r.detail else "") + "</div>"
            for r in members)
        parts.append(f'<section class="stage" data-stage="{escape(stage)}">'
                     f"<h3>Stage {escape(stage)} <small>({escape(counts)})</small></h3>"
                     f'<div class="cells">{cells}</div></section>')
    return "\n".join(parts) if parts else "<p>No pairs.</p>"


def fleet_page(title: str, rows: Iterable[FleetRow]) -> str:
    """A fleet's progress on one page: a grid of pairs by stage, coloured by state."""
    return page(title, state_legend() + "\n" + fleet_grid(rows))
