"""Record-set wire shapes: Private DNS says `ttl`/`aRecords`/`cnameRecord`, public DNS `TTL`/`ARecords`/`CNAMERecord`."""

from __future__ import annotations

import ipaddress
from typing import Any

from bluegreen.sim.arm.dns.exceptions import bad_record

SUPPORTED = ("A", "AAAA", "CNAME", "TXT")
ALIAS_TYPES = ("A", "AAAA", "CNAME")


def _keys(private: bool) -> dict[str, str]:
    if private:
        return {"ttl": "ttl", "A": "aRecords", "AAAA": "aaaaRecords", "CNAME": "cnameRecord", "TXT": "txtRecords"}
    return {"ttl": "TTL", "A": "ARecords", "AAAA": "AAAARecords", "CNAME": "CNAMERecord", "TXT": "TXTRecords"}


def canonical_type(raw: str) -> str:
    upper = raw.upper()
    if upper not in SUPPORTED:
        raise bad_record(f"The record type '{raw}' is not supported by the simulator.", "recordType")
    return upper


def values_to_wire(private: bool, rtype: str, values: list[str]) -> dict[str, Any]:
    key = _keys(private)[rtype]
    if rtype == "A":
        return {key: [{"ipv4Address": v} for v in values]}
    if rtype == "AAAA":
        return {key: [{"ipv6Address": v} for v in values]}
    if rtype == "TXT":
        return {key: [{"value": [v]} for v in values]}
    return {key: {"cname": values[0]}} if values else {}


def parse_properties(private: bool, rtype: str, props: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Neutral fields present in `props` (ttl, values, metadata); validates what real DNS validates."""
    keys = _keys(private)
    out: dict[str, Any] = {}
    if keys["ttl"] in props and props[keys["ttl"]] is not None:
        ttl = props[keys["ttl"]]
        if not isinstance(ttl, int) or not 0 <= ttl <= 2147483647:
            raise bad_record("The TTL must be an integer between 0 and 2147483647.", keys["ttl"])
        out["ttl"] = ttl
    elif not partial:
        out["ttl"] = 3600
    if "metadata" in props:
        out["metadata"] = dict(props["metadata"] or {})
    for other, key in keys.items():
        if other not in ("ttl", rtype) and props.get(key):
            raise bad_record(f"A record set of type {rtype} cannot contain {key}.", key)
    key = keys[rtype]
    if key in props and props[key] is not None:
        out["values"] = _parse_values(rtype, props[key], key)
    elif not partial:
        out["values"] = []
    if not private and rtype in ALIAS_TYPES and props.get("targetResource") is not None:
        # An alias record set (public DNS only): its value is an Azure resource's address, kept in step by DNS.
        target = props["targetResource"]
        rid = target.get("id") if isinstance(target, dict) else None
        if rid is not None and (not isinstance(rid, str) or not rid.lower().startswith("/subscriptions/")):
            raise bad_record("The targetResource id must be an Azure resource id.", "targetResource.id")
        if rid and out.get("values"):
            raise bad_record("A record set cannot have both record data and a target resource.", "targetResource")
        out["target"] = rid or None
    return out


def _parse_values(rtype: str, raw: Any, key: str) -> list[str]:
    try:
        if rtype == "CNAME":
            return [str(raw["cname"])] if raw.get("cname") else []
        if rtype == "TXT":
            return ["".join(item["value"]) for item in raw]
        field = "ipv4Address" if rtype == "A" else "ipv6Address"
        values = [str(item[field]) for item in raw]
    except (KeyError, TypeError, AttributeError) as exc:
        raise bad_record(f"Malformed {key}.", key) from exc
    for value in values:
        try:
            parsed = ipaddress.ip_address(value)
        except ValueError as exc:
            raise bad_record(f"'{value}' is not a valid IP address.", key) from exc
        if (rtype == "A") != (parsed.version == 4):
            raise bad_record(f"'{value}' is not a valid address for a record of type {rtype}.", key)
    return values


def record_to_wire(zone: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    private = zone["private"]
    keys = _keys(private)
    name = record["name"]
    fqdn = f"{zone['name']}." if name == "@" else f"{name}.{zone['name']}."
    props: dict[str, Any] = {"metadata": dict(record.get("metadata") or {}), keys["ttl"]: record["ttl"], "fqdn": fqdn}
    if record.get("target"):
        props["targetResource"] = {"id": record["target"]}
    else:
        props.update(values_to_wire(private, record["type"], record["values"]))
    if private:
        props["isAutoRegistered"] = False
        rtype = "Microsoft.Network/privateDnsZones/" + record["type"]
    else:
        props["provisioningState"] = "Succeeded"
        rtype = "Microsoft.Network/dnsZones/" + record["type"]
    wire = {"id": f"{zone['id']}/{record['type']}/{name}", "name": name, "type": rtype, "etag": record["etag"],
            "properties": props}
    if private and record.get("modified"):
        created = record.get("created") or record["modified"]
        wire["systemData"] = {
            "createdBy": created["by"], "createdByType": "User", "createdAt": created["at"],
            "lastModifiedBy": record["modified"]["by"], "lastModifiedByType": "User",
            "lastModifiedAt": record["modified"]["at"],
        }
    return wire


def zone_to_wire(zone: dict[str, Any]) -> dict[str, Any]:
    count = len(zone["records"])
    if zone["private"]:
        props: dict[str, Any] = {
            "maxNumberOfRecordSets": 25000, "maxNumberOfVirtualNetworkLinks": 1000,
            "maxNumberOfVirtualNetworkLinksWithRegistration": 100, "numberOfRecordSets": count,
            "numberOfVirtualNetworkLinks": 1, "numberOfVirtualNetworkLinksWithRegistration": 0,
            "provisioningState": "Succeeded", "internalId": zone["internalId"],
        }
        rtype = "Microsoft.Network/privateDnsZones"
    else:
        props = {
            "maxNumberOfRecordSets": 10000, "numberOfRecordSets": count, "zoneType": "Public",
            "nameServers": [f"ns1-0{i}.azure-dns.{tld}." for i, tld in ((1, "com"), (2, "net"), (3, "org"), (4, "info"))],
        }
        rtype = "Microsoft.Network/dnszones"
    return {"id": zone["id"], "name": zone["name"], "type": rtype, "etag": zone["etag"], "location": "global",
            "tags": dict(zone.get("tags") or {}), "properties": props}
