"""Which resources a simulated API server serves, per Kubernetes minor version.

The simulator keeps its own table on purpose: it must not share the library's
"removed APIs" table, or a wrong entry there would be confirmed by a fake that
agrees with it instead of being caught.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    since: int = 0  # first served minor (inclusive)
    until: int = 999  # first minor that no longer serves it
    storage_group: str | None = None  # objects shared with another group (extensions -> apps)
    verbs: tuple[str, ...] = tuple(ALL_VERBS)
    singular: str = ""
    categories: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def store_group(self) -> str:
        return self.group if self.storage_group is None else self.storage_group

    def served_in(self, minor: int) -> bool:
        return self.since <= minor < self.until

    def discovery(self) -> dict:
        entry: dict = {
            "name": self.plural,
            "singularName": self.singular or self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(self.verbs),
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        return entry


_LIST_ONLY = ("get", "list", "watch")
_ALL = ("all",)


def _r(group: str, version: str, plural: str, kind: str, namespaced: bool = True, *short: str, **kw) -> Resource:
    return Resource(group, version, plural, kind, namespaced, tuple(short), **kw)


BUILTIN: list[Resource] = [
    _r("", "v1", "namespaces", "Namespace", False, "ns"),
    _r("", "v1", "nodes", "Node", False, "no"),
    _r("", "v1", "pods", "Pod", True, "po", categories=_ALL),
    _r("", "v1", "services", "Service", True, "svc", categories=_ALL),
    _r("", "v1", "endpoints", "Endpoints", True, "ep"),
    _r("", "v1", "configmaps", "ConfigMap", True, "cm"),
    _r("", "v1", "secrets", "Secret", True),
    _r("", "v1", "serviceaccounts", "ServiceAccount", True, "sa"),
    _r("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, "pvc"),
    _r("", "v1", "persistentvolumes", "PersistentVolume", False, "pv"),
    _r("", "v1", "events", "Event", True, "ev"),
    _r("apps", "v1", "deployments", "Deployment", True, "deploy", categories=_ALL),
    _r("apps", "v1", "replicasets", "ReplicaSet", True, "rs", categories=_ALL),
    _r("apps", "v1", "statefulsets", "StatefulSet", True, "sts", categories=_ALL),
    _r("apps", "v1", "daemonsets", "DaemonSet", True, "ds", categories=_ALL),
    _r("apps", "v1", "controllerrevisions", "ControllerRevision", True),
    _r("apps", "v1beta1", "deployments", "Deployment", True, until=16),
    _r("apps", "v1beta1", "statefulsets", "StatefulSet", True, until=16),
    _r("apps", "v1beta2", "deployments", "Deployment", True, until=16),
    _r("apps", "v1beta2", "replicasets", "ReplicaSet", True, until=16),
    _r("apps", "v1beta2", "statefulsets", "StatefulSet", True, until=16),
    _r("apps", "v1beta2", "daemonsets", "DaemonSet", True, until=16),
    _r("extensions", "v1beta1", "deployments", "Deployment", True, until=16, storage_group="apps"),
    _r("extensions", "v1beta1", "replicasets", "ReplicaSet", True, until=16, storage_group="apps"),
    _r("extensions", "v1beta1", "daemonsets", "DaemonSet", True, until=16, storage_group="apps"),
    _r("extensions", "v1beta1", "networkpolicies", "NetworkPolicy", True, until=16,
       storage_group="networking.k8s.io"),
    _r("extensions", "v1beta1", "ingresses", "Ingress", True, until=22, storage_group="networking.k8s.io"),
    _r("batch", "v1", "jobs", "Job", True, categories=_ALL),
    _r("batch", "v1", "cronjobs", "CronJob", True, "cj", since=21, categories=_ALL),
    _r("batch", "v1beta1", "cronjobs", "CronJob", True, "cj", until=25),
    _r("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, "pdb", since=21),
    _r("policy", "v1beta1", "poddisruptionbudgets", "PodDisruptionBudget", True, "pdb", until=25),
    _r("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, "hpa"),
    _r("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, "hpa", since=23),
    _r("autoscaling", "v2beta1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, "hpa", until=25),
    _r("autoscaling", "v2beta2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, "hpa", until=26),
    _r("networking.k8s.io", "v1", "ingresses", "Ingress", True, "ing", since=19),
    _r("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False, since=19),
    _r("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, "netpol"),
    _r("networking.k8s.io", "v1beta1", "ingresses", "Ingress", True, "ing", until=22),
    _r("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, "sc"),
    _r("storage.k8s.io", "v1beta1", "storageclasses", "StorageClass", False, "sc", until=22),
    _r("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    _r("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    _r("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    _r("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _r("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", False, "pc"),
    _r("events.k8s.io", "v1", "events", "Event", True, "ev", storage_group=""),
    _r("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False,
       "crd", "crds"),
    _r("apiextensions.k8s.io", "v1beta1", "customresourcedefinitions", "CustomResourceDefinition", False,
       "crd", "crds", until=22),
    # Every other group version a real API server serves by default, betas up to their removal (the
    # deprecated API migration guide): stored and served like any object, without a controller.
    _r("", "v1", "limitranges", "LimitRange", True, "limits"),
    _r("", "v1", "resourcequotas", "ResourceQuota", True, "quota"),
    _r("", "v1", "podtemplates", "PodTemplate", True),
    _r("", "v1", "replicationcontrollers", "ReplicationController", True, "rc", categories=_ALL),
    _r("apps", "v1beta1", "controllerrevisions", "ControllerRevision", True, until=16),
    _r("apps", "v1beta2", "controllerrevisions", "ControllerRevision", True, until=16),
    _r("extensions", "v1beta1", "podsecuritypolicies", "PodSecurityPolicy", False, "psp", until=16,
       storage_group="policy"),
    _r("policy", "v1beta1", "podsecuritypolicies", "PodSecurityPolicy", False, "psp", until=25),
    _r("rbac.authorization.k8s.io", "v1beta1", "roles", "Role", True, until=22),
    _r("rbac.authorization.k8s.io", "v1beta1", "rolebindings", "RoleBinding", True, until=22),
    _r("rbac.authorization.k8s.io", "v1beta1", "clusterroles", "ClusterRole", False, until=22),
    _r("rbac.authorization.k8s.io", "v1beta1", "clusterrolebindings", "ClusterRoleBinding", False, until=22),
    _r("scheduling.k8s.io", "v1beta1", "priorityclasses", "PriorityClass", False, "pc", until=22),
    _r("networking.k8s.io", "v1beta1", "ingressclasses", "IngressClass", False, since=18, until=22),
    _r("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", False),
    _r("storage.k8s.io", "v1", "csidrivers", "CSIDriver", False, since=18),
    _r("storage.k8s.io", "v1", "csinodes", "CSINode", False, since=17),
    _r("storage.k8s.io", "v1", "csistoragecapacities", "CSIStorageCapacity", True, since=24),
    _r("storage.k8s.io", "v1beta1", "volumeattachments", "VolumeAttachment", False, until=22),
    _r("storage.k8s.io", "v1beta1", "csidrivers", "CSIDriver", False, until=22),
    _r("storage.k8s.io", "v1beta1", "csinodes", "CSINode", False, until=22),
    _r("storage.k8s.io", "v1beta1", "csistoragecapacities", "CSIStorageCapacity", True, since=21, until=27),
    _r("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration",
       False, since=16),
    _r("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration",
       False, since=16),
    _r("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", False,
       since=30),
    _r("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings",
       "ValidatingAdmissionPolicyBinding", False, since=30),
    _r("admissionregistration.k8s.io", "v1beta1", "mutatingwebhookconfigurations",
       "MutatingWebhookConfiguration", False, until=22),
    _r("admissionregistration.k8s.io", "v1beta1", "validatingwebhookconfigurations",
       "ValidatingWebhookConfiguration", False, until=22),
    _r("apiregistration.k8s.io", "v1", "apiservices", "APIService", False),
    _r("apiregistration.k8s.io", "v1beta1", "apiservices", "APIService", False, until=22),
    _r("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", False, "csr",
       since=19),
    _r("certificates.k8s.io", "v1beta1", "certificatesigningrequests", "CertificateSigningRequest", False, "csr",
       until=22),
    _r("coordination.k8s.io", "v1", "leases", "Lease", True, since=14),
    _r("coordination.k8s.io", "v1beta1", "leases", "Lease", True, until=22),
    _r("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, since=21),
    _r("discovery.k8s.io", "v1beta1", "endpointslices", "EndpointSlice", True, since=17, until=25),
    _r("events.k8s.io", "v1beta1", "events", "Event", True, "ev", storage_group="", until=25),
    _r("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", False, since=20),
    _r("node.k8s.io", "v1beta1", "runtimeclasses", "RuntimeClass", False, since=14, until=25),
    _r("flowcontrol.apiserver.k8s.io", "v1", "flowschemas", "FlowSchema", False, since=29),
    _r("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations", "PriorityLevelConfiguration", False,
       since=29),
    _r("flowcontrol.apiserver.k8s.io", "v1beta3", "flowschemas", "FlowSchema", False, since=26, until=32),
    _r("flowcontrol.apiserver.k8s.io", "v1beta3", "prioritylevelconfigurations", "PriorityLevelConfiguration",
       False, since=26, until=32),
    _r("flowcontrol.apiserver.k8s.io", "v1beta2", "flowschemas", "FlowSchema", False, since=23, until=29),
    _r("flowcontrol.apiserver.k8s.io", "v1beta2", "prioritylevelconfigurations", "PriorityLevelConfiguration",
       False, since=23, until=29),
    _r("flowcontrol.apiserver.k8s.io", "v1beta1", "flowschemas", "FlowSchema", False, since=20, until=26),
    _r("flowcontrol.apiserver.k8s.io", "v1beta1", "prioritylevelconfigurations", "PriorityLevelConfiguration",
       False, since=20, until=26),
]

# The group version preferred in discovery (first listed wins when served).
_PREFERRED_ORDER = ["v1", "v2", "v1beta3", "v1beta2", "v2beta2", "v1beta1", "v2beta1"]
# Where an object is kept when its group serves several versions: the richest one, as the real
# storage version is (an autoscaling/v1 HPA cannot hold v2 metrics).
_STORAGE_ORDER = {"autoscaling": ["v2", "v2beta2", "v1", "v2beta1"]}


def parse_minor(version: str) -> int:
    """'1.30', 'v1.30.4' -> 30."""
    parts = version.lstrip("v").split(".")
    if len(parts) < 2 or not parts[1].isdigit():
        raise ValueError(f"not a Kubernetes version: {version!r}")
    return int(parts[1])


@cache
def _builtin_served(minor: int) -> tuple[Resource, ...]:
    return tuple(r for r in BUILTIN if r.served_in(minor))


@dataclass
class ApiTable:
    """The resources one server serves: built-ins of its version plus CRD-defined ones."""

    minor: int
    custom: list[Resource] = field(default_factory=list)
    # What is derived from the served resources (lookups, discovery documents), kept while `custom` is the same
    # list: every request resolves its resource here, and every client of a fleet reads discovery.
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    _memo_of: list[Resource] | None = field(default=None, repr=False, compare=False)

    def derived(self, key: Any, build: Callable[[], Any]) -> Any:
        """`build()`'s value for `key`, computed once per set of served resources (shared: never change it)."""
        if self._memo_of is not self.custom:  # held, so a new list can never take the old one's id
            self._memo.clear()
            self._memo_of = self.custom
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def resources(self) -> list[Resource]:
        return [*_builtin_served(self.minor), *self.custom]

    def group_versions(self) -> dict[str, list[str]]:
        """group -> served versions, preferred first."""
        found: dict[str, list[str]] = self.derived("group_versions", self._group_versions)
        return {group: list(versions) for group, versions in found.items()}

    def _group_versions(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for r in self.resources():
            versions = out.setdefault(r.group, [])
            if r.version not in versions:
                versions.append(r.version)
        for group, versions in out.items():
            if group in {c.group for c in self.custom}:
                continue
            versions.sort(key=lambda v: _PREFERRED_ORDER.index(v) if v in _PREFERRED_ORDER else 99)
        return out

    def in_group_version(self, group: str, version: str) -> list[Resource]:
        return [r for r in self.resources() if r.group == group and r.version == version]

    def lookup(self, group: str, version: str, plural: str) -> Resource | None:
        def index() -> dict[tuple[str, str, str], Resource]:
            out: dict[tuple[str, str, str], Resource] = {}
            for r in self.resources():
                out.setdefault((r.group, r.version, r.plural), r)  # the first served wins, as before
            return out

        found: Resource | None = self.derived("lookup", index).get((group, version, plural))
        return found

    def by_kind(self, api_version: str, kind: str) -> Resource | None:
        group, _, version = api_version.rpartition("/")
        for r in self.resources():
            if r.group == group and r.version == version and r.kind == kind:
                return r
        return None

    def storage_for(self, store_group: str, kind: str) -> Resource | None:
        """The group version objects of a stored kind are kept in."""
        order = _STORAGE_ORDER.get(store_group)
        if order:
            candidates = [r for r in self.resources() if r.group == store_group and r.kind == kind]
            candidates.sort(key=lambda r: order.index(r.version) if r.version in order else 99)
            if candidates:
                return candidates[0]
        return self.preferred_for(store_group, kind)

    def preferred_for(self, store_group: str, kind: str) -> Resource | None:
        """The served resource used to address objects of a stored kind (controllers, archives)."""
        candidates = [r for r in self.resources() if r.store_group == store_group and r.kind == kind]
        candidates.sort(key=lambda r: (r.group != store_group, _PREFERRED_ORDER.index(r.version)
                                       if r.version in _PREFERRED_ORDER else 99))
        return candidates[0] if candidates else None

    def set_custom_from_crds(self, crds: list[dict]) -> None:
        """Serve every `served` version of every stored CRD, as the apiextensions server does."""
        custom: list[Resource] = []
        for crd in crds:
            spec = crd.get("spec", {})
            names = spec.get("names", {})
            for v in spec.get("versions", []):
                if not v.get("served", True):
                    continue
                custom.append(Resource(
                    group=spec.get("group", ""), version=v["name"], plural=names.get("plural", ""),
                    kind=names.get("kind", ""), namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                    short_names=tuple(names.get("shortNames", [])), singular=names.get("singular", ""),
                    categories=tuple(names.get("categories", [])),
                ))
        self.custom = custom
