"""The light commands stay light: `--help`, `validate` and `schema` load no SDK, client or simulator.

Each runs in a fresh interpreter under `-X importtime`, which names every module
as it is first imported. Timing lives in benchmarks/startup.py, not here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("azure", "kubernetes", "urllib3", "responses", "bluegreen.sim", "bluegreen.engine")


def _imported(*args: str) -> tuple[int, set[str]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from bluegreen_cli.app import main; main()", *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)
    modules = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    return result.returncode, modules


@pytest.mark.parametrize("args", [("--help",), ("validate", "playbooks/shop.yaml"), ("schema",)])
def test_light_commands_do_not_import_heavy_modules(args: tuple[str, ...]) -> None:
    code, modules = _imported(*args)
    assert code == 0
    assert "bluegreen_cli.app" in modules  # the probe sees our imports at all
    assert sorted(m for m in modules if m in HEAVY or m.startswith(tuple(f"{h}." for h in HEAVY))) == []
    if args != ("--help",):  # Typer renders help with rich (a bare Typer app too); nothing else needs it
        assert "rich" not in modules


def test_the_probe_sees_heavy_imports_when_they_happen() -> None:
    code, modules = _imported("sim", "show", str(ROOT / "no-such-world"))
    assert code != 0
    assert "bluegreen.sim.world" in modules
