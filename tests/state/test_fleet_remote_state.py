"""A fleet's pipeline jobs on agents that share nothing but the remote state (Azurite): a pair skipped on one agent
and a pair failed on another are what the gate and `fleet status` on a third agent see."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from bluegreen_cli.app import app
from typer.testing import CliRunner

from tests.state.conftest import Azurite

ROOT = Path(__file__).resolve().parents[2]


def test_agents_sharing_only_the_remote_state_keep_the_fleets_rules(azurite: Azurite, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    no_real_sleep: list[float]) -> None:
    monkeypatch.setenv("AZURE_STORAGE_KEY", azurite.env()["AZURE_STORAGE_KEY"])
    shutil.copytree(ROOT / "playbooks" / "fleet", tmp_path / "playbooks" / "fleet")
    shutil.copytree(ROOT / "bluegreen" / "demo" / "manifests", tmp_path / "bluegreen" / "demo" / "manifests")
    fleet = tmp_path / "playbooks" / "fleet" / "shops.yaml"
    raw = yaml.safe_load(fleet.read_text())
    rows = {r["name"]: r for r in raw["pairs"]["table"]}
    rows["shop-04"]["expect"] = "no-such-text"  # its smoke check fails
    raw["pairs"]["table"] = [rows[n] for n in ("shop-01", "shop-04", "shop-06")]
    raw["rollout"]["stages"] = [{"name": "only", "failure_budget": 2,
                                 "groups": [{"name": "a", "pairs": ["shop-01", "shop-04", "shop-06"]}]}]
    fleet.write_text(yaml.safe_dump(raw, sort_keys=False))
    state = f"{azurite.account_url}/{azurite.new_container()}/shops"

    def agent(name: str, *args: str) -> Any:  # its own state directory: only the blobs are shared
        return CliRunner().invoke(app, ["--simulate", str(tmp_path / "world"), "--state-dir", str(tmp_path / name),
                                        "--state", state, *args], catch_exceptions=False)

    skipped = agent("agent-1", "fleet", "run-pair", str(fleet), "shop-06", "--until", "smoke", "--yes")
    assert skipped.exit_code == 0 and "shop-06: skipped (blue aks-shop-06-blue is Stopped)" in skipped.output
    assert agent("agent-2", "fleet", "run-pair", str(fleet), "shop-01", "--until", "smoke", "--yes").exit_code == 0
    assert agent("agent-3", "fleet", "run-pair", str(fleet), "shop-04", "--until", "smoke", "--yes").exit_code == 1

    gate = agent("agent-4", "fleet", "gate", str(fleet), "only", "--until", "smoke", "--output", "json")
    assert gate.exit_code == 0, gate.output
    verdict = json.loads(gate.stdout)
    assert verdict["passed"] is True and verdict["budget"] == 2
    assert [(p["pair"], p["outcome"]) for p in verdict["pairs"]] == [("shop-01", "finished"), ("shop-04", "failed"),
                                                                    ("shop-06", "skipped")]
    status = agent("agent-4", "fleet", "status", str(fleet), "--output", "json")
    pairs = {r["pair"]: r for r in json.loads(status.stdout)["pairs"]}
    assert pairs["shop-06"]["state"] == "skipped" and pairs["shop-06"]["detail"] == "blue aks-shop-06-blue is Stopped"
    assert pairs["shop-04"]["state"] == "failed"
    assert not list((tmp_path / "agent-4").glob("*/journal.json"))  # read from the blobs, not a local file
