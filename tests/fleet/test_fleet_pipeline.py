"""Acceptance 3: the generated GitHub Actions and Azure Pipelines workflows validate against the published
schemas (vendored by check-jsonschema), and say what the fleet says: stages in order, a matrix per group,
max-parallel, an environment per approval, every pair job running `bluegreen run` with the remote state."""

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
                          "production-us"]
    assert "needs" not in jobs["canary-canary"]
    assert jobs["regions-west"]["needs"] == jobs["regions-north"]["needs"] == ["canary-canary"]
    assert jobs["approve-production"]["needs"] == ["regions-west", "regions-north"]
    assert jobs["approve-production"]["environment"] == "shops-production"
    assert jobs["production-eu"]["needs"] == ["approve-production"]
    west = jobs["regions-west"]["strategy"]
    assert west["max-parallel"] == 3 and west["fail-fast"] is False
    assert [row["pair"] for row in west["matrix"]["include"]] == ["shop-03", "shop-04", "shop-05"]
    script = jobs["regions-west"]["steps"][-1]["run"]
    assert 'bluegreen fleet render' in script and '"${{ matrix.pair }}"' in script
    assert f'bluegreen run "${{{{ matrix.playbook }}}}" --yes --output json --until switch --state {STATE}' in script


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
    assert production[0]["deployment"] == "approve" and production[0]["environment"] == "shops-production"
    assert all(j["dependsOn"] == "approve" for j in production[1:])
    west = stages[1]["jobs"][0]
    assert west["strategy"]["maxParallel"] == "3"
    assert sorted(west["strategy"]["matrix"]) == ["shop_03", "shop_04", "shop_05"]
    assert f"--state {STATE}" in west["steps"][-1]["inputs"]["inlineScript"]


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
    assert [r["playbook"] for r in job["strategy"]["matrix"]["include"]] == ["playbooks/fleet/east-1.yaml",
                                                                             "playbooks/fleet/east-2.yaml"]
    assert "render" not in job["steps"][-1]["run"]


def test_the_readme_shows_the_workflow_the_example_generates() -> None:
    from bluegreen.fleet import load_fleet
    from bluegreen.fleet.pipeline import pipeline

    from .conftest import ROOT

    generated = pipeline(load_fleet(ROOT / "playbooks" / "fleet" / "shops.yaml"), "github-actions", ROOT)
    assert f"```yaml\n{generated}```" in (ROOT / "README.md").read_text()
