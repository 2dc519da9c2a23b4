"""How plans, events and results look: rich for people, JSON lines for pipelines.

Imported only by the commands that render plans or events (rich is not cheap to load);
every function draws on the Application's console it is given.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.status import Status
from rich.table import Table
from rich.text import Text

from bluegreen.events import Event
from bluegreen.plan import Plan, StepPlan, format_eta

_STYLE = {
    "step_started": "bold cyan",
    "step_finished": "green",
    "step_failed": "bold red",
    "step_paused": "bold yellow",
    "step_skipped": "dim",
    "warning": "yellow",
    "waiting": "magenta",
    "action_finished": "",
    "retry": "yellow",
}


class EventRenderer:
    """An event sink that prints each event as it comes."""

    def __init__(self, output: str, console: Console) -> None:
        self.output = output
        self.console = console
        self._spinner: Status | None = None

    def __call__(self, event: Event) -> None:
        if self.output == "json":
            sys.stdout.write(json.dumps(event.to_json(), default=str) + "\n")
            sys.stdout.flush()
            return
        self._stop_spinner()
        self._print(event)
        waits = event.kind == "waiting" or (
            event.kind == "action_started" and float(event.data.get("eta_seconds") or 0) >= 10)
        if waits and self.console.is_terminal:
            # Something slow is under way (an LRO, a rollout, a drain): keep the terminal visibly alive.
            self._spinner = self.console.status(escape(event.message), spinner="dots")
            self._spinner.start()

    def __enter__(self) -> EventRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_spinner()

    def _stop_spinner(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def _print(self, event: Event) -> None:
        if event.kind == "plan_ready":
            return
        if event.kind == "action_started" and float(event.data.get("eta_seconds") or 0) < 10:
            return  # quick actions show once, when they are done
        if event.kind == "action_started":
            event = Event(event.kind, f"{event.message} (about {format_eta(event.data['eta_seconds'])})...",
                          event.step, event.time, event.data)
        if event.kind == "action_finished":
            event = Event(event.kind, f"ok  {event.message}", event.step, event.time, event.data)
        stamp = event.time.strftime("%H:%M:%S") if event.time else "--:--:--"
        style = _STYLE.get(event.kind, "")
        if event.kind == "check":
            style = "green" if event.data.get("ok") else "red"
        prefix = f"[dim]{stamp}[/dim] "
        step = f"[bold]{event.step:<12}[/bold] " if event.step else " " * 13
        message = escape(event.message)
        self.console.print(f"{prefix}{step}[{style}]{message}[/{style}]" if style else f"{prefix}{step}{message}")


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_value(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def render_step(step: StepPlan, console: Console) -> None:
    title = f"[bold]{step.name}[/bold]"
    if step.actions:
        title += f"  ({len(step.actions)} actions, ETA {format_eta(step.eta_seconds)})"
    console.print(title)
    for check in step.checks:
        mark = "[green]ok[/green]  " if check.ok else ("[yellow]warn[/yellow]" if check.severity == "warning"
                                                   else "[red]FAIL[/red]")
        console.print(f"  {mark} {escape(check.name)}: {escape(check.detail)}")
    for blocker in step.blockers:
        console.print(f"  [red]BLOCKS[/red] {escape(blocker.name)}: {escape(blocker.detail)} "
                      f"(stops {escape(blocker.applies_from)} and every step after it)")
    if step.actions:
        table = Table(show_header=True, header_style="dim", box=None, pad_edge=False, padding=(0, 1))
        table.add_column("action")
        table.add_column("before")
        table.add_column("after")
        for action in step.actions:
            table.add_row(Text(action.summary), Text(_value(action.before)), Text(_value(action.after)))
        console.print(table)
    for wait in step.waits:
        console.print(f"  [magenta]waits for[/magenta] {escape(wait)}")
    for note in step.notes:
        console.print(f"  [dim]note:[/dim] {escape(note)}")
    console.print()


def render_plan(plan: Plan, output: str, console: Console) -> None:
    if output == "json":
        sys.stdout.write(plan.to_json() + "\n")
        return
    console.print(f"[bold]Plan {plan.id}[/bold] for playbook [bold]{plan.playbook}[/bold] "
                  f"(observed {plan.created_at}); ETA {format_eta(plan.eta_seconds)}\n")
    for step in plan.steps:
        render_step(step, console)
    blocking = plan.blocking_problems
    if blocking:
        console.print(f"[red]{len(blocking)} blocking problem(s): the run would stop at them.[/red]")


def render_summary(journal: dict[str, Any], steps: tuple[str, ...], console: Console) -> None:
    """The end of a run: each step's status and how long it took (on the run's clock)."""
    table = Table(title="cutover", title_justify="left", box=None, padding=(0, 2), header_style="dim")
    table.add_column("step")
    table.add_column("status")
    table.add_column("took", justify="right")
    for name in steps:
        entry = journal.get("steps", {}).get(name, {})
        status = entry.get("status", "pending")
        color = {"done": "green", "failed": "red", "running": "yellow", "paused": "yellow"}.get(status, "dim")
        took = "-"
        if entry.get("started") and entry.get("finished"):
            seconds = (datetime.fromisoformat(entry["finished"]) - datetime.fromisoformat(entry["started"]))
            took = format_eta(seconds.total_seconds())
        table.add_row(name, Text(status, style=color), took)
    console.print()
    console.print(table)
    facts = journal.get("facts", {})
    if facts.get("archive"):
        console.print(f"  archive: {escape(str(facts['archive']))} ({facts.get('archived_objects', '?')} objects)")
