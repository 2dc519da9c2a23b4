"""/openapi/v3 documents and server-side field validation, both generated from `schemas.TYPES`.

kubectl reads /openapi/v3 to learn that the server validates fields itself (the `fieldValidation`
parameter of each PATCH operation), to build client-side apply patches and to answer `explain`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .apis import ApiTable, Resource
from .schemas import CORE, GENERIC_DESCRIPTION, META, PATCH_MERGE_KEYS, TYPES, Field, TypeDef

_PACKAGES = {"": "core", "rbac.authorization.k8s.io": "rbac", "networking.k8s.io": "networking",
             "storage.k8s.io": "storage", "scheduling.k8s.io": "scheduling", "events.k8s.io": "events"}
_SCALARS: dict[str, dict] = {
    "string": {"type": "string"}, "integer": {"type": "integer", "format": "int64"}, "boolean": {"type": "boolean"},
    "number": {"type": "number", "format": "double"}, "time": {"type": "string", "format": "date-time"},
    "int-or-string": {"x-kubernetes-int-or-string": True}, "quantity": {"x-kubernetes-int-or-string": True},
    "object": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
}
_QUERY = {
    "dryRun": "When present, indicates that modifications should not be persisted.",
    "fieldManager": "fieldManager is a name associated with the actor or entity that is making these changes.",
    "fieldValidation": "fieldValidation instructs the server on how to handle objects in the request "
                       "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn "
                       "(the default), Strict.",
    "force": "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields "
             "owned by other people.",
}


def type_name(res: Resource) -> str:
    """The schema a served kind has: its own detailed type, its v1 sibling's fields, or a generic one."""
    if res.group == "apiextensions.k8s.io":
        return f"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{res.version}.{res.kind}"
    package = _PACKAGES.get(res.group, res.group.split(".")[0])
    return f"io.k8s.api.{package}.{res.version}.{res.kind}"


def _definition(res: Resource) -> TypeDef:
    name = type_name(res)
    if name in TYPES:
        return TYPES[name]
    v1 = name.rsplit(".", 2)[0] + ".v1." + res.kind
    if v1 in TYPES:
        return TYPES[v1]
    description = GENERIC_DESCRIPTION.format(kind=res.kind, group_version=res.group_version)
    fields = dict(TYPES[CORE + "ConfigMap"][1])
    for k in ("data", "binaryData", "immutable"):
        fields.pop(k)
    fields["spec"] = "object"
    fields["status"] = "object"
    return description, fields, False


def _split(field: Field) -> tuple[str, str]:
    return (field, "") if isinstance(field, str) else field


def _schema(type_text: str, owner: str, name: str, refs: set[str]) -> dict:
    if type_text.startswith("[]"):
        out: dict = {"type": "array", "items": _schema(type_text[2:], owner, "", refs)}
        key = PATCH_MERGE_KEYS.get((owner, name))
        if key:
            out.update({"x-kubernetes-patch-merge-key": key, "x-kubernetes-patch-strategy": "merge",
                        "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": [key]})
        return out
    if type_text.startswith("{}"):
        return {"type": "object", "additionalProperties": _schema(type_text[2:], owner, "", refs)}
    if type_text in _SCALARS:
        return dict(_SCALARS[type_text])
    refs.add(type_text)
    return {"allOf": [{"$ref": f"#/components/schemas/{type_text}"}], "default": {}}


def _type_schema(definition: TypeDef, owner: str, refs: set[str]) -> dict:
    description, fields, _complete = definition
    props = {}
    for field_name, field in sorted(fields.items()):
        type_text, text = _split(field)
        prop = _schema(type_text, owner, field_name, refs)
        if text:
            prop["description"] = text
        props[field_name] = prop
    return {"description": description, "type": "object", "properties": props}


def group_version_doc(table: ApiTable, group: str, version: str, server_version: str) -> dict | None:
    """The OpenAPI v3 document of one built-in group version."""
    resources = [r for r in table.in_group_version(group, version) if r not in table.custom]
    if not resources:
        return None
    schemas: dict[str, dict] = {}
    pending: set[str] = set()
    paths: dict[str, dict] = {}
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    for res in resources:
        name = type_name(res)
        schema = _type_schema(_definition(res), name, pending)
        gvk = {"group": res.group, "version": res.version, "kind": res.kind}
        schema["x-kubernetes-group-version-kind"] = [gvk]
        schemas[name] = schema
        ref = {"$ref": f"#/components/schemas/{name}"}
        body = {"content": {"application/json": {"schema": ref}, "application/yaml": {"schema": ref}}}
        answer = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
        params = [{"name": q, "in": "query", "description": text, "schema": {"type": "string", "uniqueItems": True}}
                  for q, text in _QUERY.items()]
        ns = "/namespaces/{namespace}" if res.namespaced else ""
        op_id = f"{res.kind}{group}{version}".replace(".", "")

        def op(action: str, with_params: bool, with_body: bool) -> dict:
            out: dict[str, Any] = {"operationId": f"{action}{op_id}", "responses": answer,  # noqa: B023
                                   "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk}  # noqa: B023
            if with_params:
                out["parameters"] = params  # noqa: B023
            if with_body:
                out["requestBody"] = body  # noqa: B023
            return out

        paths[f"{prefix}{ns}/{res.plural}"] = {"get": op("list", False, False), "post": op("post", True, True)}
        paths[f"{prefix}{ns}/{res.plural}/{{name}}"] = {
            "get": op("get", False, False), "put": op("put", True, True), "patch": op("patch", True, True),
            "delete": op("delete", False, False)}
    while pending:
        name = pending.pop()
        if name in schemas:
            continue
        schemas[name] = _type_schema(TYPES[name], name, pending)
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": server_version},
            "paths": paths, "components": {"schemas": schemas}}


def root(table: ApiTable, server_version: str) -> dict:
    """/openapi/v3: where each built-in group version's document is, with a hash to cache it by."""
    out = {}
    for group, versions in sorted(table.group_versions().items()):
        for version in versions:
            doc = group_version_doc(table, group, version, server_version)
            if doc is None:
                continue
            digest = hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:128].upper()
            key = f"apis/{group}/{version}" if group else f"api/{version}"
            out[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
    return {"paths": out}


# --- field validation --------------------------------------------------------------------------------

def unknown_fields(res: Resource, obj: Any) -> list[str]:
    """Paths of fields the kind's schema does not know, removed from `obj` as the real decoder drops them."""
    found: list[str] = []
    _walk_type(_definition(res), obj, "", found)
    return found


def _walk_type(definition: TypeDef, obj: Any, path: str, found: list[str]) -> None:
    _description, fields, complete = definition
    if not isinstance(obj, dict):
        return
    for key in list(obj):
        if key not in fields:
            if complete:
                found.append(f"{path}{key}")
                del obj[key]
            continue
        _walk_field(_split(fields[key])[0], obj[key], f"{path}{key}", found)


def _walk_field(type_text: str, value: Any, path: str, found: list[str]) -> None:
    if type_text.startswith("[]"):
        if isinstance(value, list):
            for i, item in enumerate(value):
                _walk_field(type_text[2:], item, f"{path}[{i}]", found)
    elif type_text.startswith("{}"):
        if isinstance(value, dict):
            for k, item in value.items():
                _walk_field(type_text[2:], item, f"{path}[{k}]", found)
    elif type_text in TYPES:
        _walk_type(TYPES[type_text], value, f"{path}.", found)


__all__ = ["META", "group_version_doc", "root", "type_name", "unknown_fields"]
