"""The library's only door to a Kubernetes API server.

Real HTTP over urllib3 with a per-client TLS context (no process-wide
kubernetes configuration, no ~/.kube). Objects are plain wire-form dicts.
Kinds are resolved to resource paths through the server's own discovery, so
custom resources work and an API version the server no longer serves is
reported as such. Every call runs through `call_with_retry` on the injected
clock; foreign errors are translated here, once, naming the object and the
server. Tokens, keys and Secret data are never logged nor put in messages.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import ssl
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import urllib3

from bluegreen.clock import Clock
from bluegreen.errors import (
    NotFoundError,
    PermanentRemoteError,
    PlaybookError,
    PreconditionFailedError,
    RemoteError,
    TransientRemoteError,
)
from bluegreen.kube.kubeconfig import ClusterAccess, parse_kubeconfig
from bluegreen.kube.objects import describe
from bluegreen.retry import RetryPolicy, call_with_retry

TokenProvider = Callable[[], str]


@dataclass(frozen=True)
class ApiResource:
    """How the server serves one kind: its plural path segment and whether it lives in namespaces."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool


def _tls_context(access: ClusterAccess) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=access.ca_pem) if access.ca_pem else ssl.create_default_context()
    if access.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if access.client_cert_pem and access.client_key_pem:
        # ssl only loads key pairs from files: write them privately, load, delete at once.
        with tempfile.TemporaryDirectory(prefix="bluegreen-") as folder:
            cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
            for path, content in ((cert, access.client_cert_pem), (key, access.client_key_pem)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(content)
            try:
                context.load_cert_chain(cert, key)
            except ssl.SSLError as exc:
                raise PlaybookError(f"client certificate/key unusable: {exc.reason}", field="kubeconfig") from None
    return context


class KubeClient:
    """One cluster's API server; safe to share between threads."""

    def __init__(
        self,
        access: ClusterAccess,
        *,
        clock: Clock,
        retry: RetryPolicy | None = None,
        token_provider: TokenProvider | None = None,
        timeout: urllib3.Timeout | None = None,
    ) -> None:
        if access.uses_exec and token_provider is None and not access.token:
            raise PlaybookError(
                f"kubeconfig user authenticates with an exec plugin ({access.exec_command}); "
                "bluegreen never runs it: pass a token_provider (Entra ID token for AKS)",
                field="kubeconfig",
            )
        self.server = access.server
        self.default_namespace = access.namespace
        self._access = access
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._token_provider = token_provider
        pool_kw: dict[str, Any] = {"retries": False, "timeout": timeout or urllib3.Timeout(connect=10, read=60)}
        if access.server.startswith("https://"):
            pool_kw["ssl_context"] = _tls_context(access)
            if access.insecure:
                pool_kw["cert_reqs"] = "CERT_NONE"
                pool_kw["assert_hostname"] = False
            if access.tls_server_name:
                pool_kw["server_hostname"] = access.tls_server_name
        self._http = urllib3.PoolManager(**pool_kw)
        self._lock = threading.Lock()
        self._discovery: dict[str, dict[str, ApiResource] | None] = {}

    @classmethod
    def from_kubeconfig(
        cls,
        data: bytes,
        *,
        clock: Clock,
        retry: RetryPolicy | None = None,
        token_provider: TokenProvider | None = None,
        context: str | None = None,
    ) -> KubeClient:
        """A client for the kubeconfig's current context (or `context`)."""
        return cls(parse_kubeconfig(data, context), clock=clock, retry=retry, token_provider=token_provider)

    def __repr__(self) -> str:
        return f"KubeClient({self.server})"

    def close(self) -> None:
        self._http.clear()

    # --- discovery -------------------------------------------------------------------------------

    def server_version(self) -> str:
        """"1.30.5" from the server's gitVersion "v1.30.5"."""
        info = self._call("GET", "/version", what="server version")
        git = str(info.get("gitVersion") or "")
        match = re.match(r"^v?(\d+\.\d+\.\d+)", git)
        if match:
            return match.group(1)
        return f"{info.get('major', '')}.{str(info.get('minor', '')).rstrip('+')}".strip(".")

    def served_api_versions(self) -> set[str]:
        """Every group/version the server serves ("v1", "apps/v1", CRD groups ...)."""
        # Not cached: a CRD installed a moment ago must show up.
        core = self._call("GET", "/api", what="API discovery")
        served = {str(v) for v in core.get("versions") or []}
        groups = self._call("GET", "/apis", what="API discovery")
        for group in groups.get("groups") or []:
            served.update(str(v.get("groupVersion")) for v in group.get("versions") or [])
        return served

    def resource(self, api_version: str, kind: str) -> ApiResource:
        """Resolve a kind through discovery; re-reads once on a miss (a CRD may have just appeared)."""
        for refresh in (False, True):
            resources = self._group_version(api_version, refresh=refresh)
            if resources is not None and kind in resources:
                return resources[kind]
        if self._group_version(api_version, refresh=False) is None:
            raise PermanentRemoteError(
                f"{self.server} does not serve {api_version}", resource=describe(kind, None, None), code="NotServed"
            )
        raise PermanentRemoteError(
            f"{self.server} serves {api_version} but no kind {kind} in it",
            resource=describe(kind, None, None),
            code="NotServed",
        )

    def _group_version(self, api_version: str, *, refresh: bool) -> dict[str, ApiResource] | None:
        with self._lock:
            if not refresh and api_version in self._discovery:
                return self._discovery[api_version]
        path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        resources: dict[str, ApiResource] | None = None
        try:
            body = self._call("GET", path, what=f"API discovery of {api_version}")
        except NotFoundError:
            body = None
        if body is not None:
            resources = {}
            for entry in body.get("resources") or []:
                name = str(entry.get("name") or "")
                if "/" in name or not entry.get("kind"):
                    continue  # subresources such as deployments/scale
                resources[str(entry["kind"])] = ApiResource(
                    api_version, str(entry["kind"]), name, bool(entry.get("namespaced"))
                )
        with self._lock:
            self._discovery[api_version] = resources
        return resources

    # --- paths -----------------------------------------------------------------------------------

    def _path(self, res: ApiResource, namespace: str | None, name: str | None = None) -> str:
        base = "/api/v1" if res.api_version == "v1" else f"/apis/{res.api_version}"
        if res.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{res.plural}"
        if name:
            base += f"/{quote(name, safe='')}"
        return base

    def _namespace_for(self, res: ApiResource, namespace: str | None) -> str | None:
        if not res.namespaced:
            return None
        return namespace or self.default_namespace

    # --- reads -----------------------------------------------------------------------------------

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        res = self.resource(api_version, kind)
        namespace = self._namespace_for(res, namespace)
        try:
            obj = self._call("GET", self._path(res, namespace, name), what=describe(kind, namespace, name))
        except NotFoundError:
            return None
        obj.setdefault("apiVersion", api_version)
        obj.setdefault("kind", kind)
        return obj

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        """All objects of a kind, in one namespace or (namespace=None) all; follows pagination."""
        res = self.resource(api_version, kind)
        path = self._path(res, namespace if res.namespaced else None)
        what = describe(kind, namespace, None) if namespace else f"{kind} (all namespaces)"
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            query: dict[str, str] = {"limit": "500"}
            if label_selector:
                query["labelSelector"] = label_selector
            if token:
                query["continue"] = token
            page = self._call("GET", path, query=query, what=what)
            for item in page.get("items") or []:
                # List items come without apiVersion/kind; callers get complete objects.
                item["apiVersion"], item["kind"] = api_version, kind
                items.append(item)
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items

    def list_namespaced_all(
        self, namespace: str, kinds: Sequence[tuple[str, str]]
    ) -> builtins.list[dict[str, Any]]:
        """Every object of the given (apiVersion, kind)s in a namespace; kinds the server does not serve are skipped."""
        objects: builtins.list[dict[str, Any]] = []
        for api_version, kind in kinds:
            try:
                res = self.resource(api_version, kind)
            except PermanentRemoteError as exc:
                if exc.code == "NotServed":
                    continue
                raise
            if not res.namespaced:
                raise ValueError(f"{kind} is cluster-scoped; list it with list()")
            objects.extend(self.list(api_version, kind, namespace))
        return objects

    def load_balancer_ip(self, namespace: str, service: str) -> str | None:
        """The Service's first load-balancer IP (or hostname); None while it is missing or has none."""
        obj = self.get("v1", "Service", namespace, service)
        ingress = (((obj or {}).get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        for entry in ingress:
            address = entry.get("ip") or entry.get("hostname")
            if address:
                return str(address)
        return None

    # --- writes ----------------------------------------------------------------------------------

    def apply(self, obj: Mapping[str, Any], *, field_manager: str = "bluegreen", force: bool = True) -> dict[str, Any]:
        """Server-side apply: create or converge `obj`, owning the fields it names."""
        api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
        meta = obj.get("metadata") or {}
        name = str(meta.get("name") or "")
        if not (api_version and kind and name):
            raise PlaybookError("apply needs apiVersion, kind and metadata.name", field=describe(kind, None, name))
        res = self.resource(api_version, kind)
        namespace = self._namespace_for(res, meta.get("namespace"))
        body = dict(obj)
        if meta.get("namespace") != namespace:
            body["metadata"] = {k: v for k, v in meta.items() if k != "namespace"}
            if namespace:
                body["metadata"]["namespace"] = namespace
        query = {"fieldManager": field_manager, "force": "true" if force else "false"}
        return self._call(
            "PATCH",
            self._path(res, namespace, name),
            query=query,
            body=body,
            content_type="application/apply-patch+yaml",
            what=describe(kind, namespace, name),
        )

    def patch_merge(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        patch: Mapping[str, Any],
        *,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        """JSON merge patch (RFC 7386) of an existing object, or of its `subresource` (e.g. "status")."""
        res = self.resource(api_version, kind)
        namespace = self._namespace_for(res, namespace)
        path = self._path(res, namespace, name) + (f"/{subresource}" if subresource else "")
        return self._call(
            "PATCH",
            path,
            body=dict(patch),
            content_type="application/merge-patch+json",
            what=describe(kind, namespace, name),
        )

    def delete(
        self, api_version: str, kind: str, namespace: str | None, name: str, *, propagation: str = "Background"
    ) -> bool:
        """Delete an object; False when it was already gone."""
        res = self.resource(api_version, kind)
        namespace = self._namespace_for(res, namespace)
        options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation}
        try:
            self._call(
                "DELETE", self._path(res, namespace, name), body=options, what=describe(kind, namespace, name)
            )
        except NotFoundError:
            return False
        return True

    def ensure_namespace(self, name: str) -> dict[str, Any]:
        """Create the namespace unless it exists; never takes ownership of an existing one's fields."""
        existing = self.get("v1", "Namespace", None, name)
        if existing is not None:
            return existing
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        try:
            return self._call("POST", "/api/v1/namespaces", body=body, what=describe("Namespace", None, name))
        except PermanentRemoteError as exc:
            if exc.code != "AlreadyExists":
                raise
        return self.get("v1", "Namespace", None, name) or body

    # --- transport -------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        return call_with_retry(
            lambda: self._request(method, path, what=what, query=query, body=body, content_type=content_type),
            self._clock,
            self._retry,
        )

    def _headers(self, content_type: str) -> dict[str, str]:
        headers = {"Accept": "application/json", "Content-Type": content_type, "User-Agent": "bluegreen"}
        token = self._token_provider() if self._token_provider is not None else self._access.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        query: Mapping[str, str] | None,
        body: Any,
        content_type: str,
    ) -> dict[str, Any]:
        url = self.server + path + (f"?{urlencode(query)}" if query else "")
        payload = json.dumps(body).encode() if body is not None else None
        try:
            response = self._http.request(
                method, url, body=payload, headers=self._headers(content_type), redirect=False
            )
        except urllib3.exceptions.SSLError as exc:
            raise PermanentRemoteError(
                f"TLS with {self.server} failed: {type(exc).__name__}", resource=what, code="TLSError"
            ) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise TransientRemoteError(
                f"{method} to {self.server} failed: {_connection_reason(exc)}", resource=what, code="ConnectionError"
            ) from exc
        if 200 <= response.status < 300:
            if not response.data:
                return {}
            try:
                parsed = json.loads(response.data)
            except ValueError as exc:
                raise PermanentRemoteError(
                    f"{self.server} answered {response.status} with a body that is not JSON",
                    resource=what,
                    status=response.status,
                ) from exc
            return parsed if isinstance(parsed, dict) else {"items": parsed}
        raise _http_error(self.server, method, what, response.status, response.data, response.headers)


def _connection_reason(exc: urllib3.exceptions.HTTPError) -> str:
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    for marker in ("Connection refused", "Connection reset", "timed out", "Name or service not known"):
        if marker.lower() in text.lower():
            return marker.lower()
    return type(reason).__name__


def _retry_after(headers: Mapping[str, str], status_body: Mapping[str, Any]) -> float | None:
    value = headers.get("Retry-After")
    if value:
        try:
            return float(value)
        except ValueError:
            pass
    seconds = (status_body.get("details") or {}).get("retryAfterSeconds")
    return float(seconds) if isinstance(seconds, (int, float)) else None


def _http_error(
    server: str, method: str, what: str, status: int, data: bytes, headers: Mapping[str, str]
) -> RemoteError:
    """Map an API server error response (a metav1.Status, usually) to the bluegreen error tree."""
    try:
        body = json.loads(data) if data else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    reason = str(body.get("reason") or "")
    text = str(body.get("message") or data[:200].decode("utf-8", "replace").strip() or "no message")
    causes = (body.get("details") or {}).get("causes") or []
    if causes:
        text += " [" + "; ".join(
            f"{c.get('field', '')}: {c.get('message', c.get('reason', ''))}".lstrip(": ") for c in causes
        ) + "]"
    message = f"{method} on {server} answered {status}{' ' + reason if reason else ''}: {text}"
    kw: dict[str, Any] = {"resource": what, "status": status, "code": reason or None}
    if status == 404:
        return NotFoundError(message, **{**kw, "code": reason or "NotFound"})
    if status == 409:
        if reason == "AlreadyExists":
            return PermanentRemoteError(message, **kw)
        return PreconditionFailedError(message, **{**kw, "code": reason or "Conflict"})
    if status == 429 or status >= 500:
        return TransientRemoteError(message, **kw, retry_after=_retry_after(headers, body))
    if status == 401:
        return PermanentRemoteError(message, **{**kw, "code": reason or "Unauthorized"})
    return PermanentRemoteError(message, **kw)
