"""Network routes."""

from __future__ import annotations

from bluegreen.sim.arm.core.router import Router
from bluegreen.sim.arm.network.models import API
from bluegreen.sim.arm.network.responses import NetworkResponses

VNET = ("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/"
        "virtualNetworks/{virtualNetworkName}")


def register(router: Router, r: NetworkResponses) -> None:
    router.add("GET", VNET + "/subnets/{subnetName}", r.get_subnet, api=API, operation="Subnets_Get")
