"""DNS handlers: the same logic for both flavours, told apart by the route's `private` flag."""

from __future__ import annotations

from bluegreen.sim.arm.core.http import ArmRequest, ArmResponse, page
from bluegreen.sim.arm.dns.models import DnsBackend
from bluegreen.sim.arm.dns.wire import record_to_wire, zone_to_wire


class DnsResponses:
    def __init__(self, backend: DnsBackend) -> None:
        self.backend = backend

    @staticmethod
    def _zone_args(req: ArmRequest) -> tuple[str, str, str]:
        p = req.params
        return p["subscriptionId"], p["resourceGroupName"], p.get("privateZoneName") or p["zoneName"]

    def get_zone(self, req: ArmRequest, private: bool) -> ArmResponse:
        return ArmResponse(200, zone_to_wire(self.backend.zone(private, *self._zone_args(req))))

    def get_record(self, req: ArmRequest, private: bool) -> ArmResponse:
        zone, record = self.backend.get_record(private, *self._zone_args(req), req.params["recordType"],
                                               req.params["relativeRecordSetName"])
        return ArmResponse(200, record_to_wire(zone, record))

    def put_record(self, req: ArmRequest, private: bool) -> ArmResponse:
        created, zone, record = self.backend.put_record(
            private, *self._zone_args(req), req.params["recordType"], req.params["relativeRecordSetName"],
            req.json_object(), if_match=req.header("If-Match"), if_none_match=req.header("If-None-Match"),
        )
        return ArmResponse(201 if created else 200, record_to_wire(zone, record))

    def patch_record(self, req: ArmRequest, private: bool) -> ArmResponse:
        zone, record = self.backend.patch_record(
            private, *self._zone_args(req), req.params["recordType"], req.params["relativeRecordSetName"],
            req.json_object(), if_match=req.header("If-Match"),
        )
        return ArmResponse(200, record_to_wire(zone, record))

    def list_by_type(self, req: ArmRequest, private: bool) -> ArmResponse:
        rtype = req.params["recordType"]
        if rtype.lower() in ("all", "recordsets"):
            rtype = ""
        zone, records = self.backend.list_records(private, *self._zone_args(req), rtype or None)
        suffix = (req.query.get("$recordsetnamesuffix") or "").lower().rstrip(".")
        if suffix:
            records = [r for r in records if r["name"] == suffix or r["name"].endswith("." + suffix)]
        return ArmResponse(200, page(req, [record_to_wire(zone, r) for r in records]))

    def delete_record(self, req: ArmRequest, private: bool) -> ArmResponse:
        """200 when a record set was deleted, 204 when there was none (as both DNS services answer)."""
        deleted = self.backend.delete_record(private, *self._zone_args(req), req.params["recordType"],
                                             req.params["relativeRecordSetName"], if_match=req.header("If-Match"))
        return ArmResponse(200 if deleted else 204)

    def list_zones(self, req: ArmRequest, private: bool) -> ArmResponse:
        zones = self.backend.list_zones(private, req.params["subscriptionId"], req.params.get("resourceGroupName"))
        return ArmResponse(200, page(req, [zone_to_wire(z) for z in zones]))
