"""kill -9 at every mutating request of a cutover, re-run until done, and check the end state each time.

A one-shot fault in the simulated world SIGKILLs `bluegreen run --simulate` right after its Nth
mutating request (ARM or Kubernetes), the change already applied, as a real service would keep it.
An uninterrupted run counts the mutations first; then every kill point 1..N is tried in turn, each
on a fresh copy of the same world. BLUEGREEN_CRASH_STRIDE=k tries every k-th point only (a quick look
while working); the default, and CI, is every point (20 for the demo cutover).
The points are dealt out to SHARDS tests (point i to shard i mod SHARDS), so pytest-xdist can run
them on several cores; each worker process has its own pristine world, hence its own addresses.
Every run is a new process forked from one that has imported the CLI already (forked_cli.py), so the
kills are real SIGKILLs and each re-run starts from nothing but the world and its journal.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bluegreen.sim.world import World
from tests.scenarios import forked_cli
from tests.scenarios.conftest import DEMO, Cutover
from tests.scenarios.endstate import Expect, check_end_state

EXPECT = Expect(blue="aks-shop-blue", green="aks-shop-green", record="shop", namespaces=("shop", "jobs"))
MAX_RERUNS = 4
SHARDS = 4  # enough for the cores of a CI machine, few enough that each worker's setup stays small


def run_cli(world: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`bluegreen --simulate WORLD ARGS` in a new process (forked from one that imported the CLI already)."""
    return forked_cli.run(["--simulate", str(world), *args], env=dict(os.environ, PYTHONUNBUFFERED="1"),
                          timeout=120)


def show(world: Path) -> dict[str, Any]:
    with World.open(world) as opened:
        return opened.show()


def journal(root: Path) -> dict[str, Any]:
    return json.loads((root / "world" / "state" / "shop-1-31" / "journal.json").read_text())


def run_until_done(root: Path, first: subprocess.CompletedProcess[str] | None = None) -> list[str]:
    """Re-run the same command until it succeeds; returns the outputs of the failed attempts."""
    failures = []
    for _ in range(MAX_RERUNS):
        done = run_cli(root / "world", "run", str(root / "playbook.yaml"), "--yes")
        if done.returncode == 0:
            return failures
        failures.append(f"exit {done.returncode}: {done.stdout[-1500:]}{done.stderr[-1500:]}")
    raise AssertionError(f"not done after {MAX_RERUNS} re-runs:\n" + "\n".join(failures))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    shutil.copy(DEMO / "playbook.yaml", root / "playbook.yaml")
    shutil.copytree(DEMO / "manifests", root / "manifests")
    Cutover(root).init()
    return root


@pytest.fixture(scope="module")
def uninterrupted(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], int]:
    """The pristine world as shown before any run, and how many mutations an uninterrupted run makes."""
    before = show(pristine / "world")
    reference = tmp_path_factory.mktemp("reference")
    shutil.rmtree(reference)
    shutil.copytree(pristine, reference)
    done = run_cli(reference / "world", "run", str(reference / "playbook.yaml"), "--yes")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    after = show(reference / "world")
    assert check_end_state(before, after, journal(reference), EXPECT) == []
    total = after["mutations"]["total"] - before["mutations"]["total"]
    assert total >= 15  # ARM and both clusters: a real cutover's worth of kill points
    return before, total


def kill_points(total: int, stride: int, shard: int) -> list[int]:
    """This shard's share of the points 1..total (every `stride`th); the shards together hold each once."""
    return list(range(1, total + 1, stride))[shard::SHARDS]


def test_the_shards_together_try_every_point_once() -> None:
    for total in (15, 20, 37):
        for stride in (1, 3):
            dealt = sorted(p for shard in range(SHARDS) for p in kill_points(total, stride, shard))
            assert dealt == list(range(1, total + 1, stride))
    assert all(kill_points(15, 1, shard) for shard in range(SHARDS))


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
def test_killed_at_every_mutation_resumes_to_the_end_state(
    pristine: Path, uninterrupted: tuple[dict[str, Any], int], tmp_path: Path, shard: int,
) -> None:
    before, total = uninterrupted
    stride = int(os.environ.get("BLUEGREEN_CRASH_STRIDE", "1"))
    points = kill_points(total, stride, shard)
    if not points and stride > 1:
        pytest.skip(f"BLUEGREEN_CRASH_STRIDE={stride} leaves shard {shard} no kill point")
    assert points, f"shard {shard} of {SHARDS} got no kill point out of {total}"
    # One at a time: copies of one world share its ingress addresses, which two live worlds cannot both bind.
    found = {point: kill_and_resume(pristine, tmp_path, before, point) for point in points}
    problems = {point: p for point, p in found.items() if p}
    assert problems == {}, "\n".join(f"kill after mutation {p}: {'; '.join(v)}" for p, v in problems.items())


def kill_and_resume(pristine: Path, tmp_path: Path, before: dict[str, Any], point: int) -> list[str]:
    """Kill a run right after its `point`th mutation, re-run until done; the end state's problems."""
    root = tmp_path / f"kill-{point}"
    shutil.copytree(pristine, root)
    World.schedule_crash(root / "world", after_mutations=point)
    crashed = run_cli(root / "world", "run", str(root / "playbook.yaml"), "--yes")
    if crashed.returncode != -signal.SIGKILL:
        return [f"not killed (exit {crashed.returncode}): {crashed.stdout[-1500:]}{crashed.stderr[-1500:]}"]
    try:
        run_until_done(root)
    except AssertionError as exc:
        return [str(exc)]
    problems = check_end_state(before, show(root / "world"), journal(root), EXPECT)
    if not problems:
        shutil.rmtree(root)
    return problems
