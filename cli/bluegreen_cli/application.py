"""The CLI's state and its ways to talk to the user, in one object (hatch's shape).

Commands get the `Application` from the click context, parse their input, call
the library and render through it. Library errors are turned into a message
and an exit code in one place, `Group.invoke`, which every Typer app here uses.
rich is imported only when something is rendered with it, so the light
commands (`--help`, `validate`, `schema`) start fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from typer.core import TyperGroup

from bluegreen.errors import BluegreenError, PlaybookError, StepFailedError
from bluegreen.redact import redact_urls
from bluegreen_cli.exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_REFUSED, INPUT_ERRORS, exit_code_for

if TYPE_CHECKING:
    from rich.console import Console

    from bluegreen.fleet.spec import LoadedFleet
    from bluegreen.playbook import LoadedPlaybook
    from bluegreen.runtime import Runtime
    from bluegreen.state.location import StateLocation


class Application:
    """What one invocation knows: the global options, and how to display and abort."""

    def __init__(self, simulate: Path | None = None, state_dir: Path | None = None, state: str | None = None) -> None:
        for option, directory in (("--simulate", simulate), ("--state-dir", state_dir)):
            # The folder, or the nearest part of it that exists, must be a folder: it is created below it.
            existing = next((p for p in (directory, *directory.parents) if p.exists()), None) if directory else None
            if existing is not None and not existing.is_dir():
                raise PlaybookError(f"{existing} is a file; give a folder (it is created if missing)", field=option)
        self.simulate = simulate
        self.state_dir = state_dir
        self.state = _state_location(state)

    # -------------------------------------------------------------------------------------- display
    @cached_property
    def console(self) -> Console:
        return _console()

    def display(self, text: str) -> None:
        typer.echo(text)

    def display_success(self, text: str) -> None:
        typer.echo(typer.style("ok", fg="green") + f" {text}")

    def display_error(self, text: str) -> None:
        typer.echo(typer.style("error:", fg="red") + f" {redact_urls(text)}", err=True)

    def display_json(self, data: Any) -> None:
        import json

        sys.stdout.write(json.dumps(redact_urls(data), indent=2, default=str) + "\n")

    def abort(self, message: str, code: int = EXIT_FAILED) -> NoReturn:
        self.display_error(message)
        raise typer.Exit(code)

    def fail(self, exc: BaseException) -> NoReturn:
        """Report a library error (or an interrupt) and exit with its code."""
        code = exit_code_for(exc)
        if isinstance(exc, KeyboardInterrupt):
            self.abort("interrupted; run the same command again to resume", code)
        if isinstance(exc, INPUT_ERRORS):
            self.abort(f"bad input: {_describe(exc)}", code)
        if isinstance(exc, StepFailedError) and exc.step and not str(exc).startswith(exc.step):
            self.abort(f"{exc.step} failed: {exc}", code)  # the library's message says what, once; this says where
        problems = exc.problems if isinstance(exc, PlaybookError) else []
        if len(problems) > 1:
            for field, message in problems:
                self.display_error(f"{field}: {message}")
            raise typer.Exit(code)
        self.abort(str(exc), code)

    def confirm(self, yes: bool, what: str) -> None:
        """Go on only with --yes or a terminal's yes; a pipeline without --yes is bad input."""
        if yes:
            return
        if not sys.stdin.isatty():
            self.abort(f"refusing to {what} without --yes (no terminal to ask on)", EXIT_BAD_INPUT)
        if not typer.confirm(f"{what}?", default=False):
            raise typer.Exit(EXIT_REFUSED)

    # ------------------------------------------------------------------------------------- library
    @contextlib.contextmanager
    def runtime_for(self, loaded: LoadedPlaybook) -> Iterator[Runtime]:
        """The seams: the simulated world when --simulate is given, Azure otherwise."""
        from bluegreen.runtime import Runtime

        if self.simulate is not None:
            from bluegreen.sim import persist
            from bluegreen.sim.world import World

            directory = self.simulate
            if not persist.is_world(directory):
                if loaded.playbook.simulation is None:
                    raise PlaybookError(f"{directory} is not a simulated world and the playbook has no "
                                        "simulation: section to create one from", field="simulation")
                World.create(directory, loaded.playbook.simulation, loaded.base_dir)
            with World.open(directory) as world:
                yield Runtime(
                    credential=world.credential, clock=world.clock,
                    state_dir=self.state_dir or directory / "state",
                    subscription_id=None if loaded.playbook.subscription_id else world.subscription_id,
                    state=self.state, blob_service=blob_service_factory(),  # remote state is real storage
                    resolver=world.dns_address,
                )
            return
        from bluegreen.azure.credentials import default_credential
        from bluegreen.clock import SystemClock

        credential = default_credential()
        yield Runtime(credential=credential, clock=SystemClock(),
                      state_dir=self.state_dir or loaded.base_dir / ".bluegreen",
                      state=self.state, blob_service=blob_service_factory(credential))


    @contextlib.contextmanager
    def fleet_runtime(self, fleet: LoadedFleet) -> Iterator[Runtime]:
        """One Runtime for every pair of a fleet: with --simulate, one world seeded from every pair's
        `simulation:` section (created if missing); Azure otherwise. State lives beside the fleet file."""
        from bluegreen.runtime import Runtime

        if self.simulate is not None:
            from bluegreen.sim import persist
            from bluegreen.sim.world import World

            directory = self.simulate
            if not persist.is_world(directory):
                seeded = [p for p in fleet.pairs if p.loaded.playbook.simulation is not None]
                if not seeded:
                    raise PlaybookError(f"{directory} is not a simulated world and no pair's playbook has a "
                                        "simulation: section to create one from", field="simulation")
                first = seeded[0].loaded
                assert first.playbook.simulation is not None
                World.create(directory, first.playbook.simulation, first.base_dir)
                try:
                    with World.open(directory) as world, world.batch():
                        for pair in seeded[1:]:
                            assert pair.loaded.playbook.simulation is not None
                            try:
                                world.add_simulation(pair.loaded.playbook.simulation, pair.loaded.base_dir)
                            except PlaybookError as exc:
                                raise PlaybookError(f"pair {pair.name}: {exc}", field=exc.field) from exc
                except BaseException:
                    import shutil

                    shutil.rmtree(directory, ignore_errors=True)  # half a fleet is no world to come back to
                    raise
            with World.open(directory) as world:
                yield Runtime(credential=world.credential, clock=world.clock,
                              state_dir=self.state_dir or directory / "state",
                              subscription_id=world.subscription_id, resolver=world.dns_address,
                              state=self.state, blob_service=blob_service_factory())  # remote state is real storage
            return
        from bluegreen.azure.credentials import default_credential
        from bluegreen.clock import SystemClock

        credential = default_credential()
        yield Runtime(credential=credential, clock=SystemClock(),
                      state_dir=self.state_dir or fleet.base_dir / ".bluegreen",
                      state=self.state, blob_service=blob_service_factory(credential))


def _state_location(url: str | None) -> StateLocation | None:
    if url is None:
        return None
    from bluegreen.state.location import parse_state_url

    try:
        return parse_state_url(url)
    except ValueError as exc:
        raise PlaybookError(str(exc), field="--state") from None


def blob_service_factory(credential: Any = None) -> Callable[[str], Any]:
    """Account URL -> BlobServiceClient: with the account key in `AZURE_STORAGE_KEY` when set (an emulator such
    as Azurite, or shared-key accounts), else with DefaultAzureCredential (Entra ID)."""

    def build(account_url: str) -> Any:
        from azure.storage.blob import BlobServiceClient

        from bluegreen.state.location import account_name

        key = os.environ.get("AZURE_STORAGE_KEY")
        if key:
            from azure.core.credentials import AzureNamedKeyCredential

            return BlobServiceClient(account_url, credential=AzureNamedKeyCredential(account_name(account_url), key))
        if credential is not None:
            return BlobServiceClient(account_url, credential=credential)
        from bluegreen.azure.credentials import default_credential

        return BlobServiceClient(account_url, credential=default_credential())

    return build
def _console() -> Console:
    from rich.console import Console

    # Without a terminal (CI logs, pipes) rich would assume 80 columns; plans read better wider.
    width = None if sys.stdout.isatty() else 140
    return Console(highlight=False, soft_wrap=True, width=width)


def application(ctx: typer.Context) -> Application:
    """This invocation's Application (a default one when a sub-app runs on its own, as in tests)."""
    return ctx.ensure_object(Application)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    if isinstance(exc, UnicodeError):
        return f"not UTF-8 text ({exc})"
    return f"a number too large ({exc})"


class Group(TyperGroup):
    """Every command runs through here: library errors, input errors and Ctrl-C become a message and an exit code."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (BluegreenError, KeyboardInterrupt) as exc:
            application(ctx).fail(exc)
        except INPUT_ERRORS as exc:
            application(ctx).fail(exc)

