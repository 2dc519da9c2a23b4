"""Every ARM fault pattern the simulator can inject, on every mutating ARM call of a cutover (acceptance 4).

Each case seeds a world whose ARM fake answers one mutating operation (green's create, blue's tag update,
blue's stop or delete, the record write) with one fault pattern: throttling, a 5xx storm longer than
our retries, 503s, a long-running operation that ends Failed, a write that lands before a 500 or 503,
a slow answer. The same command is re-run until it finishes; the end state must be the one every
cutover reaches (tests/scenarios/endstate.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.scenarios.conftest import Cutover
from tests.scenarios.endstate import Expect, check_end_state

MAX_RUNS = 4
EXPECT = Expect(blue="aks-shop-blue", green="aks-shop-green", record="shop", namespaces=("shop", "jobs"))

PATTERNS: dict[str, dict[str, Any]] = {
    "throttled": {"effect": "throttle", "times": 3, "retry_after": 20},
    "5xx storm": {"effect": "server_error", "times": 8},  # longer than one run's retries: a re-run goes on
    "503s": {"effect": "unavailable", "times": 3, "retry_after": 10},
    "failed LRO": {"effect": "fail_lro", "code": "InternalOperationError", "message": "injected failure"},
    "landed before a 500": {"effect": "server_error", "after_commit": True},
    "landed before a 503": {"effect": "unavailable", "after_commit": True},
    "slow": {"effect": "latency", "latency_seconds": 90},
}
OPERATIONS = {  # operation -> decommission mode it happens in
    "ManagedClusters_CreateOrUpdate": "stop",
    "ManagedClusters_UpdateTags": "stop",
    "ManagedClusters_Stop": "stop",
    "ManagedClusters_Delete": "delete",
    "RecordSets_CreateOrUpdate": "stop",
}
CASES = [(op, name) for op in OPERATIONS for name in PATTERNS
         if not (name == "failed LRO" and op == "RecordSets_CreateOrUpdate")]  # a record write is no LRO


@pytest.mark.slow
@pytest.mark.parametrize(("operation", "pattern"), CASES)
def test_fault_on_a_mutating_arm_call_still_ends_in_the_end_state(cutover: Cutover, operation: str,
                                                                    pattern: str) -> None:
    mode = OPERATIONS[operation]

    def change(raw: dict[str, Any]) -> None:
        raw["decommission"]["mode"] = mode
        raw["simulation"]["faults"] = [{**PATTERNS[pattern], "operation": operation}]

    cutover.edit(change)
    cutover.init()
    before = cutover.show()
    failures = []
    for _ in range(MAX_RUNS):
        result = cutover.cli("run", str(cutover.playbook), "--yes")
        if result.exit_code == 0:
            break
        assert result.exit_code == 1, result.output  # a failed step, never a refusal or a traceback
        assert "Traceback" not in result.output
        failures.append(result.output[-600:])
    else:
        raise AssertionError(f"not done after {MAX_RUNS} runs:\n" + "\n---\n".join(failures))
    after = cutover.show()
    journal = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())
    expect = Expect(**{**EXPECT.__dict__, "blue_power": None if mode == "delete" else "Stopped"})
    assert check_end_state(before, after, journal, expect) == []
    fired = next(f for f in _faults(cutover) if f["operation"] == operation)
    assert fired["fired"] >= 1  # the fault did hit this operation


def _faults(cutover: Cutover) -> list[dict[str, Any]]:
    from bluegreen.sim import persist

    state = persist.load_state(cutover.world)
    return list(state["arm"].get("faults") or [])
