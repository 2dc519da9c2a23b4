"""Acceptance 2: a three-stage fleet of 12 pairs in the simulator, with one failing pair, a skipped pair,
a failure budget and an approval gate, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bluegreen_cli.app import app
from typer.testing import CliRunner

from .conftest import FleetDir


def _row(data: dict[str, Any], pair: str) -> dict[str, Any]:
    return next(r for r in data["pairs"] if r["pair"] == pair)


def _status(shops: FleetDir) -> dict[str, Any]:
    result = shops.cli("fleet", "status", str(shops.fleet), "--output", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_budget_stops_the_stage_approval_gates_production_and_skips_say_why(shops: FleetDir,
                                                                           no_real_sleep: list[float]) -> None:
    def break_shop_04(raw: dict[str, Any]) -> None:  # its smoke check expects a page green does not serve
        raw["pairs"]["table"][3]["expect"] = "no-such-text"
        raw["rollout"]["max_concurrency"] = 1  # one at a time: which pairs the budget leaves unstarted is known

    shops.edit(break_shop_04)
    first = shops.cli("fleet", "run", str(shops.fleet), "--until", "smoke", "--yes")
    assert first.exit_code == 1, first.output
    assert "stage regions stopped the fleet: 1 pair(s) failed (budget 1)" in first.output
    assert "shop-04" in first.output and "smoke" in first.output
    status = _status(shops)
    assert [s["state"] for s in status["stages"]] == ["done", "failed", "pending"]
    assert _row(status, "shop-01")["state"] == _row(status, "shop-02")["state"] == "running"
    assert _row(status, "shop-01")["detail"] == "4/6 steps done, last smoke"
    assert _row(status, "shop-04")["state"] == "failed"
    assert "smoke failed" in _row(status, "shop-04")["detail"]
    assert _row(status, "shop-03")["state"] == "running"
    # The budget is spent once shop-04 fails: the stage's pairs not yet started are left, and say why.
    assert [r["pair"] for r in status["pairs"] if r["detail"].startswith("stopped:")] == ["shop-05", "shop-06",
                                                                                           "shop-07"]
    assert _row(status, "shop-05") == {"pair": "shop-05", "stage": "regions", "state": "pending",
                                      "detail": "stopped: not started: stage regions used its failure budget"}
    assert all(_row(status, p)["state"] == "waiting-approval" for p in ("shop-08", "shop-12"))  # never began

    # Fixed: the run resumes; shop-06's blue is stopped, so it is skipped with that reason; production waits.
    def fix(raw: dict[str, Any]) -> None:
        raw["pairs"]["table"][3]["expect"] = "storefront"
        raw["rollout"]["max_concurrency"] = 3

    shops.edit(fix)
    second = shops.cli("fleet", "run", str(shops.fleet), "--until", "smoke", "--yes")
    assert second.exit_code == 3, second.output
    assert "stage production needs approval" in second.output
    assert f"bluegreen fleet approve {shops.fleet} production" in second.output
    status = _status(shops)
    assert _row(status, "shop-06") == {"pair": "shop-06", "stage": "regions", "state": "skipped",
                                      "detail": "blue aks-shop-06-blue is Stopped"}
    assert all(_row(status, f"shop-{i:02d}")["state"] == "running" for i in (1, 2, 3, 4, 5, 7))
    assert all(_row(status, f"shop-{i:02d}")["state"] == "waiting-approval" for i in range(8, 13))
    assert status["stages"][2] == {"name": "production", "state": "waiting for approval", "approval": "manual",
                                   "approved": None}

    approved = shops.cli("fleet", "approve", str(shops.fleet), "production", "--by", "alice")
    assert approved.exit_code == 0, approved.output
    third = shops.cli("fleet", "run", str(shops.fleet), "--until", "smoke", "--yes")
    assert third.exit_code == 0, third.output
    status = _status(shops)
    assert all(_row(status, f"shop-{i:02d}")["state"] == "running" for i in range(8, 13))
    assert status["stages"][2]["approved"]["by"] == "alice"
    assert [s["state"] for s in status["stages"]] == ["done", "done", "done"]


def test_status_rows_are_data_for_the_report(shops: FleetDir, no_real_sleep: list[float]) -> None:
    from bluegreen.fleet import load_fleet, status_rows
    from bluegreen.runtime import Runtime
    from bluegreen.sim.world import World

    assert shops.cli("fleet", "run", str(shops.fleet), "--until", "preflight", "--yes").exit_code == 3  # approval
    fleet = load_fleet(shops.fleet)
    with World.open(shops.world) as world:
        rt = Runtime(credential=world.credential, clock=world.clock, state_dir=shops.world / "state")
        rows = status_rows(fleet, rt)
    assert [(r.pair, r.stage) for r in rows][:3] == [("shop-01", "canary"), ("shop-02", "canary"),
                                                     ("shop-03", "regions")]
    # The grid's states: preflight done (running), production waiting for its approval, shop-06 skipped.
    assert {r.state for r in rows} <= {"pending", "running", "skipped", "waiting-approval"}
    assert {r.state for r in rows if r.stage == "production"} == {"waiting-approval"}
    assert all(r.state == "running" and "last preflight" in r.detail
               for r in rows if r.stage != "production" and r.pair != "shop-06")
    assert [r.pair for r in rows if r.state == "skipped"] == ["shop-06"]

    page = shops.root / "fleet.html"
    assert shops.cli("report", str(shops.fleet), "--html", str(page)).exit_code == 0
    text = page.read_text()
    for row in rows:
        assert row.pair in text
    assert "waiting-approval" in text and "skipped" in text


def test_pairs_run_side_by_side_but_never_more_than_max_concurrency(shops: FleetDir,
                                                                    no_real_sleep: list[float]) -> None:
    from bluegreen.fleet import load_fleet, run_fleet
    from bluegreen.fleet.runner import PAIR_FAILED, PAIR_FINISHED, PAIR_STARTED, ApprovalRequiredError
    from bluegreen.runtime import Runtime
    from bluegreen.sim.world import World

    assert shops.cli("fleet", "plan", str(shops.fleet)).exit_code == 0  # creates the world of 12 pairs
    fleet = load_fleet(shops.fleet)
    running: set[str] = set()
    peak = 0

    def sink(event: Any) -> None:
        nonlocal peak
        if event.kind == PAIR_STARTED:
            running.add(event.data["pair"])
            peak = max(peak, len(running))
        elif event.kind in (PAIR_FINISHED, PAIR_FAILED):
            running.discard(event.data["pair"])

    with World.open(shops.world) as world:
        rt = Runtime(credential=world.credential, clock=world.clock, state_dir=shops.world / "state",
                     subscription_id=world.subscription_id)
        began = world.clock.now()
        with pytest.raises(ApprovalRequiredError):  # production waits for approve
            run_fleet(fleet, rt, sink, until="redeploy")
        waited = (world.clock.now() - began).total_seconds()
    assert 2 <= peak <= 3  # regions: five pairs (one skipped), three workers
    assert waited >= 2 * 30 * 60  # after_stage_wait 30m after canary and after regions, on the world's clock


def test_an_unreadable_fleet_state_file_is_named_and_left_alone(shops: Any, tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    broken = state_dir / "shops.fleet.json"
    broken.write_text("{not json")
    result = CliRunner().invoke(app, ["--simulate", str(shops.world), "--state-dir", str(state_dir), "fleet", "approve",
                                      str(shops.fleet), "production", "--by", "alice"])
    assert result.exit_code != 0
    assert f"{broken} is not readable JSON" in result.output and "move it away" in result.output
    assert broken.read_text() == "{not json"
