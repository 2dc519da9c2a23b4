"""`bluegreen demo`: a whole cutover against the embedded simulator, in a fresh directory."""

# No `from __future__ import annotations`: Typer would compile every string annotation at start-up.

import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from bluegreen_cli.application import application
from bluegreen_cli.options import Output, OutputOpt


def demo(
    ctx: typer.Context,
    keep: Annotated[Path | None, typer.Option("--keep", help="Put the demo world here (default: a temp dir).")] = None,
    output: OutputOpt = Output.text,
) -> None:
    """A full cutover against a simulated Azure and two simulated clusters."""
    import tempfile
    from importlib import resources

    from bluegreen import engine, load_playbook
    from bluegreen_cli.commands.cutover import quiet, show_summary
    from bluegreen_cli.render import EventRenderer, render_plan

    app = application(ctx)
    workdir = keep or Path(tempfile.mkdtemp(prefix="bluegreen-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    source = resources.files("bluegreen") / "demo"
    for entry in ("playbook.yaml", "manifests"):
        src = Path(str(source / entry))
        dst = workdir / entry
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy(src, dst)
    playbook = workdir / "playbook.yaml"
    app.simulate = world = workdir / "world"
    app.state_dir = workdir / "state"
    if output == Output.text:
        app.console.print(f"[bold]bluegreen demo[/bold]: simulated Azure + clusters in {workdir}\n")
    loaded = load_playbook(playbook)
    with app.runtime_for(loaded) as rt:
        if output == Output.text:
            render_plan(engine.make_plan(loaded, rt, quiet), "text", app.console)
        with EventRenderer(output, app.console) as sink:
            result = engine.run(loaded, rt, sink)
    show_summary(app, result.journal, output)
    if output == Output.text:
        me = _how_i_was_called()
        app.display(f"\n  world:   {world}   ({me} sim show {world})")
        app.display(f"  journal: {app.state_dir}")
        app.display(f"  try:     {me} sim start-cluster {world} {loaded.playbook.blue.name} "
                    f"&& {me} sim advance {world} 2h && {me} sim show {world}   (the zombie test: nothing fires)")


def _how_i_was_called() -> str:
    """The command as the user can type it again: `.venv/bin/bluegreen` when run from a venv, say."""
    invoked = Path(sys.argv[0])
    if shutil.which(invoked.name) == str(invoked.resolve()) or not invoked.is_absolute():
        return invoked.name if shutil.which(invoked.name) else str(invoked)
    try:
        return str(invoked.relative_to(Path.cwd()))
    except ValueError:
        return str(invoked)
