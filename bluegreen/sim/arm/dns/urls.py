"""Private and public DNS routes. `ALL` (private) and `all`/`recordsets` (public) list every type; lists page."""

from __future__ import annotations

from collections.abc import Callable

from bluegreen.sim.arm.core.http import ArmRequest, ArmResponse
from bluegreen.sim.arm.core.router import Router
from bluegreen.sim.arm.dns.models import PRIVATE_API, PUBLIC_API
from bluegreen.sim.arm.dns.responses import DnsResponses

RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network"
PZ = RG + "/privateDnsZones/{privateZoneName}"
Z = RG + "/dnsZones/{zoneName}"


def _bind(fn: Callable[[ArmRequest, bool], ArmResponse], private: bool) -> Callable[[ArmRequest], ArmResponse]:
    return lambda req: fn(req, private)


def register(router: Router, r: DnsResponses) -> None:
    for private, kind, api, prefix in ((True, "privateDnsZones", PRIVATE_API, "PrivateZones"),
                                       (False, "dnsZones", PUBLIC_API, "Zones")):
        router.add("GET", "/subscriptions/{subscriptionId}/providers/Microsoft.Network/" + kind,
                   _bind(r.list_zones, private), api=api, operation=f"{prefix}_List")
        router.add("GET", RG + "/" + kind, _bind(r.list_zones, private), api=api,
                   operation=f"{prefix}_ListByResourceGroup")
    for private, zone, api, prefix in ((True, PZ, PRIVATE_API, "PrivateZones"), (False, Z, PUBLIC_API, "Zones")):
        router.add("GET", zone, _bind(r.get_zone, private), api=api, operation=f"{prefix}_Get")
        router.add("GET", zone + "/{recordType}", _bind(r.list_by_type, private), api=api,
                   operation="RecordSets_ListByType")
        router.add("GET", zone + "/{recordType}/{relativeRecordSetName}", _bind(r.get_record, private), api=api,
                   operation="RecordSets_Get")
        router.add("PUT", zone + "/{recordType}/{relativeRecordSetName}", _bind(r.put_record, private), api=api,
                   operation="RecordSets_CreateOrUpdate", mutating=True)
        router.add("PATCH", zone + "/{recordType}/{relativeRecordSetName}", _bind(r.patch_record, private), api=api,
                   operation="RecordSets_Update", mutating=True)
        router.add("DELETE", zone + "/{recordType}/{relativeRecordSetName}", _bind(r.delete_record, private),
                   api=api, operation="RecordSets_Delete", mutating=True)
