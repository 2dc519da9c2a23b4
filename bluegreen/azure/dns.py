"""DNS record sets in Private and Public zones behind one small interface.

Why one interface: the switch step flips a record from blue to green the same way in either kind of zone.
Why no delete: a cutover only ever re-points a record; losing it would take the service down.
Every write is conditional on the ETag we read (`If-Match`), so a concurrent edit by a person or another
tool makes our write fail with PreconditionFailedError instead of silently overwriting theirs.

Casing differs on the wire: Private DNS uses `ttl` / `aRecords` / `cnameRecord`, Public DNS `TTL` /
`ARecords` / `CNAMERecord`. azure-mgmt-privatedns 2.x models are wire-form mappings (we read/write wire
JSON); azure-mgmt-dns 9.x models are msrest models (we use attributes and let the SDK serialise).
Only Private DNS returns `systemData` (lastModifiedBy); Public DNS 2018-05-01 has none, so there it is None.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from azure.core import MatchConditions

from bluegreen.azure.context import AzureContext
from bluegreen.azure.wire import wire_dict
from bluegreen.errors import NotFoundError, PlaybookError, PreconditionFailedError, RefusedError

log = logging.getLogger(__name__)

RecordType = Literal["A", "CNAME"]
_TYPES: tuple[str, ...] = ("A", "CNAME")


@dataclass(frozen=True)
class RecordSetInfo:
    zone: str
    resource_group: str
    name: str
    type: RecordType
    ttl: int | None
    values: tuple[str, ...]
    etag: str | None
    fqdn: str | None
    id: str
    last_modified_by: str | None
    private: bool
    metadata: Mapping[str, str] = field(default_factory=dict, compare=False)
    alias_target: str | None = None


@dataclass(frozen=True)
class TxtRecordInfo:
    """A TXT record set (e.g. ExternalDNS's ownership record): its strings and the ETag to write it back with."""

    zone: str
    resource_group: str
    name: str
    values: tuple[str, ...]
    ttl: int | None
    etag: str | None
    id: str


class DnsRecords(Protocol):
    def get(self, resource_group: str, zone: str, name: str, type: RecordType) -> RecordSetInfo | None: ...

    def zone_exists(self, resource_group: str, zone: str) -> bool: ...

    def lookup(
        self, resource_group: str, zone: str, name: str, type: RecordType
    ) -> tuple[bool, RecordSetInfo | None]: ...

    def set_values(
        self, record: RecordSetInfo, values: list[str], *, ttl: int | None = None
    ) -> RecordSetInfo: ...

    def get_txt(self, resource_group: str, zone: str, name: str) -> TxtRecordInfo | None: ...

    def set_txt(self, record: TxtRecordInfo, values: list[str]) -> None: ...


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def check_values(record: RecordSetInfo, values: list[str]) -> None:
    """Refuse a write that would change the record's type or that the type cannot hold."""
    if record.alias_target:
        raise RefusedError(f"{record.id}: is an alias record for {record.alias_target}; not changing it")
    if not values:
        raise PlaybookError("at least one value is needed (records are re-pointed, never emptied)", "values")
    ips = [v for v in values if _is_ip(v)]
    if record.type == "A":
        if len(ips) != len(values):
            raise RefusedError(
                f"{record.id}: is an A record; {[v for v in values if not _is_ip(v)]} would need a CNAME. "
                "Changing a record's type is refused"
            )
        if any(ipaddress.ip_address(v).version != 4 for v in values):
            raise PlaybookError(f"A record values must be IPv4 addresses: {values}", "values")
    else:
        if ips:
            raise RefusedError(
                f"{record.id}: is a CNAME record; {ips} would need an A record. Changing a record's type is refused"
            )
        if len(values) != 1:
            raise PlaybookError(f"a CNAME holds exactly one value, got {values}", "values")
    if not record.etag:
        raise RefusedError(f"{record.id}: no ETag was read, so the write could not be made conditional")


def _check_type(type: str) -> RecordType:
    if type not in _TYPES:
        raise PlaybookError(f"record type must be one of {_TYPES}, got {type!r}", "type")
    return type  # type: ignore[return-value]


class _Records:
    """What both zone kinds share: ids, lookups, and the conditional write that reconciles its own 412.

    Subclasses say only how their SDK reads a zone and a record set, parses one and writes one.
    """

    _provider: str  # the resource type in ids: privateDnsZones | dnsZones

    def __init__(self, ctx: AzureContext) -> None:
        self._ctx = ctx

    def _zone_id(self, resource_group: str, zone: str) -> str:
        return (
            f"/subscriptions/{self._ctx.subscription_id}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.Network/{self._provider}/{zone}"
        )

    def zone_exists(self, resource_group: str, zone: str) -> bool:
        try:
            self._ctx.call(
                lambda: self._get_zone(resource_group, zone),
                resource=self._zone_id(resource_group, zone),
                operation="get zone",
            )
        except NotFoundError:
            return False
        return True

    def get(self, resource_group: str, zone: str, name: str, type: RecordType) -> RecordSetInfo | None:
        try:
            return self._read_record(resource_group, zone, name, type)
        except NotFoundError:
            return None

    def lookup(
        self, resource_group: str, zone: str, name: str, type: RecordType
    ) -> tuple[bool, RecordSetInfo | None]:
        """(whether the zone exists, the record set or None), in one read where ARM's answer says which is missing.

        A record set under a missing zone answers 404 ParentResourceNotFound (ResourceGroupNotFound when the
        group is missing too); a missing record set in a zone that exists, 404 NotFound. Any other 404 is
        settled by reading the zone.
        """
        try:
            return True, self._read_record(resource_group, zone, name, type)
        except NotFoundError as exc:
            if exc.code in ("ParentResourceNotFound", "ResourceGroupNotFound"):
                return False, None
            return (True if exc.code == "NotFound" else self.zone_exists(resource_group, zone)), None

    def _read_record(self, resource_group: str, zone: str, name: str, type: RecordType) -> RecordSetInfo:
        rtype = _check_type(type)
        rid = f"{self._zone_id(resource_group, zone)}/{rtype}/{name}"
        model = self._ctx.call(
            lambda: self._get_record(resource_group, zone, name, rtype), resource=rid, operation="get record"
        )
        return self._from_model(model, resource_group, zone, name, rtype)

    def _get_zone(self, resource_group: str, zone: str) -> Any:
        raise NotImplementedError

    def _get_record(self, resource_group: str, zone: str, name: str, rtype: RecordType) -> Any:
        raise NotImplementedError

    def _from_model(self, model: Any, resource_group: str, zone: str, name: str, rtype: RecordType) -> RecordSetInfo:
        raise NotImplementedError

    def _put(self, record: RecordSetInfo, values: list[str], ttl: int) -> Any:
        raise NotImplementedError

    def _parse(self, model: Any, record: RecordSetInfo) -> RecordSetInfo:
        return self._from_model(model, record.resource_group, record.zone, record.name, record.type)

    def set_values(
        self, record: RecordSetInfo, values: list[str], *, ttl: int | None = None
    ) -> RecordSetInfo:
        check_values(record, values)
        new_ttl = ttl if ttl is not None else (record.ttl or 300)
        attempts = 0

        def put() -> Any:
            nonlocal attempts
            attempts += 1
            return self._put(record, values, new_ttl)

        log.info("set %s %s -> %s (ttl %s)", record.type, record.fqdn or record.id, values, new_ttl)
        try:
            model = self._ctx.call(put, resource=record.id, operation="set record values")
        except PreconditionFailedError:
            if attempts > 1:
                # Our first try may have landed before its response was lost; the retry then saw our own ETag.
                now = self.get(record.resource_group, record.zone, record.name, record.type)
                if now is not None and sorted(now.values) == sorted(values) and now.ttl == new_ttl:
                    return now
            raise
        return self._parse(model, record)


    # -- TXT (ExternalDNS ownership records): read, and rewritten with If-Match ---------------------------------
    def get_txt(self, resource_group: str, zone: str, name: str) -> TxtRecordInfo | None:
        rid = f"{self._zone_id(resource_group, zone)}/TXT/{name}"
        try:
            raw = self._ctx.call(lambda: self._get_txt_wire(resource_group, zone, name), resource=rid,
                                 operation="get TXT record")
        except NotFoundError:
            return None
        props = raw.get("properties") or {}
        txt = props.get("txtRecords") or props.get("TXTRecords") or []
        return TxtRecordInfo(zone, resource_group, name, tuple("".join(t.get("value") or []) for t in txt),
                             props.get("ttl", props.get("TTL")), raw.get("etag"), raw.get("id") or rid)

    def set_txt(self, record: TxtRecordInfo, values: list[str]) -> None:
        if not record.etag:
            raise RefusedError(f"{record.id}: no ETag was read, so the write could not be made conditional")
        self._ctx.call(lambda: self._put_txt(record, values), resource=record.id, operation="set TXT record")

    def _get_txt_wire(self, resource_group: str, zone: str, name: str) -> dict[str, Any]:
        raise NotImplementedError

    def _put_txt(self, record: TxtRecordInfo, values: list[str]) -> Any:
        raise NotImplementedError


class PrivateDnsRecords(_Records):
    """Record sets in Azure Private DNS zones (azure-mgmt-privatedns)."""

    _provider = "privateDnsZones"

    def _get_zone(self, resource_group: str, zone: str) -> Any:
        return self._ctx.privatedns.private_zones.get(resource_group, zone)

    def _get_record(self, resource_group: str, zone: str, name: str, rtype: RecordType) -> Any:
        return self._ctx.privatedns.record_sets.get(resource_group, zone, rtype, name)

    def _from_model(self, model: Any, resource_group: str, zone: str, name: str, rtype: RecordType) -> RecordSetInfo:
        return self._from_wire(wire_dict(model), resource_group, zone, name, rtype)

    def _from_wire(
        self, raw: Mapping[str, Any], resource_group: str, zone: str, name: str, rtype: RecordType
    ) -> RecordSetInfo:
        props = raw.get("properties") or {}
        if rtype == "A":
            values = tuple(r.get("ipv4Address", "") for r in props.get("aRecords") or [])
        else:
            cname = (props.get("cnameRecord") or {}).get("cname")
            values = (cname,) if cname else ()
        return RecordSetInfo(
            zone=zone,
            resource_group=resource_group,
            name=name,
            type=rtype,
            ttl=props.get("ttl"),
            values=values,
            etag=raw.get("etag"),
            fqdn=props.get("fqdn"),
            id=raw.get("id") or f"{self._zone_id(resource_group, zone)}/{rtype}/{name}",
            last_modified_by=(raw.get("systemData") or {}).get("lastModifiedBy"),
            private=True,
            metadata=dict(props.get("metadata") or {}),
        )

    def _put(self, record: RecordSetInfo, values: list[str], ttl: int) -> Any:
        props: dict[str, Any] = {"ttl": ttl}
        if record.metadata:
            props["metadata"] = dict(record.metadata)
        if record.type == "A":
            props["aRecords"] = [{"ipv4Address": v} for v in values]
        else:
            props["cnameRecord"] = {"cname": values[0]}
        return self._ctx.privatedns.record_sets.create_or_update(
            record.resource_group,
            record.zone,
            record.type,
            record.name,
            {"properties": props},
            etag=record.etag,
            match_condition=MatchConditions.IfNotModified,
        )


    def _get_txt_wire(self, resource_group: str, zone: str, name: str) -> dict[str, Any]:
        return wire_dict(self._ctx.privatedns.record_sets.get(resource_group, zone, "TXT", name))

    def _put_txt(self, record: TxtRecordInfo, values: list[str]) -> Any:
        props = {"ttl": record.ttl or 300, "txtRecords": [{"value": [v]} for v in values]}
        return self._ctx.privatedns.record_sets.create_or_update(
            record.resource_group, record.zone, "TXT", record.name, {"properties": props},
            etag=record.etag, match_condition=MatchConditions.IfNotModified)


class PublicDnsRecords(_Records):
    """Record sets in Azure (public) DNS zones (azure-mgmt-dns)."""

    _provider = "dnsZones"

    def _get_zone(self, resource_group: str, zone: str) -> Any:
        return self._ctx.dns.zones.get(resource_group, zone)

    def _get_record(self, resource_group: str, zone: str, name: str, rtype: RecordType) -> Any:
        return self._ctx.dns.record_sets.get(resource_group, zone, name, rtype)

    def _from_model(
        self, model: Any, resource_group: str, zone: str, name: str, rtype: RecordType
    ) -> RecordSetInfo:
        if rtype == "A":
            values = tuple(r.ipv4_address for r in model.a_records or [] if r.ipv4_address)
        else:
            cname = model.cname_record.cname if model.cname_record else None
            values = (cname,) if cname else ()
        target = model.target_resource.id if model.target_resource is not None else None
        return RecordSetInfo(
            zone=zone,
            resource_group=resource_group,
            name=name,
            type=rtype,
            ttl=model.ttl,
            values=values,
            etag=model.etag,
            fqdn=model.fqdn,
            id=model.id or f"{self._zone_id(resource_group, zone)}/{rtype}/{name}",
            last_modified_by=None,
            private=False,
            metadata=dict(model.metadata or {}),
            alias_target=target,
        )

    def _put(self, record: RecordSetInfo, values: list[str], ttl: int) -> Any:
        from azure.mgmt.dns import models

        params = models.RecordSet(ttl=ttl, metadata=dict(record.metadata) or None)
        if record.type == "A":
            params.a_records = [models.ARecord(ipv4_address=v) for v in values]
        else:
            params.cname_record = models.CnameRecord(cname=values[0])
        return self._ctx.dns.record_sets.create_or_update(
            record.resource_group, record.zone, record.name, record.type, params, if_match=record.etag
        )

    def _get_txt_wire(self, resource_group: str, zone: str, name: str) -> dict[str, Any]:
        model = self._ctx.dns.record_sets.get(resource_group, zone, name, "TXT")
        return {"id": model.id, "etag": model.etag,
                "properties": {"TTL": model.ttl, "TXTRecords": [{"value": list(t.value or [])}
                                                                for t in model.txt_records or []]}}

    def _put_txt(self, record: TxtRecordInfo, values: list[str]) -> Any:
        from azure.mgmt.dns import models

        params = models.RecordSet(ttl=record.ttl or 300, txt_records=[models.TxtRecord(value=[v]) for v in values])
        return self._ctx.dns.record_sets.create_or_update(
            record.resource_group, record.zone, record.name, "TXT", params, if_match=record.etag)
