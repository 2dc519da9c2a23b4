"""HTTP front of one simulated API server: routing, auth, JSON, chunked watch streams.

Plain HTTP/1.1 on 127.0.0.1 with an ephemeral port. Every request takes the
world lock while it touches state; watches wait on the store's condition, which
releases that lock while idle.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ..serving import PromptShutdown
from . import discovery, openapi
from .api import ApiError
from .apis import Resource
from .tls import server_context

if TYPE_CHECKING:
    from .cluster import ClusterSimulator

_MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


class _Server(PromptShutdown, ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(addr, handler)
        self.connections: set[socket.socket] = set()
        # (path, "legacy" or the apidiscovery version) -> how often a discovery document was served: tests read it.
        self.discovery_requests: Counter[tuple[str, str]] = Counter()
        # The AggregatedDiscoveryEndpoint feature gate: False turns it off whatever the release's default.
        self.aggregated_discovery = True
        self.conn_lock = threading.Lock()
        self.closing = False

    def handle_error(self, request: object, client_address: object) -> None:
        """Dropped and half-open connections are normal here; the library never prints."""


def _unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


class ApiServer:
    """Owns the listening socket; `close()` also cuts open keep-alive and watch connections."""

    def __init__(self, cluster: ClusterSimulator) -> None:
        self.cluster = cluster
        self.httpd = _Server(("127.0.0.1", 0), _make_handler(cluster))
        context = server_context(cluster.tls_cert, cluster.tls_key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"kube-{cluster.name}", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def discovery_requests(self) -> Counter[tuple[str, str]]:
        """(path, "legacy" or the apidiscovery version) -> how often that discovery document was served."""
        return self.httpd.discovery_requests

    def disable_aggregated_discovery(self) -> None:
        """As `--feature-gates=AggregatedDiscoveryEndpoint=false`: /api and /apis answer only the plain documents."""
        self.httpd.aggregated_discovery = False

    def close(self) -> None:
        self.httpd.closing = True
        self.httpd.shutdown()
        self.httpd.server_close()
        with self.httpd.conn_lock:
            for conn in list(self.httpd.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        with self.cluster.store.cond:
            self.cluster.store.cond.notify_all()


def _split_path(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


class Route:
    """A parsed resource URL."""

    def __init__(self, group: str, version: str, parts: list[str]) -> None:
        self.group, self.version = group, version
        self.namespace: str | None = None
        self.plural = ""
        self.name: str | None = None
        self.sub: str | None = None
        if len(parts) >= 3 and parts[0] == "namespaces" and parts[2] not in ("status", "finalize"):
            self.namespace = parts[1]
            parts = parts[2:]
        if not parts:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        self.plural = parts[0]
        if len(parts) > 1:
            self.name = parts[1]
        if len(parts) > 2:
            self.sub = parts[2]
        if len(parts) > 3:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")


def _make_handler(cluster: ClusterSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        # Header and body leave in one write (handle_one_request flushes after each request): the client wakes
        # once per answer instead of twice. A watch flushes each batch (its header with the first, even empty).
        wbufsize = 1 << 16
        server: _Server

        def setup(self) -> None:
            super().setup()
            with self.server.conn_lock:
                self.server.connections.add(self.connection)

        def finish(self) -> None:
            with self.server.conn_lock:
                self.server.connections.discard(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the library never prints
            return

        # --- plumbing ---------------------------------------------------------------------
        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, code: int, doc: Any, headers: dict[str, str] | None = None) -> None:
            data = b"" if code == 304 else doc if isinstance(doc, bytes) else _encode(doc)
            headers = {"Content-Type": "application/json", "Cache-Control": "no-cache, private", **(headers or {})}
            self.send_response(code)
            self.send_header("Content-Type", headers.pop("Content-Type"))
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            for text in getattr(self, "warnings", []):
                self.send_header("Warning", "299 - " + json.dumps(text))  # Go's strconv.Quote
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _throttled(self) -> None:
            doc = ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                           {"causes": [{"reason": "TooManyRequests"}], "retryAfterSeconds": 1}).status()
            data = json.dumps(doc).encode()
            self.send_response(429)
            self.send_header("Content-Type", "application/json")
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _dispatch(self) -> None:
            if self.server.closing:
                self.close_connection = True
                return
            body = self._body()
            self.warnings: list[str] = []
            try:
                if not cluster.accepts(self.headers.get("Authorization", "")):
                    raise _unauthorized()
                if self.command in ("POST", "PUT", "PATCH", "DELETE") and cluster.take_throttle():
                    self._throttled()
                    return
                if "protobuf" in self.headers.get("Content-Type", "") and body:
                    # This server speaks JSON only; 415 makes client-go fall back to JSON, as with a CRD.
                    raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                                   "accepted media types include: application/json, application/yaml")
                url = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                cluster.api.field_validation = query.get("fieldValidation") or "Warn"
                result = self._route(url.path, query, body)
                if result is not None:
                    self._send(*result)
            except ApiError as exc:
                self._send(exc.code, exc.status())
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            except Exception as exc:  # noqa: BLE001 - a real server answers 500, it does not drop the connection
                self._send(500, ApiError(500, "InternalError", f"Internal error occurred: {exc!r}").status())

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch  # noqa: N815

        # --- routing ----------------------------------------------------------------------
        def _route(self, path: str, query: dict[str, str], body: bytes) -> tuple[Any, ...] | None:
            parts = _split_path(path)
            method = self.command
            with cluster.lock:
                cluster.api.warnings = self.warnings  # what the handlers warn about goes out as Warning headers
                table = cluster.table
                if path in ("/healthz", "/readyz", "/livez"):
                    return 200, "ok"
                if path == "/version":
                    return 200, discovery.version_doc(cluster.version)
                if parts[:2] == ["openapi", "v3"]:
                    return 200, self._openapi(parts[2:])
                if parts[:1] == ["openapi"]:
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                if parts in (["api"], ["apis"]):
                    return self._discovery_root(parts == ["api"])
                if parts[:1] == ["api"] and len(parts) >= 2:
                    group, version, rest = "", parts[1], parts[2:]
                elif parts[:1] == ["apis"] and len(parts) >= 2:
                    if len(parts) == 2:
                        doc = discovery.group(table, parts[1])
                        if doc is None:
                            raise ApiError(404, "NotFound", "the server could not find the requested resource")
                        return self._plain_discovery(path, doc)
                    group, version, rest = parts[1], parts[2], parts[3:]
                else:
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                watch_path = bool(rest) and rest[0] == "watch"
                if watch_path:
                    rest = rest[1:]
                if not rest:
                    doc = discovery.resource_list(table, group, version)
                    if doc is None:
                        raise ApiError(404, "NotFound", "the server could not find the requested resource")
                    return self._plain_discovery(path, doc)
                route = Route(group, version, rest)
                res = cluster.api.resource(group, version, route.plural)
                if not res.namespaced:
                    route.namespace = None
                watching = watch_path or query.get("watch") in ("true", "1")
                if method == "GET" and watching:
                    pass  # streamed below, outside the lock
                else:
                    result = self._resource(method, res, route, query, body)
                    if method in _MUTATING:
                        cluster._after_mutation()
                    elif method == "GET":  # a read shares the stored objects: encode it while they cannot change
                        return result[0], _encode(result[1])
                    return result
            cluster.catch_up()  # controllers run while someone watches, as real ones always do
            self._watch(res, route, query)
            return None

        def _plain_discovery(self, path: str, doc: dict) -> tuple[int, Any]:
            """A group's or group version's document: never aggregated, but Accept must allow plain JSON."""
            discovery.negotiate(self.headers.get("Accept", ""), cluster.table.minor, aggregated=False)
            self.server.discovery_requests[(path.rstrip("/"), "legacy")] += 1
            return 200, doc

        def _discovery_root(self, core: bool) -> tuple[int, Any, dict[str, str]] | tuple[int, Any]:
            """/api or /apis: the aggregated document when Accept asks for a version this release serves."""
            table = cluster.table
            version = discovery.negotiate(self.headers.get("Accept", ""), table.minor,
                                          aggregated=self.server.aggregated_discovery)
            key = "/api" if core else "/apis"
            self.server.discovery_requests[(key, version or "legacy")] += 1
            if version is None:
                if core:
                    return 200, discovery.core_versions(f"127.0.0.1:{cluster.port}")
                return 200, discovery.group_list(table)
            doc, shared_headers = discovery.aggregated_response(table, version, core=core)
            headers = dict(shared_headers)
            if self.headers.get("If-None-Match") == headers["ETag"]:
                return 304, None, headers
            return 200, doc, headers

        def _openapi(self, rest: list[str]) -> dict:
            if not rest:
                return openapi.root(cluster.table, discovery.version_doc(cluster.version)["gitVersion"])
            if rest[0] == "api" and len(rest) == 2:
                group, version = "", rest[1]
            elif rest[0] == "apis" and len(rest) == 3:
                group, version = rest[1], rest[2]
            else:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            doc = openapi.group_version_doc(cluster.table, group, version,
                                            discovery.version_doc(cluster.version)["gitVersion"])
            if doc is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return doc

        def _resource(self, method: str, res: Resource, route: Route, query: dict[str, str],
                      body: bytes) -> tuple[int, Any]:
            api = cluster.api
            ns, name = route.namespace, route.name
            manager = query.get("fieldManager") or _manager(self.headers.get("User-Agent", ""))
            dry_run = bool(query.get("dryRun"))
            ctype = self.headers.get("Content-Type", "")
            if route.sub == "scale":
                if method == "GET":
                    return 200, api.scale(res, ns, name or "")
                if method == "PATCH":
                    doc = api.patched(res, api.scale(res, ns, name or ""), body, ctype)
                elif method == "PUT":
                    doc = _json(body)
                else:
                    raise _not_allowed(method)
                replicas = ((doc if isinstance(doc, dict) else {}).get("spec") or {}).get("replicas")
                return 200, api.set_scale(res, ns, name or "", replicas, manager)
            if route.sub == "status":
                if method == "GET":
                    return 200, api.get(res, ns, name or "", copy=False)
                if method == "PUT":
                    doc = _json(body)
                elif method == "PATCH":
                    doc = api.patched(res, api.get(res, ns, name or ""), body, ctype)
                else:
                    raise _not_allowed(method)
                if not isinstance(doc, dict):
                    raise ApiError(400, "BadRequest", "the body of the request was not a JSON object")
                return 200, api.replace_status(res, ns, name or "", doc.get("status"))
            if route.sub is not None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            if method == "GET":
                wants_table = "as=Table" in self.headers.get("Accept", "")
                if name is not None:
                    obj = api.get(res, ns, name, copy=False)
                    if wants_table:
                        return 200, discovery.table(res, [obj], cluster.clock.now(), obj["metadata"]["resourceVersion"])
                    return 200, obj
                limit = int(query["limit"]) if query.get("limit", "").isdigit() else None
                listing = api.list(res, ns, query.get("labelSelector"), query.get("fieldSelector"),
                                   limit=limit, continue_token=query.get("continue"), copy=False)
                if wants_table:
                    return 200, discovery.table(res, listing["items"], cluster.clock.now(),
                                                listing["metadata"]["resourceVersion"])
                return 200, listing
            if method == "POST" and name is None:
                return 201, api.create(res, ns, _json(body), manager, dry_run)
            if method == "PUT" and name is not None:
                return 200, api.replace(res, ns, name, _json(body), manager, dry_run)
            if method == "PATCH" and name is not None:
                existed = cluster.store.peek(api.key(res, ns, name)) is not None
                applying = ctype.startswith("application/apply-patch")
                out = api.patch(res, ns, name, body, ctype, query.get("fieldManager") or (None if applying else manager),
                                query.get("force") == "true", dry_run)
                return (200 if existed else 201), out
            if method == "DELETE":
                opts = json.loads(body) if body.strip() else {}
                policy = query.get("propagationPolicy") or opts.get("propagationPolicy")
                if opts.get("orphanDependents") is True or query.get("orphanDependents") == "true":
                    policy = "Orphan"
                if name is None:
                    return 200, api.delete_collection(res, ns, query.get("labelSelector"),
                                                      query.get("fieldSelector"), policy)
                grace_text = query.get("gracePeriodSeconds") or opts.get("gracePeriodSeconds")
                grace = int(grace_text) if grace_text is not None and str(grace_text).lstrip("-").isdigit() else None
                gone = api.delete(res, ns, name, policy, opts.get("preconditions"), grace)
                lingering = cluster.store.peek(api.key(res, ns, name)) is not None
                return (202 if lingering else 200), gone  # 202: accepted, but finalizers or grace hold it
            raise _not_allowed(method)

        # --- watch ------------------------------------------------------------------------
        def _watch(self, res: Resource, route: Route, query: dict[str, str]) -> None:
            api, store = cluster.api, cluster.store
            field_selector = query.get("fieldSelector")
            if route.name:
                extra = f"metadata.name={route.name}"
                field_selector = f"{field_selector},{extra}" if field_selector else extra
            timeout = float(query.get("timeoutSeconds") or 1800)
            deadline = time.monotonic() + timeout
            rv_text = query.get("resourceVersion") or "0"
            initial = query.get("sendInitialEvents") == "true"
            with store.cond:
                match = api.matcher(res, route.namespace, query.get("labelSelector"), field_selector)
                pending: list[dict] = []
                if rv_text in ("", "0") or initial:
                    for key, obj in sorted(store.objects.items()):
                        if match(key, obj):
                            pending.append({"type": "ADDED", "object": api.view(res, obj)})
                    cursor = store.rv
                    if initial:
                        pending.append({"type": "BOOKMARK", "object": {
                            "kind": res.kind, "apiVersion": res.group_version, "metadata": {
                                "resourceVersion": str(cursor),
                                "annotations": {"k8s.io/initial-events-end": "true"}}}})
                else:
                    try:
                        cursor = int(rv_text)
                    except ValueError as exc:
                        raise ApiError(400, "BadRequest", f"invalid resourceVersion {rv_text!r}") from exc
                    if store.events_since(cursor) is None:
                        pending.append({"type": "ERROR", "object": ApiError(
                            410, "Expired", f"too old resource version: {cursor} ({store.rv})").status()})
                        cursor = -1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Cache-Control", "no-cache, private")
            self.end_headers()
            try:
                self._chunks(pending)
                while cursor >= 0 and not self.server.closing:
                    with store.cond:
                        events = store.events_since(cursor) or []
                        batch = [{"type": e.type, "object": api.view(res, e.obj)} for e in events
                                 if match(e.key, e.obj)]
                        if events:
                            cursor = events[-1].rv
                        elif store.events_since(cursor) is None:
                            break
                        if not batch:
                            remaining = deadline - time.monotonic()
                            if remaining <= 0:
                                break
                            store.cond.wait(min(remaining, 1.0))
                            continue
                    self._chunks(batch)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except OSError:
                pass
            self.close_connection = True

        def _chunks(self, events: list[dict]) -> None:
            for event in events:
                data = json.dumps(event, separators=(",", ":")).encode() + b"\n"
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


def _not_allowed(method: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed", f"the server does not allow this method on the requested resource "
                    f"({method})")


def _encode(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError as exc:
        raise ApiError(400, "BadRequest", f"the body of the request could not be decoded: {exc}") from exc


def _manager(user_agent: str) -> str:
    """The server's default field manager: the user agent up to the first '/'."""
    return (user_agent.split("/")[0] or "unknown")[:128]

