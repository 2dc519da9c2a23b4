"""Simulated entry points of the weighted routers: one HTTP proxy per Traffic Manager profile and Front Door
origin group, on its own 127.x address (port 80).

Why: a gate, or a test, must see real mixed traffic. Each request picks an enabled endpoint/origin by the
weights the ARM fake holds *now* (smooth weighted round robin, so a split is exact over a full cycle) and is
forwarded to that endpoint's target address, Host header kept. The answer carries `X-Bluegreen-Endpoint`.
A target that is not an IPv4 address cannot be reached here: 502.

An HTTPRoute (rule 0's backendRefs, in any running cluster) gets one too, spreading requests by the
backendRef weights: a backendRef's Service is reached at its LoadBalancer address, or, for an ExternalName
Service, at what the simulated DNS zones answer for its externalName. Each router's entry point has a
public host name the simulated DNS server answers with its address: `<profile>.trafficmanager.net`, as
Traffic Manager names a profile, `<profile>-<origin group>.azurefd.net` for a Front Door origin group,
and an HTTPRoute's first hostname. Every request is logged with the
weights it was picked by (`log`, kept with the world, the last LOG_LIMIT), so a test can tell that a
split took effect.
"""

from __future__ import annotations

import http.client
import ipaddress
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bluegreen.sim.serving import PromptShutdown

Rows = Callable[[], list[dict[str, Any]]]
LOG_LIMIT = 2000


def host_name(key: str) -> str:
    """The public host name of an Azure router's entry point (see the module's docstring)."""
    parts = key.split("/")
    if parts[0] == "trafficManager":
        return f"{parts[1]}.trafficmanager.net".lower()
    return f"{parts[1]}-{parts[2]}.azurefd.net".lower()


def router_key(row: dict[str, Any]) -> str:
    if row.get("kind") == "trafficManager":
        return f"trafficManager/{row.get('profile')}"
    if row.get("kind") == "httpRoute":
        return f"httpRoute/{row.get('cluster')}/{row.get('namespace')}/{row.get('route')}"
    return f"frontDoor/{row.get('profile')}/{row.get('originGroup')}"


def row_host(row: dict[str, Any]) -> str:
    """An HTTPRoute's entry point answers its first hostname (the Gateway's listener would serve it)."""
    hostnames = row.get("hostnames") or []
    if row.get("kind") == "httpRoute":
        return str(hostnames[0]).lower() if hostnames else f"{row.get('route')}.{row.get('namespace')}.gateway"
    return host_name(router_key(row))


def _name(row: dict[str, Any]) -> str:
    return str(row.get("endpoint") or row.get("origin"))


class _Server(PromptShutdown, ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # a client that hangs up is no error of the simulator


class EntryPoints:
    def __init__(self, rows: Rows, lock: threading.RLock, allocate_ip: Callable[[], str],
                 addresses: dict[str, str], log: list[dict[str, Any]] | None = None) -> None:
        self._rows, self._lock, self._allocate = rows, lock, allocate_ip
        self.addresses = dict(addresses)  # router key -> 127.x address, kept with the world
        self._servers: dict[str, _Server] = {}
        self._wrr: dict[str, tuple[tuple[tuple[str, int], ...], dict[str, int]]] = {}
        self.served: dict[str, dict[str, int]] = {}
        self.log: list[dict[str, Any]] = list(log or [])  # each request: router, endpoint, weights, status
        self.hosts: dict[str, str] = {}  # router key -> public host name, of the routers seen at start

    def names(self) -> dict[str, str]:
        """Public host name -> address of every entry point (what the simulated DNS server answers)."""
        return {self.hosts.get(key) or host_name(key): address for key, address in self.addresses.items()
                if key in self.hosts or not key.startswith("httpRoute/")}

    def _endpoints(self, key: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self._rows() if router_key(r) == key]

    def weights(self, key: str) -> dict[str, int]:
        """The weights a request is spread by now: enabled endpoints only."""
        return {_name(r): int(r["weight"]) for r in self._endpoints(key)
                if r.get("enabled") and (r.get("weight") or 0) > 0}

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
        rows = self._rows()
        self.hosts.update({router_key(r): row_host(r) for r in rows})
        keys = sorted({router_key(r) for r in rows})
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
        return [{"router": key, "address": address, "host": self.hosts.get(key) or host_name(key),
                 "served": dict(sorted(self.served.get(key, {}).items())),
                 "log": [{k: v for k, v in e.items() if k != "router"} for e in self.log if e["router"] == key]}
                for key, address in sorted(self.addresses.items())]

    def _handler(self, key: str) -> type[BaseHTTPRequestHandler]:
        entry = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else None
                with entry._lock:
                    weights = entry.weights(key)
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
                with entry._lock:
                    entry.log.append({"router": key, "endpoint": name, "weights": weights, "status": status})
                    del entry.log[:-LOG_LIMIT]
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
