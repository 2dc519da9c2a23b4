"""HTML rendering of reports: plain strings, every value escaped, nothing loaded from elsewhere.

Templates would be one more dependency for two pages; `html.escape` on every
value is what keeps a pair name or an error text from becoming markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from html import escape

from bluegreen.report.model import FLEET_STATES, FleetRow
from bluegreen.report.pair import PairReport

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
time { white-space: nowrap; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .92em; }
.legend span { display: inline-block; padding: .15em .6em; margin-right: .4em; border-radius: 3px; }
.stage { margin: .8em 0; }
.stage h3 { font-size: 1em; margin: .3em 0; }
.cells { display: flex; flex-wrap: wrap; gap: 4px; }
.cell { min-width: 9em; padding: .35em .5em; border-radius: 3px; font-size: .9em; }
.cell .pair { font-weight: 600; display: block; }
.cell .detail { display: block; font-size: .85em; }
.meta td:first-child { font-weight: 600; }
svg { max-width: 100%; height: auto; }
td code { overflow-wrap: anywhere; }
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


# -- one pair's run ----------------------------------------------------------------------------------------------
STEP_COLOURS = {"done": "#009e73", "running": "#56b4e9", "failed": "#d55e00", "rolled_back": "#e69f00",
                "pending": "#d9d9d9"}
WIDTH, LEFT, RIGHT = 820, 110, 20


def _hms(at: datetime | None) -> str:
    return "" if at is None else at.strftime("%H:%M:%S")


def _iso(at: datetime | None) -> str:
    return "" if at is None else at.isoformat()


def _time(at: datetime | None) -> str:
    """A moment on the record's clock as a <time> element: readable, with the exact ISO time kept."""
    if at is None:
        return ""
    return f'<time datetime="{at.isoformat()}">{at.strftime("%Y-%m-%d %H:%M:%S")}</time>'


def _pairs(rows: Iterable[tuple[str, str]], cls: str) -> str:
    """A two-column table of names and values, headed by the names themselves."""
    return (f'<table class="{cls}"><tbody>' + "".join(
        f"<tr><th>{escape(k)}</th><td><code>{escape(v)}</code></td></tr>" for k, v in rows) + "</tbody></table>")


def _duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    seconds = int((end - start).total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}m{seconds:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


class _Axis:
    """Times to x: the run's span across the chart's width (a span of zero still gets a width)."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start = start
        self.seconds = max((end - start).total_seconds(), 1.0)

    def x(self, at: datetime) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (at - self.start).total_seconds() / self.seconds

    def ticks(self, y: float, count: int = 5) -> str:
        out = []
        for i in range(count + 1):
            at = self.start + timedelta(seconds=self.seconds * i / count)
            x = self.x(at)
            anchor = "start" if i == 0 else "end" if i == count else "middle"
            out.append(f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#888"/>'
                       f'<text x="{x:.1f}" y="{y + 12:.1f}" text-anchor="{anchor}" fill="#555">{_hms(at)}</text>')
        return "".join(out)


def _timeline_svg(report: PairReport, axis: _Axis) -> str:
    row = 24
    height = row * len(report.steps) + 30
    parts = [f'<svg class="timeline" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-label="steps on the record\'s clock">']
    for i, step in enumerate(report.steps):
        y = i * row + 4
        parts.append(f'<text x="0" y="{y + 14}">{escape(step.name)}</text>')
        if step.started is None:
            continue
        x0 = axis.x(step.started)
        x1 = axis.x(step.finished or step.started)
        colour = STEP_COLOURS.get(step.status, "#999")
        parts.append(f'<rect class="step" data-step="{escape(step.name)}" x="{x0:.1f}" y="{y}" '
                     f'width="{max(x1 - x0, 3):.1f}" height="{row - 8}" fill="{colour}">'
                     f"<title>{escape(step.name)}: {escape(step.status)} {_hms(step.started)}-"
                     f"{_hms(step.finished)}</title></rect>")
    parts.append(axis.ticks(row * len(report.steps) + 12))
    parts.append("</svg>")
    return "".join(parts)


def _split_svg(report: PairReport, axis: _Axis, end: datetime) -> str:
    top, plot = 12, 160
    height = top + plot + 34

    def y(percent: int) -> float:
        return top + plot * (100 - percent) / 100

    parts = [f'<svg class="split" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-label="percent of traffic to green over time">']
    for percent in (0, 25, 50, 75, 100):
        parts.append(f'<line x1="{LEFT}" y1="{y(percent):.1f}" x2="{WIDTH - RIGHT}" y2="{y(percent):.1f}" '
                     f'stroke="#e5e5e5"/><text x="{LEFT - 6}" y="{y(percent) + 4:.1f}" text-anchor="end" '
                     f'fill="#555">{percent}%</text>')
    parts.append(f'<text x="0" y="{top + plot / 2:.0f}">green\'s share</text>')
    # A step line: each point holds until the next one, then jumps (a DNS flip is one jump, 0 to 100).
    first = report.split[0]
    path = [f"M{axis.x(first.at):.1f} {y(first.percent):.1f}"]
    path += [f"H{axis.x(p.at):.1f} V{y(p.percent):.1f}" for p in report.split[1:]]
    path.append(f"H{axis.x(end):.1f}")
    parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="#009e73" stroke-width="2.5"/>')
    for point in report.split:
        x, py = axis.x(point.at), y(point.percent)
        parts.append(f'<circle class="split-point" data-percent="{point.percent}" cx="{x:.1f}" cy="{py:.1f}" '
                     f'r="3.5" fill="#009e73"><title>{_hms(point.at)} {point.percent}% to green: '
                     f'{escape(point.setting)}</title></circle>'
                     f'<text x="{x + 4:.1f}" y="{py - 5:.1f}" fill="#006b4f">{point.percent}%</text>')
    for handoff in report.cronjobs:
        if handoff.at is None or handoff.step != "switch":
            continue
        x = axis.x(handoff.at)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot}" stroke="#cc79a7" '
                     f'stroke-dasharray="4 3"><title>CronJob {escape(handoff.name)} to {escape(handoff.target)}'
                     f"</title></line>")
    if any(h.step == "switch" and h.at is not None for h in report.cronjobs):
        handed = min(h.at for h in report.cronjobs if h.step == "switch" and h.at is not None)
        parts.append(f'<text x="{axis.x(handed) - 4:.1f}" y="{top + plot - 6}" text-anchor="end" '
                     f'fill="#a0507f">CronJobs to green</text>')
    parts.append(axis.ticks(top + plot + 16))
    parts.append("</svg>")
    return "".join(parts)


def _table(head: Iterable[str], rows: Iterable[Iterable[str]], cls: str) -> str:
    return (f'<table class="{cls}"><thead><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head)
            + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in r) + "</tr>" for r in rows)
            + "</tbody></table>")


def pair_page(report: PairReport, title: str | None = None) -> str:
    """One run of one pair: who and what, the steps' timeline, the traffic split, the CronJob handoff."""
    meta = [("run id", report.run_id), *report.identity]
    if report.value_before or report.value_after:
        meta.append(("traffic moved", f"{report.value_before or '?'} -> {report.value_after or '?'}"
                     + (f" at {_iso(report.switched_at)}" if report.switched_at else "")))
    meta.append(("archive", report.archive or "none yet"))
    if report.archived_objects is not None:
        meta.append(("archived objects", str(report.archived_objects)))
    body = [_pairs(meta, "meta")]
    start, end = report.start, report.end
    body.append("<h2>Timeline</h2>")
    if start is None or end is None:
        body.append("<p>No step has started yet.</p>")
    else:
        axis = _Axis(start, end)
        body.append(_timeline_svg(report, axis))
        body.append(_table(("step", "status", "started", "finished", "took", "actions", "error"), (
            (escape(s.name), f'<span class="status-{escape(s.status)}">{escape(s.status)}</span>',
             _time(s.started), _time(s.finished), _duration(s.started, s.finished), str(s.actions),
             escape(s.error or ""))
            for s in report.steps), "steps"))
        body.append("<h2>Traffic split</h2>")
        if report.split:
            body.append(f"<p>Green's share of the traffic, on the record's clock ({'stepwise shift' if report.weighted else 'DNS flip: 0 to 100 at the switch'}).</p>")
            body.append(_split_svg(report, axis, end))
            body.append(_table(("at", "green", "router / record", "why", "gate"), (
                (_time(p.at), f"{p.percent}%", f"<code>{escape(p.setting)}</code>", escape(p.why),
                 escape(p.gate or "")) for p in report.split), "split"))
            if report.shift:
                body.append(_pairs(((k.replace("_", " "), ", ".join(f"{p} {g}" for p, g in v.items())
                                     if isinstance(v, dict) else str(v)) for k, v in report.shift.items()), "shift"))
        elif report.rolled_back_at is not None:
            body.append(f"<p>Rolled back to blue at {_time(report.rolled_back_at)}: a rollback resets the switch, "
                        "so the record no longer holds the moves it undid.</p>")
        else:
            body.append("<p>No traffic has moved to green.</p>")
    body.append("<h2>CronJobs</h2>")
    if report.cronjobs:
        body.append(_table(("CronJob", "step", "owner before", "suspended", "owner after", "resumed",
                            "record before", "record after"), (
            (f"<code>{escape(c.name)}</code>", escape(c.step),
             f'<span class="owner">{escape(c.source)}</span>', _time(c.suspended_at),
             f'<span class="owner">{escape(c.target)}</span>', _time(c.resumed_at),
             f"<code>{escape(report.value_before or '')}</code>" if c.step == "switch" else
             f"<code>{escape(report.value_after or '')}</code>",
             f"<code>{escape(report.value_after or '')}</code>" if c.step == "switch" else
             f"<code>{escape(report.value_before or '')}</code>")
            for c in report.cronjobs), "cronjobs"))
    else:
        body.append("<p>No CronJob changed hands in this run.</p>")
    if report.facts:
        body.append("<h2>Run record facts</h2>")
        body.append(_pairs(report.facts, "facts"))
    return page(title or f"Cutover {report.playbook}", "\n".join(body))
