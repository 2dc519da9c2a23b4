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


def _small_fleet(tmp_path: Path) -> Path:
    """Two pairs: a canary stage, then a stage behind a manual approval."""
    shutil.copytree(ROOT / "playbooks" / "fleet", tmp_path / "playbooks" / "fleet")
    shutil.copytree(ROOT / "bluegreen" / "demo" / "manifests", tmp_path / "bluegreen" / "demo" / "manifests")
    fleet = tmp_path / "playbooks" / "fleet" / "shops.yaml"
    raw = yaml.safe_load(fleet.read_text())
    rows = {r["name"]: r for r in raw["pairs"]["table"]}
    raw["pairs"]["table"] = [rows["shop-01"], rows["shop-02"]]
    raw["rollout"].pop("after_stage_wait", None)
    raw["rollout"]["stages"] = [{"name": "canary", "groups": [{"name": "a", "pairs": ["shop-01"]}]},
                                {"name": "production", "approval": "manual",
                                 "groups": [{"name": "b", "pairs": ["shop-02"]}]}]
    fleet.write_text(yaml.safe_dump(raw, sort_keys=False))
    return fleet


def test_an_approval_given_on_one_machine_opens_the_gate_for_a_run_on_another(
        azurite: Azurite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_real_sleep: list[float]) -> None:
    monkeypatch.setenv("AZURE_STORAGE_KEY", azurite.env()["AZURE_STORAGE_KEY"])
    fleet = _small_fleet(tmp_path)
    state = f"{azurite.account_url}/{azurite.new_container()}/shops"

    def agent(name: str, *args: str) -> Any:
        return CliRunner().invoke(app, ["--simulate", str(tmp_path / "world"), "--state-dir", str(tmp_path / name),
                                        "--state", state, *args], catch_exceptions=False)

    first = agent("runner-1", "fleet", "run", str(fleet), "--until", "redeploy", "--yes")
    assert first.exit_code == 3 and "needs approval" in first.output  # canary done, production waits
    approved = agent("laptop", "fleet", "approve", str(fleet), "production", "--by", "alice")
    assert approved.exit_code == 0, approved.output
    assert not list((tmp_path / "laptop").glob("*.fleet.json"))  # the approval went to the blob
    second = agent("runner-2", "fleet", "run", str(fleet), "--until", "redeploy", "--yes")
    assert second.exit_code == 0, second.output
    status = json.loads(agent("observer", "fleet", "status", str(fleet), "--output", "json").stdout)
    stages = {s["name"]: s for s in status["stages"]}
    assert stages["production"]["approved"]["by"] == "alice"
    assert stages["canary"]["state"] == stages["production"]["state"] == "done"
    assert {p["pair"]: p["state"] for p in status["pairs"]} == {"shop-01": "running", "shop-02": "running"}


def test_two_agents_changing_the_fleet_state_at_once_both_keep_their_change(azurite: Azurite) -> None:
    from bluegreen.errors import RecordConflictError
    from bluegreen.fleet.runner import FleetState
    from bluegreen.state.blob import BlobDocument
    from bluegreen.state.location import parse_state_url

    location = parse_state_url(f"{azurite.account_url}/{azurite.new_container()}/shops")
    service = azurite.service()
    one = FleetState(BlobDocument(service, location, "shops", "fleet.json"))
    two = FleetState(BlobDocument(service, location, "shops", "fleet.json"))  # read before `one` writes
    one.set_stage("canary", "done")
    two.update(lambda data: data["approvals"].__setitem__("production", {"by": "bob", "at": "now"}))
    one.set_pair("shop-01", "redeploy", "")
    again = FleetState(BlobDocument(service, location, "shops", "fleet.json"))
    assert again.data["stages"] == {"canary": "done"}
    assert again.approval("production") == {"by": "bob", "at": "now"}
    assert again.data["pairs"] == {"shop-01": {"state": "redeploy", "detail": ""}}

    document = BlobDocument(service, location, "shops", "fleet.json")
    data, etag = document.read()
    document.write({**data, "stages": {}}, etag)
    with pytest.raises(RecordConflictError):
        document.write(data, etag)  # written over a version that is gone
    with pytest.raises(RecordConflictError):
        document.write(data, None)  # "create" when it exists


def test_a_missing_container_is_named(azurite: Azurite) -> None:
    from bluegreen.errors import PermanentRemoteError
    from bluegreen.state.blob import BlobDocument
    from bluegreen.state.location import parse_state_url

    location = parse_state_url(f"{azurite.account_url}/no-such-container/shops")
    with pytest.raises(PermanentRemoteError, match="container 'no-such-container' does not exist"):
        BlobDocument(azurite.service(), location, "shops", "fleet.json").read()
