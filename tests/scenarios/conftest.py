"""Whole cutovers against the simulator, through the real CLI.

Each test gets its own copy of the demo playbook (and its manifests) in a
temporary directory; the simulated world lives beside it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from bluegreen_cli.app import app
from typer.testing import CliRunner

DEMO = Path(__file__).resolve().parents[2] / "bluegreen" / "demo"
SECRET_VALUES = ("demo-pay-key-7f3a9c1e", "demo-hook-5b2d8e40")


@dataclass
class Cutover:
    root: Path

    @property
    def playbook(self) -> Path:
        return self.root / "playbook.yaml"

    @property
    def world(self) -> Path:
        return self.root / "world"

    def edit(self, change: Any) -> None:
        raw = yaml.safe_load(self.playbook.read_text())
        change(raw)
        self.playbook.write_text(yaml.safe_dump(raw, sort_keys=False))

    def cli(self, *args: str) -> Any:
        """Run `bluegreen --simulate WORLD ARGS` in-process; returns the click Result."""
        result = CliRunner().invoke(app, ["--simulate", str(self.world), *args], catch_exceptions=False)
        return result

    def subprocess(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """The same through a real process, for crash tests."""
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        return subprocess.run(
            [sys.executable, "-m", "bluegreen_cli.app", "--simulate", str(self.world), *args],
            capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
        )

    def forked(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """The same in a new process forked from one that imported the CLI already (forked_cli.py): for the
        crash tests, which start many; the CLI's own tests keep `subprocess`, a fresh interpreter."""
        from tests.scenarios import forked_cli

        return forked_cli.run(["--simulate", str(self.world), *args], env=dict(os.environ, PYTHONUNBUFFERED="1"),
                              timeout=timeout)

    def init(self) -> None:
        result = self.cli("sim", "init", str(self.world), "--playbook", str(self.playbook))
        assert result.exit_code == 0, result.output

    def show(self) -> dict[str, Any]:
        result = self.cli("sim", "show", str(self.world), "--output", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def cutover(tmp_path: Path) -> Cutover:
    shutil.copy(DEMO / "playbook.yaml", tmp_path / "playbook.yaml")
    shutil.copytree(DEMO / "manifests", tmp_path / "manifests")
    return Cutover(tmp_path)
