"""Verification of a DNS switch through a resolver the playbook names (dnspython), on the clock.

Covers: after the flip the switch asks the simulated world's own DNS server (which serves the
zone the switch changed) and finds green's value; a resolver that lags (a cache, modelled here
by a server that answers blue's address a number of times first) is asked again on the clock
until it answers green; one that keeps answering blue's value fails the switch at the bound,
naming what it answers.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import dns.message
import dns.rrset
import pytest

from bluegreen.sim.world import World
from tests.scenarios.conftest import Cutover


class Resolver:
    """A UDP DNS server on 127.0.0.1 that answers blue's address `stale` times, then green's."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.blue = self.green = "127.0.0.1"
        self.stale = 0
        self.queries = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            query = dns.message.from_wire(data)
            self.queries += 1
            value = self.blue if self.queries <= self.stale else self.green
            response = dns.message.make_response(query)
            response.answer.append(dns.rrset.from_text(query.question[0].name, 30, "IN", "A", value))
            self.sock.sendto(response.to_wire(), peer)

    def close(self) -> None:
        self._stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture
def resolver() -> Iterator[Resolver]:
    r = Resolver()
    yield r
    r.close()


def _prepare(cutover: Cutover, resolver: Resolver, timeout: int) -> None:
    cutover.edit(lambda raw: raw["switch"].update(verify_resolver={
        "address": "127.0.0.1", "port": resolver.port, "timeout": timeout, "interval": 10}))
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "smoke").exit_code == 0
    facts: dict[str, Any] = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())["facts"]
    resolver.blue = next(r for r in cutover.show()["records"] if r["name"] == "shop")["values"][0]
    resolver.green = facts["green_ingress_ip"]


def test_the_switch_is_verified_through_the_simulated_dns_server(cutover: Cutover) -> None:
    cutover.init()
    with World.open(cutover.world) as world:
        address = world.dns_address
    assert address is not None
    host, port = address.split(":")
    cutover.edit(lambda raw: raw["switch"].update(verify_resolver={
        "address": host, "port": int(port), "timeout": 60, "interval": 10}))
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "smoke").exit_code == 0
    green = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())["facts"][
        "green_ingress_ip"]
    result = cutover.cli("switch", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert f"resolver {address} answers {green} for shop.contoso.internal" in result.output
    with World.open(cutover.world) as world:
        assert world.dns_address == address  # the port the playbook names stays the world's


def test_a_lagging_resolver_is_asked_again_until_it_answers_green(cutover: Cutover, resolver: Resolver) -> None:
    _prepare(cutover, resolver, timeout=120)
    resolver.stale = 3
    result = cutover.cli("switch", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert resolver.queries == 4
    assert f"resolver 127.0.0.1:{resolver.port} answers {resolver.green} for shop.contoso.internal" in result.output


def test_a_resolver_that_keeps_answering_blue_fails_the_switch(cutover: Cutover, resolver: Resolver) -> None:
    _prepare(cutover, resolver, timeout=60)
    resolver.stale = 10_000
    result = cutover.cli("switch", str(cutover.playbook), "--yes")
    assert result.exit_code == 1, result.output
    assert f"still answers {resolver.blue} for shop.contoso.internal after 60s" in result.output
    assert 5 <= resolver.queries <= 8
