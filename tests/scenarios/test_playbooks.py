"""Every example playbook validates and runs a whole cutover against the simulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bluegreen_cli.app import app
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yaml"))


def _cli(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_there_are_examples() -> None:
    assert len(PLAYBOOKS) >= 2


@pytest.mark.parametrize("source", PLAYBOOKS, ids=lambda p: p.stem)
def test_example_playbook_runs_a_whole_cutover(source: Path, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "playbooks", tmp_path / "playbooks")
    shutil.copytree(ROOT / "bluegreen" / "demo" / "manifests", tmp_path / "bluegreen" / "demo" / "manifests")
    playbook = tmp_path / "playbooks" / source.name
    world = tmp_path / "world"
    assert _cli("validate", str(playbook)).exit_code == 0  # type: ignore[attr-defined]
    result = _cli("--simulate", str(world), "run", str(playbook), "--yes")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    show = json.loads(_cli("sim", "show", str(world), "--output", "json").stdout)  # type: ignore[attr-defined]
    blue = next(c for c in show["clusters"] if "blue" in c["name"]) if any(
        "blue" in c["name"] for c in show["clusters"]) else None
    green = next(c for c in show["clusters"] if "green" in c["name"])
    assert green["power_state"] == "Running"
    assert blue is None or blue["power_state"] == "Stopped"
    archives = list((playbook.parent / "archive").rglob("index.json"))
    assert len(archives) == 1
    _green_pools_follow_the_overrides(playbook, world)


def _green_pools_follow_the_overrides(playbook: Path, world: Path) -> None:
    from bluegreen.azure import AksClient, AzureContext
    from bluegreen.playbook import load_playbook
    from bluegreen.sim.world import World

    pb = load_playbook(playbook).playbook
    with World.open(world) as w:
        ctx = AzureContext(w.credential, w.subscription_id, w.clock, polling_interval=1)
        green = AksClient(ctx).get(pb.green_rg, pb.green.name)
    assert green is not None
    pools = {p.name: p for p in green.node_pools}
    for name, override in pb.green.node_pools.items():
        pool = pools[name]
        assert override.count is None or pool.count == override.count
        assert override.vm_size is None or pool.vm_size == override.vm_size
        assert pool.max_surge == (override.max_surge or "33%")
    assert all(p.max_surge for p in green.node_pools), "every green pool gets an explicit max surge"
