"""Pick the one context a kubeconfig selects, without touching ~/.kube or global state.

AKS hands out kubeconfigs as bytes (listClusterUserCredential); a playbook may
also name a kubeconfig file (`blue.kubeconfig`). This module only checks the
selection and says where the server is; the official `kubernetes` loader turns
it into a client configuration (bluegreen.kube.transport). Nothing here imports
`kubernetes`, so loading a playbook stays cheap, and nothing here runs an exec
plugin.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bluegreen.errors import PlaybookError
from bluegreen.safe_yaml import open_loader

# Inline credentials bluegreen writes to private per-client files itself (see transport).
INLINE_DATA = ("client-certificate-data", "client-key-data")


@dataclass(frozen=True)
class ClusterAccess:
    """The selected context: where the API server is; the document (with its secrets) stays out of repr."""

    server: str
    context: str
    namespace: str = "default"
    insecure: bool = False
    tls_server_name: str | None = None
    exec_command: str | None = None
    base_dir: str | None = None
    document: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def uses_exec(self) -> bool:
        return self.exec_command is not None

    def section(self, kind: str) -> dict[str, Any]:
        """A deep copy of the selected "cluster" or "user" entry (empty when the context names no user)."""
        ctx = _named(self.document.get("contexts"), self.context, "contexts")
        name = ctx.get(kind)
        if not name:
            return {}
        return copy.deepcopy(dict(_named(self.document.get(f"{kind}s"), str(name), f"{kind}s")))


def _named(entries: Any, name: str, section: str) -> Mapping[str, Any]:
    for entry in entries or []:
        if isinstance(entry, Mapping) and entry.get("name") == name:
            body = entry.get(section[:-1])
            return body if isinstance(body, Mapping) else {}
    raise PlaybookError(f"kubeconfig has no {section[:-1]} named {name!r}", field="kubeconfig")


def _check_base64(entry: Mapping[str, Any], key: str) -> None:
    data = entry.get(key)
    if data:
        try:
            base64.b64decode(str(data), validate=True)
        except (binascii.Error, ValueError):
            # Not chained, and the value is not quoted: it is a credential.
            raise PlaybookError(f"{key} is not valid base64", field="kubeconfig") from None


def parse_kubeconfig(data: bytes, context: str | None = None, base_dir: str | Path | None = None) -> ClusterAccess:
    """The server and TLS flags of `context` (default: current-context); `base_dir` resolves relative paths."""
    loader = None
    try:
        loader = open_loader(data)  # bounded and strict like every YAML input (an alias bomb, a repeated key)
        config = loader.get_single_data()
    except (yaml.YAMLError, RecursionError):
        # Not chained: the parser's message can quote the document, which holds credentials.
        raise PlaybookError("kubeconfig is not valid YAML", field="kubeconfig") from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(config, Mapping):
        raise PlaybookError("kubeconfig is not a mapping", field="kubeconfig")
    context_name = context or config.get("current-context")
    contexts = config.get("contexts") or []
    if not context_name and len(contexts) == 1 and isinstance(contexts[0], Mapping):
        context_name = contexts[0].get("name")
    if not context_name:
        raise PlaybookError("kubeconfig has no current-context", field="kubeconfig")
    ctx = _named(contexts, str(context_name), "contexts")
    cluster = _named(config.get("clusters"), str(ctx.get("cluster")), "clusters")
    user = _named(config.get("users"), str(ctx.get("user")), "users") if ctx.get("user") else {}
    server = str(cluster.get("server") or "").rstrip("/")
    if not server.startswith(("https://", "http://")):
        raise PlaybookError(f"cluster {ctx.get('cluster')!r} has no http(s) server", field="kubeconfig")
    for key in ("certificate-authority-data",):
        _check_base64(cluster, key)
    for key in INLINE_DATA:
        _check_base64(user, key)
    exec_section = user.get("exec") if isinstance(user.get("exec"), Mapping) else None
    return ClusterAccess(
        server=server,
        context=str(context_name),
        namespace=str(ctx.get("namespace") or "default"),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=cluster.get("tls-server-name"),
        exec_command=str(exec_section.get("command")) if exec_section else None,
        base_dir=str(base_dir) if base_dir is not None else None,
        document=config,
    )
