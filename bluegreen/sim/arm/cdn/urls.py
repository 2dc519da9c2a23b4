"""Front Door routes (the SDK sends `originGroups`; returned ids say `origingroups`)."""

from __future__ import annotations

from bluegreen.sim.arm.cdn.models import API
from bluegreen.sim.arm.cdn.responses import CdnResponses
from bluegreen.sim.arm.core.router import Router

RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Cdn"
P = RG + "/profiles/{profileName}"
G = P + "/originGroups/{originGroupName}"


def register(router: Router, r: CdnResponses) -> None:
    router.add("GET", RG + "/operationresults/{operationId}", r.operation_status, api=API,
               operation="OperationStatus_Get")
    router.add("GET", RG + "/operationresults/{operationId}/profileresults", r.operation_result, api=API,
               operation="OperationResults_Get")
    router.add("GET", P + "/originGroups", r.list_groups, api=API, operation="AFDOriginGroups_ListByProfile")
    router.add("GET", G, r.get_group, api=API, operation="AFDOriginGroups_Get")
    router.add("GET", G + "/origins", r.list_origins, api=API, operation="AFDOrigins_ListByOriginGroup")
    router.add("GET", G + "/origins/{originName}", r.get_origin, api=API, operation="AFDOrigins_Get")
    router.add("PUT", G + "/origins/{originName}", r.put_origin, api=API, operation="AFDOrigins_Create",
               mutating=True, lro=True)
    router.add("PATCH", G + "/origins/{originName}", r.patch_origin, api=API, operation="AFDOrigins_Update",
               mutating=True, lro=True)
