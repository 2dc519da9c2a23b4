"""The fleet as a CI/CD workflow: the same stages, groups, concurrency, approvals and rules, run by the CI system.

Each group is a job with a matrix over its pairs (`max-parallel` from the fleet's
`max_concurrency`); each stage's jobs need the previous stage's; a stage with
`approval: manual` starts with a job bound to an environment named after the
fleet and stage, so the CI system's environment approval is the gate. Every pair
job runs `bluegreen fleet run-pair` with the fleet's remote `--state`: it applies
the fleet's skip rules (a skipped pair's job succeeds, saying why) and keeps the
pair's run record where every agent sees it.

A stage's `failure_budget` of one is the CI system's own rule: a failed (or
cancelled) pair job fails its job, and the next stage, which needs it, never
starts. A larger budget needs counting across jobs: the pair jobs may fail
without failing the stage (`continue-on-error`), and a gate job that runs
whatever they did (`always()`) runs `bluegreen fleet gate`, which reads the
stage's run records and fails once the budget is spent or a pair neither
finished nor was skipped. The next stage needs the gate.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from bluegreen.fleet.spec import LoadedFleet, StageSpec

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


def _bluegreen(fleet: LoadedFleet) -> str:
    """`bluegreen` with the fleet's remote state (a global option: it goes before the command)."""
    return f"bluegreen --state {shlex.quote(fleet.spec.state)}" if fleet.spec.state else "bluegreen"


def _fleet_file(fleet: LoadedFleet, root: Path) -> str:
    return shlex.quote(_relative(fleet, fleet.path, root))


def _pair_command(fleet: LoadedFleet, root: Path, until: str | None, pair_var: str) -> str:
    """The pair job's shell: `fleet run-pair` renders a template row itself and applies the skip rules."""
    run = f"{_bluegreen(fleet)} fleet run-pair {_fleet_file(fleet, root)} {pair_var} --yes"
    return run + (f" --until {until}" if until else "") + "\n"


def _gate_command(fleet: LoadedFleet, root: Path, until: str | None, stage: StageSpec) -> str:
    gate = f"{_bluegreen(fleet)} fleet gate {_fleet_file(fleet, root)} {stage.name}"
    return gate + (f" --until {until}" if until else "") + "\n"


def _counted(stage: StageSpec) -> bool:
    """Whether the stage's failures are counted by a gate job (budget > 1), not by the CI system's `needs`."""
    return stage.failure_budget > 1


def _github_steps(last: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"uses": "actions/checkout@v4"},
        {"uses": "actions/setup-python@v5", "with": {"python-version": PYTHON}},
        {"run": "pip install bluegreen"},
        {"uses": "azure/login@v2", "with": {
            "client-id": "${{ secrets.AZURE_CLIENT_ID }}",
            "tenant-id": "${{ secrets.AZURE_TENANT_ID }}",
            "subscription-id": "${{ secrets.AZURE_SUBSCRIPTION_ID }}"}},
        last,
    ]


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
            jobs[job] = {
                "name": f"{stage.name} / {group.name} / ${{{{ matrix.pair }}}}",
                "runs-on": "ubuntu-latest",
                **({"needs": needs} if needs else {}),
                **({"continue-on-error": True} if _counted(stage) else {}),  # the gate counts the failures
                "strategy": {"fail-fast": False, "max-parallel": min(limit, len(pairs)),
                             "matrix": {"include": [{"pair": p.name} for p in pairs]}},
                "steps": _github_steps({"name": "cut over",
                                        "run": _pair_command(fleet, root, until, '"${{ matrix.pair }}"')}),
            }
            current.append(job)
        if _counted(stage):
            gate = _ident(f"gate-{stage.name}")
            jobs[gate] = {"name": f"gate {stage.name} (failure budget {stage.failure_budget})",
                          "runs-on": "ubuntu-latest", "needs": current,
                          "if": "always()",  # failed and cancelled pair jobs too: the gate judges them
                          "steps": _github_steps({"name": "count the stage's failures",
                                                  "run": _gate_command(fleet, root, until, stage)})}
            current = [gate]
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
        group_jobs: list[str] = []
        for group in stage.groups:
            pairs = [fleet.pair(n) for n in group.pairs]
            matrix = {_ident(p.name, r"[^A-Za-z0-9_]"): {"pair": p.name} for p in pairs}
            job: dict[str, Any] = {
                "job": _ident(group.name, r"[^A-Za-z0-9_]"),
                "displayName": f"{stage.name} / {group.name}",
                "pool": {"vmImage": "ubuntu-latest"},
                "strategy": {"matrix": matrix, "maxParallel": str(min(limit, len(pairs)))},  # the schema's scalars
                "steps": _azure_steps("cut over", _pair_command(fleet, root, until, '"$(pair)"')),
            }
            if _counted(stage):
                job["continueOnError"] = "true"  # the gate counts the failures (a string: the schema's scalars)
            if gate:
                job["dependsOn"] = gate
            jobs.append(job)
            group_jobs.append(job["job"])
        if _counted(stage):
            jobs.append({"job": "stage_gate",
                         "displayName": f"gate {stage.name} (failure budget {stage.failure_budget})",
                         "dependsOn": group_jobs, "condition": "always()",  # failed and cancelled pair jobs too
                         "pool": {"vmImage": "ubuntu-latest"},
                         "steps": _azure_steps("count the stage's failures", _gate_command(fleet, root, until, stage))})
        entry: dict[str, Any] = {"stage": stage_id, "displayName": stage.name,
                                 "dependsOn": [previous] if previous else [], "jobs": jobs}
        stages.append(entry)
        previous = stage_id
    return {"trigger": "none", "pr": "none", "stages": stages}


def _azure_steps(name: str, script: str) -> list[dict[str, Any]]:
    return [
        {"checkout": "self"},
        {"task": "UsePythonVersion@0", "inputs": {"versionSpec": PYTHON}},
        {"script": "pip install bluegreen", "displayName": "install bluegreen"},
        {"task": "AzureCLI@2", "displayName": name, "inputs": {
            "azureSubscription": "$(AZURE_SERVICE_CONNECTION)", "scriptType": "bash",
            "scriptLocation": "inlineScript", "inlineScript": script}},
    ]


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
