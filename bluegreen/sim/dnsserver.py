"""The simulated DNS zones served as DNS: one server on 127.0.0.1 (UDP and TCP, one port kept with the world).

Why: a switch verified through a resolver (`switch.verify_resolver`), and a gate that finds a router's public
entry point by its host name, must see real resolution of what the ARM fake's record sets hold *now*: A, CNAME
and TXT answers carry the record's TTL; a name no zone holds is NXDOMAIN. Private and public zones are served
alike (a private zone wins over a public one of the same name, as inside the network). `extra` adds names the
world answers itself (the weighted routers' entry points). The server is authoritative: it follows a CNAME
only within the zones it serves.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Callable
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset

from bluegreen.sim.serving import PromptShutdown

Rows = Callable[[], list[dict[str, Any]]]
Extra = Callable[[], dict[str, str]]  # fqdn -> IPv4 address
EXTRA_TTL = 30
_CHAIN = 8  # CNAME hops followed at most (a loop in the zones must not hang the server)


class DnsZones:
    """Answers queries from the record rows (`ArmSimulator.records()`); pure apart from reading them."""

    def __init__(self, rows: Rows, lock: threading.RLock, extra: Extra | None = None) -> None:
        self._rows, self._lock, self._extra = rows, lock, extra

    def _lookup(self, fqdn: str) -> tuple[bool, list[dict[str, Any]]]:
        """(whether a zone serves the name, that name's record rows) from the most specific zone."""
        with self._lock:
            rows = self._rows()
        best: tuple[int, bool] | None = None
        found: list[dict[str, Any]] = []
        for row in rows:
            zone = str(row["zone"]).lower()
            if fqdn != zone and not fqdn.endswith("." + zone):
                continue
            rank = (len(zone), bool(row["private"]))
            if best is None or rank > best:
                best, found = rank, []
            if rank == best and (fqdn[: -len(zone)].rstrip(".") or "@") == str(row["name"]).lower():
                found.append(row)
        return best is not None, found

    def resolve(self, fqdn: str) -> str | None:
        """The first A value for `fqdn` in the zones, following CNAMEs within them (for the simulator's own use)."""
        name = fqdn.rstrip(".").lower()
        for _ in range(_CHAIN):
            _, rows = self._lookup(name)
            a = next((r for r in rows if r["type"] == "A" and r["values"]), None)
            if a is not None:
                return str(a["values"][0])
            cname = next((r for r in rows if r["type"] == "CNAME"), None)
            if cname is None:
                return None
            name = str(cname["values"][0]).rstrip(".").lower()
        return None

    def answer(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        qtype = dns.rdatatype.to_text(question.rdtype)
        name = question.name.to_text().rstrip(".").lower()
        for _ in range(_CHAIN):
            extra = (self._extra() if self._extra else {}).get(name)
            if extra is not None:
                if qtype in ("A", "ANY"):
                    response.answer.append(dns.rrset.from_text(name + ".", EXTRA_TTL, "IN", "A", extra))
                return response.to_wire()
            served, rows = self._lookup(name)
            if not served or not rows:
                if not response.answer:  # NXDOMAIN is about the name asked, not the end of a chain
                    response.set_rcode(dns.rcode.NXDOMAIN)
                return response.to_wire()
            cname = next((r for r in rows if r["type"] == "CNAME"), None)
            for row in rows:
                if row["type"] == qtype or qtype == "ANY":
                    response.answer.append(_rrset(name, row))
            if cname is None or qtype in ("CNAME", "ANY"):
                return response.to_wire()
            response.answer.append(_rrset(name, cname))
            name = str(cname["values"][0]).rstrip(".").lower()
        return response.to_wire()


def _rrset(name: str, row: dict[str, Any]) -> dns.rrset.RRset:
    owner = dns.name.from_text(name)
    ttl, rtype = int(row["ttl"]), str(row["type"])
    if rtype == "TXT":
        rrset = dns.rrset.RRset(owner, dns.rdataclass.IN, dns.rdatatype.TXT)
        for value in row["values"]:
            data = str(value).encode()
            chunks = [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]
            rrset.add(dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, chunks), ttl)
        return rrset
    values = [str(v).rstrip(".") + "." if rtype == "CNAME" else str(v) for v in row["values"]]
    return dns.rrset.from_text_list(owner, ttl, "IN", rtype, values)


class _Udp(PromptShutdown, socketserver.ThreadingUDPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return


class _Tcp(PromptShutdown, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True  # the port kept with the world is bound again right after the last session

    def handle_error(self, request: object, client_address: object) -> None:
        return


class DnsServer:
    """UDP and TCP on one port of 127.0.0.1; the port is kept with the world so a playbook can name it."""

    HOST = "127.0.0.1"

    def __init__(self, zones: DnsZones, port: int | None = None) -> None:
        self.zones, self.port = zones, port
        self._servers: list[_Udp | _Tcp] = []

    @property
    def address(self) -> str | None:
        return f"{self.HOST}:{self.port}" if self._servers else None

    def start(self) -> None:
        if self._servers:
            return
        for port in ([self.port] if self.port else []) + [0] * 5:
            servers = self._bind(port)
            if servers:
                self._servers = servers
                self.port = int(servers[0].server_address[1])
                for server in servers:
                    threading.Thread(target=server.serve_forever, name=f"dns {type(server).__name__}",
                                     daemon=True).start()
                return

    def _bind(self, port: int) -> list[_Udp | _Tcp]:
        zones = self.zones

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = zones.answer(data)
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(10)
                try:
                    while True:
                        head = _read(conn, 2)
                        if head is None:
                            return
                        data = _read(conn, struct.unpack("!H", head)[0])
                        reply = zones.answer(data) if data is not None else None
                        if reply is None:
                            return
                        conn.sendall(struct.pack("!H", len(reply)) + reply)
                except OSError:
                    return

        try:
            udp = _Udp((self.HOST, port), Udp)
        except OSError:
            return []
        try:
            tcp = _Tcp((self.HOST, udp.server_address[1]), Tcp)
        except OSError:
            udp.server_close()
            return []
        return [udp, tcp]

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []


def _read(conn: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data
