"""JSON merge patch, strategic merge patch, JSON patch and server-side apply.

Merge keys are looked up by list field name: the handful of lists our
manifests use (containers by name, ports by containerPort/port, env by name,
...). Lists without a known key are atomic, as in the real schema.
"""

from __future__ import annotations

import copy
import json
from typing import Any

_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "ownerReferences": "uid",
    "conditions": "type",
}


class PatchError(ValueError):
    """The patch cannot be applied (bad document or failing test op)."""


def merge_key(field_name: str, items: list) -> str | None:
    if field_name == "ports":
        dicts = [i for i in items if isinstance(i, dict)]
        if dicts and all("containerPort" in i for i in dicts):
            return "containerPort"
        return "port"
    return _MERGE_KEYS.get(field_name)


def json_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = json_merge_patch(result.get(k), v)
    return result


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Kubernetes strategic merge patch for dicts and keyed lists (`$patch: delete|replace` honoured)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k.startswith("$deleteFromPrimitiveList/") or k == "$retainKeys":
            if k.startswith("$deleteFromPrimitiveList/"):
                name = k.split("/", 1)[1]
                result[name] = [x for x in result.get(name, []) if x not in v]
            continue
        if v is None:
            result.pop(k, None)
        elif isinstance(v, dict):
            result[k] = strategic_merge_patch(result.get(k), v)
        elif isinstance(v, list) and isinstance(result.get(k), list) and (key := merge_key(k, v + result[k])):
            result[k] = _merge_keyed_list(result[k], v, key)
        else:
            result[k] = copy.deepcopy(v)
    return result


def _merge_keyed_list(live: list, patch: list, key: str) -> list:
    out = copy.deepcopy(live)
    for item in patch:
        if not isinstance(item, dict):
            continue
        idx = next((i for i, x in enumerate(out) if isinstance(x, dict) and x.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
        elif idx is None:
            out.append({k: v for k, v in item.items() if k != "$patch"})
        else:
            out[idx] = strategic_merge_patch(out[idx], item)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(target: Any, ops: list) -> Any:
    """RFC 6902: add, remove, replace, move, copy, test."""
    doc = copy.deepcopy(target)

    def parent(path: str) -> tuple[Any, str]:
        parts = _pointer(path)
        if not parts:
            raise PatchError("cannot address the document root")
        node = doc
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        return node, parts[-1]

    def get(path: str) -> Any:
        node = doc
        for p in _pointer(path):
            node = node[int(p)] if isinstance(node, list) else node[p]
        return node

    try:
        for op in ops:
            kind, path = op.get("op"), op.get("path", "")
            if kind in ("add", "replace"):
                node, last = parent(path)
                value = copy.deepcopy(op.get("value"))
                if isinstance(node, list):
                    if last == "-":
                        node.append(value)
                    elif kind == "add":
                        node.insert(int(last), value)
                    else:
                        node[int(last)] = value
                else:
                    if kind == "replace" and last not in node:
                        raise PatchError(f"replace: missing path {path}")
                    node[last] = value
            elif kind == "remove":
                node, last = parent(path)
                if isinstance(node, list):
                    node.pop(int(last))
                else:
                    del node[last]
            elif kind in ("move", "copy"):
                value = copy.deepcopy(get(op["from"]))
                if kind == "move":
                    src, last = parent(op["from"])
                    if isinstance(src, list):
                        src.pop(int(last))
                    else:
                        del src[last]
                doc = json_patch(doc, [{"op": "add", "path": path, "value": value}])
            elif kind == "test":
                if get(path) != op.get("value"):
                    raise PatchError(f"test failed at {path}")
            else:
                raise PatchError(f"unknown op {kind!r}")
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise PatchError(f"JSON patch failed: {exc}") from exc
    return doc


# --- server-side apply -------------------------------------------------------------------------

FieldPath = tuple[str, ...]

# Fields the server owns; appliers never manage or remove them.
_IGNORED_TOP = {"apiVersion", "kind", "status"}
_IGNORED_META = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                 "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"}


def _elem_key(key: str, item: dict) -> str:
    return "k:" + json.dumps({key: item.get(key)}, separators=(",", ":"))


def field_set(obj: dict) -> set[FieldPath]:
    """The leaf paths an applied configuration sets, in fieldsV1 spelling."""
    out: set[FieldPath] = set()

    def walk(node: Any, prefix: FieldPath, name: str | None) -> None:
        if isinstance(node, dict) and node:
            for k, v in node.items():
                if not prefix and k in _IGNORED_TOP:
                    continue
                if prefix == ("f:metadata",) and k in _IGNORED_META:
                    continue
                walk(v, prefix + (f"f:{k}",), k)
        elif isinstance(node, list) and node and name and (key := merge_key(name, node)) and all(
            isinstance(i, dict) and key in i for i in node
        ):
            for item in node:
                ek = prefix + (_elem_key(key, item),)
                out.add(ek)
                walk({k: v for k, v in item.items()}, ek, None)
        elif prefix:
            out.add(prefix)

    walk(obj, (), None)
    return out


def fields_v1(paths: set[FieldPath]) -> dict:
    """Paths as a managedFields `fieldsV1` tree (keyed list items carry a "." marker)."""
    tree: dict = {}
    for path in sorted(paths):
        node = tree
        for p in path:
            node = node.setdefault(p, {})
        if path[-1].startswith("k:"):
            node.setdefault(".", {})
    return tree


def paths_from_fields_v1(tree: dict, prefix: FieldPath = ()) -> set[FieldPath]:
    out: set[FieldPath] = set()
    for k, v in tree.items():
        if k == ".":
            continue
        path = prefix + (k,)
        if k.startswith("k:"):
            out.add(path)
        if v:
            sub = paths_from_fields_v1(v, path)
            out |= sub
            if not sub:
                out.add(path)
        else:
            out.add(path)
    return out


def _remove_path(obj: Any, path: FieldPath) -> None:
    node = obj
    for i, p in enumerate(path):
        last = i == len(path) - 1
        if p.startswith("f:"):
            if not isinstance(node, dict) or p[2:] not in node:
                return
            if last:
                del node[p[2:]]
                return
            node = node[p[2:]]
        elif p.startswith("k:"):
            (key, value), = json.loads(p[2:]).items()
            if not isinstance(node, list):
                return
            idx = next((j for j, x in enumerate(node) if isinstance(x, dict) and x.get(key) == value), None)
            if idx is None:
                return
            if last:
                node.pop(idx)
                return
            node = node[idx]


def apply_merge(live: Any, applied: Any, name: str | None = None) -> Any:
    """Merge an applied configuration into the live object (keyed lists by key, others atomic)."""
    if isinstance(applied, dict):
        result = copy.deepcopy(live) if isinstance(live, dict) else {}
        for k, v in applied.items():
            result[k] = apply_merge(result.get(k), v, k)
        return result
    if isinstance(applied, list) and isinstance(live, list) and name and (key := merge_key(name, applied)):
        out = []
        for item in applied:
            match = next((x for x in live if isinstance(x, dict) and isinstance(item, dict)
                          and x.get(key) == item.get(key)), None)
            out.append(apply_merge(match, item) if match is not None else copy.deepcopy(item))
        applied_keys = {i.get(key) for i in applied if isinstance(i, dict)}
        # Items other managers added stay, after the applied ones.
        out += [copy.deepcopy(x) for x in live if isinstance(x, dict) and x.get(key) not in applied_keys]
        return out
    return copy.deepcopy(applied)


def _get_path(obj: Any, path: FieldPath) -> Any:
    node = obj
    for p in path:
        if p.startswith("f:") and isinstance(node, dict):
            node = node.get(p[2:])
        elif p.startswith("k:") and isinstance(node, list):
            (key, value), = json.loads(p[2:]).items()
            node = next((x for x in node if isinstance(x, dict) and x.get(key) == value), None)
        else:
            return None
    return node
