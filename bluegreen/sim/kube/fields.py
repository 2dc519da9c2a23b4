"""Field ownership (managedFields) as the API server's structured-merge-diff keeps it.

Every manager that writes owns the fields it set: an Update owns what it added or changed, an
Apply owns exactly what it sent. A write that changes a field someone else owns takes it from
them; for an Apply that is a conflict (409) unless forced. Fields an applier stops sending are
removed unless another manager owns them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .patch import FieldPath, _get_path, _remove_path, field_set, fields_v1, paths_from_fields_v1


@dataclass(frozen=True)
class Manager:
    """A managedFields entry's identity: who, how, and through which subresource."""

    name: str
    operation: str  # Apply | Update
    subresource: str = ""


@dataclass
class Owned:
    api_version: str
    time: str
    paths: set[FieldPath] = field(default_factory=set)


Managers = dict[Manager, Owned]


class Conflicts(Exception):
    """An Apply would change fields other managers own."""

    def __init__(self, found: dict[Manager, set[FieldPath]], versions: dict[Manager, str]) -> None:
        super().__init__("apply conflicts")
        self.found = found
        self.versions = versions

    def causes(self) -> list[dict]:
        out = []
        for manager in sorted(self.found, key=_identity):
            for path in sorted(self.found[manager], key=path_string):
                out.append({"reason": "FieldManagerConflict",
                            "message": f"conflict with {self.describe(manager)}", "field": path_string(path)})
        return out

    def message(self) -> str:
        """Word for word what the API server says (apiserver fieldmanager/internal/conflict.go)."""
        pairs = [(m, p) for m in sorted(self.found, key=_identity)
                 for p in sorted(self.found[m], key=path_string)]
        if len(pairs) == 1:
            manager, path = pairs[0]
            return f"Apply failed with 1 conflict: conflict with {self.describe(manager)}: {path_string(path)}"
        lines = []
        for manager in sorted(self.found, key=_identity):
            lines.append(f"conflicts with {self.describe(manager)}:")
            lines.extend(f"- {path_string(p)}" for p in sorted(self.found[manager], key=path_string))
        return f"Apply failed with {len(pairs)} conflicts: " + "\n".join(lines)

    def describe(self, manager: Manager) -> str:
        text = json.dumps(manager.name)
        if manager.subresource:
            text += f" with subresource {json.dumps(manager.subresource)}"
        if manager.operation == "Update":
            text += f" using {self.versions.get(manager, '')}"
        return text


def _identity(manager: Manager) -> str:
    """Sort order of managers in messages: the server sorts its JSON-encoded identifiers."""
    entry: dict[str, str] = {"manager": manager.name, "operation": manager.operation}
    if manager.subresource:
        entry["subresource"] = manager.subresource
    return json.dumps(entry, separators=(",", ":"))


def path_string(path: FieldPath) -> str:
    """`.spec.template.spec.containers[name="main"].image`, as fieldpath.Path.String() prints it."""
    out = ""
    for part in path:
        kind, _, rest = part.partition(":")
        if kind == "f":
            out += "." + rest
        elif kind == "k":
            keys = json.loads(rest)
            out += "[" + ",".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in keys.items()) + "]"
        elif kind == "v":
            out += f"[={rest}]"
        elif kind == "i":
            out += f"[{rest}]"
    return out


def decode(managed: list[dict] | None) -> Managers:
    out: Managers = {}
    for entry in managed or []:
        manager = Manager(str(entry.get("manager", "")), str(entry.get("operation", "Update")),
                          str(entry.get("subresource") or ""))
        out[manager] = Owned(str(entry.get("apiVersion", "")), str(entry.get("time", "")),
                             paths_from_fields_v1(entry.get("fieldsV1") or {}))
    return out


def encode(managers: Managers) -> list[dict]:
    out = []
    for manager, owned in managers.items():
        entry: dict[str, Any] = {"manager": manager.name, "operation": manager.operation,
                                 "apiVersion": owned.api_version, "time": owned.time, "fieldsType": "FieldsV1",
                                 "fieldsV1": fields_v1(owned.paths)}
        if manager.subresource:
            entry["subresource"] = manager.subresource
        out.append(entry)
    return out


def compare(old: dict | None, new: dict) -> tuple[set[FieldPath], set[FieldPath], set[FieldPath]]:
    """(added, removed, modified) leaf paths from `old` to `new`."""
    new_paths = field_set(new)
    if old is None:
        return new_paths, set(), set()
    old_paths = field_set(old)
    parents = {p[:i] for p in new_paths for i in range(1, len(p))}
    modified = {p for p in new_paths & old_paths if p not in parents and _get_path(old, p) != _get_path(new, p)}
    return new_paths - old_paths, old_paths - new_paths, modified


def track(managers: Managers, old: dict | None, new: dict, me: Manager, api_version: str, now: str, *,
          applied: set[FieldPath] | None = None, force: bool = False) -> Managers:
    """Ownership after `me` turned `old` into `new` (an Apply when `applied` is its configuration's field set).

    Raises Conflicts when an unforced Apply changes what others own.
    """
    added, removed, modified = compare(old, new)
    changed = added | modified
    conflicts: dict[Manager, set[FieldPath]] = {}
    for manager, owned in managers.items():
        if manager == me:
            continue
        clash = owned.paths & changed
        if clash:
            conflicts[manager] = clash
    if conflicts and applied is not None and not force:
        raise Conflicts(conflicts, {m: o.api_version for m, o in managers.items()})
    out: Managers = {}
    for manager, owned in managers.items():
        if manager == me:
            continue
        paths = owned.paths - conflicts.get(manager, set()) - removed
        if paths:
            out[manager] = Owned(owned.api_version, owned.time, paths)
    if applied is not None:
        mine = set(applied)
    else:
        previous = managers.get(me)
        mine = ((previous.paths if previous else set()) - removed) | changed
    if mine or applied is not None:
        previous = managers.get(me)
        stamp = now if (previous is None or previous.paths != mine or changed) else previous.time
        out[me] = Owned(api_version, stamp, mine)
    return out


def prune(merged: dict, managers: Managers, me: Manager, applied: set[FieldPath]) -> None:
    """Remove in place what `me` applied last time and no longer does, unless someone else owns it."""
    previous = managers.get(me)
    if previous is None:
        return
    others: set[FieldPath] = set()
    for manager, owned in managers.items():
        if manager != me:
            others |= owned.paths
    kept_prefixes = {p[:i] for p in others | applied for i in range(1, len(p) + 1)}
    for path in sorted(previous.paths - applied, key=len, reverse=True):
        if path in kept_prefixes:
            continue
        _remove_path(merged, path)
        # A map left empty by the removal goes too, unless something still owns it.
        for i in range(len(path) - 1, 0, -1):
            parent = path[:i]
            if parent in kept_prefixes or not parent[-1].startswith("f:"):
                break
            value = _get_path(merged, parent)
            if value != {}:
                break
            _remove_path(merged, parent)
