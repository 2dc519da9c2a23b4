"""The fleet as a CI/CD workflow: the same stages, groups, concurrency and approvals, run by the CI system.

Each group is a job with a matrix over its pairs (`max-parallel` from the fleet's
`max_concurrency`); each stage's jobs need the previous stage's; a stage with
`approval: manual` starts with a job bound to an environment named after the
fleet and stage, so the CI system's environment approval is the gate. Every pair
job calls `bluegreen run` with the fleet's remote `--state`, so agents that come
and go share one run record per pair. A failed pair fails its job, and the next
stage (which needs it) does not start: a failure budget of one.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from bluegreen.fleet.spec import LoadedFleet, Pair

FORMATS = ("github-actions", "azure-pipelines")
PYTHON = "3.12"


def _ident(text: str, allowed: str = r"[^A-Za-z0-9_-]") -> str:
    out = re.sub(allowed, "_", text)
    return out if re.match(r"^[A-Za-z_]", out) else f"_{out}"


def _relative(fleet: LoadedFleet, path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def _pair_command(fleet: LoadedFleet, pair: Pair, root: Path, until: str | None, playbook_var: str,
                  pair_var: str) -> str:
    """The shell a pair's job runs: render a template row when needed, then `bluegreen run` with remote state."""
    lines = []
    fleet_file = shlex.quote(_relative(fleet, fleet.path, root))
    if pair.values:  # a template row: write its playbook beside the template, where its relative paths resolve
        lines.append(f"bluegreen fleet render {fleet_file} {pair_var} --out {playbook_var}")
    run = f"bluegreen run {playbook_var} --yes --output json"
    if until:
        run += f" --until {until}"
    if fleet.spec.state:
        run += f" --state {shlex.quote(fleet.spec.state)}"
    lines.append(run)
    return "\n".join(lines) + "\n"


def _playbook_for(fleet: LoadedFleet, pair: Pair, root: Path) -> str:
    if pair.values:
        template = fleet.template_path()
        assert template is not None
        return _relative(fleet, template.parent / f".bluegreen-{pair.name}.yaml", root)
    return _relative(fleet, pair.loaded.path, root)


def github_actions(fleet: LoadedFleet, root: Path, until: str | None = None) -> dict[str, Any]:
    jobs: dict[str, Any] = {}
    previous: list[str] = []
    limit = fleet.spec.rollout.max_concurrency
    for stage in fleet.spec.rollout.stages:
        current: list[str] = []
        needs = list(previous)
        if stage.approval == "manual":
            gate = _ident(f"approve-{stage.name}")
            jobs[gate] = {"name": f"approve {stage.name}", "runs-on": "ubuntu-latest",
                          **({"needs": needs} if needs else {}),
                          "environment": f"{fleet.name}-{stage.name}",
                          "steps": [{"run": f"echo 'stage {stage.name} approved'"}]}
            needs = [gate]
        for group in stage.groups:
            job = _ident(f"{stage.name}-{group.name}")
            pairs = [fleet.pair(n) for n in group.pairs]
            include = [{"pair": p.name, "playbook": _playbook_for(fleet, p, root)} for p in pairs]
            command = _pair_command(fleet, pairs[0], root, until, '"${{ matrix.playbook }}"', '"${{ matrix.pair }}"')
            jobs[job] = {
                "name": f"{stage.name} / {group.name} / ${{{{ matrix.pair }}}}",
                "runs-on": "ubuntu-latest",
                **({"needs": needs} if needs else {}),
                "strategy": {"fail-fast": False, "max-parallel": min(limit, len(pairs)),
                             "matrix": {"include": include}},
                "steps": [
                    {"uses": "actions/checkout@v4"},
                    {"uses": "actions/setup-python@v5", "with": {"python-version": PYTHON}},
                    {"run": "pip install bluegreen"},
                    {"uses": "azure/login@v2", "with": {
                        "client-id": "${{ secrets.AZURE_CLIENT_ID }}",
                        "tenant-id": "${{ secrets.AZURE_TENANT_ID }}",
                        "subscription-id": "${{ secrets.AZURE_SUBSCRIPTION_ID }}"}},
                    {"name": "cut over", "run": command},
                ],
            }
            current.append(job)
        previous = current
    return {
        "name": f"bluegreen fleet {fleet.name}",
        "on": {"workflow_dispatch": {}},
        "permissions": {"id-token": "write", "contents": "read"},
        "concurrency": {"group": f"bluegreen-fleet-{fleet.name}", "cancel-in-progress": False},
        "jobs": jobs,
    }


def azure_pipelines(fleet: LoadedFleet, root: Path, until: str | None = None) -> dict[str, Any]:
    stages: list[dict[str, Any]] = []
    previous: str | None = None
    limit = fleet.spec.rollout.max_concurrency
    for stage in fleet.spec.rollout.stages:
        stage_id = _ident(stage.name, r"[^A-Za-z0-9_]")
        jobs: list[dict[str, Any]] = []
        gate: str | None = None
        if stage.approval == "manual":
            gate = "approve"
            jobs.append({"deployment": gate, "displayName": f"approve {stage.name}",
                         "environment": f"{fleet.name}-{stage.name}",
                         "pool": {"vmImage": "ubuntu-latest"},
                         "strategy": {"runOnce": {"deploy": {"steps": [
                             {"script": f"echo 'stage {stage.name} approved'"}]}}}})
        for group in stage.groups:
            pairs = [fleet.pair(n) for n in group.pairs]
            matrix = {_ident(p.name, r"[^A-Za-z0-9_]"): {"pair": p.name, "playbook": _playbook_for(fleet, p, root)}
                      for p in pairs}
            command = _pair_command(fleet, pairs[0], root, until, '"$(playbook)"', '"$(pair)"')
            job: dict[str, Any] = {
                "job": _ident(group.name, r"[^A-Za-z0-9_]"),
                "displayName": f"{stage.name} / {group.name}",
                "pool": {"vmImage": "ubuntu-latest"},
                "strategy": {"matrix": matrix, "maxParallel": str(min(limit, len(pairs)))},  # the schema's scalars
                "steps": [
                    {"checkout": "self"},
                    {"task": "UsePythonVersion@0", "inputs": {"versionSpec": PYTHON}},
                    {"script": "pip install bluegreen", "displayName": "install bluegreen"},
                    {"task": "AzureCLI@2", "displayName": "cut over", "inputs": {
                        "azureSubscription": "$(AZURE_SERVICE_CONNECTION)", "scriptType": "bash",
                        "scriptLocation": "inlineScript", "inlineScript": command}},
                ],
            }
            if gate:
                job["dependsOn"] = gate
            jobs.append(job)
        entry: dict[str, Any] = {"stage": stage_id, "displayName": stage.name,
                                 "dependsOn": [previous] if previous else [], "jobs": jobs}
        stages.append(entry)
        previous = stage_id
    return {"trigger": "none", "pr": "none", "stages": stages}


def pipeline(fleet: LoadedFleet, fmt: str, root: Path, until: str | None = None) -> str:
    """The workflow as YAML text; `root` is the repository root the CI checks out (paths are relative to it)."""
    root = root.resolve()
    if fmt == "github-actions":
        data = github_actions(fleet, root, until)
    elif fmt == "azure-pipelines":
        data = azure_pipelines(fleet, root, until)
    else:
        from bluegreen.errors import PlaybookError

        raise PlaybookError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})", field="--format")
    header = (f"# Generated by `bluegreen fleet pipeline` from {_relative(fleet, fleet.path, root)}: "
              "regenerate it rather than editing it.\n")
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=1000)


class _Dumper(yaml.SafeDumper):
    """No anchors (a shared `needs` list would become &id001), multi-line scripts as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)
