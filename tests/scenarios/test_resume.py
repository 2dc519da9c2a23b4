"""Crash anywhere, run the same command again, get the same end state.

A one-shot fault in the simulated world SIGKILLs the `bluegreen run` process
right after its Nth mutating request (the world is saved first, as a real
cluster would have kept the change). Crash points: the last mutation of each
step (before the journal records the step as done), and the middle of
redeploy and of decommission.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import pytest

from bluegreen.sim.world import World
from tests.scenarios.conftest import Cutover

BLUE, GREEN = "aks-shop-blue", "aks-shop-green"


def _journal(cutover: Cutover) -> dict[str, Any]:
    return json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())


def _end_state(show: dict[str, Any], journal: dict[str, Any]) -> dict[str, Any]:
    """What must be equal after an interrupted and an uninterrupted run."""
    record = next(r for r in show["records"] if r["name"] == "shop")
    facts = journal["facts"]
    # Blue was touched only once clients had had one TTL to let go of it.
    touched = datetime.fromisoformat(journal["facts"]["decommission_begun"])
    waited = touched >= datetime.fromisoformat(facts["switched_at"]) + timedelta(seconds=facts["record_ttl"])
    clusters = {c["name"]: (c["power_state"], c["provisioning_state"], c["kubernetes_version"])
                for c in show["clusters"]}
    objects = {
        name: sorted((o["kind"], o["namespace"], o["name"], o["suspend"]) for o in objs
                     if o["kind"] not in ("Pod", "ReplicaSet", "Job", "Event") and o["namespace"] in ("shop", "jobs"))
        for name, objs in show["objects"].items()
    }
    return {"record_is_green": record["values"] == [facts["green_ingress_ip"]], "waited_one_ttl": waited,
            "clusters": clusters, "objects": objects}


def _mutations(show: dict[str, Any]) -> int:
    return int(show["mutations"]["total"])


def _reference(tmp_cutover: Cutover) -> tuple[dict[str, Any], list[int]]:
    """An uninterrupted run; returns its end state and the mutation totals at each step's end."""
    tmp_cutover.init()
    totals: list[int] = []
    start = tmp_cutover.show()["mutations"]["total"]
    for step in ("provision", "redeploy", "smoke", "switch", "decommission"):
        result = tmp_cutover.cli("run", str(tmp_cutover.playbook), "--yes", "--until", step)
        assert result.exit_code == 0, result.output
        totals.append(tmp_cutover.show()["mutations"]["total"] - start)
    expected = _end_state(tmp_cutover.show(), _journal(tmp_cutover))
    assert expected["record_is_green"] and expected["waited_one_ttl"]
    return expected, totals


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[int]]:
    import shutil

    from tests.scenarios.conftest import DEMO

    root = tmp_path_factory.mktemp("reference")
    shutil.copy(DEMO / "playbook.yaml", root / "playbook.yaml")
    shutil.copytree(DEMO / "manifests", root / "manifests")
    return _reference(Cutover(root))


def _crash_points(totals: list[int]) -> dict[str, int]:
    provision, redeploy, smoke, switch, decommission = totals
    return {
        "end of provision": provision,
        "middle of redeploy": (provision + redeploy) // 2,
        "end of redeploy": redeploy,
        "right after the record write": redeploy + 1,
        "end of switch": switch,
        "middle of decommission": (switch + decommission) // 2,
        "end of decommission": decommission,
    }


@pytest.mark.slow
@pytest.mark.parametrize("point", ["end of provision", "middle of redeploy", "end of redeploy",
                                   "right after the record write", "end of switch", "middle of decommission",
                                   "end of decommission"])
def test_killed_run_resumes_to_the_same_end_state(
    cutover: Cutover, reference: tuple[dict[str, Any], list[int]], point: str
) -> None:
    expected, totals = reference
    after = _crash_points(totals)[point]
    assert after >= 1
    cutover.init()
    World.schedule_crash(cutover.world, after_mutations=after)
    first = cutover.forked("run", str(cutover.playbook), "--yes")
    assert first.returncode == -signal.SIGKILL, (first.returncode, first.stdout[-2000:], first.stderr[-2000:])
    second = cutover.forked("run", str(cutover.playbook), "--yes")
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    show = cutover.show()
    assert _end_state(show, _journal(cutover)) == expected
    # Nothing done twice: at most the one request in flight when the process died is sent again.
    assert _mutations(show) - totals[-1] <= 1, (_mutations(show), totals)


@pytest.mark.slow
@pytest.mark.parametrize("step", ["preflight", "smoke"])
def test_kill_at_a_read_only_step_boundary(
    cutover: Cutover, reference: tuple[dict[str, Any], list[int]], step: str
) -> None:
    """The steps that send no mutation: kill -9 from outside as soon as the step reports it is done."""
    expected, totals = reference
    cutover.init()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "bluegreen_cli.app", "--simulate", str(cutover.world), "run",
         str(cutover.playbook), "--yes", "--output", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env,
    )
    assert process.stdout is not None
    for line in process.stdout:
        event = json.loads(line)
        if event["kind"] == "step_finished" and event["step"] == step:
            process.kill()
            break
    assert process.wait(60) == -signal.SIGKILL
    second = cutover.forked("run", str(cutover.playbook), "--yes")
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    show = cutover.show()
    assert _end_state(show, _journal(cutover)) == expected
    assert _mutations(show) - totals[-1] <= 1
