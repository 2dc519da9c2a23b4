"""Simulated entry points of the weighted routers: one HTTP proxy per Traffic Manager profile and Front Door
origin group, on its own 127.x address (port 80).

Why: a gate, or a test, must see real mixed traffic. Each request picks an enabled endpoint/origin by the
weights the ARM fake holds *now* (smooth weighted round robin, so a split is exact over a full cycle) and is
forwarded to that endpoint's target address, Host header kept. The answer carries `X-Bluegreen-Endpoint`.
A target that is not an IPv4 address cannot be reached here: 502.
"""

from __future__ import annotations

import http.client
import ipaddress
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Rows = Callable[[], list[dict[str, Any]]]


def router_key(row: dict[str, Any]) -> str:
    if row.get("kind") == "trafficManager":
        return f"trafficManager/{row.get('profile')}"
    return f"frontDoor/{row.get('profile')}/{row.get('originGroup')}"


def _name(row: dict[str, Any]) -> str:
    return str(row.get("endpoint") or row.get("origin"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # a client that hangs up is no error of the simulator


class EntryPoints:
    def __init__(self, rows: Rows, lock: threading.RLock, allocate_ip: Callable[[], str],
                 addresses: dict[str, str]) -> None:
        self._rows, self._lock, self._allocate = rows, lock, allocate_ip
        self.addresses = dict(addresses)  # router key -> 127.x address, kept with the world
        self._servers: dict[str, _Server] = {}
        self._wrr: dict[str, tuple[tuple[tuple[str, int], ...], dict[str, int]]] = {}
        self.served: dict[str, dict[str, int]] = {}

    def _endpoints(self, key: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self._rows() if router_key(r) == key]

    def pick(self, key: str) -> dict[str, Any] | None:
        """The next endpoint by smooth weighted round robin over the enabled ones (state reset when weights move)."""
        rows = [r for r in self._endpoints(key) if r.get("enabled") and (r.get("weight") or 0) > 0]
        if not rows:
            return None
        weights = tuple((_name(r), int(r["weight"])) for r in rows)
        with self._lock:
            seen, current = self._wrr.get(key, ((), {}))
            if seen != weights:
                current = {name: 0 for name, _ in weights}
            total = sum(w for _, w in weights)
            for name, w in weights:
                current[name] += w
            chosen = max(weights, key=lambda nw: current[nw[0]])[0]
            current[chosen] -= total
            self._wrr[key] = (weights, current)
        return next(r for r in rows if _name(r) == chosen)

    def start(self) -> None:
        keys = sorted({router_key(r) for r in self._rows()})
        for key in keys:
            if key in self._servers:
                continue
            address = self.addresses.get(key) or self._allocate()
            self.addresses[key] = address
            try:
                server = _Server((address, 80), self._handler(key))
            except OSError:
                continue  # the address is taken: this router has no entry point in this session
            self._servers[key] = server
            threading.Thread(target=server.serve_forever, name=f"entry {key}", daemon=True).start()

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def show(self) -> list[dict[str, Any]]:
        return [{"router": key, "address": address, "served": dict(sorted(self.served.get(key, {}).items()))}
                for key, address in sorted(self.addresses.items())]

    def _handler(self, key: str) -> type[BaseHTTPRequestHandler]:
        entry = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else None
                row = entry.pick(key)
                target = str(row.get("target") or "") if row else ""
                status, data, name = 503, b"no enabled endpoint\n", "-"
                if row is not None:
                    name = _name(row)
                    try:
                        ipaddress.IPv4Address(target)
                    except ValueError:
                        status, data = 502, f"endpoint {name} targets {target}, which is not reachable here\n".encode()
                    else:
                        conn = http.client.HTTPConnection(target, 80, timeout=10)
                        try:
                            conn.request(method, self.path, body=body, headers={
                                "Host": self.headers.get("Host", ""), "Connection": "close"})
                            response = conn.getresponse()
                            status, data = response.status, response.read()
                        except OSError as exc:
                            status, data = 502, f"endpoint {name} ({target}) failed: {exc}\n".encode()
                        finally:
                            conn.close()
                    with entry._lock:
                        counts = entry.served.setdefault(key, {})
                        counts[name] = counts.get(name, 0) + 1
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Bluegreen-Endpoint", name)
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                self._forward("GET")

            def do_HEAD(self) -> None:  # noqa: N802
                self._forward("HEAD")

            def do_POST(self) -> None:  # noqa: N802
                self._forward("POST")

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the simulator never prints
                return

        return Handler
