"""Traffic Manager routes (lower-case `trafficmanagerprofiles` on the wire; matched case-insensitively)."""

from __future__ import annotations

from bluegreen.sim.arm.core.router import Router
from bluegreen.sim.arm.trafficmanager.models import API
from bluegreen.sim.arm.trafficmanager.responses import TrafficManagerResponses

P = ("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/"
     "trafficmanagerprofiles/{profileName}")


def register(router: Router, r: TrafficManagerResponses) -> None:
    router.add("GET", P, r.get_profile, api=API, operation="Profiles_Get")
    router.add("GET", P + "/{endpointType}/{endpointName}", r.get_endpoint, api=API, operation="Endpoints_Get")
    router.add("PUT", P + "/{endpointType}/{endpointName}", r.put_endpoint, api=API,
               operation="Endpoints_CreateOrUpdate", mutating=True)
    router.add("PATCH", P + "/{endpointType}/{endpointName}", r.patch_endpoint, api=API,
               operation="Endpoints_Update", mutating=True)
