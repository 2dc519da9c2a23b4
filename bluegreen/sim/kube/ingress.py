"""Real sockets for LoadBalancer Services: one small HTTP server per (ip, port).

The answer follows the pods behind the Service at the moment of the request:
200 while a ready pod matches the selector, 500 if matching pods crash-loop,
503 when none is ready. Smoke checks and DNS-switch tests hit these over TCP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..serving import PromptShutdown
from .controllers import Controllers
from .selectors import match_label_selector_object
from .store import Store

ServiceKey = tuple[str, str, str, int]  # namespace, name, ip, port


class IngressBindError(OSError):
    """A LoadBalancer address/port could not be bound (already in use)."""


class _Server(PromptShutdown, ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up mid-answer are normal; the library never prints."""


class IngressServers:
    def __init__(self, cluster: str, store: Store, lock: threading.RLock) -> None:
        self.cluster = cluster
        self.store = store
        self.lock = lock
        self.servers: dict[ServiceKey, _Server] = {}
        self.errors: dict[ServiceKey, str] = {}

    def answer(self, namespace: str, name: str, path: str, host: str) -> tuple[int, str]:
        with self.lock:
            svc = self.store.peek(("", "Service", namespace, name))
            if svc is None:
                return 503, f"service {namespace}/{name} is gone on cluster {self.cluster}\n"
            selector = (svc.get("spec") or {}).get("selector") or {}
            pods = [p for p in self.store.select("", "Pod", namespace)
                    if selector and not p["metadata"].get("deletionTimestamp")
                    and match_label_selector_object({"matchLabels": selector}, p["metadata"].get("labels") or {})]
            ready = [p for p in pods if Controllers.pod_ready(p)]
            crashing = [p for p in pods if Controllers.pod_crashing(p)]
        where = f"service {namespace}/{name} on cluster {self.cluster}, path {path}, host {host}"
        if ready:
            return 200, f"OK from {where} (pod {ready[0]['metadata']['name']})\n"
        if crashing:
            return 500, f"Internal Server Error from {where}: pods crash-looping\n"
        return 503, f"Service Unavailable: no ready endpoints for {where}\n"

    def _handler(self, namespace: str, name: str) -> type[BaseHTTPRequestHandler]:
        servers = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _serve(self, body_wanted: bool) -> None:
                code, text = servers.answer(namespace, name, self.path, self.headers.get("Host", ""))
                data = text.encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body_wanted:
                    self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                self._serve(True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(False)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self._serve(True)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the library never prints
                return

        return Handler

    def desired(self) -> set[ServiceKey]:
        out: set[ServiceKey] = set()
        for svc in self.store.select("", "Service"):
            spec = svc.get("spec") or {}
            if spec.get("type") != "LoadBalancer":
                continue
            for ing in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
                for p in spec.get("ports") or []:
                    if ing.get("ip") and p.get("protocol", "TCP") == "TCP":
                        out.add((svc["metadata"]["namespace"], svc["metadata"]["name"], ing["ip"], int(p["port"])))
        return out

    def sync(self, on_error: Callable[[ServiceKey, str], None] | None = None) -> list[str]:
        """Bind servers for new LoadBalancer ports, close removed ones; returns new bind errors."""
        want = self.desired()
        for key in [k for k in self.servers if k not in want]:
            self._close(key)
        for key in [k for k in self.errors if k not in want]:
            del self.errors[key]
        problems = []
        for key in sorted(want - set(self.servers) - set(self.errors)):
            ns, name, ip, port = key
            try:
                server = _Server((ip, port), self._handler(ns, name))
            except OSError as exc:
                message = f"cannot bind LoadBalancer {ip}:{port} for service {ns}/{name} on cluster " \
                          f"{self.cluster}: {exc.strerror or exc}"
                self.errors[key] = message
                problems.append(message)
                if on_error is not None:
                    on_error(key, message)
                continue
            threading.Thread(target=server.serve_forever, name=f"lb-{ip}:{port}", daemon=True).start()
            self.servers[key] = server
        return problems

    def _close(self, key: ServiceKey) -> None:
        server = self.servers.pop(key)
        server.shutdown()
        server.server_close()

    def close_all(self) -> None:
        for key in list(self.servers):
            self._close(key)
        self.errors.clear()
