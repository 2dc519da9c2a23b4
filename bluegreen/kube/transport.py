"""The seam to the official `kubernetes` package: one ApiClient per cluster, discovery, errors.

Imported only when a KubeClient is built (bluegreen.kube.client imports it
lazily), so `bluegreen --help`, `validate` and `schema` never load `kubernetes`.

Why each choice:
- A fresh `Configuration` per cluster, filled by the official `KubeConfigLoader`
  from the selected context; never `load_kube_config()`, which writes the
  process-wide default that a second cluster would overwrite.
- Inline client keys go to a private folder this connection owns and removes,
  not to the loader's process-wide temp-file cache; the CA goes in memory.
- The bearer token comes from `refresh_api_key_hook`, asked before every
  request: an injected provider (Entra ID through azure-identity), or the
  kubeconfig's exec plugin run through the official `ExecProvider`, lazily,
  with its expiry judged on the injected clock and its failure reported as an
  error rather than logged.
- Discovery is the `DynamicClient`'s lazy discoverer without its on-disk cache:
  that file is keyed by host alone, and simulated clusters all live on
  127.0.0.1 with ports reused between runs.
- Discovery asks /apis and /api for the aggregated document (KEP-3352, served
  from 1.27) as kubectl does, and answers the discoverer's per-group-version
  requests from it: two round trips instead of one per group version. A server
  that answers the plain APIGroupList gets the legacy walk, unchanged.
- The official client retries nothing (`retries=False`): every retry runs in
  bluegreen.retry on the injected clock.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import urllib3
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.exec_provider import ExecProvider
from kubernetes.config.kube_config import ConfigNode, KubeConfigLoader
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.discovery import LazyDiscoverer, ResourceGroup
from kubernetes.dynamic.exceptions import ServiceUnavailableError
from kubernetes.dynamic.resource import Resource, ResourceInstance, ResourceList

from bluegreen.clock import Clock
from bluegreen.errors import (
    NotFoundError,
    PermanentRemoteError,
    PlaybookError,
    PreconditionFailedError,
    RemoteError,
    TransientRemoteError,
)
from bluegreen.kube.kubeconfig import INLINE_DATA, ClusterAccess

TokenProvider = Callable[[], str]
SecretSink = Callable[[str], None]

# A cache path that never exists (its parent is a device, not a folder): the discoverer starts empty.
_NO_CACHE_FILE = os.path.join(os.devnull, "bluegreen-discovery.json")
_EXEC_REFRESH_MARGIN = timedelta(seconds=60)


# --- configuration ---------------------------------------------------------------------------------


def _write_private(folder: str, name: str, content: bytes) -> str:
    path = os.path.join(folder, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return path


def configuration(
    access: ClusterAccess, token_provider: TokenProvider | None, private_folder: Callable[[], str]
) -> Configuration:
    """A fresh Configuration for the selected context; exec plugins are left to `token_provider`."""
    cluster, user = access.section("cluster"), access.section("user")
    user.pop("exec", None)  # run lazily by exec_token_provider, or replaced by the injected provider
    ca_data = cluster.pop("certificate-authority-data", None)
    if ca_data:
        cluster.pop("certificate-authority", None)
    inline = {key: user.pop(key) for key in INLINE_DATA if user.get(key)}
    if inline:
        user.pop("client-certificate", None)
        user.pop("client-key", None)
    document = {
        "current-context": "selected",
        "contexts": [{"name": "selected", "context": {"cluster": "selected", "user": "selected"}}],
        "clusters": [{"name": "selected", "cluster": cluster}],
        "users": [{"name": "selected", "user": user}],
    }
    config = Configuration()
    loader = KubeConfigLoader(config_dict=document, config_base_path=access.base_dir or "")
    try:
        loader.load_and_set(config)
    except (ConfigException, OSError, ValueError) as exc:
        # The loader's messages name files and keys, never credential values.
        raise PlaybookError(f"kubeconfig context {access.context!r} unusable: {exc}", field="kubeconfig") from None
    overrides: dict[str, Any] = {"retries": False}
    if ca_data:
        overrides["ca_cert_data"] = base64.b64decode(str(ca_data)).decode()
    if inline:
        folder = private_folder()
        overrides["cert_file"] = _write_private(
            folder, "client.crt", base64.b64decode(str(inline["client-certificate-data"]))
        )
        overrides["key_file"] = _write_private(folder, "client.key", base64.b64decode(str(inline.get("client-key-data", ""))))
    if access.insecure:
        overrides.update(verify_ssl=False, assert_hostname=False)
    # The loader's hook re-copies its whole view (host, files; no inline files, no in-memory CA) before every
    # request, and setting `host` re-reads the proxy environment: a tenth of a request's client time. Only a
    # token with an expiry (an auth-provider token) can change, so only then is the hook asked.
    loader_hook = config.refresh_api_key_hook if "expiry" in vars(loader) else None

    def refresh(cfg: Configuration) -> None:
        if loader_hook is not None:
            loader_hook(cfg)
            for key, value in overrides.items():
                setattr(cfg, key, value)
        if token_provider is not None:
            cfg.api_key["BearerToken"] = f"Bearer {token_provider()}"

    if token_provider is not None:
        config.api_key["BearerToken"] = "pending"  # auth_settings only asks the hook when a key is present
    for key, value in overrides.items():
        setattr(config, key, value)
    config.refresh_api_key_hook = refresh
    return config


def exec_token_provider(access: ClusterAccess, clock: Clock, on_secret: SecretSink | None = None) -> TokenProvider:
    """The kubeconfig's exec credential plugin, run by the official ExecProvider when a token is due."""
    user, cluster = access.section("user"), access.section("cluster")
    exec_section = user.get("exec") or {}
    lock = threading.Lock()
    cached: dict[str, Any] = {}

    def token() -> str:
        with lock:
            expires = cached.get("expires")
            if "token" in cached and (expires is None or clock.now() < expires - _EXEC_REFRESH_MARGIN):
                return str(cached["token"])
            try:
                status = ExecProvider(
                    ConfigNode("exec", exec_section), access.base_dir or None, ConfigNode("cluster", cluster)
                ).run()
            except (ConfigException, OSError) as exc:
                raise PermanentRemoteError(
                    f"kubeconfig exec plugin {access.exec_command} failed: {exc}",
                    resource=access.server,
                    code="AuthenticationFailed",
                ) from exc
            value = status.get("token") if isinstance(status, Mapping) else None
            if not value:
                raise PermanentRemoteError(
                    f"kubeconfig exec plugin {access.exec_command} returned no token "
                    "(client-certificate credentials are not supported)",
                    resource=access.server,
                    code="AuthenticationFailed",
                )
            if on_secret is not None:
                on_secret(str(value))
            stamp = status.get("expirationTimestamp")
            cached["token"] = str(value)
            cached["expires"] = _parse_time(stamp) if stamp else None
            return str(value)

    return token


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


# --- discovery ---------------------------------------------------------------------------------------


# Aggregated discovery v2, then v2beta1 (1.27 to 1.32), then the plain documents: kubectl's Accept for /api and /apis.
AGGREGATED_GROUP = "apidiscovery.k8s.io"
AGGREGATED_KIND = "APIGroupDiscoveryList"
AGGREGATED_ACCEPT = ",".join(
    [f"application/json;g={AGGREGATED_GROUP};v={v};as={AGGREGATED_KIND}" for v in ("v2", "v2beta1")]
    + ["application/json"]
)


def aggregated_version(content_type: str) -> str | None:
    """"v2" or "v2beta1" when a response's Content-Type says it is an aggregated discovery document."""
    media, *params = content_type.split(";")
    if media.strip().lower() != "application/json":
        return None
    found = {key.strip(): value.strip() for key, _, value in (p.partition("=") for p in params)}
    if found.get("g") == AGGREGATED_GROUP and found.get("as") == AGGREGATED_KIND and found.get("v") in ("v2", "v2beta1"):
        return found["v"]
    return None


def resource_list(group_version: str, resources: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One version of an aggregated document as the APIResourceList the legacy walk reads for it.

    Subresources become "<resource>/<subresource>" entries, as the server lists them. A resource without a
    responseKind kind (the server invents one for a subresource whose parent it does not serve) is left out,
    as the legacy list never names it.
    """
    entries: list[dict[str, Any]] = []
    for r in resources:
        namespaced = r.get("scope") == "Namespaced"
        response = r.get("responseKind") or {}
        if response.get("kind"):
            entry: dict[str, Any] = {
                "name": r["resource"], "singularName": r.get("singularResource") or "", "namespaced": namespaced,
                "kind": response["kind"], "verbs": list(r.get("verbs") or []),
                **_group_version_of(response),
            }
            for key in ("shortNames", "categories"):
                if r.get(key):
                    entry[key] = list(r[key])
            entries.append(entry)
        for sub in r.get("subresources") or []:
            sub_response = sub.get("responseKind")
            if not sub_response:
                continue
            entries.append({
                "name": f"{r['resource']}/{sub['subresource']}", "singularName": "", "namespaced": namespaced,
                "kind": sub_response.get("kind") or "", "verbs": list(sub.get("verbs") or []),
                **_group_version_of(sub_response),
            })
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": entries}


def _group_version_of(response_kind: Mapping[str, Any]) -> dict[str, str]:
    """The group and version of a kind served elsewhere (a Deployment's scale is an autoscaling/v1 Scale)."""
    return {key: str(response_kind[key]) for key in ("group", "version") if response_kind.get(key)}


class _StrictDiscoveryClient:
    """Hands the discoverer a client whose 503 it cannot mistake for "no resources here".

    It also answers GETs of documents already in hand (`answers`, by path): the resource lists taken from an
    aggregated document, so the official discoverer builds its resources from them exactly as from the wire.
    """

    def __init__(self, dynamic: DynamicClient) -> None:
        self._dynamic = dynamic
        self.answers: dict[str, dict[str, Any]] = {}

    def request(self, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        known = self.answers.get("/" + path.lstrip("/")) if method.upper() == "GET" and not args else None
        if known is not None and not set(kwargs) - {"serializer"}:
            if "serializer" not in kwargs and known.get("kind") == "APIResourceList":
                # The discoverer reads `.resources` as mappings (and pops keys from them): plain dict copies serve
                # it as a ResourceInstance would, without wrapping every field of every entry.
                return SimpleNamespace(resources=[dict(entry) for entry in known.get("resources") or []])
            return kwargs.get("serializer", ResourceInstance)(self._dynamic, known)
        try:
            return self._dynamic.request(method, path, *args, **kwargs)
        except ServiceUnavailableError as exc:
            plain = ApiException(status=exc.status, reason=exc.reason, body=exc.body)
            plain.headers = exc.headers
            raise plain from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dynamic, name)


class MemoryDiscoverer(LazyDiscoverer):
    """The official lazy discoverer, kept in memory only, strict about unavailable group versions, and fed
    from aggregated discovery where the server serves it."""

    client: _StrictDiscoveryClient
    _starting = True  # while the official constructor runs: it would read /version and /apis at once

    def __init__(self, client: DynamicClient, cache_file: str | None = None) -> None:
        super().__init__(_StrictDiscoveryClient(client), _NO_CACHE_FILE)
        self._starting = False

    def _write_cache(self) -> None:
        pass

    # Nothing is read until discovery is used: every request builds the DynamicClient, most never discover.
    def _load_server_info(self) -> None:
        pass

    @property
    def version(self) -> Any:
        super()._load_server_info()
        return super().version

    def discover(self) -> None:
        if self._starting:
            self._LazyDiscoverer__resources = self._cache.setdefault("resources", {})
        else:
            super().discover()

    def search(self, **kwargs: Any) -> Any:
        self.parse_api_groups()
        return super().search(**kwargs)

    def __iter__(self) -> Any:
        self.parse_api_groups()
        return super().__iter__()

    def parse_api_groups(self, request_resources: bool = False, update: bool = False) -> Any:
        """Every served group version, from /apis and /api's aggregated documents; the legacy parse otherwise.

        A group version the aggregated document marks `Stale` (its aggregated API server did not answer) gets no
        local answer: its resources are read from the wire like any legacy group version, so its 503 surfaces as
        a retryable error instead of an empty list.
        """
        if self._cache.get("resources") and not update:
            return self._cache["resources"]
        apis_type, apis = self._discovery_document("/apis")
        if aggregated_version(apis_type) is None:
            # An older server (or the gate off): the plain APIGroupList already read is the legacy walk's first step.
            # The official parse keeps each known group version's old resource list on a refresh, which would hide
            # a CRD added to an existing group version: forget them, they are read again when asked for.
            self._cache.get("resources", {}).pop("apis", None)
            self.client.answers = {"/apis": apis}
            try:
                return super().parse_api_groups(request_resources=request_resources, update=update)
            finally:
                self.client.answers = {}
        answers: dict[str, dict[str, Any]] = {}
        groups = self.default_groups(request_resources=False)
        groups["apis"].update(_aggregated_groups("apis", apis, answers))
        core_type, core = self._discovery_document("/api")
        if aggregated_version(core_type) is not None:
            groups["api"] = _aggregated_groups("api", core, answers) or groups["api"]
        self.client.answers = answers
        self._cache.setdefault("resources", {}).update(groups)
        if request_resources:
            for prefix, by_group in groups.items():
                for group, versions in by_group.items():
                    for version, rg in versions.items():
                        if not rg.resources:
                            rg.resources = self.get_resources_for_api_version(prefix, group, version, rg.preferred)
        return self._cache["resources"]

    def _discovery_document(self, path: str) -> tuple[str, dict[str, Any]]:
        """(Content-Type, document) of /api or /apis; an aggregated document this process has already parsed
        (same ETag) is not sent or parsed again. The document is shared: never change it."""
        headers = {"Accept": AGGREGATED_ACCEPT}
        offered = DISCOVERY_DOCUMENTS.offer(path)
        if offered is not None:
            headers["If-None-Match"] = offered
        try:
            response = self.client.request("GET", path, serialize=False, header_params=headers)
        except ApiException as exc:
            known = DISCOVERY_DOCUMENTS.get(offered) if exc.status == 304 and offered is not None else None
            if known is None:
                raise
            return known
        content_type = str(response.headers.get("Content-Type") or "")
        body = _body(response)
        etag = response.headers.get("ETag")
        if etag and aggregated_version(content_type) is not None:
            DISCOVERY_DOCUMENTS.put(path, str(etag), content_type, body)
        return content_type, body


class DiscoveryDocuments:
    """Aggregated discovery documents by ETag, for every connection of the process.

    kube-apiserver's ETag for the document is a hash of its content, so clusters that serve the same APIs
    serve the same document under the same ETag: a fleet of one release parses it once (and each server
    answers 304 without a body). Each path offers the ETag it saw last; a server whose document differs
    simply answers in full, as to a client with no cache.
    """

    def __init__(self, size: int = 32) -> None:
        self._lock = threading.Lock()
        self._size = size
        self._documents: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
        self._recent: dict[str, str] = {}

    def offer(self, path: str) -> str | None:
        with self._lock:
            etag = self._recent.get(path)
            return etag if etag in self._documents else None

    def get(self, etag: str) -> tuple[str, dict[str, Any]] | None:
        with self._lock:
            found = self._documents.get(etag)
            if found is not None:
                self._documents.move_to_end(etag)
            return found

    def put(self, path: str, etag: str, content_type: str, document: dict[str, Any]) -> None:
        with self._lock:
            self._documents[etag] = (content_type, document)
            self._documents.move_to_end(etag)
            while len(self._documents) > self._size:
                self._documents.popitem(last=False)
            self._recent[path] = etag


DISCOVERY_DOCUMENTS = DiscoveryDocuments()


def _body(response: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(response.data or b"{}")
    except ValueError:
        raise ApiException(status=response.status, reason="the discovery document is not JSON") from None
    return parsed if isinstance(parsed, dict) else {}


def _aggregated_groups(
    prefix: str, document: Mapping[str, Any], answers: dict[str, dict[str, Any]]
) -> dict[str, dict[str, ResourceGroup]]:
    """group -> version -> ResourceGroup (the first version listed is preferred); each fresh version's resource
    list goes to `answers` under the path the legacy walk would GET."""
    out: dict[str, dict[str, ResourceGroup]] = {}
    for item in document.get("items") or []:
        group = str((item.get("metadata") or {}).get("name") or "")
        versions: dict[str, ResourceGroup] = {}
        for index, entry in enumerate(item.get("versions") or []):
            version = str(entry.get("version") or "")
            if not version:
                continue
            versions[version] = ResourceGroup(index == 0)
            if entry.get("freshness", "Current") != "Stale":
                group_version = f"{group}/{version}" if group else version
                answers["/" + "/".join(filter(None, [prefix, group, version]))] = resource_list(
                    group_version, entry.get("resources") or []
                )
        if versions:
            out[group] = versions
    return out


def _split(api_version: str) -> tuple[str, str, str]:
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        return "apis", group, version
    return "api", "", api_version


class Connection:
    """One cluster's ApiClient and, from first use, its DynamicClient; owns the folder for key files."""

    def __init__(self, access: ClusterAccess, token_provider: TokenProvider | None) -> None:
        self._folder: str | None = None
        self._finalizer: weakref.finalize | None = None
        self.api = ApiClient(configuration=configuration(access, token_provider, self._private_folder))
        self.api.user_agent = "bluegreen"
        self._dynamic: DynamicClient | None = None
        self._lock = threading.RLock()

    def _private_folder(self) -> str:
        if self._folder is None:
            self._folder = tempfile.mkdtemp(prefix="bluegreen-kube-")
            self._finalizer = weakref.finalize(self, shutil.rmtree, self._folder, True)
        return self._folder

    @property
    def dynamic(self) -> DynamicClient:
        with self._lock:
            if self._dynamic is None:
                self._dynamic = DynamicClient(self.api, discoverer=MemoryDiscoverer)
            return self._dynamic

    def close(self) -> None:
        with self._lock:
            dynamic, self._dynamic = self._dynamic, None
        if dynamic is not None:
            # The discoverer's resources point back at the client that holds it: a cycle of a few hundred objects
            # per cluster that only the garbage collector would find. Emptied, reference counting frees them.
            discoverer = dynamic.resources
            for by_group in (discoverer._cache.get("resources") or {}).values():
                for versions in by_group.values():
                    for group in versions.values():
                        for entries in (getattr(group, "resources", None) or {}).values():
                            for resource in entries:  # a Resource and its Subresources point at each other
                                if isinstance(getattr(resource, "subresources", None), dict):
                                    resource.subresources.clear()
            for cached in list(discoverer._cache.values()):
                if isinstance(cached, dict):
                    cached.clear()
            discoverer._cache.clear()
            discoverer.client.answers = {}
        self.api.close()
        if self._finalizer is not None:
            self._finalizer()

    # --- resolution ------------------------------------------------------------------------------

    def _groups(self, refresh: bool) -> dict[str, Any]:
        groups: dict[str, Any] = self.dynamic.resources.parse_api_groups(request_resources=False, update=refresh)
        return groups

    def serves(self, api_version: str, *, refresh: bool) -> bool:
        prefix, group, version = _split(api_version)
        with self._lock:
            return version in (self._groups(refresh).get(prefix, {}).get(group) or {})

    def find(self, api_version: str, kind: str) -> Resource | None:
        """The served resource of a kind; one fresh look at the server on a miss (a CRD may have just appeared)."""
        prefix, group, version = _split(api_version)
        with self._lock:
            if prefix == "apis" and not self.serves(api_version, refresh=False) and not self.serves(
                api_version, refresh=True
            ):
                return None
            found = [
                r
                for r in self.dynamic.resources.search(prefix=prefix, group=group or None, api_version=version, kind=kind)
                if not isinstance(r, ResourceList) and r.group_version == api_version
            ]
        return found[0] if found else None

    def all_resources(self) -> list[tuple[Resource, bool]]:
        """Every resource of every served group version, each with whether its version is the group's preferred one.

        A kind an old server serves only in a non-preferred version (batch/v1beta1 CronJob beside batch/v1 Job)
        is found here too.
        """
        out: list[tuple[Resource, bool]] = []
        with self._lock:
            groups = self._groups(refresh=True)
            for prefix, by_group in groups.items():
                for group, versions in by_group.items():
                    if prefix == "apis" and not group:
                        continue  # the client's own pseudo-group for List
                    for version, rg in versions.items():
                        if not isinstance(rg, ResourceGroup):
                            continue
                        if not rg.resources:
                            rg.resources = self.dynamic.resources.get_resources_for_api_version(
                                prefix, group, version, rg.preferred
                            )
                        for entries in rg.resources.values():
                            out.extend((r, bool(rg.preferred)) for r in entries if not isinstance(r, ResourceList))
        return out


def read_json(response: Any, server: str, what: str) -> dict[str, Any]:
    """The body of a 2xx answer as a dict ({} when empty)."""
    data = response.data
    if not data:
        return {}
    try:
        parsed = json.loads(data)
    except ValueError as exc:
        raise PermanentRemoteError(
            f"{server} answered {response.status} with a body that is not JSON", resource=what, status=response.status
        ) from exc
    return parsed if isinstance(parsed, dict) else {"items": parsed}


# --- errors ------------------------------------------------------------------------------------------


def translate(exc: BaseException, *, server: str, method: str, what: str) -> RemoteError | None:
    """The bluegreen error for a failure of the official client or urllib3; None when it is neither."""
    if isinstance(exc, ApiException):
        if not exc.status:
            # The official client reports TLS failures as status 0 with the urllib3 error's name first.
            reason = str(exc.reason or "")
            if reason.startswith("SSLError"):
                return PermanentRemoteError(f"TLS with {server} failed: SSLError", resource=what, code="TLSError")
            return PermanentRemoteError(
                f"{method} to {server} failed: {reason.splitlines()[0] if reason else 'no answer'}", resource=what
            )
        body = exc.body if isinstance(exc.body, (bytes, str)) else b""
        data = body.encode() if isinstance(body, str) else body
        return http_error(server, method, what, int(exc.status), data, exc.headers or {})
    if isinstance(exc, urllib3.exceptions.SSLError):
        return PermanentRemoteError(f"TLS with {server} failed: {type(exc).__name__}", resource=what, code="TLSError")
    if isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError)):
        return TransientRemoteError(
            f"{method} to {server} failed: {_connection_reason(exc)}", resource=what, code="ConnectionError"
        )
    return None


def _connection_reason(exc: BaseException) -> str:
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


def http_error(
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
