"""Read the manifests a simulation seeds onto blue, and the namespaces they need.

Seeding only needs "every object in these files and folders"; errors name the
playbook field and the file so `bluegreen sim init` can say exactly what is wrong.
"""

from __future__ import annotations

import pickle  # only our own parse results, in this process
import threading
from pathlib import Path
from typing import Any

from bluegreen.errors import PlaybookError

_SUFFIXES = (".yaml", ".yml", ".json")
BUILTIN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

# A fleet seeds the same template manifests for every pair: parse each file once (keyed on its identity and
# mtime, so an edited file is read again) and hand out fresh copies by unpickling, far cheaper than YAML.
_PARSED: dict[tuple[str, int, int], bytes] = {}
_PARSED_LOCK = threading.Lock()


def load_seed_objects(paths: list[str], base_dir: Path, field: str) -> list[dict[str, Any]]:
    """Every object in `paths` (relative to `base_dir`; folders searched recursively), `kind: List` flattened."""
    objects: list[dict[str, Any]] = []
    for index, entry in enumerate(paths):
        path = (base_dir / entry).resolve()
        where = f"{field}[{index}]"
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES)
        elif path.is_file():
            files = [path]
        else:
            raise PlaybookError(f"no such manifest file or folder: {path}", field=where)
        for file in files:
            objects.extend(_load_file(file, where))
    return objects


def _load_file(file: Path, where: str) -> list[dict[str, Any]]:
    """The file's objects, each call a fresh copy (callers may change them)."""
    stat = file.stat()
    key = (str(file), stat.st_mtime_ns, stat.st_size)
    with _PARSED_LOCK:
        cached = _PARSED.get(key)
    if cached is None:
        cached = pickle.dumps(_parse_file(file, where))
        with _PARSED_LOCK:
            _PARSED[key] = cached
    objects: list[dict[str, Any]] = pickle.loads(cached)  # bytes this module pickled
    return objects


def _parse_file(file: Path, where: str) -> list[dict[str, Any]]:
    from bluegreen import safe_yaml

    try:
        documents = safe_yaml.load_all_file(file, what="manifest")
    except PlaybookError as exc:
        raise PlaybookError(str(exc), field=where) from None
    objects: list[dict[str, Any]] = []
    for number, doc in enumerate(documents, start=1):
        if doc is None:
            continue
        items = doc.get("items") if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") else [doc]
        for obj in items or []:
            if not (isinstance(obj, dict) and obj.get("kind") and isinstance(obj.get("metadata"), dict)
                    and obj["metadata"].get("name")):
                raise PlaybookError(
                    f"{file} document {number} is not a Kubernetes object (kind and metadata.name)", field=where
                )
            objects.append(obj)
    return objects


def namespaces_needed(objects: list[dict[str, Any]], extra: list[str]) -> list[dict[str, Any]]:
    """Namespace objects for every namespace used or asked for that is neither built in nor in the manifests."""
    defined = {o["metadata"]["name"] for o in objects if o.get("kind") == "Namespace"}
    wanted: list[str] = []
    for name in [*extra, *(o["metadata"].get("namespace") for o in objects)]:
        if name and name not in defined and name not in BUILTIN_NAMESPACES and name not in wanted:
            wanted.append(name)
    return [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}} for name in wanted]
