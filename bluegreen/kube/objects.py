"""Small accessors over wire-form Kubernetes objects (plain dicts).

Pure data helpers shared by the kube layer; no I/O. Objects stay dicts so
that what we read from one cluster can be written to another unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def api_group(api_version: str) -> str:
    """"apps/v1" -> "apps"; "v1" -> "" (the core group)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def name_of(obj: Mapping[str, Any]) -> str:
    return str(metadata(obj).get("name") or "")


def namespace_of(obj: Mapping[str, Any]) -> str | None:
    namespace = metadata(obj).get("namespace")
    return str(namespace) if namespace else None


def describe(kind: str, namespace: str | None, name: str | None) -> str:
    """How errors and findings name an object: "Deployment shop/web" or "Namespace shop"."""
    if namespace and name:
        return f"{kind} {namespace}/{name}"
    if name:
        return f"{kind} {name}"
    if namespace:
        return f"{kind} in {namespace}"
    return kind


def describe_obj(obj: Mapping[str, Any]) -> str:
    return describe(str(obj.get("kind") or "?"), namespace_of(obj), name_of(obj) or None)
