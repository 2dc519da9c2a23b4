"""The simulated DNS server: the world's zones answered over real UDP and TCP on 127.0.0.1.

Covers: A answers with the record's TTL, follow a CNAME within the zones; TXT values (long ones split
into strings); NXDOMAIN for a name no zone holds and for an unknown name in a served zone; no answer
(NOERROR) for a type the name lacks; a change through ARM is answered at once; the port is kept with
the world and shown by `show()`; the server is gone when the world is closed.
"""

from __future__ import annotations

from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from bluegreen.azure.context import AzureContext
from bluegreen.azure.dns import PrivateDnsRecords
from bluegreen.sim.world import World

from .sim_helpers import MANIFESTS, SHOP, make_spec


def _ask(address: str, name: str, rtype: str, *, tcp: bool = False) -> dns.message.Message:
    host, port = address.split(":")
    query = dns.message.make_query(name, rtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, host, port=int(port), timeout=5)


def _values(answer: dns.message.Message, rtype: str) -> list[tuple[str, int]]:
    return sorted((rd.to_text(), rrset.ttl) for rrset in answer.answer
                  if rrset.rdtype == dns.rdatatype.from_text(rtype) for rd in rrset)


def test_the_zones_are_answered_over_udp_and_tcp_with_their_ttls(tmp_path: Path) -> None:
    World.create(tmp_path / "w", make_spec(SHOP), MANIFESTS)
    with World.open(tmp_path / "w") as world:
        address = world.dns_address
        assert address is not None and address.startswith("127.0.0.1:")
        assert world.show()["dns_server"] == address
        www = next(r for r in world.show()["records"] if r["name"] == "www")
        for tcp in (False, True):
            answer = _ask(address, "www.shop.internal", "A", tcp=tcp)
            assert answer.rcode() == dns.rcode.NOERROR
            assert _values(answer, "A") == [(www["values"][0], 60)]
        # A CNAME is followed within the zones, as a resolver would.
        api = _ask(address, "api.shop.internal.", "A")
        assert [v for v, _ in _values(api, "CNAME")] == ["www.shop.internal."]
        assert [v for v, _ in _values(api, "A")] == www["values"]
        # The public zone's apex.
        assert [v for v, _ in _values(_ask(address, "shop.example.com", "A"), "A")] == ["20.1.2.3"]
        # Unknown names: in a served zone, and in none.
        assert _ask(address, "nope.shop.internal", "A").rcode() == dns.rcode.NXDOMAIN
        assert _ask(address, "www.elsewhere.test", "A").rcode() == dns.rcode.NXDOMAIN
        # A name that exists without the asked type: no answer, not NXDOMAIN.
        empty = _ask(address, "www.shop.internal", "TXT")
        assert empty.rcode() == dns.rcode.NOERROR and not empty.answer


def test_changes_through_arm_are_answered_at_once_and_txt_is_served(tmp_path: Path) -> None:
    World.create(tmp_path / "w", make_spec(SHOP), MANIFESTS)
    with World.open(tmp_path / "w") as world:
        ctx = AzureContext(world.credential, world.subscription_id, world.clock, polling_interval=1)
        records = PrivateDnsRecords(ctx)
        www = records.get("rg-shop", "shop.internal", "www", "A")
        assert www is not None
        records.set_values(www, ["10.9.8.7"])
        assert _values(_ask(world.dns_address or "", "www.shop.internal", "A"), "A") == [("10.9.8.7", 60)]
        long_value = "heritage=external-dns,external-dns/owner=green," + "x" * 300
        world.arm.dns.seed_record(True, world.subscription_id, "rg-shop", "shop.internal", "www", "TXT",
                                  [long_value], 30)
        txt = _ask(world.dns_address or "", "www.shop.internal", "TXT", tcp=True)
        (rrset,) = txt.answer
        assert rrset.ttl == 30 and b"".join(next(iter(rrset)).strings).decode() == long_value
        port = world.dns_address
    with World.open(tmp_path / "w") as world:
        assert world.dns_address == port  # kept with the world, so a playbook can name it
    assert World.peek(tmp_path / "w")["dns_server"] is None  # nothing serves a closed world
