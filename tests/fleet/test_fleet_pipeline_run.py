"""The generated pipelines keep the fleet's rules: `fleet run-pair` skips as `fleet run` does, `fleet gate` counts
a stage's failures against its budget from the run records, and a generated GitHub workflow, executed job by job
in the simulator, lets the next stage start with one failure under budget 2 and stops it under budget 1."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import pytest
import yaml

from bluegreen.fleet.runner import FAILED, FINISHED, SKIPPED, UNFINISHED, pair_outcome
from bluegreen.record import DONE, PAUSED, RUNNING, RunRecord, StepRecord

from .conftest import FleetDir

STOPPED_06 = "blue aks-shop-06-blue is Stopped"


def _small(shops: FleetDir, budget: int) -> None:
    """Two stages, four pairs: shop-04's smoke fails (it expects a page green does not serve), shop-06's blue is
    stopped. No remote `state:`: every "agent" here shares the simulated world's state directory instead."""

    def change(raw: dict[str, Any]) -> None:
        raw.pop("state")
        rows = {r["name"]: r for r in raw["pairs"]["table"]}
        rows["shop-04"]["expect"] = "no-such-text"
        raw["pairs"]["table"] = [rows[n] for n in ("shop-01", "shop-04", "shop-06", "shop-07")]
        raw["rollout"]["stages"] = [
            {"name": "first", "failure_budget": budget,
             "groups": [{"name": "a", "pairs": ["shop-01", "shop-04", "shop-06"]}]},
            {"name": "second", "groups": [{"name": "b", "pairs": ["shop-07"]}]}]

    shops.edit(change)


def _record(shops: FleetDir, pair: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shops.world / "state" / pair / "journal.json").read_text())
    return data


def test_gate_counts_failures_against_the_budget_and_refuses_unfinished_pairs(shops: FleetDir,
                                                                             no_real_sleep: list[float]) -> None:
    _small(shops, budget=2)
    fleet = str(shops.fleet)
    nothing_yet = shops.cli("fleet", "gate", fleet, "first", "--until", "smoke")
    assert nothing_yet.exit_code == 1, nothing_yet.output
    assert ("stage first is not over: 3 pair(s) neither finished nor were skipped: shop-01: never started; "
            "shop-04: never started; shop-06: never started") in nothing_yet.output

    skipped = shops.cli("fleet", "run-pair", fleet, "shop-06", "--until", "smoke", "--yes")
    assert skipped.exit_code == 0, skipped.output
    assert f"shop-06: skipped ({STOPPED_06})" in skipped.output
    assert _record(shops, "shop-06")["fleet"]["state"] == "skipped"  # where every agent sharing the state sees it
    assert shops.cli("fleet", "run-pair", fleet, "shop-01", "--until", "smoke", "--yes").exit_code == 0
    failed = shops.cli("fleet", "run-pair", fleet, "shop-04", "--until", "smoke", "--yes")
    assert failed.exit_code == 1, failed.output
    assert "smoke" in failed.output

    within = shops.cli("fleet", "gate", fleet, "first", "--until", "smoke")
    assert within.exit_code == 0, within.output
    assert "stage first passes: 1 finished, 1 skipped, 1 failed (budget 2)" in within.output
    assert re.search(r"failed +shop-04 +smoke failed", within.output), within.output
    assert re.search(rf"skipped +shop-06 +{STOPPED_06}", within.output), within.output
    # The gate judges the step the pairs were run to: through decommission, none of them is over.
    assert shops.cli("fleet", "gate", fleet, "first").exit_code == 1

    status = json.loads(shops.cli("fleet", "status", fleet, "--output", "json").stdout)
    rows = {r["pair"]: r for r in status["pairs"]}
    assert rows["shop-06"] == {"pair": "shop-06", "stage": "first", "state": "skipped", "detail": STOPPED_06}
    assert rows["shop-04"]["state"] == "failed" and rows["shop-01"]["state"] == "running"

    def budget_one(raw: dict[str, Any]) -> None:
        raw["rollout"]["stages"][0]["failure_budget"] = 1

    shops.edit(budget_one)
    spent = shops.cli("fleet", "gate", fleet, "first", "--until", "smoke")
    assert spent.exit_code == 1, spent.output
    assert "stage first spent its failure budget: 1 pair(s) failed (budget 1): shop-04: smoke failed" in spent.output

    def fix(raw: dict[str, Any]) -> None:
        raw["pairs"]["table"][1]["expect"] = "storefront"

    shops.edit(fix)
    again = shops.cli("fleet", "run-pair", fleet, "shop-04", "--until", "smoke", "--yes")
    assert again.exit_code == 0, again.output
    assert "fleet" not in _record(shops, "shop-04")  # the failure's mark goes when the pair runs again
    passed = shops.cli("fleet", "gate", fleet, "first", "--until", "smoke")
    assert passed.exit_code == 0, passed.output
    assert "stage first passes: 2 finished, 1 skipped, 0 failed (budget 1)" in passed.output


def test_bad_pair_and_stage_names_are_bad_input(shops: FleetDir) -> None:
    _small(shops, budget=2)
    pair = shops.cli("fleet", "run-pair", str(shops.fleet), "shop-99", "--yes")
    assert pair.exit_code == 2 and "the fleet has no pair 'shop-99'" in pair.output
    stage = shops.cli("fleet", "gate", str(shops.fleet), "third")
    assert stage.exit_code == 2 and "no stage 'third' (stages: first, second)" in stage.output


def _steps(**status: str) -> RunRecord:
    return RunRecord(playbook="p", steps={name: StepRecord(status=s) for name, s in status.items()})


@pytest.mark.parametrize(("record", "outcome", "detail"), [
    (_steps(preflight=DONE, provision=DONE, redeploy=DONE, smoke=DONE), FINISHED, "done through smoke"),
    (_steps(preflight=DONE, provision=RUNNING), UNFINISHED, "stopped while provision was running"),
    (_steps(preflight=DONE, provision=DONE), UNFINISHED, "done through provision, not smoke"),
    (_steps(smoke=PAUSED), UNFINISHED, "smoke paused"),
    (RunRecord(playbook="p"), UNFINISHED, "never started"),
    (RunRecord(playbook="p", fleet={"state": "failed", "detail": "LockHeldError: held"}), FAILED, "LockHeldError"),
    (RunRecord(playbook="p", fleet={"state": "skipped", "detail": "why"}), SKIPPED, "why"),
    # A failure marked by an earlier run, its pair finished since: the steps say it is over.
    (RunRecord(playbook="p", fleet={"state": "failed", "detail": "old"},
               steps={s: StepRecord(status=DONE) for s in ("preflight", "provision", "redeploy", "smoke")}),
     FINISHED, "done through smoke"),
])
def test_a_pairs_outcome_at_the_gate_comes_from_its_record(record: RunRecord, outcome: str, detail: str) -> None:
    got, said = pair_outcome(RunRecord.from_dict(json.loads(json.dumps(record.to_dict()))), "smoke")
    assert (got, detail in said) == (outcome, True), said


# ------------------------------------------------------------------------------ a GitHub workflow, executed
_EXPRESSION = re.compile(r"\$\{\{\s*matrix\.(\w+)\s*\}\}")
_NOT_BLUEGREEN = ("pip install bluegreen", "echo ")  # what the simulator has no use for


def _execute(shops: FleetDir, workflow: dict[str, Any]) -> tuple[dict[str, str], list[list[str]]]:
    """Run the workflow's jobs as GitHub would, each `bluegreen` line through the CLI with --simulate.

    Returns each job's result (success, failure, skipped) as its dependants see it, and the commands run.
    """
    jobs: dict[str, Any] = workflow["jobs"]
    results: dict[str, str] = {}
    commands: list[list[str]] = []
    while len(results) < len(jobs):
        name = next(n for n in jobs if n not in results and all(d in results for d in jobs[n].get("needs", [])))
        job = jobs[name]
        condition = job.get("if")
        assert condition in (None, "always()"), f"{name}: a condition this executor does not know: {condition}"
        if condition is None and any(results[d] != "success" for d in job.get("needs", [])):
            results[name] = "skipped"
            continue
        legs = job.get("strategy", {}).get("matrix", {}).get("include") or [{}]
        legs_ok = [_leg(shops, job["steps"], leg, commands) for leg in legs]  # fail-fast: false: every leg runs
        results[name] = "success" if all(legs_ok) or job.get("continue-on-error") is True else "failure"
    return results, commands


def _leg(shops: FleetDir, steps: list[dict[str, Any]], matrix: dict[str, str], commands: list[list[str]]) -> bool:
    for step in steps:
        if "uses" in step:
            continue  # checkout, setup-python, azure/login: the simulator stands in for them
        for line in step["run"].splitlines():
            line = _EXPRESSION.sub(lambda m: matrix[m.group(1)], line)
            assert "${{" not in line, f"an expression this executor does not know: {line}"
            if line.startswith(_NOT_BLUEGREEN):
                continue
            argv = shlex.split(line)
            assert argv[0] == "bluegreen", line
            commands.append(argv[1:])
            if shops.cli(*argv[1:]).exit_code != 0:
                return False  # bash -e: the step, and so the job, fails
    return True


@pytest.mark.parametrize(("budget", "second_runs"), [(2, True), (1, False)])
def test_a_generated_github_workflow_keeps_the_budget_when_executed(shops: FleetDir, no_real_sleep: list[float],
                                                                   monkeypatch: pytest.MonkeyPatch, budget: int,
                                                                   second_runs: bool) -> None:
    _small(shops, budget)
    out = shops.root / "workflow.yaml"
    made = shops.cli("fleet", "pipeline", str(shops.fleet), "--format", "github-actions", "--until", "smoke",
                     "--root", str(shops.root), "--out", str(out))
    assert made.exit_code == 0, made.output
    monkeypatch.chdir(shops.root)  # the workflow's paths are relative to the checkout
    results, commands = _execute(shops, yaml.safe_load(out.read_text()))

    ran = [c[3] for c in commands if c[:2] == ["fleet", "run-pair"]]
    assert sorted(ran[:3]) == ["shop-01", "shop-04", "shop-06"]
    if second_runs:  # shop-04 failed, within budget 2: the gate passes and the second stage runs
        assert results == {"first-a": "success", "gate-first": "success", "second-b": "success"}
        assert ran[3:] == ["shop-07"]
        assert _record(shops, "shop-07")["steps"]["smoke"]["status"] == "done"
    else:  # budget 1: the failed job is the gate, and the second stage never starts
        assert results == {"first-a": "failure", "second-b": "skipped"}
        assert ran[3:] == [] and not (shops.world / "state" / "shop-07").exists()
    assert _record(shops, "shop-06")["fleet"] == {**_record(shops, "shop-06")["fleet"], "state": "skipped",
                                                  "detail": STOPPED_06}
    assert _record(shops, "shop-04")["steps"]["smoke"]["status"] == "failed"
