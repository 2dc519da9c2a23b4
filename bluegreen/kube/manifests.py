"""Load manifests from files and folders, and order objects for apply and delete.

Pure: reads files, never talks to a cluster. Every object remembers the file
and the document it came from, so a later finding ("extensions/v1beta1
Deployment removed in 1.16") can point the operator at the exact place to fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from bluegreen import safe_yaml
from bluegreen.errors import PlaybookError
from bluegreen.kube.objects import api_group, describe_obj

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Manifest:
    """One object from a manifest file; `index` is the 0-based document position in `source`."""

    source: Path
    index: int
    obj: dict[str, Any] = field(repr=False)
    line: int | None = None
    item: int | None = None  # position inside a `kind: List` document

    @property
    def api_version(self) -> str:
        return str(self.obj["apiVersion"])

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def namespace(self) -> str | None:
        namespace = self.obj["metadata"].get("namespace")
        return str(namespace) if namespace else None

    @property
    def location(self) -> str:
        """"path/app.yaml document 3 (line 41)" -- 1-based for people."""
        text = f"{self.source} document {self.index + 1}"
        if self.item is not None:
            text += f" item {self.item + 1}"
        if self.line is not None:
            text += f" (line {self.line})"
        return text

    def __repr__(self) -> str:  # never shows the object: it may be a Secret
        return f"Manifest({describe_obj(self.obj)} from {self.location})"


def load_manifests(paths: Sequence[Path]) -> list[Manifest]:
    """Every object in `paths` (files, or folders searched recursively), in file then document order."""
    manifests: list[Manifest] = []
    for path in paths:
        for file in _manifest_files(Path(path)):
            manifests.extend(_load_file(file))
    return manifests


def _manifest_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MANIFEST_SUFFIXES)
    if path.is_file():
        return [path]
    raise PlaybookError("no such manifest file or folder", field=str(path))


def _load_file(file: Path) -> list[Manifest]:
    text = safe_yaml.read_text(file, what="manifest")  # size, binary and encoding refused, naming the file
    if file.suffix.lower() == ".json":
        return _load_json(file, text)
    return _load_yaml(file, text)


def _load_json(file: Path, text: str) -> list[Manifest]:
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlaybookError(f"document 1 (line {exc.lineno}): invalid JSON: {exc.msg}", field=str(file)) from exc
    except RecursionError:
        raise PlaybookError("document 1: invalid JSON: nested too deeply", field=str(file)) from None
    return _objects_of(file, 0, data, line=1)


def _load_yaml(file: Path, text: str) -> list[Manifest]:
    manifests: list[Manifest] = []
    try:
        loader = safe_yaml.open_loader(text)  # duplicate keys, depth and alias expansion bounded
    except yaml.YAMLError as exc:  # the reader refuses control characters before any document
        raise PlaybookError(f"document 1: invalid YAML: {exc}", field=str(file)) from None
    index = 0
    try:
        while True:
            try:
                if not loader.check_node():
                    break
                node = loader.get_node()
                data = loader.construct_document(node) if node is not None else None
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
                where = f" (line {mark.line + 1})" if mark is not None else ""
                problem = getattr(exc, "problem", None) or str(exc)
                raise PlaybookError(
                    f"document {index + 1}{where}: invalid YAML: {problem}", field=str(file)
                ) from exc
            line = node.start_mark.line + 1 if node is not None else None
            manifests.extend(_objects_of(file, index, data, line=line))
            index += 1
    finally:
        loader.dispose()
    return manifests


def _objects_of(file: Path, index: int, data: Any, *, line: int | None) -> list[Manifest]:
    """Validate one document; flatten `kind: List`; skip empty documents."""
    if data is None:
        return []
    where = f"document {index + 1}" + (f" (line {line})" if line is not None else "")
    if not isinstance(data, Mapping):
        raise PlaybookError(f"{where}: expected a Kubernetes object, got {type(data).__name__}", field=str(file))
    kind = data.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
        result = []
        for position, item in enumerate(data["items"]):
            if item is None:
                continue
            _validate(item, file, f"{where} item {position + 1}")
            result.append(Manifest(file, index, dict(item), line=line, item=position))
        return result
    _validate(data, file, where)
    return [Manifest(file, index, dict(data), line=line)]


def _validate(data: Any, file: Path, where: str) -> None:
    if not isinstance(data, Mapping):
        raise PlaybookError(f"{where}: expected a Kubernetes object, got {type(data).__name__}", field=str(file))
    for key in ("apiVersion", "kind"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise PlaybookError(f"{where}: missing or empty {key}", field=str(file))
    meta = data.get("metadata")
    if not isinstance(meta, Mapping) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise PlaybookError(f"{where}: {data['kind']} has no metadata.name", field=str(file))
    namespace = meta.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise PlaybookError(f"{where}: metadata.namespace must be a string", field=str(file))


# --- ordering -------------------------------------------------------------------------------------

# Apply: what others refer to goes first (namespaces, CRDs, storage, identities, config), then
# what runs, then what points at running things. Custom resources last: their CRDs must be served.
_APPLY_ORDER: tuple[tuple[str, ...], ...] = (
    ("Namespace",),
    ("ResourceQuota", "LimitRange"),
    ("CustomResourceDefinition",),
    ("PriorityClass", "RuntimeClass"),
    ("StorageClass", "PersistentVolume"),
    ("ServiceAccount",),
    ("ClusterRole", "Role"),
    ("ClusterRoleBinding", "RoleBinding"),
    ("Secret",),
    ("ConfigMap",),
    ("PersistentVolumeClaim",),
    ("Service",),
    ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod"),
    ("Job",),
    ("CronJob",),
    ("IngressClass", "Ingress"),
    ("HorizontalPodAutoscaler",),
    ("PodDisruptionBudget",),
    ("NetworkPolicy",),
)
_APPLY_RANK = {kind: rank for rank, kinds in enumerate(_APPLY_ORDER) for kind in kinds}
_OTHER_BUILTIN_RANK = len(_APPLY_ORDER)
# Webhooks and aggregated APIs intercept later requests: register them after everything they serve.
_LATE_BUILTINS = ("APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
_LATE_RANK = _OTHER_BUILTIN_RANK + 1
_CUSTOM_RANK = _LATE_RANK + 1

# Delete: what can run goes first (a CronJob would start new Jobs, a Deployment new ReplicaSets),
# so nothing on a retiring cluster can act again -- the zombie timer lesson (field notes §2).
_DELETE_FIRST: tuple[str, ...] = (
    "CronJob",
    "Job",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
)

_BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "extensions",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "node.k8s.io",
        "apiextensions.k8s.io",
        "admissionregistration.k8s.io",
        "apiregistration.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "certificates.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "resource.k8s.io",
        "internal.apiserver.k8s.io",
        "storagemigration.k8s.io",
    }
)

T = TypeVar("T")


def _object_of(item: Any) -> Mapping[str, Any]:
    return item.obj if isinstance(item, Manifest) else item


def is_builtin(obj: Mapping[str, Any]) -> bool:
    """True for kinds served by Kubernetes itself, False for custom resources."""
    return api_group(str(obj.get("apiVersion") or "")) in _BUILTIN_GROUPS


def _apply_rank(obj: Mapping[str, Any]) -> int:
    kind = str(obj.get("kind") or "")
    if not is_builtin(obj):
        return _CUSTOM_RANK
    if kind in _LATE_BUILTINS:
        return _LATE_RANK
    return _APPLY_RANK.get(kind, _OTHER_BUILTIN_RANK)


def _delete_rank(obj: Mapping[str, Any]) -> int:
    kind = str(obj.get("kind") or "")
    if is_builtin(obj) and kind in _DELETE_FIRST:
        return _DELETE_FIRST.index(kind)
    # Then the rest in reverse apply order: custom resources before their CRDs, namespaces last.
    return len(_DELETE_FIRST) + (_CUSTOM_RANK - _apply_rank(obj))


def _stable_sort(objects: Iterable[T], rank: Callable[[Mapping[str, Any]], int]) -> list[T]:
    return sorted(objects, key=lambda item: rank(_object_of(item)))


def order_for_apply(objects: Iterable[T]) -> list[T]:
    """Objects (dicts or Manifests) in a safe creation order; ties keep their input order."""
    return _stable_sort(objects, _apply_rank)


def order_for_delete(objects: Iterable[T]) -> list[T]:
    """Objects (dicts or Manifests) in a safe deletion order: everything that can run goes first."""
    return _stable_sort(objects, _delete_rank)
