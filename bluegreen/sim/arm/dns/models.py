"""Zones and record sets (neutral form: name, type, ttl, values, metadata, etag); writes are synchronous."""

from __future__ import annotations

import copy
from typing import Any

from bluegreen.sim.arm.core.context import SimContext, stable_guid
from bluegreen.sim.arm.core.errors import ArmError
from bluegreen.sim.arm.core.etag import check_conditions, new_etag
from bluegreen.sim.arm.dns import exceptions as exc
from bluegreen.sim.arm.dns.wire import canonical_type, parse_properties

PRIVATE_API = "Microsoft.Network/privateDnsZones"
PUBLIC_API = "Microsoft.Network/dnsZones"


# Whom the simulated ARM names as the author of a write (it does not decode tokens).
SIMULATED_PRINCIPAL = "operator@contoso.example"
SEEDING_PRINCIPAL = "terraform-sp@contoso.example"


def zone_id(private: bool, sub: str, rg: str, zone: str) -> str:
    kind = "privateDnsZones" if private else "dnsZones"
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/{kind}/{zone}"


class DnsBackend:
    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self.state = ctx.state.setdefault("dns", {"zones": {}})

    def _key(self, private: bool, sub: str, rg: str, zone: str) -> str:
        return zone_id(private, sub, rg, zone.rstrip(".")).lower()

    def zone(self, private: bool, sub: str, rg: str, zone: str) -> dict[str, Any]:
        found = self.state["zones"].get(self._key(private, sub, rg, zone))
        if found is None:
            raise ArmError(404, "ResourceNotFound",
                               f"The Resource '{PRIVATE_API if private else PUBLIC_API}/{zone}' under resource group "
                               f"'{rg}' was not found.")
        return found

    def _parent(self, private: bool, sub: str, rg: str, zone: str) -> dict[str, Any]:
        found = self.state["zones"].get(self._key(private, sub, rg, zone))
        if found is None:
            raise exc.zone_not_found(zone, rg)
        return found

    def get_record(self, private: bool, sub: str, rg: str, zone: str, rtype: str, name: str) -> tuple[dict, dict]:
        parent = self._parent(private, sub, rg, zone)
        rtype = canonical_type(rtype)
        record = parent["records"].get(f"{rtype}/{name.lower()}")
        if record is None:
            raise exc.record_not_found(parent["name"], name, rtype)
        return parent, record

    def list_records(self, private: bool, sub: str, rg: str, zone: str, rtype: str | None) -> tuple[dict, list]:
        parent = self._parent(private, sub, rg, zone)
        wanted = canonical_type(rtype) if rtype else None
        records = [r for key, r in sorted(parent["records"].items()) if wanted is None or r["type"] == wanted]
        return parent, records

    def list_zones(self, private: bool, sub: str, rg: str | None) -> list[dict[str, Any]]:
        prefix = f"/subscriptions/{sub}/resourcegroups/{rg}/".lower() if rg else f"/subscriptions/{sub}/".lower()
        return [z for key, z in sorted(self.state["zones"].items(), key=lambda kv: kv[1]["name"])
                if z["private"] == private and key.startswith(prefix)]

    def delete_record(self, private: bool, sub: str, rg: str, zone: str, rtype: str, name: str,
                      *, if_match: str | None) -> bool:
        """Remove a record set; False when there was none. If-Match guards it like a write."""
        parent = self._parent(private, sub, rg, zone)
        rtype = canonical_type(rtype)
        key = f"{rtype}/{name.lower()}"
        current = parent["records"].get(key)
        check_conditions(if_match, None, current["etag"] if current else None, f"record set {name}",
                         star_only_none_match=True)
        if current is None:
            return False
        del parent["records"][key]
        return True

    def put_record(
        self, private: bool, sub: str, rg: str, zone: str, rtype: str, name: str, body: dict[str, Any],
        *, if_match: str | None, if_none_match: str | None,
    ) -> tuple[bool, dict, dict]:
        """Create or replace a record set; returns (created, zone, record)."""
        parent = self._parent(private, sub, rg, zone)
        rtype = canonical_type(rtype)
        name = name.lower()
        current = parent["records"].get(f"{rtype}/{name}")
        check_conditions(if_match, if_none_match, current["etag"] if current else None, f"record set {name}",
                         star_only_none_match=True)
        fields = parse_properties(private, rtype, body.get("properties") or {}, partial=False)
        self._validate(parent, rtype, name, fields["values"])
        record = {"name": name, "type": rtype, "ttl": fields["ttl"], "values": fields["values"],
                  "metadata": fields.get("metadata", {}), "etag": new_etag(self.state, f"{zone}/{rtype}/{name}"),
                  "modified": self._modified(), "created": (current or {}).get("created") or self._modified()}
        if fields.get("target"):
            record["target"] = fields["target"]
        parent["records"][f"{rtype}/{name}"] = record
        return current is None, parent, record

    def patch_record(
        self, private: bool, sub: str, rg: str, zone: str, rtype: str, name: str, body: dict[str, Any],
        *, if_match: str | None,
    ) -> tuple[dict, dict]:
        parent, record = self.get_record(private, sub, rg, zone, rtype, name)
        check_conditions(if_match, None, record["etag"], f"record set {name}", star_only_none_match=True)
        fields = parse_properties(private, record["type"], body.get("properties") or {}, partial=True)
        if "values" in fields:
            self._validate(parent, record["type"], record["name"], fields["values"])
        if "values" in fields and fields["values"] and "target" not in fields:
            fields["target"] = None  # record data replaces an alias
        record.update(fields)
        if record.get("target"):
            record["values"] = []
        elif "target" in record:
            del record["target"]
        record["etag"] = new_etag(self.state, f"{zone}/{rtype}/{name}")
        record["modified"] = self._modified()
        return parent, record

    def _modified(self, by: str = SIMULATED_PRINCIPAL) -> dict[str, str]:
        """Who wrote a record set and when: Private DNS reports it as systemData."""
        return {"by": by, "at": self.ctx.now_iso()}

    @staticmethod
    def _validate(zone: dict[str, Any], rtype: str, name: str, values: list[str]) -> None:
        if rtype == "CNAME":
            if name == "@":
                raise exc.bad_record("A CNAME record set cannot be created at the zone apex.", "relativeRecordSetName")
            if len(values) > 1:
                raise exc.bad_record("A CNAME record set can contain only one record.", "cnameRecord")
        others = [r for r in zone["records"].values() if r["name"] == name and r["type"] != rtype]
        if others and (rtype == "CNAME" or any(r["type"] == "CNAME" for r in others)):
            raise ArmError(409, "Conflict",
                               f"A CNAME record set and a record set of another type cannot share the name '{name}'.")

    # ---- seeding, inspection ---------------------------------------------------------------------
    def seed_zone(self, private: bool, sub: str, rg: str, zone: str) -> str:
        zone = zone.rstrip(".").lower()
        rid = zone_id(private, sub, rg, zone)
        self.state["zones"].setdefault(rid.lower(), {
            "id": rid, "name": zone, "private": private, "records": {}, "tags": {},
            "etag": new_etag(self.state, rid), "internalId": stable_guid(rid, "internal"),
        })
        return rid

    def seed_record(self, private: bool, sub: str, rg: str, zone: str, name: str, rtype: str,
                    values: list[str], ttl: int) -> str:
        parent = self._parent(private, sub, rg, zone)
        rtype = canonical_type(rtype)
        name = name.lower()
        self._validate(parent, rtype, name, list(values))
        parent["records"][f"{rtype}/{name}"] = {
            "name": name, "type": rtype, "ttl": ttl, "values": list(values), "metadata": {},
            "etag": new_etag(self.state, f"{zone}/{rtype}/{name}"),
            "modified": self._modified(SEEDING_PRINCIPAL), "created": self._modified(SEEDING_PRINCIPAL),
        }
        return f"{parent['id']}/{rtype}/{name}"

    def inspect(self) -> list[dict[str, Any]]:
        rows = []
        for zone in sorted(self.state["zones"].values(), key=lambda z: (z["name"], not z["private"])):
            for _, record in sorted(zone["records"].items()):
                rows.append({"zone": zone["name"], "private": zone["private"], "name": record["name"],
                             "type": record["type"], "values": copy.deepcopy(record["values"]),
                             "ttl": record["ttl"], "etag": record["etag"]})
        return rows
