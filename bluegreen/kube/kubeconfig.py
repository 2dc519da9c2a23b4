"""Read the one context a kubeconfig selects, without touching ~/.kube or global state.

AKS hands out kubeconfigs as bytes (listClusterUserCredential); the library
keeps them in memory. Nothing here runs an exec plugin: Entra ID clusters get
their bearer token from an injected token provider instead of `kubelogin`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bluegreen.errors import PlaybookError


@dataclass(frozen=True)
class ClusterAccess:
    """Where the API server is and how to authenticate; secrets are excluded from repr."""

    server: str
    namespace: str = "default"
    ca_pem: str | None = field(default=None, repr=False)
    insecure: bool = False
    tls_server_name: str | None = None
    token: str | None = field(default=None, repr=False)
    client_cert_pem: bytes | None = field(default=None, repr=False)
    client_key_pem: bytes | None = field(default=None, repr=False)
    uses_exec: bool = False
    exec_command: str | None = None


def _named(entries: Any, name: str, section: str) -> Mapping[str, Any]:
    for entry in entries or []:
        if isinstance(entry, Mapping) and entry.get("name") == name:
            body = entry.get(section[:-1])
            return body if isinstance(body, Mapping) else {}
    raise PlaybookError(f"kubeconfig has no {section[:-1]} named {name!r}", field="kubeconfig")


def _data_or_file(entry: Mapping[str, Any], key: str) -> bytes | None:
    data = entry.get(f"{key}-data")
    if data:
        try:
            return base64.b64decode(str(data), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise PlaybookError(f"{key}-data is not valid base64", field="kubeconfig") from exc
    path = entry.get(key)
    if path:
        try:
            return Path(str(path)).expanduser().read_bytes()
        except OSError as exc:
            raise PlaybookError(f"cannot read {key} file: {exc.strerror}", field="kubeconfig") from exc
    return None


def parse_kubeconfig(data: bytes, context: str | None = None) -> ClusterAccess:
    """The server, CA and credentials of `context` (default: current-context)."""
    try:
        config = yaml.safe_load(data)
    except yaml.YAMLError:
        # Not chained: the parser's message can quote the document, which holds credentials.
        raise PlaybookError("kubeconfig is not valid YAML", field="kubeconfig") from None
    if not isinstance(config, Mapping):
        raise PlaybookError("kubeconfig is not a mapping", field="kubeconfig")
    context_name = context or config.get("current-context")
    contexts = config.get("contexts") or []
    if not context_name and len(contexts) == 1:
        context_name = contexts[0].get("name")
    if not context_name:
        raise PlaybookError("kubeconfig has no current-context", field="kubeconfig")
    ctx = _named(contexts, str(context_name), "contexts")
    cluster = _named(config.get("clusters"), str(ctx.get("cluster")), "clusters")
    user = _named(config.get("users"), str(ctx.get("user")), "users") if ctx.get("user") else {}
    server = str(cluster.get("server") or "").rstrip("/")
    if not server.startswith(("https://", "http://")):
        raise PlaybookError(f"cluster {ctx.get('cluster')!r} has no http(s) server", field="kubeconfig")
    ca = _data_or_file(cluster, "certificate-authority")
    token = user.get("token")
    if not token and user.get("tokenFile"):
        try:
            token = Path(str(user["tokenFile"])).expanduser().read_text().strip()
        except OSError as exc:
            raise PlaybookError(f"cannot read tokenFile: {exc.strerror}", field="kubeconfig") from exc
    exec_section = user.get("exec") if isinstance(user.get("exec"), Mapping) else None
    return ClusterAccess(
        server=server,
        namespace=str(ctx.get("namespace") or "default"),
        ca_pem=ca.decode() if ca else None,
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=cluster.get("tls-server-name"),
        token=str(token) if token else None,
        client_cert_pem=_data_or_file(user, "client-certificate"),
        client_key_pem=_data_or_file(user, "client-key"),
        uses_exec=exec_section is not None,
        exec_command=str(exec_section.get("command")) if exec_section else None,
    )
