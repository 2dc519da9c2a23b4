"""One mapping from errors to exit codes, whichever command meets them (the `sim` group included).

Covers: a simulated world held by another process exits 3 through `run --simulate`
and through `sim show`, in-process and in a real process; the table itself;
the step commands agree with the library's step list.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from bluegreen_cli.application import Group
from bluegreen_cli.exits import exit_code_for
from bluegreen_cli.options import Step
from typer.testing import CliRunner

from bluegreen.errors import (
    GuardError,
    LockHeldError,
    PermanentRemoteError,
    PlaybookError,
    StalePlanError,
    StepFailedError,
    TransientRemoteError,
)
from bluegreen.plan import STEPS
from bluegreen.sim.world import World
from tests.scenarios.conftest import Cutover


@pytest.mark.parametrize(("error", "code"), [
    (PlaybookError("bad", field="x"), 2),
    (StalePlanError("stale"), 3),
    (LockHeldError("held"), 3),
    (GuardError("no"), 3),
    (StepFailedError("smoke failed"), 1),
    (TransientRemoteError("429"), 1),
    (PermanentRemoteError("403"), 1),
    (KeyboardInterrupt(), 130),
])
def test_exit_code_table(error: BaseException, code: int) -> None:
    assert exit_code_for(error) == code


@pytest.mark.parametrize(("error", "code", "message"), [
    (KeyboardInterrupt(), 130, "interrupted; run the same command again to resume"),
    (PlaybookError("must differ", problems=[("green.name", "must differ"), ("switch.zone", "missing")]), 2,
     "switch.zone: missing"),
    (GuardError("the record points at blue"), 3, "the record points at blue"),
])
def test_the_group_turns_errors_into_a_message_and_the_code(error: BaseException, code: int, message: str) -> None:
    app = typer.Typer(cls=Group)

    @app.command()
    def fails() -> None:
        raise error

    @app.command()
    def other() -> None:  # a second command keeps `fails` a subcommand, as in the real CLI
        pass

    result = CliRunner().invoke(app, ["fails"])
    assert result.exit_code == code
    assert f"error: {message}" in result.output


def test_step_commands_are_the_library_steps_in_order() -> None:
    assert tuple(step.value for step in Step) == STEPS


def test_a_held_world_lock_exits_3_through_run_and_sim_show(cutover: Cutover) -> None:
    cutover.init()
    with World.open(cutover.world):
        for args in (("run", str(cutover.playbook), "--yes"), ("sim", "show", str(cutover.world))):
            result = cutover.cli(*args)
            assert result.exit_code == 3, (args, result.output)
            assert "is in use by" in result.output
        # The installed entry point too, from a process that does not hold the lock.
        shown = subprocess.run([sys.executable, "-m", "bluegreen_cli.app", "sim", "show", str(cutover.world)],
                               capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert shown.returncode == 3, shown.stderr
        assert "is in use by process" in shown.stderr
    assert cutover.cli("sim", "show", str(cutover.world)).exit_code == 0
