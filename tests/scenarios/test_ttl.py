"""TTL discipline for a DNS switch, on the simulated clock.

Covers: redeploy lowers the TTL ahead and the run record keeps when and from what;
the saved plan's JSON holds the ETA and the bound (seconds clients may still reach
blue after the flip); the switch waits only what is left of the old TTL since the
lowering; decommission restores the original TTL after its soak.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.scenarios.conftest import Cutover


def _record(show: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in show["records"] if r["name"] == "shop")


def _now(show: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(show["time"].replace("Z", "+00:00"))


def test_ttl_is_lowered_ahead_waited_out_on_the_clock_and_restored(cutover: Cutover, tmp_path: Path) -> None:
    cutover.edit(lambda raw: raw["switch"].update(ttl={"lower_to": 30}))
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "redeploy").exit_code == 0
    assert _record(cutover.show())["ttl"] == 30
    journal = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())
    assert journal["facts"]["ttl_original"] == 300 and journal["facts"]["ttl_lowered_at"]

    plan_file = tmp_path / "plan.json"
    assert cutover.cli("plan", str(cutover.playbook), "--out", str(plan_file)).exit_code == 0
    plan = json.loads(plan_file.read_text())
    switch = next(s for s in plan["steps"] if s["name"] == "switch")
    flip = next(a for a in switch["actions"] if a["id"] == "switch/record")
    assert flip["after"]["clients_may_reach_blue_seconds"] == 30 and flip["after"]["ttl"] == 30
    assert [a["id"] for a in switch["actions"]].index("switch/ttl-wait") < switch["actions"].index(flip)
    assert plan["eta_seconds"] >= 300

    assert cutover.cli("sim", "advance", str(cutover.world), "2m").exit_code == 0
    before = _now(cutover.show())
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "switch")
    assert result.exit_code == 0, result.output
    assert "waiting 180s until resolvers no longer hold the record's old TTL (300s)" in result.output
    assert (_now(cutover.show()) - before).total_seconds() >= 180
    assert _record(cutover.show())["ttl"] == 30

    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert _record(cutover.show())["ttl"] == 300
