"""A plan shows what a run will do, and a run applies nothing the approved plan did not show.

Covers: a done step that will run again (its source moved) is planned with its
actions, not shown as done, and the plan that shows them is applied.
"""

from __future__ import annotations

import json

from bluegreen.kube.client import KubeClient
from bluegreen.sim.world import World
from tests.scenarios.conftest import Cutover

BLUE, GREEN = "aks-shop-blue", "aks-shop-green"


def _kube(world: World, name: str) -> KubeClient:
    return KubeClient.from_kubeconfig(world.cluster(name).kubeconfig(), clock=world.clock)


def _change_blue(cutover: Cutover) -> None:
    with World.open(cutover.world) as world:
        _kube(world, BLUE).patch_merge("v1", "ConfigMap", "shop", "storefront-config",
                                       {"data": {"CURRENCY": "CHF"}})


def _green_currency(cutover: Cutover) -> str:
    with World.open(cutover.world) as world:
        config = _kube(world, GREEN).get("v1", "ConfigMap", "shop", "storefront-config")
    assert config is not None
    return str(config["data"]["CURRENCY"])


def test_a_done_step_whose_source_moved_is_planned_not_shown_as_done(cutover: Cutover) -> None:
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "redeploy").exit_code == 0
    plan_file = cutover.root / "plan.json"
    assert cutover.cli("plan", str(cutover.playbook), "--out", str(plan_file)).exit_code == 0
    redeploy = next(s for s in json.loads(plan_file.read_text())["steps"] if s["name"] == "redeploy")
    assert redeploy["notes"] == ["done"] and redeploy["actions"] == []
    _change_blue(cutover)
    assert cutover.cli("plan", str(cutover.playbook), "--out", str(plan_file)).exit_code == 0
    redeploy = next(s for s in json.loads(plan_file.read_text())["steps"] if s["name"] == "redeploy")
    assert "redeploy/apply/shop/ConfigMap/storefront-config" in [a["id"] for a in redeploy["actions"]]
    result = cutover.cli("run", str(cutover.playbook), "--plan", str(plan_file), "--yes", "--until", "smoke")
    assert result.exit_code == 0, result.output
    assert _green_currency(cutover) == "CHF"
