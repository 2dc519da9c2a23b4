"""`bluegreen sim ...`: create, inspect and drive a simulated world kept in a directory.

Thin: every command opens the world, calls one World method and renders the
result. Bad input exits 2 before anything is written; errors become exit codes
in `application.Group`, as for every other command (a world in use exits 3).
The simulator, pydantic and rich are imported inside the commands that use them.
"""

# No `from __future__ import annotations`: Typer would compile every string annotation at start-up.

import contextlib
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bluegreen.errors import PlaybookError
from bluegreen_cli.application import Group
from bluegreen_cli.options import Output

if TYPE_CHECKING:
    from rich.console import Console

    from bluegreen.sim.world import World
    from bluegreen.simulation_spec import SimulationSpec


def _world() -> "type[World]":
    """Imported on use: the simulators are heavy and most `bluegreen` commands never need them."""
    from bluegreen.sim.world import World

    return World


app = typer.Typer(help="Simulated Azure + Kubernetes world for trying playbooks without a subscription.",
                  no_args_is_help=True, cls=Group)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


_MAX_ADVANCE_DAYS = 366  # a year of simulated time at a time: more is a typo (or a unit mix-up), not a plan


def parse_duration(text: str) -> float:
    """'90s', '10m', '2h', '1d', or combinations such as '1h30m', to seconds (at most a year)."""
    compact = text.strip().lower()
    if not compact or _DURATION.sub("", compact):
        raise PlaybookError(f"not a duration: {text!r} (use e.g. 90s, 10m, 2h, 1d, 1h30m)", field="DURATION")
    seconds = sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(compact))
    if not seconds <= _MAX_ADVANCE_DAYS * 86400:
        raise PlaybookError(f"{text!r} is more than {_MAX_ADVANCE_DAYS}d; advance in smaller steps",
                            field="DURATION")
    return seconds


def load_simulation(playbook: Path) -> "SimulationSpec":
    """The playbook's `simulation:` section, validated; errors name the field."""
    from pydantic import ValidationError

    from bluegreen.playbook import pydantic_problems, read_document
    from bluegreen.simulation_spec import SimulationSpec

    document = read_document(playbook)  # bounded and strict, as every playbook read
    if not isinstance(document, dict) or not isinstance(document.get("simulation"), dict):
        raise PlaybookError("the playbook has no `simulation:` section", field="simulation")
    try:
        return SimulationSpec.model_validate(document["simulation"])
    except ValidationError as exc:
        problems = pydantic_problems(exc, document["simulation"], prefix=("simulation",))
        field, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PlaybookError(f"{message}{more}", field=field, problems=problems) from None


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Directory to hold the world (created; must be empty).")],
    playbook: Annotated[Path, typer.Option("--playbook", "-p", help="Playbook whose `simulation:` section seeds it.")],
    replace: Annotated[bool, typer.Option("--replace", help="Replace a world that already exists in DIRECTORY.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and say what would be seeded; write nothing.")]
    = False,
) -> None:
    """Seed a world from a playbook's `simulation:` section."""
    spec = load_simulation(playbook)
    if dry_run:
        from bluegreen.sim.manifests import load_seed_objects

        objects = load_seed_objects(spec.blue.manifests, playbook.resolve().parent, "simulation.blue.manifests")
        zones = ", ".join(z.name for z in spec.dns_zones) or "none"
        typer.echo(f"would create a world in {directory}: blue {spec.blue.name} (Kubernetes {spec.blue.version}, "
                   f"{len(objects)} objects from manifests), DNS zones: {zones}; nothing written")
        return
    _world().create(directory, spec, playbook.resolve().parent, replace=replace)
    typer.echo(f"simulated world created in {directory}")


@app.command()
def show(
    directory: Annotated[Path, typer.Argument(help="World directory.")],
    output: Annotated[Output, typer.Option("--output", "-o", help="text (tables) or json.")] = Output.text,
) -> None:
    """Print the world: time, clusters, objects, DNS records, weights, CronJob runs, mutations."""
    with _world().open(directory) as world:
        view = world.show()
    if output is Output.json:
        import json

        typer.echo(json.dumps(view, indent=2))
    else:
        from rich.console import Console

        # Not a terminal (pipe, file): wide enough that ids and times are not cut.
        _render(view, Console(width=None if sys.stdout.isatty() else 240))


MAX_ADVANCE_DAYS = 366  # a year of simulated time; more is a typo (or a unit mix-up), not a plan


@app.command()
def advance(
    directory: Annotated[Path, typer.Argument(help="World directory.")],
    duration: Annotated[str, typer.Argument(help="How much simulated time passes: 90s, 10m, 2h, 1d, 1h30m.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what time it would be; change nothing.")] = False,
) -> None:
    """Let simulated time pass: ARM operations finish, pods get ready, CronJobs fire.

    Jumps from one scheduled event to the next; every step is saved, so Ctrl-C (or SIGTERM) keeps what was
    advanced. Shows progress on a terminal."""
    seconds = parse_duration(duration)
    if seconds <= 0 or seconds > MAX_ADVANCE_DAYS * 86400:
        raise PlaybookError(f"{duration!r} is not a duration to advance by: give more than 0s and at most "
                            f"{MAX_ADVANCE_DAYS}d", field="DURATION")
    if dry_run:
        now = _world().peek(directory)["time"]
        typer.echo(f"would move simulated time from {now} by {seconds:g}s; nothing changed")
        return
    stop = threading.Event()
    caught: list[int] = []

    def interrupted(signum: int, _frame: Any) -> None:
        caught.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with _world().open(directory) as world, _progress(sys.stderr.isatty()) as render:
            advanced = world.advance(seconds, events=render, stop=stop.is_set)
            now = world.clock.now()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        typer.echo(f"interrupted: simulated time is now {now.isoformat()} ({advanced:g}s of {seconds:g}s "
                   "advanced and saved)", err=True)
        raise typer.Exit(128 + caught[0])
    typer.echo(f"simulated time is now {now.isoformat()}")


@contextlib.contextmanager
def _progress(terminal: bool) -> "Iterator[Callable[[Any], None]]":
    """Renders the world's `waiting` events as a progress bar on a terminal; elsewhere, stays quiet."""
    if not terminal:
        yield lambda _event: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("advancing", total=1.0)

        def render(event: Any) -> None:
            data = event.data or {}
            if "fraction" in data:
                bar.update(task, completed=data["fraction"], description=f"simulated {data['now']}")

        yield render


DirArg = Annotated[Path, typer.Argument(help="World directory.")]
NameArg = Annotated[str, typer.Argument(help="Cluster name.")]
PowerDryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would happen; change nothing.")]


@app.command("start-cluster")
def start_cluster(directory: DirArg, name: NameArg, dry_run: PowerDryRun = False) -> None:
    """Start a stopped cluster as the portal (or a stray Terraform apply) would: immediately."""
    _set_power(directory, name, running=True, dry_run=dry_run)


@app.command("stop-cluster")
def stop_cluster(directory: DirArg, name: NameArg, dry_run: PowerDryRun = False) -> None:
    """Stop a cluster immediately; its objects stay and come back when it starts."""
    _set_power(directory, name, running=False, dry_run=dry_run)


def _set_power(directory: Path, name: str, *, running: bool, dry_run: bool) -> None:
    if dry_run:
        typer.echo(_power_preview(directory, name, "Running" if running else "Stopped"))
        return
    with _world().open(directory) as world:
        (world.start_cluster if running else world.stop_cluster)(name)
    typer.echo(f"cluster {name} {'started' if running else 'stopped'}")


def _power_preview(directory: Path, name: str, wanted: str) -> str:
    clusters = {c["name"]: c for c in _world().peek(directory)["clusters"]}
    if name not in clusters:
        raise PlaybookError(f"no cluster {name!r} in the world (there are: {', '.join(sorted(clusters)) or 'none'})",
                            field="NAME")
    now = clusters[name]["power_state"]
    if now == wanted:
        return f"cluster {name} is already {now}: nothing to do"
    verb = "start" if wanted == "Running" else "stop"
    return f"would {verb} cluster {name} (now {now}); nothing changed"


@app.command()
def serve(
    directory: Annotated[Path, typer.Argument(help="World directory.")],
    speed: Annotated[float, typer.Option("--speed", min=0.0, help="Simulated seconds per real second (0 freezes time).")] = 1.0,
) -> None:
    """Keep the API servers up for kubectl; prints a kubeconfig with one context per running cluster. Ctrl-C ends."""
    with _world().open(directory) as world:
        kubeconfig = merge_kubeconfigs(world.kubeconfigs())
        path = Path(directory) / "kubeconfig"
        from bluegreen.private_files import write_private

        write_private(path, kubeconfig)  # credentials: 0600 from the moment it exists
        typer.echo(kubeconfig)
        typer.echo(f"# written to {path}; use: KUBECONFIG={path} kubectl get pods -A", err=True)
        if world.dns_address:
            host, port = world.dns_address.split(":")
            typer.echo(f"# DNS zones served at {world.dns_address}: dig @{host} -p {port} NAME", err=True)
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not stop.wait(1.0):
                if speed:
                    world.advance(speed)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        typer.echo("stopping", err=True)


def merge_kubeconfigs(configs: dict[str, bytes]) -> str:
    """One kubeconfig with a context per cluster, named after the cluster; the first is current."""
    import yaml

    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    for name, raw in sorted(configs.items()):
        config = yaml.safe_load(raw)
        cluster = config["clusters"][0]["cluster"]
        user = config["users"][0]["user"]
        merged["clusters"].append({"name": name, "cluster": cluster})
        merged["users"].append({"name": f"{name}-user", "user": user})
        merged["contexts"].append({"name": name, "context": {"cluster": name, "user": f"{name}-user"}})
    if merged["contexts"]:
        merged["current-context"] = merged["contexts"][0]["name"]
    return yaml.safe_dump(merged, sort_keys=False)


def _render(view: dict[str, Any], console: "Console") -> None:
    from rich.table import Table

    console.print(f"Simulated time: [bold]{view['time']}[/bold]   subscription {view['subscription_id']}")
    clusters = Table("name", "resource group", "power", "provisioning", "version", "server", title="Clusters")
    for c in view["clusters"]:
        clusters.add_row(c["name"], str(c["resource_group"]), str(c["power_state"]), str(c["provisioning_state"]),
                         str(c["kubernetes_version"]), c["server_url"] or "-")
    console.print(clusters)
    for name, objects in view["objects"].items():
        table = Table("kind", "namespace", "name", "replicas", "ready", "suspend", title=f"Objects on {name}")
        for o in objects:
            table.add_row(*(_cell(o[k]) for k in ("kind", "namespace", "name", "replicas", "ready", "suspend")))
        console.print(table)
    records = Table("zone", "private", "name", "type", "values", "ttl", "etag", title="DNS records")
    for r in view["records"]:
        records.add_row(str(r["zone"]), _cell(r["private"]), str(r["name"]), str(r["type"]),
                        ", ".join(map(str, r["values"] or [])), _cell(r["ttl"]), _cell(r["etag"]))
    console.print(records)
    if view.get("dns_server"):
        console.print(f"DNS server (serves the zones above): [bold]{view['dns_server']}[/bold] (UDP and TCP)")
    if view["weights"]:
        keys = sorted({k for w in view["weights"] for k in w})
        weights = Table(*keys, title="Weights")
        for w in view["weights"]:
            weights.add_row(*(_cell(w.get(k)) for k in keys))
        console.print(weights)
    runs = Table("seq", "time", "cluster", "namespace", "cronjob", "event", "job", title="CronJob executions")
    for e in view["executions"]:
        runs.add_row(*(_cell(e.get(k)) for k in ("seq", "time", "cluster", "namespace", "cronjob", "event", "job")))
    console.print(runs)
    mutations = Table("api", "mutating requests", title="Mutations")
    for api, count in view["mutations"]["by_api"].items():
        mutations.add_row(api, str(count))
    mutations.add_row("[bold]total[/bold]", str(view["mutations"]["total"]))
    console.print(mutations)


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)
