"""The fake Private DNS and public DNS through PrivateDnsManagementClient and DnsManagementClient.

Covers: zone GET; A and CNAME PUT (201 then 200) / PATCH / GET / list by type / list all, with casing
checked against the recorded shapes (`ttl`/`aRecords`/`cnameRecord` vs `TTL`/`ARecords`/`CNAMERecord`);
the ETag changes on every write; If-Match mismatch and If-None-Match: * on an existing set -> 412;
a concurrent edit between read and conditional write -> ResourceModifiedError; 404 bodies for a
missing zone or record; validation of addresses and CNAME rules.
"""

from __future__ import annotations

from typing import Any

import pytest
from arm_helpers import RG, SUB, assert_shape, example
from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.mgmt.dns import DnsManagementClient
from azure.mgmt.privatedns import PrivateDnsManagementClient

PZONE = "internal.contoso.com"
ZONE = "contoso.com"


@pytest.fixture
def pdns(make_client: Any, sim: Any) -> PrivateDnsManagementClient:
    sim.seed_private_zone(SUB, RG, PZONE)
    sim.seed_record(private=True, subscription=SUB, resource_group=RG, zone=PZONE, name="app", type="A",
                    values=["10.1.0.4"], ttl=300)
    return make_client(PrivateDnsManagementClient)


@pytest.fixture
def dns(make_client: Any, sim: Any) -> DnsManagementClient:
    sim.seed_public_zone(SUB, RG, ZONE)
    sim.seed_record(private=False, subscription=SUB, resource_group=RG, zone=ZONE, name="www", type="A",
                    values=["20.1.0.4"], ttl=300)
    return make_client(DnsManagementClient)


def a_body(private: bool, ip: str, ttl: int = 60) -> dict[str, Any]:
    if private:
        return {"properties": {"ttl": ttl, "aRecords": [{"ipv4Address": ip}]}}
    return {"properties": {"TTL": ttl, "ARecords": [{"ipv4Address": ip}]}}


def test_private_zone_get(pdns, arm) -> None:
    zone = pdns.private_zones.get(RG, PZONE)
    assert zone.number_of_record_sets == 1
    assert_shape(arm.last("GET").json(), example("privatedns/PrivateZones_Get.json")["responses"]["200"]["body"])


def test_private_a_put_create_then_update(pdns, arm) -> None:
    created = pdns.record_sets.create_or_update(RG, PZONE, "A", "recordA", a_body(True, "10.1.0.5"))
    put = arm.last("PUT")
    assert put.status == 201
    assert_shape(put.json(), example("privatedns/RecordSets_CreateOrUpdate_A.json")["responses"]["201"]["body"])
    assert put.json()["name"] == "recorda" and put.json()["properties"]["fqdn"] == f"recorda.{PZONE}."
    updated = pdns.record_sets.create_or_update(RG, PZONE, "A", "recordA", a_body(True, "10.1.0.6"))
    assert arm.last("PUT").status == 200
    assert updated.etag != created.etag
    assert [r.ipv4_address for r in updated.a_records] == ["10.1.0.6"]


def test_private_cname_put_and_get(pdns, arm) -> None:
    body = {"properties": {"ttl": 3600, "cnameRecord": {"cname": "green.contoso.com"}}}
    pdns.record_sets.create_or_update(RG, PZONE, "CNAME", "recordCNAME", body)
    assert_shape(arm.last("PUT").json(),
                 example("privatedns/RecordSets_CreateOrUpdate_CNAME.json")["responses"]["201"]["body"])
    got = pdns.record_sets.get(RG, PZONE, "CNAME", "recordcname")
    assert got.cname_record.cname == "green.contoso.com"


def test_private_patch_get_and_lists(pdns, arm) -> None:
    before = pdns.record_sets.get(RG, PZONE, "A", "app")
    assert_shape(arm.last("GET").json(), example("privatedns/RecordSets_Get_A.json")["responses"]["200"]["body"])
    patched = pdns.record_sets.update(RG, PZONE, "A", "app", {"properties": {"metadata": {"owner": "team"}}})
    assert_shape(arm.last("PATCH").json(), example("privatedns/RecordSets_Update_A.json")["responses"]["200"]["body"])
    assert patched.etag != before.etag
    assert [r.ipv4_address for r in patched.a_records] == ["10.1.0.4"] and patched.ttl == 300
    pdns.record_sets.create_or_update(RG, PZONE, "CNAME", "alias", {"properties": {"ttl": 5, "cnameRecord": {
        "cname": "x.contoso.com"}}})
    assert [r.name for r in pdns.record_sets.list_by_type(RG, PZONE, "A")] == ["app"]
    assert sorted(r.name for r in pdns.record_sets.list(RG, PZONE)) == ["alias", "app"]


def test_private_conditional_writes(pdns) -> None:
    current = pdns.record_sets.get(RG, PZONE, "A", "app")
    with pytest.raises(ResourceModifiedError) as err:
        pdns.record_sets.create_or_update(RG, PZONE, "A", "app", a_body(True, "10.1.0.9"), etag="not-it",
                                          match_condition=MatchConditions.IfNotModified)
    assert err.value.status_code == 412 and err.value.error.code == "PreconditionFailed"
    with pytest.raises(ResourceExistsError) as err2:
        pdns.record_sets.create_or_update(RG, PZONE, "A", "app", a_body(True, "10.1.0.9"),
                                          match_condition=MatchConditions.IfMissing)
    assert err2.value.status_code == 412
    with pytest.raises(ResourceModifiedError):
        pdns.record_sets.update(RG, PZONE, "A", "app", a_body(True, "10.1.0.9"), etag="not-it",
                                match_condition=MatchConditions.IfNotModified)
    # the right ETag goes through and the value is unchanged by the refused attempts
    assert pdns.record_sets.get(RG, PZONE, "A", "app").a_records[0].ipv4_address == "10.1.0.4"
    ok = pdns.record_sets.create_or_update(RG, PZONE, "A", "app", a_body(True, "10.1.0.9"), etag=current.etag,
                                           match_condition=MatchConditions.IfNotModified)
    assert ok.a_records[0].ipv4_address == "10.1.0.9"


def test_concurrent_edit_between_read_and_write_is_412(pdns, make_client) -> None:
    """Acceptance 2: someone else edits the record after we read it; our conditional write must lose."""
    ours = pdns.record_sets.get(RG, PZONE, "A", "app")
    theirs = make_client(PrivateDnsManagementClient)
    theirs.record_sets.update(RG, PZONE, "A", "app", {"properties": {"ttl": 30}})
    with pytest.raises(ResourceModifiedError) as err:
        pdns.record_sets.create_or_update(RG, PZONE, "A", "app", a_body(True, "10.2.0.4"), etag=ours.etag,
                                          match_condition=MatchConditions.IfNotModified)
    assert err.value.status_code == 412
    final = pdns.record_sets.get(RG, PZONE, "A", "app")
    assert final.ttl == 30 and final.a_records[0].ipv4_address == "10.1.0.4"


def test_private_not_found_bodies(pdns, arm) -> None:
    with pytest.raises(ResourceNotFoundError) as err:
        pdns.record_sets.get(RG, PZONE, "A", "missing")
    assert err.value.status_code == 404 and err.value.error.code == "NotFound"
    assert set(arm.last("GET").json()["error"]) == {"code", "message", "target", "details"}
    with pytest.raises(ResourceNotFoundError) as err2:
        pdns.record_sets.get(RG, "nowhere.example", "A", "app")
    assert err2.value.error.code == "ParentResourceNotFound"
    with pytest.raises(ResourceNotFoundError):
        pdns.private_zones.get(RG, "nowhere.example")
    with pytest.raises(ResourceNotFoundError):
        pdns.record_sets.update(RG, PZONE, "A", "missing", {"properties": {"ttl": 1}})


@pytest.mark.parametrize(
    ("rtype", "name", "body"),
    [
        ("A", "bad", {"properties": {"ttl": 1, "aRecords": [{"ipv4Address": "not-an-ip"}]}}),
        ("A", "bad", {"properties": {"ttl": 1, "aRecords": [{"ipv4Address": "fd00::1"}]}}),
        ("A", "bad", {"properties": {"ttl": -1, "aRecords": [{"ipv4Address": "10.0.0.1"}]}}),
        ("A", "bad", {"properties": {"ttl": 1, "cnameRecord": {"cname": "x"}}}),
        ("CNAME", "@", {"properties": {"ttl": 1, "cnameRecord": {"cname": "x.example"}}}),
    ],
)
def test_private_validation(pdns, rtype, name, body) -> None:
    with pytest.raises(HttpResponseError) as err:
        pdns.record_sets.create_or_update(RG, PZONE, rtype, name, body)
    assert err.value.status_code == 400


def test_cname_cannot_share_a_name(pdns) -> None:
    with pytest.raises(HttpResponseError) as err:
        pdns.record_sets.create_or_update(RG, PZONE, "CNAME", "app", {"properties": {"ttl": 1, "cnameRecord": {
            "cname": "x.example"}}})
    assert err.value.status_code == 409


def test_public_casing_and_semantics(dns, arm) -> None:
    created = dns.record_sets.create_or_update(RG, ZONE, "record1", "A", a_body(False, "20.1.0.5"))
    put = arm.last("PUT")
    assert put.status == 201
    assert_shape(put.json(), example("dns/RecordSets_CreateOrUpdate_A.json")["responses"]["201"]["body"])
    assert "ttl" not in put.json()["properties"] and "aRecords" not in put.json()["properties"]
    got = dns.record_sets.get(RG, ZONE, "record1", "A")
    assert_shape(arm.last("GET").json(), example("dns/RecordSets_Get_A.json")["responses"]["200"]["body"])
    assert got.ttl == 60 and got.a_records[0].ipv4_address == "20.1.0.5" and got.etag == created.etag
    cname = dns.record_sets.create_or_update(RG, ZONE, "app", "CNAME", {"properties": {
        "TTL": 30, "CNAMERecord": {"cname": "green.azurefd.net"}}})
    assert arm.last("PUT").json()["properties"]["CNAMERecord"] == {"cname": "green.azurefd.net"}
    patched = dns.record_sets.update(RG, ZONE, "app", "CNAME", {"properties": {"TTL": 10}})
    assert patched.etag != cname.etag and patched.cname_record.cname == "green.azurefd.net"
    assert [r.name for r in dns.record_sets.list_by_type(RG, ZONE, "A")] == ["record1", "www"]
    assert sorted(r.name for r in dns.record_sets.list_by_dns_zone(RG, ZONE)) == ["app", "record1", "www"]
    assert sorted(r.name for r in dns.record_sets.list_all_by_dns_zone(RG, ZONE)) == ["app", "record1", "www"]
    assert dns.zones.get(RG, ZONE).number_of_record_sets == 3


def test_public_conditional_writes(dns) -> None:
    """azure-mgmt-dns takes raw `if_match` / `if_none_match` strings."""
    www = dns.record_sets.get(RG, ZONE, "www", "A")
    dns.record_sets.update(RG, ZONE, "www", "A", {"properties": {"TTL": 5}})
    with pytest.raises(HttpResponseError) as err:
        dns.record_sets.create_or_update(RG, ZONE, "www", "A", a_body(False, "1.1.1.1"), if_match=www.etag)
    assert err.value.status_code == 412 and err.value.error.code == "PreconditionFailed"
    with pytest.raises(HttpResponseError) as err2:
        dns.record_sets.create_or_update(RG, ZONE, "www", "A", a_body(False, "1.1.1.1"), if_none_match="*")
    assert err2.value.status_code == 412
    fresh = dns.record_sets.get(RG, ZONE, "www", "A")
    ok = dns.record_sets.create_or_update(RG, ZONE, "www", "A", a_body(False, "1.1.1.1"), if_match=fresh.etag)
    assert ok.a_records[0].ipv4_address == "1.1.1.1" and ok.etag != fresh.etag


def test_records_inspection(pdns, dns, sim) -> None:
    pdns.record_sets.update(RG, PZONE, "A", "app", {"properties": {"ttl": 42}})
    rows = {(r["zone"], r["name"]): r for r in sim.records()}
    assert rows[(PZONE, "app")]["private"] is True and rows[(PZONE, "app")]["ttl"] == 42
    assert rows[(ZONE, "www")] == {"zone": ZONE, "private": False, "name": "www", "type": "A", "values": ["20.1.0.4"],
                                   "ttl": 300, "etag": rows[(ZONE, "www")]["etag"]}


# ---- lists page, deletes, zone lists, alias record sets ---------------------------------------------------------
@pytest.mark.parametrize("private", [True, False])
def test_record_set_lists_page_with_next_link_and_honour_top(pdns: Any, dns: Any, arm: Any, private: bool):
    client, zone = (pdns, PZONE) if private else (dns, ZONE)
    for i in range(7):
        _put(client, private, zone, f"n{i}", a_body(private, f"10.9.0.{i + 1}"))
    listed = list(client.record_sets.list_by_type(RG, zone, "A", top=3))
    assert sorted(r.name for r in listed) == sorted(["app" if private else "www"] + [f"n{i}" for i in range(7)])
    pages = [e for e in arm if e.method == "GET" and "/A" in e.url.split("?")[0][-3:]]
    assert len(pages) == 3  # 8 record sets, 3 a page: the pager followed two nextLinks
    assert "$top=3" in pages[0].url and "nextLink" in pages[0].json() and "nextLink" not in pages[-1].json()
    assert len(pages[0].json()["value"]) == 3


def test_a_list_without_top_answers_at_most_a_hundred_a_page(pdns: Any, arm: Any):
    for i in range(120):
        _put(pdns, True, PZONE, f"h{i}", a_body(True, "10.9.1.1"))
    assert len(list(pdns.record_sets.list(RG, PZONE))) == 121
    lists = [e for e in arm if e.method == "GET" and e.url.split("?")[0].upper().endswith("/ALL")]
    assert [len(e.json()["value"]) for e in lists] == [100, 21] and lists[0].json()["nextLink"]


@pytest.mark.parametrize("private", [True, False])
def test_record_set_delete_honours_if_match_and_answers_204_when_gone(pdns: Any, dns: Any, arm: Any,
                                                                       private: bool):
    client, zone, name = (pdns, PZONE, "app") if private else (dns, ZONE, "www")
    where = (RG, zone, "A", name) if private else (RG, zone, name, "A")  # the two SDKs order these differently
    current = client.record_sets.get(*where)
    def guarded(etag: str) -> dict[str, Any]:
        if private:
            return {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        return {"if_match": etag}

    with pytest.raises((ResourceModifiedError, HttpResponseError)) as stale:
        client.record_sets.delete(*where, **guarded('"stale"'))
    assert stale.value.status_code == 412
    client.record_sets.delete(*where, **guarded(current.etag))
    assert arm.last("DELETE").status == 200
    with pytest.raises(ResourceNotFoundError):
        client.record_sets.get(*where)
    client.record_sets.delete(*where)  # already gone: 204, not an error
    assert arm.last("DELETE").status == 204


def test_private_zones_list_by_subscription_and_group(make_client: Any, sim: Any, arm: Any):
    for i in range(3):
        sim.seed_private_zone(SUB, RG, f"z{i}.internal")
    sim.seed_resource_group(SUB, RG)
    sim.seed_resource_group(SUB, "rg-other")
    sim.seed_private_zone(SUB, "rg-other", "other.internal")
    sim.seed_public_zone(SUB, RG, "public.example.com")
    client = make_client(PrivateDnsManagementClient)
    assert sorted(z.name for z in client.private_zones.list(top=2)) == [
        "other.internal", "z0.internal", "z1.internal", "z2.internal"]
    assert [z.name for z in client.private_zones.list_by_resource_group("rg-other")] == ["other.internal"]
    assert arm.count("GET", "privateDnsZones") >= 3  # pages of two


def test_alias_a_record_round_trips_on_public_dns(dns: Any):
    target = (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/trafficManagerProfiles/tm-shop")
    body = {"properties": {"TTL": 60, "targetResource": {"id": target}}}
    created = dns.record_sets.create_or_update(RG, ZONE, "apex-alias", "A", body)
    assert created.target_resource.id == target and not created.a_records
    got = dns.record_sets.get(RG, ZONE, "apex-alias", "A")
    assert got.target_resource.id == target and got.ttl == 60
    with pytest.raises(HttpResponseError, match="both record data and a target resource"):
        dns.record_sets.create_or_update(RG, ZONE, "mixed", "A", {"properties": {
            "TTL": 60, "targetResource": {"id": target}, "ARecords": [{"ipv4Address": "20.1.0.9"}]}})
    # Record data replaces the alias, as a PATCH with ARecords does on Azure.
    patched = dns.record_sets.update(RG, ZONE, "apex-alias", "A", {"properties": {
        "ARecords": [{"ipv4Address": "20.1.0.9"}]}})
    assert patched.target_resource is None and [a.ipv4_address for a in patched.a_records] == ["20.1.0.9"]


def _put(client: Any, private: bool, zone: str, name: str, body: dict[str, Any]) -> Any:
    if private:
        return client.record_sets.create_or_update(RG, zone, "A", name, body)
    return client.record_sets.create_or_update(RG, zone, name, "A", body)
