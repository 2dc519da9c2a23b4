from __future__ import annotations

import json

import pytest
from bg_azure_testkit import ARM, SUB, example

from bluegreen.azure.dns import PrivateDnsRecords, PublicDnsRecords, RecordSetInfo
from bluegreen.errors import PlaybookError, PreconditionFailedError, RefusedError

PZ = f"{ARM}/subscriptions/{SUB}/resourceGroups/resourceGroup1/providers/Microsoft.Network/privateDnsZones/privatezone1.com"
PZ_A = f"{PZ}/A/recordA"
Z = f"{ARM}/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Network/dnsZones/zone1"
Z_A = f"{Z}/A/record1"
ETAG = "00000000-0000-0000-0000-000000000000"


def private_get() -> dict:
    return example("privatedns/RecordSets_Get_A.json")["responses"]["200"]["body"]


def public_get() -> dict:
    return example("dns/RecordSets_Get_A.json")["responses"]["200"]["body"]


def test_private_get_parses_example(ctx, rsps):
    body = private_get()
    body["systemData"] = {"lastModifiedBy": "alice@example.com", "lastModifiedByType": "User"}
    rsps.get(PZ_A, json=body)
    rec = PrivateDnsRecords(ctx).get("resourceGroup1", "privatezone1.com", "recordA", "A")
    assert rec is not None
    assert (rec.type, rec.ttl, rec.values, rec.etag, rec.private) == ("A", 3600, ("1.2.3.4",), ETAG, True)
    assert rec.fqdn == "recorda.privatezone1.com."
    assert rec.last_modified_by == "alice@example.com"
    assert rec.metadata == {"owner": "platform"}


def test_public_get_parses_capitalised_wire_names(ctx, rsps):
    rsps.get(Z_A, json=public_get())
    rec = PublicDnsRecords(ctx).get("rg1", "zone1", "record1", "A")
    assert rec is not None
    assert (rec.ttl, rec.values, rec.etag, rec.private, rec.last_modified_by) == (
        3600,
        ("127.0.0.1",),
        ETAG,
        False,
        None,
    )


def test_missing_record_and_zone(ctx, rsps):
    rsps.get(PZ_A, status=404, json={"error": {"code": "NotFound", "message": "no"}})
    rsps.get(PZ, status=404, json={"error": {"code": "ResourceNotFound", "message": "no"}})
    records = PrivateDnsRecords(ctx)
    assert records.get("resourceGroup1", "privatezone1.com", "recordA", "A") is None
    assert records.zone_exists("resourceGroup1", "privatezone1.com") is False
    rsps.get(Z, json={"name": "zone1", "location": "global", "properties": {}})
    assert PublicDnsRecords(ctx).zone_exists("rg1", "zone1") is True


def test_private_set_values_puts_with_if_match_and_keeps_metadata(ctx, rsps):
    rsps.get(PZ_A, json=private_get())
    updated = private_get()
    updated["properties"]["aRecords"] = [{"ipv4Address": "10.1.0.4"}]
    updated["properties"]["ttl"] = 60
    updated["etag"] = "etag-2"
    rsps.put(PZ_A, json=updated)
    records = PrivateDnsRecords(ctx)
    rec = records.get("resourceGroup1", "privatezone1.com", "recordA", "A")
    assert rec is not None
    new = records.set_values(rec, ["10.1.0.4"], ttl=60)
    put = next(c for c in rsps.calls if c.request.method == "PUT")
    assert put.request.headers["If-Match"].strip('"') == ETAG
    assert "If-None-Match" not in put.request.headers
    assert json.loads(put.request.body) == {
        "properties": {"ttl": 60, "metadata": {"owner": "platform"}, "aRecords": [{"ipv4Address": "10.1.0.4"}]}
    }
    assert (new.values, new.ttl, new.etag) == (("10.1.0.4",), 60, "etag-2")


def test_public_set_values_uses_public_casing_and_if_match(ctx, rsps):
    rsps.get(Z_A, json=public_get())
    updated = public_get()
    updated["properties"]["ARecords"] = [{"ipv4Address": "20.1.2.3"}]
    updated["etag"] = "etag-2"
    rsps.put(Z_A, json=updated)
    records = PublicDnsRecords(ctx)
    rec = records.get("rg1", "zone1", "record1", "A")
    assert rec is not None
    new = records.set_values(rec, ["20.1.2.3"])
    put = next(c for c in rsps.calls if c.request.method == "PUT")
    assert put.request.headers["If-Match"].strip('"') == ETAG
    body = json.loads(put.request.body)
    assert body["properties"]["TTL"] == 3600 and body["properties"]["ARecords"] == [
        {"ipv4Address": "20.1.2.3"}
    ]
    assert new.values == ("20.1.2.3",) and new.etag == "etag-2"


@pytest.mark.parametrize(
    "records_cls,url,rg,zone,name",
    [
        (PrivateDnsRecords, PZ_A, "resourceGroup1", "privatezone1.com", "recordA"),
        (PublicDnsRecords, Z_A, "rg1", "zone1", "record1"),
    ],
)
def test_concurrent_edit_is_precondition_failed_never_overwritten(
    ctx, rsps, records_cls, url, rg, zone, name
):
    body = private_get() if records_cls is PrivateDnsRecords else public_get()
    rsps.get(url, json=body)
    rsps.put(url, status=412, json={"error": {"code": "PreconditionFailed", "message": "etag mismatch"}})
    records = records_cls(ctx)
    rec = records.get(rg, zone, name, "A")
    with pytest.raises(PreconditionFailedError) as err:
        records.set_values(rec, ["10.9.9.9"])
    assert err.value.status == 412 and err.value.code == "PreconditionFailed"
    assert sum(c.request.method == "PUT" for c in rsps.calls) == 1  # not retried, not forced


def test_retried_write_that_already_landed_is_reconciled(ctx, rsps):
    rsps.get(PZ_A, json=private_get())
    rsps.put(PZ_A, status=503, json={"error": {"code": "ServiceUnavailable", "message": "x"}})
    rsps.put(PZ_A, status=412, json={"error": {"code": "PreconditionFailed", "message": "etag mismatch"}})
    landed = private_get()
    landed["properties"]["aRecords"] = [{"ipv4Address": "10.1.0.4"}]
    landed["etag"] = "etag-2"
    rsps.get(PZ_A, json=landed)
    records = PrivateDnsRecords(ctx)
    rec = records.get("resourceGroup1", "privatezone1.com", "recordA", "A")
    assert rec is not None
    assert records.set_values(rec, ["10.1.0.4"]).etag == "etag-2"


def _record(type_: str, values: tuple[str, ...] = ("1.2.3.4",), etag: str | None = "e") -> RecordSetInfo:
    return RecordSetInfo("z", "rg", "n", type_, 60, values, etag, "n.z.", "id", None, True)  # type: ignore[arg-type]


def test_type_change_and_bad_values_are_refused_before_any_call(ctx, rsps):
    records = PrivateDnsRecords(ctx)
    with pytest.raises(RefusedError, match="CNAME"):
        records.set_values(_record("A"), ["green.example.com"])
    with pytest.raises(RefusedError, match="A record"):
        records.set_values(_record("CNAME", ("blue.example.com",)), ["10.0.0.1"])
    with pytest.raises(PlaybookError):
        records.set_values(_record("CNAME", ("blue.example.com",)), ["a.example.com", "b.example.com"])
    with pytest.raises(PlaybookError):
        records.set_values(_record("A"), [])
    with pytest.raises(RefusedError, match="ETag"):
        records.set_values(_record("A", etag=None), ["10.0.0.1"])
    assert len(rsps.calls) == 0


def test_private_cname_write(ctx, rsps):
    cname = example("privatedns/RecordSets_CreateOrUpdate_CNAME.json")
    url = f"{ARM}/subscriptions/{SUB}/resourceGroups/resourceGroup1/providers/Microsoft.Network/privateDnsZones/privatezone1.com/CNAME/recordCNAME"
    rsps.put(url, json=cname["responses"]["200"]["body"])
    rec = RecordSetInfo(
        "privatezone1.com",
        "resourceGroup1",
        "recordCNAME",
        "CNAME",
        3600,
        ("blue.example.com",),
        "e",
        None,
        "id",
        None,
        True,
    )
    new = PrivateDnsRecords(ctx).set_values(rec, ["contoso.com"])
    put = next(c for c in rsps.calls if c.request.method == "PUT")
    assert json.loads(put.request.body)["properties"]["cnameRecord"] == {"cname": "contoso.com"}
    assert new.type == "CNAME" and new.values == (
        cname["responses"]["200"]["body"]["properties"]["cnameRecord"]["cname"],
    )


@pytest.mark.parametrize(("code", "zone_status", "expected"), [
    ("NotFound", None, True),  # the zone answered: only the record set is missing
    ("ParentResourceNotFound", None, False),
    ("ResourceGroupNotFound", None, False),
    ("SomethingElse", 200, True),  # an answer that does not say: the zone is read
    ("SomethingElse", 404, False),
])
def test_lookup_tells_a_missing_zone_from_a_missing_record(ctx, rsps, code, zone_status, expected):
    rsps.get(PZ_A, status=404, json={"error": {"code": code, "message": "no"}})
    if zone_status == 200:
        rsps.get(PZ, json={"name": "privatezone1.com", "location": "global", "properties": {}})
    elif zone_status == 404:
        rsps.get(PZ, status=404, json={"error": {"code": "ResourceNotFound", "message": "no"}})
    assert PrivateDnsRecords(ctx).lookup("resourceGroup1", "privatezone1.com", "recordA", "A") == (expected, None)
    zone_reads = [c for c in rsps.calls if c.request.url.split("?")[0].endswith("privatezone1.com")]
    assert len(zone_reads) == (1 if zone_status else 0)


def test_lookup_returns_the_record_in_one_read(ctx, rsps):
    rsps.get(PZ_A, json=private_get())
    exists, rec = PrivateDnsRecords(ctx).lookup("resourceGroup1", "privatezone1.com", "recordA", "A")
    assert exists and rec is not None and rec.values == ("1.2.3.4",)
    assert len(rsps.calls) == 1
