"""The codebase's own rules: lint, types, layers, and a public surface that stays curated.

Covers: ruff on library, CLI and tests; mypy on the library; the library never
imports the CLI, typer or rich; only the CLI composition root and the
simulator itself import bluegreen.sim.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "bluegreen"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "bluegreen", "cli", "tests", "benchmarks"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy", "bluegreen"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_library_never_imports_the_cli_or_terminal_libraries() -> None:
    offenders = []
    for path in LIBRARY.rglob("*.py"):
        for name in _imports(path):
            if name.split(".")[0] in {"typer", "rich", "bluegreen_cli", "cli", "click"}:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_only_the_simulator_imports_the_simulator() -> None:
    """The simulator plugs in at the seams (the CLI's runtime), never inside library code paths.

    The playbook embeds the simulation section's schema (pure data), nothing else.
    """
    allowed = {LIBRARY / "playbook.py": {"bluegreen.sim.spec"}}
    offenders = []
    for path in LIBRARY.rglob("*.py"):
        if (LIBRARY / "sim") in path.parents:
            continue
        for name in _imports(path):
            if name.startswith("bluegreen.sim") and name not in allowed.get(path, set()):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_no_top_level_cli_module_is_installed() -> None:
    assert not (ROOT / "cli" / "__init__.py").exists()


# Layers, top to bottom: cli -> engine -> steps -> (observe, context) -> clients (azure, kube) -> models.
_LOWER_MAY_NOT_IMPORT = {
    "bluegreen/azure": ("bluegreen.engine", "bluegreen.steps", "bluegreen.observe", "bluegreen.context",
                        "bluegreen.kube"),
    "bluegreen/kube": ("bluegreen.engine", "bluegreen.steps", "bluegreen.observe", "bluegreen.context",
                       "bluegreen.azure"),
    "bluegreen/steps": ("bluegreen.engine",),
    "bluegreen/plan.py": ("bluegreen.engine", "bluegreen.steps", "bluegreen.azure", "bluegreen.kube"),
    "bluegreen/playbook.py": ("bluegreen.engine", "bluegreen.steps", "bluegreen.azure", "bluegreen.kube"),
}


def test_layers_only_point_down() -> None:
    offenders = []
    for where, forbidden in _LOWER_MAY_NOT_IMPORT.items():
        base = ROOT / where
        files = [base] if base.suffix == ".py" else list(base.rglob("*.py"))
        for path in files:
            for name in _imports(path):
                if name.startswith(forbidden) or name == "bluegreen" and path.name != "__init__.py":
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_public_surface_is_curated() -> None:
    """What `bluegreen` exposes is exactly its __all__ (submodules aside), so the API cannot drift silently."""
    import inspect

    import bluegreen

    for name in bluegreen.__all__:  # the names are imported lazily (PEP 562): each must resolve
        getattr(bluegreen, name)
    public = {name for name, value in vars(bluegreen).items()
              if not name.startswith("_") and not inspect.ismodule(value)}
    assert public == set(bluegreen.__all__)
