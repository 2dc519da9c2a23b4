"""The library's only door to a Kubernetes API server, built on the official `kubernetes` client.

One `ApiClient` per cluster from its kubeconfig (never the package's global
configuration, never ~/.kube), the `DynamicClient` for discovery, reads,
server-side apply, merge patches, deletes and watches. Objects are plain
wire-form dicts. Kinds are resolved through the server's own discovery, so
custom resources work and an API version the server no longer serves is
reported as such. Every call runs through `call_with_retry` on the injected
clock; the official client's and urllib3's errors are translated here, once,
naming the object and the server. Tokens, keys and Secret data are never
logged nor put in messages.

`kubernetes` is imported when a client is built, not when this module is, so
commands that never reach a cluster (--help, validate, schema) stay light.
"""

from __future__ import annotations

import builtins
import re
import threading
from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bluegreen.clock import Clock
from bluegreen.errors import (
    BluegreenError,
    NotFoundError,
    PermanentRemoteError,
    PlaybookError,
    RemoteError,
)
from bluegreen.kube.discovery import ServedResource
from bluegreen.kube.kubeconfig import ClusterAccess, parse_kubeconfig
from bluegreen.kube.objects import describe
from bluegreen.retry import RetryPolicy, call_with_retry

if TYPE_CHECKING:
    from bluegreen.kube.transport import Connection

TokenProvider = Callable[[], str]
SecretSink = Callable[[str], None]
T = TypeVar("T")

_PAGE = 500


@dataclass(frozen=True)
class ApiResource:
    """How the server serves one kind: its plural path segment and whether it lives in namespaces."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool


@dataclass(frozen=True)
class WatchEvent:
    """One change seen by `watch`: ADDED, MODIFIED, DELETED or BOOKMARK, and the object as the server sent it."""

    type: str
    object: dict[str, Any]


class KubeClient:
    """One cluster's API server; safe to share between threads."""

    def __init__(
        self,
        access: ClusterAccess,
        *,
        clock: Clock,
        retry: RetryPolicy | None = None,
        token_provider: TokenProvider | None = None,
        timeout: tuple[float, float] | None = None,
        on_secret: SecretSink | None = None,
    ) -> None:
        from bluegreen.kube import transport

        self.server = access.server
        self.default_namespace = access.namespace
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._timeout = timeout or (10.0, 60.0)
        if token_provider is None and access.uses_exec:
            # An injected provider (Entra ID) wins; otherwise the kubeconfig's own plugin, run when a token is due.
            token_provider = transport.exec_token_provider(access, clock, on_secret)
        self._transport = transport
        self._conn: Connection = transport.Connection(access, token_provider)
        self._lock = threading.Lock()
        self._resources: dict[tuple[str, str], ApiResource] = {}

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

    @classmethod
    def from_kubeconfig_file(
        cls,
        path: str | Path,
        *,
        clock: Clock,
        retry: RetryPolicy | None = None,
        token_provider: TokenProvider | None = None,
        context: str | None = None,
        on_secret: SecretSink | None = None,
    ) -> KubeClient:
        """A client from a user's kubeconfig file; relative paths in it (certificates, exec commands) resolve from its folder."""
        path = Path(path).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PlaybookError(f"cannot read kubeconfig {path}: {exc.strerror}", field="kubeconfig") from None
        access = parse_kubeconfig(data, context, base_dir=path.resolve().parent)
        return cls(access, clock=clock, retry=retry, token_provider=token_provider, on_secret=on_secret)

    def __repr__(self) -> str:
        return f"KubeClient({self.server})"

    def close(self) -> None:
        self._conn.close()

    # --- discovery -------------------------------------------------------------------------------

    def server_version(self) -> str:
        """"1.30.5" from the server's gitVersion "v1.30.5"."""
        info = self._get_path("/version", what="server version")
        git = str(info.get("gitVersion") or "")
        match = re.match(r"^v?(\d+\.\d+\.\d+)", git)
        if match:
            return match.group(1)
        return f"{info.get('major', '')}.{str(info.get('minor', '')).rstrip('+')}".strip(".")

    def served_api_versions(self) -> set[str]:
        """Every group/version the server serves ("v1", "apps/v1", CRD groups ...)."""
        # Not cached: a CRD installed a moment ago must show up.
        core = self._get_path("/api", what="API discovery")
        served = {str(v) for v in core.get("versions") or []}
        groups = self._get_path("/apis", what="API discovery")
        for group in groups.get("groups") or []:
            served.update(str(v.get("groupVersion")) for v in group.get("versions") or [])
        return served

    def served_resources(self) -> builtins.list[ServedResource]:
        """Every resource of every group version the server serves, each marked preferred or not; no subresources.

        Read afresh (a CRD installed a moment ago shows up). Choosing among them is `select_kinds`' job.
        """

        def fetch(conn: Connection) -> builtins.list[ServedResource]:
            found = {
                (r.group_version, r.kind): ServedResource(
                    str(r.group_version), str(r.kind), str(r.name), bool(r.namespaced),
                    tuple(str(v) for v in r.verbs or []), preferred,
                )
                for r, preferred in conn.all_resources()
            }
            return [found[key] for key in sorted(found)]

        served = self._call(fetch, method="GET", what="API discovery")
        with self._lock:  # what `resource()` would resolve one discovery search at a time, known already
            for s in served:
                self._resources.setdefault((s.api_version, s.kind), ApiResource(s.api_version, s.kind, s.plural,
                                                                                s.namespaced))
        return served

    def resource(self, api_version: str, kind: str) -> ApiResource:
        """Resolve a kind through discovery; re-reads once on a miss (a CRD may have just appeared)."""
        with self._lock:
            known = self._resources.get((api_version, kind))
        if known is not None:
            return known
        found = self._call(
            lambda conn: conn.find(api_version, kind), method="GET", what=f"API discovery of {api_version}"
        )
        if found is None:
            served = self._call(
                lambda conn: conn.serves(api_version, refresh=False), method="GET", what="API discovery"
            )
            detail = f"serves {api_version} but no kind {kind} in it" if served else f"does not serve {api_version}"
            raise PermanentRemoteError(f"{self.server} {detail}", resource=describe(kind, None, None), code="NotServed")
        res = ApiResource(api_version, kind, str(found.name), bool(found.namespaced))
        with self._lock:
            self._resources[(api_version, kind)] = res
        return res

    def _namespace_for(self, res: ApiResource, namespace: str | None) -> str | None:
        if not res.namespaced:
            return None
        return namespace or self.default_namespace

    def _official(self, res: ApiResource, client: Any = None) -> Any:
        """The official client's description of a resource: it builds paths, and with `client` it can watch."""
        from kubernetes.dynamic.resource import Resource

        group, _, version = res.api_version.rpartition("/")
        return Resource(
            prefix="apis" if group else "api", group=group, api_version=version, kind=res.kind,
            name=res.plural, namespaced=res.namespaced, client=client,
        )

    def _path(self, res: ApiResource, namespace: str | None, name: str | None = None) -> str:
        return str(self._official(res).path(name=name, namespace=namespace))

    # --- reads -----------------------------------------------------------------------------------

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        res = self.resource(api_version, kind)
        namespace = self._namespace_for(res, namespace)
        try:
            obj = self._request("GET", self._path(res, namespace, name), what=describe(kind, namespace, name))
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
        *,
        only_in: Collection[str] | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """All objects of a kind, in one namespace or (namespace=None) all; follows pagination.

        `only_in` keeps the objects of those namespaces, page by page: a list across namespaces of a big
        cluster (hundreds of Helm release Secrets) never holds more than a page of others' objects.
        """
        res = self.resource(api_version, kind)
        path = self._path(res, namespace if res.namespaced else None)
        what = describe(kind, namespace, None) if namespace else f"{kind} (all namespaces)"
        items: builtins.list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self._request(
                "GET", path, what=what, label_selector=label_selector, limit=_PAGE, _continue=token
            )
            for item in page.get("items") or []:
                if only_in is not None and (item.get("metadata") or {}).get("namespace") not in only_in:
                    continue
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

    def watch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        resource_version: str | None = None,
        timeout_seconds: int = 60,
    ) -> Generator[WatchEvent, None, None]:
        """Changes to a kind from `resource_version` on ("0": the current objects first), until the server ends the stream.

        Resolving the kind is retried like any call; the stream itself is not: an error while opening or
        reading it is translated and raised (the caller knows which resourceVersion it last saw).
        """
        from kubernetes import watch as k8s_watch

        res = self.resource(api_version, kind)
        namespace = namespace if res.namespaced else None
        what = describe(kind, namespace, None) if namespace else f"{kind} (all namespaces)"
        resource = self._call(lambda conn: self._official(res, conn.dynamic), method="GET", what=what)
        watcher = k8s_watch.Watch()
        stream = self._conn.dynamic.watch(
            resource, namespace=namespace, label_selector=label_selector, resource_version=resource_version,
            timeout=timeout_seconds, watcher=watcher,
        )
        try:
            while True:
                try:
                    event = next(stream)
                except StopIteration:
                    return
                except BluegreenError:
                    raise
                except Exception as exc:
                    error = self._transport.translate(exc, server=self.server, method="GET", what=what)
                    if error is None:
                        raise
                    raise error from exc
                raw = event.get("raw_object")
                yield WatchEvent(str(event.get("type")), raw if isinstance(raw, dict) else {})
        finally:
            watcher.stop()
            stream.close()

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
        return self._request(
            "PATCH",
            self._path(res, namespace, name),
            what=describe(kind, namespace, name),
            body=body,
            content_type="application/apply-patch+yaml",
            field_manager=field_manager,
            force_conflicts=force,
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
        return self._request(
            "PATCH",
            path,
            what=describe(kind, namespace, name),
            body=dict(patch),
            content_type="application/merge-patch+json",
        )

    def delete(
        self, api_version: str, kind: str, namespace: str | None, name: str, *, propagation: str = "Background"
    ) -> bool:
        """Delete an object; False when it was already gone."""
        res = self.resource(api_version, kind)
        namespace = self._namespace_for(res, namespace)
        options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation}
        try:
            self._request("DELETE", self._path(res, namespace, name), what=describe(kind, namespace, name), body=options)
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
            return self._request("POST", "/api/v1/namespaces", what=describe("Namespace", None, name), body=body)
        except PermanentRemoteError as exc:
            if exc.code != "AlreadyExists":
                raise
        return self.get("v1", "Namespace", None, name) or body

    # --- calls -----------------------------------------------------------------------------------

    def _call(self, fn: Callable[[Connection], T], *, method: str, what: str) -> T:
        """Run `fn` on the connection with retries on the injected clock; foreign errors translated once."""

        def attempt() -> T:
            try:
                return fn(self._conn)
            except BluegreenError:
                raise
            except Exception as exc:
                error: RemoteError | None = self._transport.translate(
                    exc, server=self.server, method=method, what=what
                )
                if error is None:
                    raise
                raise error from exc

        return call_with_retry(attempt, self._clock, self._retry)

    def _get_path(self, path: str, *, what: str) -> dict[str, Any]:
        return self._request("GET", path, what=what)

    def _request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        body: Any = None,
        content_type: str | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """One request through the DynamicClient; `params` are its query keywords (limit, label_selector ...)."""
        query = {k: v for k, v in params.items() if v is not None}

        def send(conn: Connection) -> dict[str, Any]:
            response = conn.dynamic.request(
                method, path, body=body, content_type=content_type, serialize=False,
                _request_timeout=self._timeout, **query,
            )
            return self._transport.read_json(response, self.server, what)

        return self._call(send, method=method, what=what)
