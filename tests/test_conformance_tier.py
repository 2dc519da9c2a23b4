"""The conformance tier's switch (tests/bg_shared.py), run on a throwaway suite in a subprocess.

Covers: without ../shared the tier is skipped with one line saying why and the run passes; with
BLUEGREEN_REQUIRE_CONFORMANCE=1 a missing ../shared, or a conformance test skipped for any other
reason, fails the run, and so does a run in which no conformance test passed; with the folder and
the switch, a passing tier passes; and nothing outside tests/conformance reaches ../shared, so the
tier stays in one place.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bg_shared import REQUIRE_ENV, SHARED_ENV

TESTS = Path(__file__).resolve().parent
# The tier's machinery and the tier itself: the only places that may name ../shared's material.
TIER_FILES = {TESTS / "bg_shared.py", TESTS / "conftest.py", Path(__file__).resolve()}
REACHES_SHARED = ("shared_path", "shared_root", "SHARED_ENV", "corpus/manifests", "azure-rest-examples")

CONFTEST = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from bg_shared import ConformanceTier

def pytest_configure(config):
    config.pluginmanager.register(ConformanceTier(config), "tier")
"""
TIER = """
import pytest
from bg_shared import shared_path

def test_reads_shared():
    assert (shared_path("corpus") / "one.yaml").read_text() == "kind: X\\n"

@pytest.fixture
def corpus():
    return shared_path("corpus")

def test_by_fixture(corpus):
    assert corpus.is_dir()
"""
OTHER_SKIP = """
import pytest

def test_skips_for_another_reason():
    pytest.skip("kubectl is not installed")
"""


def run(project: Path, shared: Path, *args: str, require: bool, tier: str = TIER) -> subprocess.CompletedProcess[str]:
    (project / "tests" / "conformance").mkdir(parents=True, exist_ok=True)
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\nmarkers = ['conformance: x']\n")
    (project / "tests" / "conftest.py").write_text(CONFTEST)
    (project / "tests" / "conformance" / "test_tier.py").write_text(tier)
    (project / "tests" / "test_plain.py").write_text("def test_plain(tmp_path):\n    assert tmp_path.is_dir()\n")
    env = {k: v for k, v in os.environ.items() if k not in (REQUIRE_ENV, SHARED_ENV)}
    env[SHARED_ENV] = str(shared)
    if require:
        env[REQUIRE_ENV] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", *args, "tests"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    (tmp_path / "shared" / "corpus").mkdir(parents=True)
    (tmp_path / "shared" / "corpus" / "one.yaml").write_text("kind: X\n")
    return tmp_path / "shared"


def test_absent_shared_skips_the_tier_with_one_line_each(tmp_path: Path) -> None:
    proc = run(tmp_path / "p", tmp_path / "nowhere", require=False)
    assert proc.returncode == 0, proc.stdout
    skips = [line for line in proc.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skips) == 2 and all("conformance:" in s and "not found" in s for s in skips), proc.stdout
    assert "1 passed, 2 skipped" in proc.stdout
    assert "conformance tier" in proc.stdout and "2 skipped" in proc.stdout


def test_required_tier_fails_when_shared_is_absent(tmp_path: Path) -> None:
    proc = run(tmp_path / "p", tmp_path / "nowhere", require=True)
    assert proc.returncode == 1, proc.stdout
    assert "2 failed" in proc.stdout or "2 error" in proc.stdout
    assert REQUIRE_ENV in proc.stdout


def test_required_tier_fails_on_any_skip(tmp_path: Path, shared: Path) -> None:
    proc = run(tmp_path / "p", shared, require=True, tier=TIER + OTHER_SKIP)
    assert proc.returncode == 1, proc.stdout
    assert "kubectl is not installed" in proc.stdout and "2 passed" in proc.stdout and "1 failed" in proc.stdout


def test_required_tier_fails_when_none_of_it_ran(tmp_path: Path, shared: Path) -> None:
    proc = run(tmp_path / "p", shared, require=True, tier="")
    assert proc.returncode == 1, proc.stdout
    assert "no conformance test passed" in proc.stdout


def test_present_shared_runs_the_tier(tmp_path: Path, shared: Path) -> None:
    for require in (False, True):
        proc = run(tmp_path / f"p{require}", shared, require=require)
        assert proc.returncode == 0, proc.stdout
        assert "3 passed" in proc.stdout and "skipped" not in proc.stdout


def test_the_tier_is_judged_across_xdist_workers(tmp_path: Path, shared: Path) -> None:
    passing = run(tmp_path / "pass", shared, "-n", "2", require=True)
    assert passing.returncode == 0, passing.stdout
    assert "3 passed" in passing.stdout and f"conformance tier ({shared}): 2 passed" in passing.stdout
    skipping = run(tmp_path / "skip", shared, "-n", "2", require=True, tier=TIER + OTHER_SKIP)
    assert skipping.returncode == 1, skipping.stdout
    assert "kubectl is not installed" in skipping.stdout and "1 failed" in skipping.stdout
    assert f"conformance tier ({shared}): 1 failed, 2 passed" in skipping.stdout
    empty = run(tmp_path / "empty", shared, "-n", "2", require=True, tier="")
    assert empty.returncode == 1 and "no conformance test passed" in empty.stdout, empty.stdout


def test_only_the_tier_reaches_shared() -> None:
    outside = [p for p in TESTS.rglob("*.py") if TESTS / "conformance" not in p.parents and p not in TIER_FILES]
    assert len(outside) > 50  # the whole suite was scanned
    offenders = [f"{p.relative_to(TESTS)}: {word}" for p in outside for word in REACHES_SHARED if word in p.read_text()]
    assert offenders == [], "move these into tests/conformance"
