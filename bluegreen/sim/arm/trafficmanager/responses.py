"""Traffic Manager handlers."""

from __future__ import annotations

from bluegreen.sim.arm.core.http import ArmRequest, ArmResponse
from bluegreen.sim.arm.trafficmanager.models import TrafficManagerBackend


class TrafficManagerResponses:
    def __init__(self, backend: TrafficManagerBackend) -> None:
        self.backend = backend

    @staticmethod
    def _args(req: ArmRequest) -> tuple[str, str, str]:
        return req.params["subscriptionId"], req.params["resourceGroupName"], req.params["profileName"]

    def get_profile(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, self.backend.profile_doc(self.backend.profile(*self._args(req))))

    def get_endpoint(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, self.backend.endpoint(*self._args(req), req.params["endpointType"],
                                                      req.params["endpointName"]))

    def put_endpoint(self, req: ArmRequest) -> ArmResponse:
        created, doc = self.backend.put_endpoint(*self._args(req), req.params["endpointType"],
                                                 req.params["endpointName"], req.json_object())
        return ArmResponse(201 if created else 200, doc)

    def patch_endpoint(self, req: ArmRequest) -> ArmResponse:
        return ArmResponse(200, self.backend.patch_endpoint(*self._args(req), req.params["endpointType"],
                                                            req.params["endpointName"], req.json_object()))
