"""Which namespaced kinds a cluster serves that hold application state, from its own discovery.

Pure: a server's discovery listing in, the kinds to list (one version each) and
the kinds left out (each with why) out. Nothing is chosen from a fixed list of
kinds, so custom resources and kinds an old server serves only in an old
version (batch/v1beta1 CronJob on 1.20, extensions/v1beta1 Ingress) are found.

The rules, in order:
1. Only what can be read object by object: namespaced, verbs `list` and `get`, not a subresource.
2. One version per kind and group: the group's preferred version when it serves the kind, otherwise the
   most stable, newest version that does (Kubernetes' own version priority: v2 > v1 > v1beta2 > v1beta1 > alpha).
3. One group per kind where Kubernetes serves the same objects under two groups (extensions/v1beta1
   Deployments are apps' Deployments, events.k8s.io Events are core Events): the successor group wins.
   Custom resources of the same kind in unrelated groups are different kinds and are all kept.
4. What the cluster writes about itself is not application state and is skipped, with the reason:
   records (Events), state derived from other objects (Endpoints, EndpointSlices, ControllerRevisions,
   CSIStorageCapacity), heartbeats of running processes (Leases), and anything served read-only (no
   `create`: metrics.k8s.io measurements and the like), which no cluster could be given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ServedResource:
    """One resource of one served group version, as discovery lists it."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: tuple[str, ...]
    preferred: bool  # its group version is the group's preferred one

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


@dataclass(frozen=True)
class ListedKind:
    """A kind to list, at the version the server serves it."""

    api_version: str
    kind: str
    plural: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]


@dataclass(frozen=True)
class SkippedKind:
    api_version: str
    kind: str
    reason: str


@dataclass(frozen=True)
class KindSelection:
    listed: tuple[ListedKind, ...]
    skipped: tuple[SkippedKind, ...]

    def version_of(self, group: str, kind: str) -> str | None:
        """The apiVersion a kind of `group` is listed at ("batch/v1beta1"), or None when not served."""
        for k in self.listed:
            if k.group == group and k.kind == kind:
                return k.api_version
        return None


# Kinds Kubernetes serves under a legacy group as well as its successor: (legacy group, kind) -> successor.
_SUCCESSOR_GROUP: dict[tuple[str, str], str] = {
    ("extensions", "Deployment"): "apps",
    ("extensions", "ReplicaSet"): "apps",
    ("extensions", "DaemonSet"): "apps",
    ("extensions", "NetworkPolicy"): "networking.k8s.io",
    ("extensions", "Ingress"): "networking.k8s.io",
    ("extensions", "PodSecurityPolicy"): "policy",
    ("events.k8s.io", "Event"): "",
}

# Built-in kinds a cluster writes about itself: (group, kind) -> why it is not copied, archived or deleted.
_CLUSTER_OWN: dict[tuple[str, str], str] = {
    ("", "Event"): "events are the record of what happened on the cluster that emitted them",
    ("", "Endpoints"): "endpoints are derived from Services by each cluster",
    ("discovery.k8s.io", "EndpointSlice"): "endpoint slices are derived from Services by each cluster",
    ("apps", "ControllerRevision"): "controller revisions are history the StatefulSet/DaemonSet controllers write",
    ("coordination.k8s.io", "Lease"): "leases are heartbeats and locks of running processes",
    ("storage.k8s.io", "CSIStorageCapacity"): "storage capacity is published by the cluster's CSI drivers",
}

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes' version priority as a sort key (higher first): GA > beta > alpha, then the higher number."""
    match = _VERSION.match(version)
    if not match:
        return (-1, 0, 0)  # not Kubernetes-like: after every Kubernetes-like version
    major, level, minor = int(match.group(1)), match.group(2), int(match.group(3) or 0)
    stability = {None: 3, "beta": 2, "alpha": 1}[level]
    return (stability, major, minor)


def canonical_group(group: str, kind: str) -> str:
    """The group whose objects these are: "extensions" Deployments are "apps" Deployments."""
    return _SUCCESSOR_GROUP.get((group, kind), group)


def select_kinds(served: Iterable[ServedResource]) -> KindSelection:
    """The kinds to list, one version each, and what was left out and why (rules in the module docstring)."""
    candidates: dict[tuple[str, str], list[ServedResource]] = {}
    for r in served:
        if not r.namespaced or "/" in r.plural:
            continue
        if not {"list", "get"} <= set(r.verbs):
            continue
        candidates.setdefault((r.group, r.kind), []).append(r)
    chosen: dict[tuple[str, str], ServedResource] = {}
    for key, versions in candidates.items():
        versions.sort(key=lambda r: (r.preferred, version_priority(r.version)), reverse=True)
        chosen[key] = versions[0]
    listed: list[ListedKind] = []
    skipped: list[SkippedKind] = []
    for (group, kind), r in sorted(chosen.items()):
        successor = canonical_group(group, kind)
        if successor != group and (successor, kind) in chosen:
            skipped.append(SkippedKind(r.api_version, kind, f"the same objects as {chosen[(successor, kind)].api_version} "
                                       f"{kind}, which is listed instead"))
            continue
        own = _CLUSTER_OWN.get((successor, kind))
        if own is not None:
            skipped.append(SkippedKind(r.api_version, kind, own))
            continue
        if "create" not in r.verbs:
            skipped.append(SkippedKind(r.api_version, kind, "served read-only: the cluster computes it, no cluster "
                                       "can be given it"))
            continue
        listed.append(ListedKind(r.api_version, kind, r.plural))
    return KindSelection(tuple(listed), tuple(skipped))
