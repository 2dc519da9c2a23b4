"""The crash tests' forked `bluegreen` (forked_cli.py) answers as a freshly started one does.

Covers: the same exit status, output and errors as `python -m bluegreen_cli.app` for a valid, a broken
and a missing playbook. (That a kill is a real SIGKILL of a separate process, the crash tests show.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.scenarios import forked_cli
from tests.scenarios.conftest import Cutover


def _exec(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bluegreen_cli.app", *args], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONUNBUFFERED="1"), stdin=subprocess.DEVNULL)


def _forked(*args: str) -> subprocess.CompletedProcess[str]:
    return forked_cli.run(list(args), env=dict(os.environ, PYTHONUNBUFFERED="1"), timeout=120)


def test_a_forked_command_answers_as_a_fresh_process_does(cutover: Cutover, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nblue: 3\n")
    for args in (("validate", str(cutover.playbook)), ("validate", str(broken), "-o", "json"),
                 ("run", str(tmp_path / "missing.yaml"), "--yes")):
        fresh, forked = _exec(*args), _forked(*args)
        assert (forked.returncode, forked.stdout, forked.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    assert _forked("validate", str(broken)).returncode == 2

