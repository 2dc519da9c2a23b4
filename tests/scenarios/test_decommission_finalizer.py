"""A decommission held by a finalizer that never finishes times out naming it, and resumes once it is gone."""

from __future__ import annotations

from bluegreen.kube.client import KubeClient
from bluegreen.sim.world import World
from tests.scenarios.conftest import Cutover

BLUE = "aks-shop-blue"
HOLD = "example.com/hold"


def _set_finalizers(cutover: Cutover, finalizers: list[str] | None) -> None:
    with World.open(cutover.world) as world:
        blue = KubeClient.from_kubeconfig(world.cluster(BLUE).kubeconfig(), clock=world.clock)
        blue.patch_merge("apps/v1", "Deployment", "shop", "cart", {"metadata": {"finalizers": finalizers}})


def test_stuck_finalizer_times_out_the_drain_then_resumes(cutover: Cutover) -> None:
    cutover.init()
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "switch")
    assert result.exit_code == 0, result.output
    _set_finalizers(cutover, [HOLD])
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "decommission")
    assert result.exit_code != 0
    text = " ".join(result.output.split())
    assert "timed out" in text
    assert f"Deployment shop/cart is being deleted but held by finalizer {HOLD}" in text, result.output
    _set_finalizers(cutover, None)
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "decommission")
    assert result.exit_code == 0, result.output
    show = cutover.show()
    assert next(c for c in show["clusters"] if c["name"] == BLUE)["power_state"] == "Stopped"
