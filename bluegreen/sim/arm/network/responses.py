"""Subnet handlers."""

from __future__ import annotations

from bluegreen.sim.arm.core.http import ArmRequest, ArmResponse
from bluegreen.sim.arm.network.models import NetworkBackend


class NetworkResponses:
    def __init__(self, backend: NetworkBackend) -> None:
        self.backend = backend

    def get_subnet(self, req: ArmRequest) -> ArmResponse:
        p = req.params
        found = self.backend.get(p["subscriptionId"], p["resourceGroupName"], p["virtualNetworkName"], p["subnetName"])
        return ArmResponse(200, self.backend.doc(found))
