"""The API server's semantics without HTTP: create, get, list, update, patch, apply, delete.

Callers hold the cluster lock. Errors are `ApiError`s carrying the exact
`Status` body a real server would send, so the HTTP layer only serialises.
"""

from __future__ import annotations

import base64
import builtins
import copy
import json
import secrets
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import yaml

from bluegreen.clock import Clock

from . import conversion, fields, openapi
from . import patch as patching
from .apis import BUILTIN, ApiTable, Resource
from .defaults import apply_defaults
from .selectors import SelectorError, parse_field_selector, parse_label_selector
from .store import Key, Store
from .validation import immutable_changes, validate, validate_name

# Kinds whose status only the server (controllers, /status) writes.
_STATUS_OWNED_BY_SERVER = {
    "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Service",
    "PersistentVolumeClaim", "PersistentVolume", "Namespace", "Node", "HorizontalPodAutoscaler",
    "PodDisruptionBudget", "Ingress", "CustomResourceDefinition",
}
_LEGACY_SELECTOR_DEFAULTING = {"extensions/v1beta1", "apps/v1beta1"}
_SCALABLE = {"Deployment", "ReplicaSet", "StatefulSet"}
_LAGGING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
_ORPHAN_BY_DEFAULT = {"extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"}

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
ORPHAN_POLICY = "Orphan"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
LB_CLEANUP = "service.kubernetes.io/load-balancer-cleanup"
JOB_ORPHAN_WARNING = ("child pods are preserved by default when jobs are deleted; set propagationPolicy=Background "
                      "to remove them or set propagationPolicy=Orphan to suppress this warning")


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict:
        body: dict = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            body["details"] = self.details
        return body


def not_found(res: Resource, name: str) -> ApiError:
    qualified = f"{res.plural}.{res.group}" if res.group else res.plural
    return ApiError(404, "NotFound", f'{qualified} "{name}" not found',
                    {"name": name, "group": res.group, "kind": res.plural})


def iso(clock: Clock) -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def mark_terminating(pod: dict, clock: Clock, grace: int | None = None) -> dict | None:
    """A deleted Pod lingers for its grace period (Terminating), as the kubelet shuts it down.

    Returns the Terminating pod to store, or None when it goes at once (grace 0, or never started).
    """
    if grace is None:
        grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
    phase = (pod.get("status") or {}).get("phase")
    if not grace or phase in ("Succeeded", "Failed", "Pending") or terminating(pod):
        return None if not terminating(pod) else pod
    out = copy.deepcopy(pod)
    out["metadata"]["deletionTimestamp"] = (clock.now() + timedelta(seconds=grace)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out["metadata"]["deletionGracePeriodSeconds"] = grace
    status = out.setdefault("status", {})
    for condition in status.get("conditions") or []:
        if condition.get("type") in ("Ready", "ContainersReady"):
            condition["status"] = "False"
    return out


def rand_suffix(n: int = 5) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _content(obj: dict) -> Any:
    """What `generation` tracks: spec, or for spec-less kinds everything but metadata and status."""
    if "spec" in obj:
        return obj["spec"]
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class ApiCore:
    def __init__(self, store: Store, table: ApiTable, clock: Clock, allocate: Callable[[str], str]) -> None:
        self.store = store
        self.table = table
        self.clock = clock
        self.allocate = allocate
        self.warnings: list[str] = []  # Warning headers for the request being served
        self.stuck_finalizers: frozenset[str] = frozenset()  # finalizers whose controller never finishes
        self.lagging: builtins.set[Key] = set()  # workloads whose spec changed since the controllers last ran
        self.wake: Callable[[datetime], None] = lambda when: None  # a pod's grace period ends (Controllers.wake)
        self._request = threading.local()  # per-request options (fieldValidation) of the serving thread

    @property
    def field_validation(self) -> str:
        return getattr(self._request, "field_validation", "Warn")

    @field_validation.setter
    def field_validation(self, mode: str) -> None:
        self._request.field_validation = mode

    def _check_fields(self, res: Resource, obj: Any, applying: bool = False, namespace: str | None = None) -> None:
        """Drop fields the kind's schema does not know; Strict (and apply) refuse them, Warn says so."""
        if res in self.table.custom or not isinstance(obj, dict):
            return
        mode = self.field_validation
        if mode not in ("Ignore", "Warn", "Strict"):
            raise ApiError(400, "BadRequest", f'fieldValidation: Unsupported value: "{mode}": supported values: '
                           '"Ignore", "Strict", "Warn"')
        found = openapi.unknown_fields(res, obj)
        if not found or mode == "Ignore":
            return
        if applying:
            name = (obj.get("metadata") or {}).get("name", "")
            where = f"{namespace}/{name}" if namespace else name
            raise ApiError(400, "BadRequest", f"failed to create typed patch object ({where}; {res.group_version}, "
                           f"Kind={res.kind}): .{found[0]}: field not declared in schema")
        if mode == "Strict":
            raise ApiError(400, "BadRequest", f'{res.kind} in version "{res.version}" cannot be handled as a '
                           f"{res.kind}: strict decoding error: "
                           + ", ".join(f'unknown field "{p}"' for p in found))
        self.warnings.extend(f'unknown field "{p}"' for p in found)

    # --- lookup ---------------------------------------------------------------------------
    def resource(self, group: str, version: str, plural: str) -> Resource:
        res = self.table.lookup(group, version, plural)
        if res is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource",
                           {"group": group, "kind": plural})
        return res

    def key(self, res: Resource, namespace: str | None, name: str) -> Key:
        return (res.store_group, res.kind, (namespace or "") if res.namespaced else "", name)

    def view(self, res: Resource, obj: dict, *, copy: bool = True) -> dict:
        """The stored object as `res`'s group version shows it (converted where the versions differ).

        copy=False shares everything below the top level with the stored object where no conversion is
        needed: for a read that is encoded before the cluster's lock is let go, never for one that is changed.
        """
        if not copy and not conversion.changes_shape(obj, res.group_version):
            return {**obj, "apiVersion": res.group_version, "kind": res.kind}
        out = conversion.convert(obj, res.group_version)
        out["kind"] = res.kind
        return out

    def _require_namespace(self, res: Resource, namespace: str | None, name: str = "") -> None:
        if not res.namespaced:
            return
        if not namespace:
            raise ApiError(400, "BadRequest", "the server could not find the requested resource: namespace required")
        ns = self.store.peek(("", "Namespace", "", namespace))
        if ns is None:
            raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found',
                           {"name": namespace, "kind": "namespaces"})
        if ns["metadata"].get("deletionTimestamp"):
            raise ApiError(403, "Forbidden", f"{res.plural} \"{name}\" is forbidden: unable to create new content "
                           f"in namespace {namespace} because it is being terminated",
                           {"name": namespace, "kind": "namespaces",
                            "causes": [{"reason": "NamespaceTerminating",
                                        "message": f"namespace {namespace} is being terminated",
                                        "field": "metadata.namespace"}]})

    # --- reads ----------------------------------------------------------------------------
    def get(self, res: Resource, namespace: str | None, name: str, *, copy: bool = True) -> dict:
        obj = self.store.peek(self.key(res, namespace, name))
        if obj is None:
            raise not_found(res, name)
        return self.view(res, obj, copy=copy)

    def matcher(self, res: Resource, namespace: str | None, label_selector: str | None,
                field_selector: str | None) -> Callable[[Key, dict], bool]:
        try:
            labels_ok = parse_label_selector(label_selector)
            fields_ok = parse_field_selector(field_selector)
        except SelectorError as exc:
            raise ApiError(400, "BadRequest", str(exc)) from exc

        def match(key: Key, obj: dict) -> bool:
            if key[0] != res.store_group or key[1] != res.kind:
                return False
            if res.namespaced and namespace and key[2] != namespace:
                return False
            return labels_ok(obj["metadata"].get("labels") or {}) and fields_ok(obj)

        return match

    def list(self, res: Resource, namespace: str | None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int | None = None, continue_token: str | None = None,
             *, copy: bool = True) -> dict:
        """A list, in pages of `limit` when asked (metadata.continue names where the next page starts).

        copy=False: items share the stored objects' insides (see `view`).
        """
        match = self.matcher(res, namespace, label_selector, field_selector)
        objects = self.store.objects
        keys = [k for k in self.store.keys_of(res.store_group, res.kind) if match(k, objects[k])]
        if continue_token:
            try:
                after = tuple(json.loads(base64.urlsafe_b64decode(continue_token.encode())))
            except ValueError as exc:
                raise ApiError(400, "BadRequest", "invalid continue token") from exc
            keys = [k for k in keys if k > after]
        meta: dict = {"resourceVersion": str(self.store.rv)}
        if limit and len(keys) > limit:
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(list(keys[limit - 1])).encode()).decode()
            meta["remainingItemCount"] = len(keys) - limit
            keys = keys[:limit]
        items = [self.view(res, objects[k], copy=copy) for k in keys]
        return {"kind": f"{res.kind}List", "apiVersion": res.group_version, "metadata": meta, "items": items}

    # --- writes ---------------------------------------------------------------------------
    def _prepare_new(self, res: Resource, namespace: str | None, body: dict) -> dict:
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body of the request was not a JSON object")
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise ApiError(400, "BadRequest", "metadata must be an object")
        if res.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the "
                               "namespace sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if body.get("kind") and body["kind"] != res.kind:
            raise ApiError(400, "BadRequest", f"the API version in the data ({body.get('apiVersion')}) does "
                           f"not match the expected API version ({res.group_version})")
        obj["kind"] = res.kind
        obj["apiVersion"] = res.group_version
        return conversion.convert(obj, self._stored_api_version(res))

    def _stored_api_version(self, res: Resource) -> str:
        stored = self.table.storage_for(res.store_group, res.kind)
        return (stored or res).group_version

    def _invalid(self, res: Resource, name: str, causes: builtins.list[dict]) -> ApiError:
        text = ", ".join(f"{c['field']}: {c['message']}" for c in causes)
        kind_group = f"{res.kind}.{res.group}" if res.group else res.kind
        return ApiError(422, "Invalid", f'{kind_group} "{name}" is invalid: {text}',
                        {"name": name, "group": res.group, "kind": res.kind, "causes": causes})

    def _finish(self, res: Resource, obj: dict, old: dict | None, manager: str, operation: str,
                applied: builtins.set[patching.FieldPath] | None = None, dry_run: bool = False,
                force: bool = False, subresource: str = "") -> dict:
        """Defaults, validation, server-owned metadata, managedFields; then store."""
        meta = obj["metadata"]
        name = meta.get("name", "")
        if res.group_version in _LEGACY_SELECTOR_DEFAULTING and isinstance(obj.get("spec"), dict):
            # Before apps/v1 the server derived a missing selector from the template labels.
            spec = obj["spec"]
            labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
            if not spec.get("selector") and labels:
                spec["selector"] = {"matchLabels": dict(labels)}
        causes = validate_name(res.kind, name) + validate(res.kind, obj)
        if causes:
            raise self._invalid(res, name, causes)
        if res.kind in _STATUS_OWNED_BY_SERVER:
            if old is not None and "status" in old:
                obj["status"] = copy.deepcopy(old["status"])
            elif old is None:
                obj.pop("status", None)
        apply_defaults(obj, self.allocate)
        if old is not None:
            fixed = immutable_changes(res.kind, old, obj)
            if fixed:
                raise self._invalid(res, name, fixed)
        now = iso(self.clock)
        if old is None:
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now
            meta["generation"] = 1
        else:
            for k in ("uid", "creationTimestamp"):
                meta[k] = old["metadata"][k]
            meta["generation"] = old["metadata"].get("generation", 1)
            if _content(old) != _content(obj):
                meta["generation"] += 1
                if res.kind in _LAGGING and not dry_run:
                    self.lagging.add(self.key(res, meta.get("namespace"), name))
        meta.pop("selfLink", None)
        if old is None:
            meta.pop("deletionTimestamp", None)
            meta.pop("deletionGracePeriodSeconds", None)
            if res.kind == "PersistentVolumeClaim" and PVC_PROTECTION not in (meta.get("finalizers") or []):
                meta["finalizers"] = [*(meta.get("finalizers") or []), PVC_PROTECTION]  # the admission plugin
        else:
            for k in ("deletionTimestamp", "deletionGracePeriodSeconds"):
                if k in old["metadata"]:
                    meta[k] = old["metadata"][k]
                else:
                    meta.pop(k, None)
            if meta.get("deletionTimestamp"):
                added = set(meta.get("finalizers") or []) - set(old["metadata"].get("finalizers") or [])
                if added:
                    raise ApiError(422, "Invalid", f'{res.kind} "{name}" is invalid: metadata.finalizers: '
                                   f'Forbidden: no new finalizers can be added if the object is being deleted, '
                                   f'found new finalizers []string{{{", ".join(repr(f) for f in sorted(added))}}}'
                                   .replace("'", '"'),
                                   {"name": name, "kind": res.kind, "causes": [
                                       {"reason": "FieldValueForbidden", "field": "metadata.finalizers",
                                        "message": "Forbidden: no new finalizers can be added if the object is "
                                                   "being deleted"}]})
        managers = fields.decode((old or {}).get("metadata", {}).get("managedFields"))
        try:
            managers = fields.track(managers, old, obj, fields.Manager(manager, operation, subresource),
                                    res.group_version, now, applied=applied, force=force)
        except fields.Conflicts as exc:
            raise ApiError(409, "Conflict", exc.message(), {"causes": exc.causes()}) from exc
        meta["managedFields"] = fields.encode(managers)
        if dry_run:
            return self.view(res, obj)
        stored = self.store.put(res.store_group, obj)
        if res.kind == "CustomResourceDefinition":
            self.refresh_crds()
        if meta.get("deletionTimestamp"):
            self.finish_deletions()  # a client removed a finalizer: the object may go now
        return self.view(res, stored)

    def refresh_crds(self) -> None:
        self.table.set_custom_from_crds(self.store.select("apiextensions.k8s.io", "CustomResourceDefinition"))

    def create(self, res: Resource, namespace: str | None, body: dict, manager: str = "unknown",
               dry_run: bool = False) -> dict:
        obj = self._prepare_new(res, namespace, body)
        self._check_fields(res, obj)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + rand_suffix()
        name = meta.get("name") or ""
        self._require_namespace(res, namespace, name)
        if name and self.store.peek(self.key(res, namespace, name)) is not None:
            qualified = f"{res.plural}.{res.group}" if res.group else res.plural
            raise ApiError(409, "AlreadyExists", f'{qualified} "{name}" already exists',
                           {"name": name, "group": res.group, "kind": res.plural})
        for k in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
            meta.pop(k, None)
        return self._finish(res, obj, None, manager, "Update", dry_run=dry_run)

    def replace(self, res: Resource, namespace: str | None, name: str, body: dict, manager: str = "unknown",
                dry_run: bool = False) -> dict:
        old = self.store.peek(self.key(res, namespace, name))
        obj = self._prepare_new(res, namespace, body)
        self._check_fields(res, obj)
        if obj["metadata"].get("name") != name:
            raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
        if old is None:
            raise not_found(res, name)
        rv = obj["metadata"].get("resourceVersion")
        if not rv and res.kind not in ("Namespace",):
            raise ApiError(422, "Invalid", f'{res.kind} "{name}" is invalid: metadata.resourceVersion: Invalid '
                           'value: 0x0: must be specified for an update',
                           {"name": name, "kind": res.kind, "causes": [
                               {"reason": "FieldValueInvalid", "field": "metadata.resourceVersion",
                                "message": "must be specified for an update"}]})
        self._check_rv(res, name, old, rv)
        return self._finish(res, obj, old, manager, "Update", dry_run=dry_run)

    def _check_rv(self, res: Resource, name: str, old: dict, rv: str | None) -> None:
        if rv and rv != old["metadata"]["resourceVersion"]:
            qualified = f"{res.plural}.{res.group}" if res.group else res.plural
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {qualified} "{name}": the object '
                           "has been modified; please apply your changes to the latest version and try again",
                           {"name": name, "group": res.group, "kind": res.plural})

    def patch(self, res: Resource, namespace: str | None, name: str, raw: bytes, content_type: str,
              manager: str | None = None, force: bool = False, dry_run: bool = False) -> dict:
        ctype = content_type.split(";")[0].strip()
        if ctype == "application/apply-patch+yaml":
            return self.apply(res, namespace, name, _load(raw, yaml_ok=True), manager or "", force, dry_run)
        old = self.store.peek(self.key(res, namespace, name))
        if old is None:
            raise not_found(res, name)
        new = self.patched(res, self.view(res, old), raw, ctype)
        if not isinstance(new, dict):
            raise ApiError(422, "Invalid", "patch did not produce an object")
        self._check_fields(res, new)
        new_rv = (new.get("metadata") or {}).get("resourceVersion")
        self._check_rv(res, name, old, new_rv if new_rv != old["metadata"]["resourceVersion"] else None)
        obj = self._prepare_new(res, namespace, new)
        if obj["metadata"].get("name") != name:
            raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
        return self._finish(res, obj, old, manager or "unknown", "Update", dry_run=dry_run)

    def patched(self, res: Resource, current: dict, raw: bytes, content_type: str) -> Any:
        """`current` with a JSON, merge or strategic merge patch applied (or an apply configuration merged)."""
        ctype = content_type.split(";")[0].strip()
        doc = _load(raw, yaml_ok=ctype == "application/apply-patch+yaml")
        try:
            if ctype == "application/json-patch+json":
                if not isinstance(doc, list):
                    raise ApiError(400, "BadRequest", "json patch must be a list of operations")
                return patching.json_patch(current, doc)
            if ctype == "application/merge-patch+json":
                return patching.json_merge_patch(current, doc)
            if ctype == "application/strategic-merge-patch+json":
                if res.group and res.group not in _BUILTIN_GROUPS:
                    raise ApiError(415, "UnsupportedMediaType", "strategic merge patch is not supported for "
                                   "custom resources")
                return patching.strategic_merge_patch(current, doc)
            if ctype == "application/apply-patch+yaml":
                if not isinstance(doc, dict):
                    raise ApiError(400, "BadRequest", "apply body must be an object")
                return patching.apply_merge(current, doc)
        except patching.PatchError as exc:
            raise ApiError(422, "Invalid", str(exc)) from exc
        raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                       f"accepted media types include: application/json-patch+json, application/merge-patch"
                       f"+json, application/apply-patch+yaml (got {ctype})")

    def apply(self, res: Resource, namespace: str | None, name: str, body: Any, manager: str,
              force: bool = False, dry_run: bool = False) -> dict:
        if not manager:
            raise ApiError(400, "BadRequest", "PATCH with apply requires fieldManager")
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "apply body must be an object")
        meta = body.get("metadata") or {}
        if meta.get("name") and meta["name"] != name:
            raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
        applied = copy.deepcopy(body)
        applied.setdefault("metadata", {})["name"] = name
        self._check_fields(res, applied, applying=True, namespace=namespace)
        applied.pop("status", None) if res.kind in _STATUS_OWNED_BY_SERVER else None
        old = self.store.peek(self.key(res, namespace, name))
        # Ownership is kept in the storage version's field paths, whatever version the applier speaks.
        config = patching.field_set(conversion.convert({**applied, "apiVersion": res.group_version,
                                                        "kind": res.kind}, self._stored_api_version(res)))
        if old is None:
            self._require_namespace(res, namespace, name)
            obj = self._prepare_new(res, namespace, applied)
            for k in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
                obj["metadata"].pop(k, None)
            return self._finish(res, obj, None, manager, "Apply", config, dry_run, force)
        rv = meta.get("resourceVersion")
        self._check_rv(res, name, old, rv)
        merged = patching.apply_merge(self.view(res, old), applied)
        obj = self._prepare_new(res, namespace, merged)
        fields.prune(obj, fields.decode(old["metadata"].get("managedFields")), fields.Manager(manager, "Apply"),
                     config)
        return self._finish(res, obj, old, manager, "Apply", config, dry_run, force)

    # --- status and scale subresources ----------------------------------------------------
    def replace_status(self, res: Resource, namespace: str | None, name: str, status: Any) -> dict:
        old = self.store.peek(self.key(res, namespace, name))
        if old is None:
            raise not_found(res, name)
        obj = copy.deepcopy(old)
        obj["status"] = status
        return self.view(res, self.store.put(res.store_group, obj))

    def scale(self, res: Resource, namespace: str | None, name: str) -> dict:
        if res.kind not in _SCALABLE:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        obj = self.get(res, namespace, name)
        selector = (obj["spec"].get("selector") or {}).get("matchLabels") or {}
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: obj["metadata"][k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                             "creationTimestamp")},
                "spec": {"replicas": obj["spec"].get("replicas", 1)},
                "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                           "selector": ",".join(f"{k}={v}" for k, v in sorted(selector.items()))}}

    def set_scale(self, res: Resource, namespace: str | None, name: str, replicas: Any, manager: str) -> dict:
        if not isinstance(replicas, int) or replicas < 0:
            raise ApiError(422, "Invalid", f"Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value")
        old = self.store.peek(self.key(res, namespace, name))
        if old is None:
            raise not_found(res, name)
        obj = copy.deepcopy(old)
        obj["spec"]["replicas"] = replicas
        self._finish(res, obj, old, manager, "Update", subresource="scale")
        return self.scale(res, namespace, name)

    # --- delete ---------------------------------------------------------------------------
    def default_policy(self, res: Resource) -> str:
        """The group version's own default: batch/v1 Jobs and the pre-apps/v1 workloads orphan."""
        if (res.group, res.kind) == ("batch", "Job") or res.group_version in _ORPHAN_BY_DEFAULT and \
                res.kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "ReplicationController"):
            return ORPHAN_POLICY
        return "Background"

    def delete(self, res: Resource, namespace: str | None, name: str, propagation: str | None = None,
               preconditions: dict | None = None, grace: int | None = None) -> dict:
        """Mark for deletion (deletionTimestamp, policy finalizers) or remove at once when nothing holds it."""
        key = self.key(res, namespace, name)
        obj = self.store.peek(key)
        if obj is None:
            raise not_found(res, name)
        if preconditions:
            if preconditions.get("uid") and preconditions["uid"] != obj["metadata"]["uid"]:
                raise ApiError(409, "Conflict", "Precondition failed: UID in precondition does not match")
            self._check_rv(res, name, obj, preconditions.get("resourceVersion"))
        if propagation is None:
            policy = self.default_policy(res)
            if res.kind == "Job" and res.group == "batch":
                self.warnings.append(JOB_ORPHAN_WARNING)
        else:
            policy = propagation
        if policy not in ("Background", "Foreground", "Orphan"):
            raise ApiError(400, "BadRequest", f"unsupported propagationPolicy {policy!r}")
        gone = self.delete_key(key, policy, grace)
        if gone is None or self.store.peek(key) is None:
            return self.view(res, gone) if gone else {}
        return self.view(res, self.store.peek(key) or gone)

    def delete_key(self, key: Key, policy: str = "Background", grace: int | None = None) -> dict | None:
        """Start deleting one stored object; returns its last state (still stored while something holds it)."""
        obj = self.store.peek(key)
        if obj is None:
            return None
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            if policy == "Foreground" and FOREGROUND not in (meta.get("finalizers") or []):
                marked = copy.deepcopy(obj)
                marked["metadata"]["finalizers"] = [*(meta.get("finalizers") or []), FOREGROUND]
                self.store.put(key[0], marked)
                self.finish_deletions()
            return self.store.peek(key) or obj
        finalizers = list(meta.get("finalizers") or [])
        if policy == "Foreground" and self._dependents(meta["uid"]):
            finalizers.append(FOREGROUND)
        elif policy == ORPHAN_POLICY:
            finalizers.append(ORPHAN)
        lingering = None
        if key[:2] == ("", "Pod"):
            lingering = mark_terminating(obj, self.clock, grace)
        if key[:2] == ("", "Namespace"):
            lingering = copy.deepcopy(obj)
            lingering.setdefault("status", {})["phase"] = "Terminating"
        if not finalizers and lingering is None:
            return self._remove(key)
        marked = copy.deepcopy(lingering if lingering is not None else obj)
        marked["metadata"].setdefault("deletionTimestamp", iso(self.clock))
        marked["metadata"].setdefault("deletionGracePeriodSeconds", 0)
        if finalizers:
            marked["metadata"]["finalizers"] = finalizers
        self.store.put(key[0], marked)
        self.finish_deletions()
        return self.store.peek(key) or marked

    def _remove(self, key: Key) -> dict | None:
        """The object leaves storage; the garbage collector then deletes dependents left without owners."""
        obj = self.store.peek(key)
        if obj is None:
            return None
        gone = self.store.remove(key)
        uid = obj["metadata"].get("uid")
        if key[1] == "CustomResourceDefinition":
            spec = obj.get("spec", {})
            for k in [k for k in self._keys() if k[0] == spec.get("group") and
                      k[1] == spec.get("names", {}).get("kind")]:
                self.store.remove(k)
            self.refresh_crds()
        if key[1] == "PersistentVolumeClaim":
            volume = self.store.peek(("", "PersistentVolume", "", (obj.get("spec") or {}).get("volumeName") or ""))
            if volume is not None and (volume.get("spec") or {}).get("persistentVolumeReclaimPolicy") == "Delete":
                self.delete_key(("", "PersistentVolume", "", volume["metadata"]["name"]))
        dependents = self._dependents(uid)
        if dependents:
            live = {o["metadata"].get("uid") for o in self.store.objects.values()}
            for dep_key in dependents:
                dep = self.store.peek(dep_key)
                if dep is not None and all(r.get("uid") not in live
                                           for r in dep["metadata"].get("ownerReferences") or []):
                    self.delete_key(dep_key, "Background")
        return gone

    def _keys(self) -> builtins.list[Key]:
        return builtins.list(self.store.objects)

    def _dependents(self, uid: str | None) -> builtins.list[Key]:
        if not uid:
            return []
        return [k for k, o in self.store.objects.items()
                if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])]

    def finish_deletions(self) -> None:
        """The garbage collector, namespace controller and finalizing controllers, one pass each.

        Each finalizer is removed by its own controller once its work is done (orphaning, foreground
        dependents gone, LoadBalancer released, PVC unused, namespace empty); others stay until a client
        removes them. An object with no finalizers left (and, for a Pod, past its grace period) goes.
        """
        for _ in range(20):
            before = self.store.rv
            for key in [k for k, o in self.store.objects.items() if o["metadata"].get("deletionTimestamp")]:
                self._finalize(key)
            if self.store.rv == before:
                return

    def _finalize(self, key: Key) -> None:
        obj = self.store.peek(key)
        if obj is None:
            return
        meta = obj["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        uid = meta["uid"]
        done: builtins.set[str] = set()
        for fin in finalizers:
            if fin in self.stuck_finalizers:
                continue
            if fin == ORPHAN:
                for dep_key in self._dependents(uid):
                    self._drop_owner(dep_key, uid)
                done.add(fin)
            elif fin == FOREGROUND:
                blocking = []
                for dep_key in self._dependents(uid):
                    dep = self.store.peek(dep_key)
                    if dep is None:
                        continue
                    refs = dep["metadata"].get("ownerReferences") or []
                    if not any(r.get("uid") == uid and r.get("blockOwnerDeletion") for r in refs):
                        continue
                    blocking.append(dep_key)
                    if not dep["metadata"].get("deletionTimestamp"):
                        self.delete_key(dep_key, "Foreground")
                if not [k for k in blocking if self.store.peek(k) is not None]:
                    done.add(fin)
            elif fin == PVC_PROTECTION and key[1] == "PersistentVolumeClaim":
                if not self._claim_in_use(key[2], key[3]):
                    done.add(fin)
            elif fin == LB_CLEANUP and key[1] == "Service":
                done.add(fin)  # the cloud provider released the address
        if key[:2] == ("", "Namespace"):
            self._namespace_content(obj)
        if done:
            updated = copy.deepcopy(self.store.peek(key) or obj)
            updated["metadata"]["finalizers"] = [f for f in finalizers if f not in done]
            if LB_CLEANUP in done:
                updated.setdefault("status", {})["loadBalancer"] = {}
            if not updated["metadata"]["finalizers"]:
                del updated["metadata"]["finalizers"]
            self.store.put(key[0], updated)
        obj = self.store.peek(key)
        if obj is None or obj["metadata"].get("finalizers"):
            return
        if key[:2] == ("", "Namespace") and (obj.get("spec") or {}).get("finalizers"):
            return
        if key[:2] == ("", "Pod") and obj["metadata"]["deletionTimestamp"] > iso(self.clock):
            self.wake(datetime.strptime(obj["metadata"]["deletionTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=timezone.utc))
            return
        self._remove(key)

    def _namespace_content(self, ns: dict) -> None:
        """The namespace controller: delete everything inside; drop `kubernetes` once nothing is left."""
        name = ns["metadata"]["name"]
        inside = [k for k in self._keys() if k[2] == name and k[1] != "Namespace"]
        for k in inside:
            obj = self.store.peek(k)
            if obj is not None and not obj["metadata"].get("deletionTimestamp"):
                self.delete_key(k, "Background")
        left = [(k, o) for k in inside if (o := self.store.peek(k)) is not None]
        current = self.store.peek(("", "Namespace", "", name)) or ns
        status = copy.deepcopy(current.get("status") or {})
        status["phase"] = "Terminating"
        holding: dict[str, int] = {}
        for _, o in left:
            for fin in o["metadata"].get("finalizers") or []:
                holding[fin] = holding.get(fin, 0) + 1
        kinds: dict[str, int] = {}
        for k, _ in left:
            kinds[k[1]] = kinds.get(k[1], 0) + 1
        now = iso(self.clock)
        conditions = [
            {"type": "NamespaceContentRemaining", "status": "True" if left else "False",
             "reason": "SomeResourcesRemain" if left else "ContentRemoved",
             "message": ("Some resources are remaining: " + ", ".join(
                 f"{kind.lower()}s has {n} resource instances" for kind, n in sorted(kinds.items())))
             if left else "All content successfully removed", "lastTransitionTime": now},
            {"type": "NamespaceFinalizersRemaining", "status": "True" if holding else "False",
             "reason": "SomeFinalizersRemain" if holding else "ContentHasNoFinalizers",
             "message": ("Some content in the namespace has finalizers remaining: " + ", ".join(
                 f"{fin} in {n} resource instances" for fin, n in sorted(holding.items())))
             if holding else "All content-preserving finalizers finished", "lastTransitionTime": now},
        ]
        old_conditions = {c["type"]: c for c in status.get("conditions") or []}
        for c in conditions:
            prev = old_conditions.get(c["type"])
            if prev and prev.get("status") == c["status"]:
                c["lastTransitionTime"] = prev.get("lastTransitionTime", now)
        status["conditions"] = conditions
        updated = copy.deepcopy(current)
        updated["status"] = status
        if not left and "kubernetes" in ((updated.get("spec") or {}).get("finalizers") or []):
            updated["spec"]["finalizers"] = [f for f in updated["spec"]["finalizers"] if f != "kubernetes"]
        if updated != current:
            self.store.put("", updated)

    def _drop_owner(self, key: Key, uid: str) -> None:
        dep = self.store.peek(key)
        if dep is None:
            return
        kept = copy.deepcopy(dep)
        kept["metadata"]["ownerReferences"] = [r for r in dep["metadata"].get("ownerReferences") or []
                                               if r.get("uid") != uid]
        if not kept["metadata"]["ownerReferences"]:
            del kept["metadata"]["ownerReferences"]
        self.store.put(key[0], kept)

    def _claim_in_use(self, namespace: str, claim: str) -> bool:
        for pod in self.store.select("", "Pod", namespace):
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            for volume in (pod.get("spec") or {}).get("volumes") or []:
                if (volume.get("persistentVolumeClaim") or {}).get("claimName") == claim:
                    return True
        return False

    def delete_collection(self, res: Resource, namespace: str | None, label_selector: str | None,
                          field_selector: str | None, propagation: str | None) -> dict:
        match = self.matcher(res, namespace, label_selector, field_selector)
        gone = []
        policy = propagation or self.default_policy(res)
        if propagation is None and (res.group, res.kind) == ("batch", "Job"):
            self.warnings.append(JOB_ORPHAN_WARNING)
        for k in [k for k, o in self.store.objects.items() if match(k, o)]:
            obj = self.delete_key(k, policy)
            if obj:
                gone.append(self.view(res, obj))
        return {"kind": f"{res.kind}List", "apiVersion": res.group_version,
                "metadata": {"resourceVersion": str(self.store.rv)}, "items": gone}


_BUILTIN_GROUPS = {r.group for r in BUILTIN}


def _load(raw: bytes, yaml_ok: bool = False) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        if yaml_ok:
            try:
                return yaml.safe_load(raw)
            except yaml.YAMLError:
                pass
        raise ApiError(400, "BadRequest", f"the body of the request could not be decoded: {exc}") from exc

