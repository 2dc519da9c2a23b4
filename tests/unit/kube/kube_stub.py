"""A tiny programmable HTTP(S) server standing in for an API server in client tests.

Not a Kubernetes fake (that is bluegreen.sim.kube): it answers scripted replies and
records every request, so tests can check the exact wire form (paths, queries, headers,
content types) and make the server fail in ways a fake rarely does (429 with
Retry-After, 5xx, 422 with causes, TLS client-certificate checks).
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    peer_cn: str | None = None


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


Route = Reply | list[Reply] | Callable[[Request], Reply]

DISCOVERY: dict[tuple[str, str], Route] = {
    ("GET", "/version"): Reply(body={"major": "1", "minor": "30", "gitVersion": "v1.30.5"}),
    ("GET", "/api"): Reply(body={"kind": "APIVersions", "versions": ["v1"]}),
    ("GET", "/apis"): Reply(
        body={
            "kind": "APIGroupList",
            "groups": [
                {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                 "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}},
                {"name": "batch", "versions": [{"groupVersion": "batch/v1", "version": "v1"}],
                 "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"}},
            ],
        }
    ),
    ("GET", "/api/v1"): Reply(
        body={
            "kind": "APIResourceList",
            "groupVersion": "v1",
            "resources": [
                {"name": "namespaces", "kind": "Namespace", "namespaced": False},
                {"name": "services", "kind": "Service", "namespaced": True},
                {"name": "services/status", "kind": "Service", "namespaced": True},
                {"name": "configmaps", "kind": "ConfigMap", "namespaced": True},
                {"name": "pods", "kind": "Pod", "namespaced": True},
            ],
        }
    ),
    ("GET", "/apis/apps/v1"): Reply(
        body={
            "kind": "APIResourceList",
            "groupVersion": "apps/v1",
            "resources": [
                {"name": "deployments", "kind": "Deployment", "namespaced": True},
                {"name": "deployments/scale", "kind": "Scale", "namespaced": True},
            ],
        }
    ),
    ("GET", "/apis/batch/v1"): Reply(
        body={"kind": "APIResourceList", "groupVersion": "batch/v1",
              "resources": [{"name": "cronjobs", "kind": "CronJob", "namespaced": True}]}
    ),
}

NOT_FOUND = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
             "message": "the server could not find the requested resource"}


class StubApiServer:
    def __init__(self, routes: dict[tuple[str, str], Route] | None = None, tls: ssl.SSLContext | None = None):
        self.routes: dict[tuple[str, str], Route] = {**DISCOVERY, **(routes or {})}
        self.requests: list[Request] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
                cn = None
                if peer:
                    cn = next((v for rdn in peer.get("subject", ()) for k, v in rdn if k == "commonName"), None)
                request = Request(
                    self.command,
                    parts.path,
                    {k: v[0] for k, v in parse_qs(parts.query).items()},
                    {k.title(): v for k, v in self.headers.items()},  # HTTP header names are case-insensitive
                    json.loads(raw) if raw else None,
                    cn,
                )
                stub.requests.append(request)
                reply = stub.reply_for(request)
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                if "Content-Type" not in reply.headers:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    def reply_for(self, request: Request) -> Reply:
        route = self.routes.get((request.method, request.path))
        if route is None:
            return Reply(404, NOT_FOUND)
        if isinstance(route, list):
            return route.pop(0) if len(route) > 1 else route[0]
        if callable(route):
            return route(request)
        return route

    def calls(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def __enter__(self) -> StubApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def kubeconfig(server: str, user: dict[str, Any], cluster: dict[str, Any] | None = None,
               namespace: str | None = None) -> bytes:
    context: dict[str, Any] = {"cluster": "c", "user": "u"}
    if namespace:
        context["namespace"] = namespace
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
        "contexts": [{"name": "ctx", "context": context}],
        "users": [{"name": "u", "user": user}],
    }
    return yaml.safe_dump(doc).encode()


# --- certificates for TLS tests -------------------------------------------------------------------------


@dataclass
class Pki:
    ca_pem: bytes
    server_cert: Path
    server_key: Path
    client_cert_pem: bytes
    client_key_pem: bytes

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_cert, self.server_key)
        context.load_verify_locations(cadata=self.ca_pem.decode())
        context.verify_mode = ssl.CERT_OPTIONAL
        return context


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def make_pki(folder: Path) -> Pki:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(name("stub-ca")).issuer_name(name("stub-ca"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(cn: str, usage: x509.ObjectIdentifier, san: bool) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder().subject_name(name(cn)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("apiserver.internal")]
                ),
                critical=False,
            )
        cert = builder.sign(ca_key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), key_pem(key)

    server_cert, server_key = leaf("kube-apiserver", ExtendedKeyUsageOID.SERVER_AUTH, san=True)
    client_cert, client_key = leaf("masterclient", ExtendedKeyUsageOID.CLIENT_AUTH, san=False)
    (folder / "server.crt").write_bytes(server_cert)
    (folder / "server.key").write_bytes(server_key)
    return Pki(ca.public_bytes(serialization.Encoding.PEM), folder / "server.crt", folder / "server.key",
               client_cert, client_key)
