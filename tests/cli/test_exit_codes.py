"""One mapping from errors to exit codes, whichever command meets them (the `sim` group included).

Covers: a simulated world held by another process exits 3 through `run --simulate`
and through `sim show`, in-process and in a real process; the table itself;
the step commands agree with the library's step list.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from bluegreen_cli.exits import exit_code_for
from bluegreen_cli.options import Step

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
