"""Acceptance 3: the generated GitHub Actions and Azure Pipelines workflows validate against the published
schemas (vendored by check-jsonschema), and say what the fleet says: stages in order, a matrix per group,
max-parallel, an environment per approval, every pair job running `bluegreen fleet run-pair` with the remote
state, and a gate job for each stage whose failure budget is above one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import FleetDir

STATE = "https://bluegreenstate.blob.core.windows.net/cutovers/shops"


def _generate(shops: FleetDir, fmt: str, *extra: str) -> tuple[Path, dict[str, Any]]:
    out = shops.root / f"{fmt}.yaml"
    result = shops.cli("fleet", "pipeline", str(shops.fleet), "--format", fmt, "--root", str(shops.root),
                       "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    return out, yaml.safe_load(out.read_text())


def _schema_check(path: Path, schema: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", f"vendor.{schema}",
                           str(path)], capture_output=True, text=True)


@pytest.mark.parametrize(("fmt", "schema"), [("github-actions", "github-workflows"),
                                             ("azure-pipelines", "azure-pipelines")])
def test_workflow_validates_against_its_published_schema(shops: FleetDir, fmt: str, schema: str) -> None:
    path, _ = _generate(shops, fmt)
    proc = _schema_check(path, schema)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(("fmt", "schema", "break_it"), [
    ("github-actions", "github-workflows", lambda d: d["jobs"]["canary-canary"].pop("runs-on")),
    ("azure-pipelines", "azure-pipelines", lambda d: d["stages"][0].update(jobs="not a list")),
])
def test_the_schema_check_catches_a_broken_workflow(shops: FleetDir, fmt: str, schema: str, break_it: Any) -> None:
    path, data = _generate(shops, fmt)
    break_it(data)
    path.write_text(yaml.safe_dump(data))
    assert _schema_check(path, schema).returncode != 0


def test_github_actions_has_the_fleets_shape(shops: FleetDir) -> None:
    path, wf = _generate(shops, "github-actions", "--until", "switch")
    jobs = wf["jobs"]
    assert list(jobs) == ["canary-canary", "regions-west", "regions-north", "approve-production", "production-eu",
                          "production-us", "gate-production"]
    assert "needs" not in jobs["canary-canary"]
    assert jobs["regions-west"]["needs"] == jobs["regions-north"]["needs"] == ["canary-canary"]
    assert jobs["approve-production"]["needs"] == ["regions-west", "regions-north"]
    assert jobs["approve-production"]["environment"] == "shops-production"
    assert jobs["production-eu"]["needs"] == ["approve-production"]
    west = jobs["regions-west"]["strategy"]
    assert west["max-parallel"] == 3 and west["fail-fast"] is False
    assert west["matrix"]["include"] == [{"pair": "shop-03"}, {"pair": "shop-04"}, {"pair": "shop-05"}]
    script = jobs["regions-west"]["steps"][-1]["run"]
    assert script == (f'bluegreen --state {STATE} fleet run-pair playbooks/fleet/shops.yaml "${{{{ matrix.pair }}}}" '
                      "--yes --until switch\n")
    # Budget 1 (regions): a failed pair job fails its job, which the next stage needs. Budget 2 (production):
    # the pair jobs may fail, and a gate that runs whatever they did counts the failures.
    assert "continue-on-error" not in jobs["regions-west"] and "continue-on-error" not in jobs["regions-north"]
    assert jobs["production-eu"]["continue-on-error"] is jobs["production-us"]["continue-on-error"] is True
    gate = jobs["gate-production"]
    assert gate["needs"] == ["production-eu", "production-us"] and gate["if"] == "always()"
    assert gate["steps"][-1]["run"] == (f"bluegreen --state {STATE} fleet gate playbooks/fleet/shops.yaml production "
                                        "--until switch\n")


def test_a_stage_with_a_budget_is_needed_through_its_gate(shops: FleetDir) -> None:
    def budgets(raw: dict[str, Any]) -> None:
        raw["rollout"]["stages"][0]["failure_budget"] = 2

    shops.edit(budgets)
    _, wf = _generate(shops, "github-actions")
    jobs = wf["jobs"]
    assert jobs["gate-canary"]["needs"] == ["canary-canary"]
    assert jobs["regions-west"]["needs"] == jobs["regions-north"]["needs"] == ["gate-canary"]
    _, pipeline = _generate(shops, "azure-pipelines")
    canary = pipeline["stages"][0]["jobs"]
    assert canary[0]["continueOnError"] == "true"
    assert canary[1] == {**canary[1], "job": "stage_gate", "dependsOn": ["canary"], "condition": "always()"}
    assert pipeline["stages"][1]["dependsOn"] == ["canary"]  # the stage fails when its gate does


def test_actionlint_accepts_the_github_workflow(shops: FleetDir) -> None:
    if shutil.which("actionlint") is None:
        pytest.skip("actionlint is not installed: the workflow is checked against the published schema only")
    path, _ = _generate(shops, "github-actions")
    proc = subprocess.run(["actionlint", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_azure_pipelines_has_the_fleets_shape(shops: FleetDir) -> None:
    _, pipeline = _generate(shops, "azure-pipelines")
    stages = pipeline["stages"]
    assert [(s["stage"], s["dependsOn"]) for s in stages] == [("canary", []), ("regions", ["canary"]),
                                                              ("production", ["regions"])]
    production = stages[2]["jobs"]
    assert [j.get("job") or j.get("deployment") for j in production] == ["approve", "eu", "us", "stage_gate"]
    assert production[0]["deployment"] == "approve" and production[0]["environment"] == "shops-production"
    assert all(j["dependsOn"] == "approve" and j["continueOnError"] == "true" for j in production[1:3])
    assert production[3]["dependsOn"] == ["eu", "us"] and production[3]["condition"] == "always()"
    assert production[3]["steps"][-1]["inputs"]["inlineScript"] == (
        f"bluegreen --state {STATE} fleet gate playbooks/fleet/shops.yaml production\n")
    west = stages[1]["jobs"][0]
    assert "continueOnError" not in west and len(stages[1]["jobs"]) == 2  # budget 1: no gate
    assert west["strategy"]["maxParallel"] == "3"
    assert west["strategy"]["matrix"] == {"shop_03": {"pair": "shop-03"}, "shop_04": {"pair": "shop-04"},
                                          "shop_05": {"pair": "shop-05"}}
    assert west["steps"][-1]["inputs"]["inlineScript"] == (
        f'bluegreen --state {STATE} fleet run-pair playbooks/fleet/shops.yaml "$(pair)" --yes\n')


def test_a_rendered_pair_is_the_playbook_the_fleet_runs(shops: FleetDir) -> None:
    out = shops.fleet.parent / ".bluegreen-shop-06.yaml"
    assert shops.cli("fleet", "render", str(shops.fleet), "shop-06", "--out", str(out)).exit_code == 0
    from bluegreen.fleet import load_fleet
    from bluegreen.playbook import load_playbook

    rendered = load_playbook(out)
    pair = load_fleet(shops.fleet).pair("shop-06").loaded
    assert rendered.digest == pair.digest  # the same playbook: a plan made from one applies to the other
    assert rendered.playbook.simulation is not None and rendered.playbook.simulation.blue.running is False


def test_a_list_of_playbooks_runs_them_in_place(shops: FleetDir) -> None:
    template = (shops.fleet.parent / "shop-template.yaml").read_text()
    for name in ("east-1", "east-2"):
        (shops.fleet.parent / f"{name}.yaml").write_text(
            template.replace("${name}", name).replace("${expect}", "storefront").replace("${running}", "true"))

    def to_list(raw: dict[str, Any]) -> None:
        raw["pairs"] = {"playbooks": ["east-1.yaml", "east-2.yaml"]}
        raw["rollout"]["stages"] = [{"name": "all", "groups": [{"name": "east", "pairs": ["east-1", "east-2"]}]}]

    shops.edit(to_list)
    _, wf = _generate(shops, "github-actions")
    job = wf["jobs"]["all-east"]
    assert job["strategy"]["matrix"]["include"] == [{"pair": "east-1"}, {"pair": "east-2"}]
    assert "fleet run-pair playbooks/fleet/shops.yaml" in job["steps"][-1]["run"]


def test_the_readme_shows_the_workflow_the_example_generates() -> None:
    from bluegreen.fleet import load_fleet
    from bluegreen.fleet.pipeline import pipeline

    from .conftest import ROOT

    generated = pipeline(load_fleet(ROOT / "playbooks" / "fleet" / "shops.yaml"), "github-actions", ROOT)
    assert f"```yaml\n{generated}```" in (ROOT / "README.md").read_text()
