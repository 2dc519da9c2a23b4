"""A busy or failed blue cluster is waited for or recovered, not reported as a failure (issue 7 items 5-7).

Through the CLI against the simulator, whose AKS fake answers a mutation of a cluster with an operation
in flight the way AKS does (409 OperationNotAllowed "Another operation (Updating) is in progress"), and
whose faults make a write land before a 500 or a stop operation end Failed.
"""

from __future__ import annotations

import json
import signal
from typing import Any

from bluegreen.sim.world import World
from tests.scenarios.conftest import Cutover
from tests.scenarios.endstate import Expect, check_end_state

EXPECT = Expect(blue="aks-shop-blue", green="aks-shop-green", record="shop", namespaces=("shop", "jobs"))


def _faults(cutover: Cutover, *faults: dict[str, Any]) -> None:
    cutover.edit(lambda raw: raw["simulation"].update(faults=list(faults)))


def _journal(cutover: Cutover) -> dict[str, Any]:
    return json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())


def _events(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def _mutations_before_the_tag(cutover: Cutover) -> int:
    saved = cutover.root / "decommission-plan.json"
    planned = cutover.cli("plan", str(cutover.playbook), "--out", str(saved))
    assert planned.exit_code == 0, planned.output
    step = next(s for s in json.loads(saved.read_text())["steps"] if s["name"] == "decommission")
    kinds = [a["kind"] for a in step["actions"]]
    return sum(1 for k in kinds[:kinds.index("tag_cluster")] if k in ("suspend_cronjob", "delete"))


def _run(cutover: Cutover, *extra: str) -> Any:
    return cutover.cli("run", str(cutover.playbook), "--yes", "--output", "json", *extra)


def test_a_tag_update_that_landed_before_a_500_is_waited_for(cutover: Cutover) -> None:
    # The PATCH lands (blue goes Updating for 30 simulated seconds), ARM answers 500, the retry gets 409.
    _faults(cutover, {"effect": "server_error", "operation": "ManagedClusters_UpdateTags", "after_commit": True})
    cutover.init()
    before = cutover.show()
    result = _run(cutover)
    assert result.exit_code == 0, result.output
    waits = [e for e in _events(result.stdout) if e["kind"] == "waiting" and "busy" in e["message"]]
    assert waits and "aks-shop-blue" in waits[0]["message"], [e["message"] for e in _events(result.stdout)]
    assert check_end_state(before, cutover.show(), _journal(cutover), EXPECT) == []


def test_a_rerun_after_a_kill_right_after_the_tag_update_waits_for_it(cutover: Cutover) -> None:
    cutover.init()
    before = cutover.show()
    assert _run(cutover, "--until", "switch").exit_code == 0
    # Decommission suspends blue's CronJobs and deletes what it found, then tags blue: killed right after the
    # tag update, blue is left Updating. Each of those actions is one mutation; the plan says how many.
    World.schedule_crash(cutover.world, after_mutations=_mutations_before_the_tag(cutover) + 1)
    killed = cutover.forked("run", str(cutover.playbook), "--yes")
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-2000:] + killed.stderr[-2000:]
    show = cutover.show()
    assert show["mutations"]["by_api"]["Microsoft.ContainerService/managedClusters"] == 2  # green's create, the tag
    assert next(c for c in show["clusters"] if c["name"] == "aks-shop-blue")["provisioning_state"] == "Updating"
    result = _run(cutover)
    assert result.exit_code == 0, result.output
    waits = [e for e in _events(result.stdout) if e["kind"] == "waiting" and "busy (Updating)" in e["message"]]
    assert waits, [e["message"] for e in _events(result.stdout)]
    assert check_end_state(before, cutover.show(), _journal(cutover), EXPECT) == []


def test_a_failed_stop_is_reconciled_and_stopped_again(cutover: Cutover) -> None:
    _faults(cutover, {"effect": "fail_lro", "operation": "ManagedClusters_Stop", "code": "VMExtensionProvisioningError",
                      "message": "Stopping the node pool failed."})
    cutover.init()
    before = cutover.show()
    result = _run(cutover)
    assert result.exit_code == 0, result.output
    messages = [e["message"] for e in _events(result.stdout)]
    assert any("Running/Failed" in m and "reconciling" in m for m in messages), messages
    after = cutover.show()
    assert check_end_state(before, after, _journal(cutover), EXPECT) == []
    by_api = after["mutations"]["by_api"]["Microsoft.ContainerService/managedClusters"]
    assert by_api == 5  # green's create, blue's tag, the failed stop, the reconcile PUT, the stop


def test_a_stop_that_keeps_failing_says_exactly_what_to_do(cutover: Cutover) -> None:
    # Three failed stops use up one run's attempts (stop, reconcile, stop, reconcile, stop).
    _faults(cutover, {"effect": "fail_lro", "operation": "ManagedClusters_Stop", "times": 3})
    cutover.init()
    result = _run(cutover)
    assert result.exit_code == 1, result.output
    assert "az aks update --resource-group rg-shop --name aks-shop-blue" in result.output
    assert "Traceback" not in result.output
    blue = next(c for c in cutover.show()["clusters"] if c["name"] == "aks-shop-blue")
    assert (blue["power_state"], blue["provisioning_state"]) == ("Running", "Failed")
    # The cause gone, the same command recovers the Running/Failed cluster and finishes.
    assert _run(cutover).exit_code == 0
    blue = next(c for c in cutover.show()["clusters"] if c["name"] == "aks-shop-blue")
    assert (blue["power_state"], blue["provisioning_state"]) == ("Stopped", "Succeeded")


def test_a_retried_stop_that_finds_the_stop_under_way_waits_for_it(cutover: Cutover) -> None:
    _faults(cutover, {"effect": "unavailable", "operation": "ManagedClusters_Stop", "after_commit": True})
    cutover.init()
    before = cutover.show()
    result = _run(cutover)
    assert result.exit_code == 0, result.output
    after = cutover.show()
    assert check_end_state(before, after, _journal(cutover), EXPECT) == []
    assert after["mutations"]["by_api"]["Microsoft.ContainerService/managedClusters"] == 3  # one stop landed


def test_a_retried_delete_that_finds_the_delete_under_way_waits_for_it(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["decommission"].update(mode="delete"))
    _faults(cutover, {"effect": "server_error", "operation": "ManagedClusters_Delete", "after_commit": True})
    cutover.init()
    before = cutover.show()
    result = _run(cutover)
    assert result.exit_code == 0, result.output
    expect = Expect(blue=EXPECT.blue, green=EXPECT.green, record=EXPECT.record, namespaces=EXPECT.namespaces,
                    blue_power=None)
    assert check_end_state(before, cutover.show(), _journal(cutover), expect) == []
