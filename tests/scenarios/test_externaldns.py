"""ExternalDNS beside a DNS switch, against the simulator.

Covers: an ExternalDNS in blue with policy sync that owns the record (its TXT ownership
record names its owner id) is reported and, with no ExternalDNS in green to take over,
the switch is refused; once green runs one with its own owner id, the plan shows the
ownership hand-over, the switch performs it before the flip, and rollback hands it back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bluegreen.azure import AzureContext
from bluegreen.kube.client import KubeClient
from bluegreen.sim.world import World
from tests.scenarios.conftest import Cutover

OWNED = "heritage=external-dns,external-dns/owner={owner},external-dns/resource=service/shop/storefront"


def _external_dns(owner: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "external-dns", "namespace": "external-dns"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "external-dns"}},
                     "template": {"metadata": {"labels": {"app": "external-dns"}}, "spec": {"containers": [{
                         "name": "external-dns", "image": "registry.k8s.io/external-dns/external-dns:v0.14.2",
                         "args": ["--source=service", "--provider=azure-private-dns", "--policy=sync",
                                  f"--txt-owner-id={owner}"]}]}}}}


def _install(world: World, cluster: str, owner: str) -> None:
    kube = KubeClient.from_kubeconfig(world.cluster(cluster).kubeconfig(), clock=world.clock)
    kube.ensure_namespace("external-dns")
    kube.apply(_external_dns(owner))


def _ctx(world: World) -> AzureContext:
    return AzureContext(world.credential, world.subscription_id, world.clock, polling_interval=1)


def _owner_txt(world: World) -> list[str]:
    from bluegreen.azure import PrivateDnsRecords

    txt = PrivateDnsRecords(_ctx(world)).get_txt("rg-shop", "contoso.internal", "a-shop")
    assert txt is not None
    return list(txt.values)


def _plan(cutover: Cutover, tmp_path: Path, exit_code: int = 0) -> dict[str, Any]:
    """The switch step of a saved plan; `plan` exits 3 (after saving) when it shows a blocking problem."""
    out = tmp_path / "plan.json"
    result = cutover.cli("plan", str(cutover.playbook), "--out", str(out))
    assert result.exit_code == exit_code, result.output
    return next(s for s in json.loads(out.read_text())["steps"] if s["name"] == "switch")


def test_externaldns_ownership_is_reported_refused_then_handed_over_and_back(cutover: Cutover,
                                                                              tmp_path: Path) -> None:
    cutover.init()
    with World.open(cutover.world) as world:
        _install(world, "aks-shop-blue", "blue-cluster")
        _ctx(world).privatedns.record_sets.create_or_update(
            "rg-shop", "contoso.internal", "TXT", "a-shop",
            {"properties": {"ttl": 300, "txtRecords": [{"value": [OWNED.format(owner="blue-cluster")]}]}})
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "smoke").exit_code == 0

    switch = _plan(cutover, tmp_path, exit_code=3)
    assert any("ExternalDNS external-dns/external-dns on blue (policy sync, owner id blue-cluster)" in n
               for n in switch["notes"])
    assert any("owned by ExternalDNS owner id blue-cluster" in n for n in switch["notes"])
    refused = cutover.cli("switch", str(cutover.playbook), "--yes")
    assert refused.exit_code == 3 and "would write blue's address back" in refused.output

    with World.open(cutover.world) as world:
        _install(world, "aks-shop-green", "green-cluster")
    switch = _plan(cutover, tmp_path)
    ids = [a["id"] for a in switch["actions"]]
    assert ids.index("switch/ownership/a-shop") < ids.index("switch/record")
    handover = switch["actions"][ids.index("switch/ownership/a-shop")]
    assert handover["before"] == {"owner": "blue-cluster"} and handover["after"] == {"owner": "green-cluster"}

    assert cutover.cli("switch", str(cutover.playbook), "--yes").exit_code == 0
    with World.open(cutover.world) as world:
        assert _owner_txt(world) == [OWNED.format(owner="green-cluster")]
    result = cutover.cli("rollback", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    with World.open(cutover.world) as world:
        assert _owner_txt(world) == [OWNED.format(owner="blue-cluster")]
