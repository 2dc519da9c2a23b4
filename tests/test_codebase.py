"""The codebase's own rules: lint, types, layers, and a public surface that stays curated.

Covers: ruff on library, CLI and tests; mypy on the library; the layer rules as
import-linter contracts (pyproject.toml), and proof that they fail on a violating
import; the exact public surface.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "bluegreen"


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "bluegreen", "cli", "tests", "benchmarks"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy", "bluegreen"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_top_level_cli_module_is_installed() -> None:
    assert not (ROOT / "cli" / "__init__.py").exists()


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the `bluegreen` and `bluegreen_cli` packages under `root` (first on the path).

    The linter finds `root/pyproject.toml` itself: import-linter 2.15 (the last for Python 3.10) and 2.17
    disagree on how a config file is passed.
    """
    linter = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "cli")])}
    return subprocess.run([str(linter), "--no-cache"], cwd=root, env=env, capture_output=True, text=True)


def test_import_contracts_hold() -> None:
    """The layer rules of pyproject.toml's [tool.importlinter]: see the contracts' names."""
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "violation", "contract"), [
    ("steps/smoke.py", "import bluegreen.steps.switch", "Steps do not import each other"),
    ("observe.py", "import bluegreen.context", "Observation needs no run context"),
    ("playbook.py", "import bluegreen.sim.world", "The playbook does not import the simulator"),
    ("executors/dns.py", "import bluegreen.record", "Executors know nothing of steps"),
    ("kube/objects.py", "import bluegreen.engine", "cli -> engine ->"),
    ("kube/readiness.py", "import bluegreen.context", "Clients know nothing of the engine"),
    ("azure/dns.py", "import bluegreen.record", "Clients know nothing of the engine"),
    ("events.py", "import bluegreen.sim.clock", "Only the simulator and the CLI's composition root"),
    ("../cli/bluegreen_cli/commands/cutover.py", "import bluegreen.sim.world",
     "Only the simulator and the CLI's composition root"),
    ("redact.py", "import rich", "The library never imports the CLI"),
    ("kube/client.py", "import urllib3", "Only the official client reaches Kubernetes API servers"),
    ("observe.py", "import http.client", "Only the official client reaches Kubernetes API servers"),
])
def test_import_contracts_fail_on_a_violating_import(tmp_path: Path, module: str, violation: str,
                                                     contract: str) -> None:
    shutil.copytree(LIBRARY, tmp_path / "bluegreen", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "cli" / "bluegreen_cli", tmp_path / "cli" / "bluegreen_cli",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert _lint_imports(tmp_path).returncode == 0  # the copy is what is linted
    path = tmp_path / "bluegreen" / module
    path.write_text(path.read_text() + f"\n{violation}  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout, result.stdout


def test_public_surface_is_curated() -> None:
    """What `bluegreen` exposes is exactly its __all__ (submodules aside), so the API cannot drift silently."""
    import inspect

    import bluegreen

    for name in bluegreen.__all__:  # the names are imported lazily (PEP 562): each must resolve
        getattr(bluegreen, name)
    public = {name for name, value in vars(bluegreen).items()
              if not name.startswith("_") and not inspect.ismodule(value)}
    assert public == set(bluegreen.__all__)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """`.ci/run` ends in the README's test line, so what people run is what CI runs (`-n auto` included)."""
    readme = (ROOT / "README.md").read_text().splitlines()
    marker = readme.index("# the tests (this is exactly what CI runs: .ci/run)")
    command = readme[marker + 1].strip()
    assert "-m pytest" in command
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert ci[-1] == command
