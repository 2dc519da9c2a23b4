"""The CLI's contract: exit codes, field-named errors without side effects, JSON output, no secrets.

Covers: validate (every problem with its path, exit 2), schema, bad input
leaving no world or journal behind, `run --output json` as JSON lines with no
secret value anywhere (stdout, journal, plan), transient ARM throttling
retried and reported, a second concurrent run refused (exit 3), status.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from bluegreen.journal import JournalStore
from bluegreen.sim.world import World
from tests.scenarios.conftest import SECRET_VALUES, Cutover


def test_validate_reports_every_problem_with_its_field(cutover: Cutover) -> None:
    def breaks(raw: dict) -> None:
        raw["green"]["kubernetes_version"] = "newest"
        raw["switch"]["record_type"] = "TXT"

    cutover.edit(breaks)
    result = cutover.cli("validate", str(cutover.playbook))
    assert result.exit_code == 2
    assert "green.kubernetes_version" in result.output and "switch.record_type" in result.output
    as_json = cutover.cli("validate", str(cutover.playbook), "--output", "json")
    assert {p["field"] for p in json.loads(as_json.stdout)["problems"]} == {
        "green.kubernetes_version", "switch.record_type"}


def test_bad_playbook_has_no_side_effect(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["green"].update(name=raw["blue"]["name"]))
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 2
    assert "green.name must differ" in result.output
    assert not cutover.world.exists()


def test_schema_is_json_schema(cutover: Cutover) -> None:
    schema = json.loads(cutover.cli("schema").stdout)
    assert schema["properties"]["switch"]


def test_json_output_is_event_lines_without_secrets(cutover: Cutover) -> None:
    plan_file = cutover.root / "plan.json"
    assert cutover.cli("plan", str(cutover.playbook), "--out", str(plan_file), "--output", "json").exit_code == 0
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--output", "json")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    kinds = {e["kind"] for e in events}
    assert {"step_started", "step_finished", "action_finished", "check", "run_finished"} <= kinds
    assert {e["step"] for e in events if e["kind"] == "step_finished"} == {
        "preflight", "provision", "redeploy", "smoke", "switch", "decommission"}
    journal = (cutover.world / "state" / "shop-1-31" / "journal.json").read_text()
    status = cutover.cli("status", str(cutover.playbook), "--output", "json")
    assert json.loads(status.stdout)["steps"]["decommission"] == "done"
    for secret in SECRET_VALUES:
        for text in (result.stdout, result.stderr or "", journal, plan_file.read_text(), status.stdout):
            assert secret not in text
    # The archive keeps the Secret (a rollback needs it) in a private file.
    archive = Path(json.loads(journal)["facts"]["archive"])
    shop = (archive / "shop.yaml").read_text()
    assert "payment-gateway" in shop
    assert (archive / "shop.yaml").stat().st_mode & 0o777 == 0o600


def test_throttled_arm_is_retried_and_reported(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["simulation"].update(faults=[
        {"effect": "throttle", "operation": "ManagedClusters_Get", "times": 2, "retry_after": 7}]))
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "provision", "--output", "json")
    assert result.exit_code == 0, result.output
    retries = [json.loads(line) for line in result.stdout.splitlines() if '"retry"' in line]
    assert len(retries) == 2
    assert retries[0]["data"]["delay"] == 7


def test_second_concurrent_run_is_refused(cutover: Cutover) -> None:
    cutover.init()
    # Another process has the simulated world open: refused at once, naming it.
    with World.open(cutover.world):
        result = cutover.subprocess("run", str(cutover.playbook), "--yes")
    assert result.returncode == 3, result.stderr
    assert "in use by process" in result.stderr
    # Another run holds the playbook's journal lock: refused at once too, nothing changed.
    before = cutover.show()["mutations"]["total"]
    store = JournalStore(cutover.world / "state", "shop-1-31")
    with store.locked(datetime.now(timezone.utc)):
        result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "is being run by pid" in result.output
    assert cutover.show()["mutations"]["total"] == before


def test_run_without_yes_and_without_a_terminal_refuses(cutover: Cutover) -> None:
    result = cutover.subprocess("run", str(cutover.playbook))
    assert result.returncode == 2
    assert "--yes" in result.stderr


def test_read_only_steps_never_ask_for_yes(cutover: Cutover) -> None:
    """A pipeline runs preflight without --yes and without a terminal: it changes nothing, so nothing is asked."""
    result = cutover.subprocess("preflight", str(cutover.playbook))
    assert result.returncode == 0, result.stderr
    assert "--yes" not in result.stderr


def test_step_needs_the_one_before(cutover: Cutover) -> None:
    result = cutover.cli("switch", str(cutover.playbook), "--yes")
    assert result.exit_code == 3
    assert "switch needs preflight to be done first" in result.output




def test_throttled_kubernetes_writes_are_retried_and_reported(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["simulation"].update(cluster_behaviour={"aks-shop-green": {"throttle_writes": 3}}))
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "redeploy", "--output", "json")
    assert result.exit_code == 0, result.output
    retries = [json.loads(line) for line in result.stdout.splitlines() if '"retry"' in line]
    assert len(retries) == 3
    assert all(r["data"]["delay"] == 1 and "429" in r["message"] for r in retries)


def test_a_record_write_that_landed_but_answered_500_is_not_written_twice(cutover: Cutover) -> None:
    """ARM can time out on a write that happened: the retry meets its own ETag (412) and must not fail."""
    cutover.edit(lambda raw: raw["simulation"].update(faults=[
        {"effect": "server_error", "operation": "RecordSets_CreateOrUpdate", "api": "Microsoft.Network/privateDnsZones",
         "after_commit": True, "times": 1}]))
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "switch", "--output", "json")
    assert result.exit_code == 0, result.output
    assert any('"retry"' in line and "500" in line for line in result.stdout.splitlines())
    show = cutover.show()
    record = next(r for r in show["records"] if r["name"] == "shop")
    journal = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())
    assert record["values"] == [journal["facts"]["green_ingress_ip"]]
    assert show["mutations"]["by_api"]["Microsoft.Network/privateDnsZones"] == 1  # landed once, not twice


def test_sim_commands_take_dry_run_and_change_nothing(cutover: Cutover) -> None:
    cutover.init()
    state = cutover.world / "world.db"
    before = (state.read_bytes(), state.stat().st_mtime_ns)
    world = str(cutover.world)
    for args in (("stop-cluster", world, "aks-shop-blue"), ("start-cluster", world, "aks-shop-blue"),
                 ("advance", world, "2h")):
        result = cutover.cli("sim", *args, "--dry-run")
        assert result.exit_code == 0, result.output
    assert "would stop cluster aks-shop-blue (now Running)" in cutover.cli(
        "sim", "stop-cluster", world, "aks-shop-blue", "--dry-run").output
    assert cutover.cli("sim", "stop-cluster", world, "no-such", "--dry-run").exit_code == 2
    assert (state.read_bytes(), state.stat().st_mtime_ns) == before
    fresh = cutover.root / "fresh"
    result = cutover.cli("sim", "init", str(fresh), "--playbook", str(cutover.playbook), "--dry-run")
    assert result.exit_code == 0 and not fresh.exists()
