"""Kube-layer checks written once, run on the project's own manifests and, in tests/conformance, on ../shared's.

Each function is one test body over a manifest file or folder given by the caller, so the two tiers prove
the same behaviour and cannot drift apart. A uniquely named module (imported by tests/unit/kube and
tests/conformance, whose conftest puts this folder on sys.path).
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from bluegreen.errors import PermanentRemoteError
from bluegreen.kube.apiversions import removed_api_findings
from bluegreen.kube.client import KubeClient
from bluegreen.kube.manifests import Manifest, load_manifests, order_for_apply, order_for_delete
from bluegreen.kube.readiness import workload_status
from bluegreen.kube.sanitize import strip_server_fields
from bluegreen.kube.wait import NotYet, wait_until
from bluegreen.sim.clock import SimClock
from bluegreen.sim.kube.cluster import ClusterSimulator

Key = tuple[str, str]  # (kind, name)
CONFIG_KINDS = ("Secret", "ConfigMap", "ServiceAccount")
WORKLOADS = ("Deployment", "StatefulSet")
RUNNABLE = {"CronJob", "Deployment", "StatefulSet"}


def start_cluster(clock: SimClock, version: str = "1.30.5") -> ClusterSimulator:
    """A simulated API server on 127.0.0.1, driven by `clock`; the caller stops it."""
    addresses = (f"20.0.0.{n}" for n in itertools.count(10))
    sim = ClusterSimulator("green", version, clock, lock=threading.RLock(), ip_allocator=lambda: next(addresses))
    clock.subscribe(sim.on_clock)
    sim.start()
    return sim


# --- loading -------------------------------------------------------------------------------------------------


def check_kind_counts(file: Path, expected: dict[str, int]) -> None:
    """The file loads with the count of each kind its header (or SOURCES.md) states."""
    counts = Counter(m.kind for m in load_manifests([file]))
    assert {kind: counts[kind] for kind in expected} == expected


def check_document_position(file: Path, position: int, identity: tuple[str, str, str], line: int) -> None:
    """The manifest at `position` keeps its source file, document index and first line, and names them."""
    manifest = load_manifests([file])[position]
    assert (manifest.api_version, manifest.kind, manifest.name) == identity
    assert (manifest.source, manifest.index, manifest.line) == (file, position, line)
    assert f"document {position + 1} (line {line})" in manifest.location


def check_single_object(file: Path, kind: str, name: str, namespace: str | None) -> Manifest:
    """A one-object file (leading comments before it) loads as that object, with its namespace or none."""
    (manifest,) = load_manifests([file])
    assert (manifest.kind, manifest.name, manifest.namespace) == (kind, name, namespace)
    return manifest


def check_folder_is_the_sum_of_its_files(folder: Path) -> list[Manifest]:
    """Loading a folder loads each of its files, nothing more or less."""
    files = sorted(folder.glob("*.yaml"))
    assert files
    loaded = load_manifests([folder])
    assert len(loaded) == sum(len(load_manifests([f])) for f in files)
    return loaded


# --- ordering ------------------------------------------------------------------------------------------------


def check_apply_order(
    manifests: list[Manifest], first: list[str], custom_kind: str, precedes: Iterable[tuple[Key, Key]]
) -> None:
    """`first` kinds lead (namespaces, CRDs, ...); config and Services before workloads; custom resources last."""
    ordered = order_for_apply(manifests)
    kinds = [m.kind for m in ordered]
    position = {(m.kind, m.name): i for i, m in enumerate(ordered)}
    assert kinds[: len(first)] == first
    assert kinds[-1] == custom_kind  # custom resources after everything built in
    first_workload = min(i for i, k in enumerate(kinds) if k in WORKLOADS)
    assert max(i for i, k in enumerate(kinds) if k in CONFIG_KINDS) < min(
        i for i, k in enumerate(kinds) if k == "Deployment"
    )
    assert max(i for i, k in enumerate(kinds) if k == "Service") < first_workload
    for before, after in precedes:
        assert position[before] < position[after], (before, after)


def check_delete_order(manifests: list[Manifest], custom_kind: str, cronjobs: int) -> None:
    """What can run goes first (CronJobs before all), custom resources before built-ins, namespaces last."""
    kinds = [m.kind for m in order_for_delete(manifests)]
    assert kinds[:cronjobs] == ["CronJob"] * cronjobs
    last_runnable = max(i for i, k in enumerate(kinds) if k in RUNNABLE)
    assert all(k in RUNNABLE for k in kinds[: last_runnable + 1])
    assert kinds.index(custom_kind) < kinds.index("Service")
    assert kinds[-1] == "Namespace"


# --- removed APIs --------------------------------------------------------------------------------------------


def check_removed_deployments(file: Path, names: list[str], location: str) -> None:
    """extensions/v1beta1 Deployments are removed on 1.30, in file order, each finding naming object, place and fix."""
    findings = removed_api_findings(load_manifests([file]), "1.30.5")
    assert [(f.severity, f.kind, f.name) for f in findings] == [("removed", "Deployment", n) for n in names]
    message = findings[0].message
    assert f"Deployment {names[0]}" in message and location in message
    assert "removed in 1.16" in message and "use apps/v1" in message


def check_pdb_by_target_version(file: Path, name: str) -> None:
    """A policy/v1beta1 PodDisruptionBudget: fine on 1.20, deprecated on 1.24, removed from 1.25."""
    manifests = load_manifests([file])
    assert removed_api_findings(manifests, "1.20.0") == []
    (deprecated,) = removed_api_findings(manifests, "1.24.9")
    assert deprecated.severity == "deprecated"
    assert "deprecated since 1.21, removal planned in 1.25; use policy/v1" in deprecated.message
    (removed,) = removed_api_findings(manifests, "1.25.0")
    assert (removed.severity, removed.kind, removed.name) == ("removed", "PodDisruptionBudget", name)


def check_no_findings(file: Path) -> None:
    """Current manifests raise nothing on a current version."""
    assert removed_api_findings(load_manifests([file]), "1.33.0") == []


# --- sanitizing ----------------------------------------------------------------------------------------------


def check_sanitizer_keeps_user_manifests(folder: Path) -> None:
    """What a user wrote carries no server fields, so stripping them changes nothing."""
    manifests = load_manifests([folder])
    assert manifests
    for manifest in manifests:
        assert strip_server_fields(manifest.obj) == manifest.obj, manifest.location


# --- the client against the simulated API server ------------------------------------------------------------


def in_namespace(manifest: Manifest, namespace: str) -> dict:
    return {**manifest.obj, "metadata": {**manifest.obj["metadata"], "namespace": namespace}}


def pending_workloads(kube: KubeClient, namespace: str) -> Iterator[str]:
    for api_version, kind in (("apps/v1", "Deployment"), ("apps/v1", "StatefulSet")):
        for obj in kube.list(api_version, kind, namespace):
            status = workload_status(obj)
            if not status.ready:
                yield str(status)


def check_rolls_out(kube: KubeClient, clock: SimClock, file: Path, namespace: str, load_balancer: str) -> None:
    """Applied in apply order, the file's workloads roll out on the simulated clock; its config lands; the LB gets an IP."""
    kube.ensure_namespace(namespace)
    manifests = load_manifests([file])
    for manifest in order_for_apply(manifests):
        kube.apply(in_namespace(manifest, namespace))
    assert sum(m.kind in WORKLOADS for m in manifests) >= 2

    def ready() -> bool | None:
        pending = list(pending_workloads(kube, namespace))
        if pending:
            raise NotYet(pending[0])
        return True

    assert wait_until(ready, clock=clock, timeout=900, interval=10, describe=f"{namespace} workloads")
    assert kube.load_balancer_ip(namespace, load_balancer) is not None
    names = {o["metadata"]["name"] for o in kube.list_namespaced_all(namespace, [("v1", "Secret"), ("v1", "ConfigMap")])}
    config = {m.name for m in manifests if m.kind in ("Secret", "ConfigMap")}
    assert config and config <= names


def check_removed_api_refused(kube: KubeClient, file: Path) -> None:
    """A 1.30 server refuses a file's extensions/v1beta1 Deployment with a clear, permanent NotServed."""
    kube.ensure_namespace("default")
    old = next(m for m in load_manifests([file]) if m.api_version == "extensions/v1beta1")
    with pytest.raises(PermanentRemoteError, match="does not serve extensions/v1beta1") as info:
        kube.apply(in_namespace(old, "default"))
    assert info.value.code == "NotServed"


def check_old_cluster_serves_policy_v1beta1(file: Path, name: str) -> None:
    """A 1.24 server still serves policy/v1beta1 and accepts the file's PodDisruptionBudget."""
    clock = SimClock()
    old = start_cluster(clock, "1.24.9")
    try:
        kube = KubeClient.from_kubeconfig(old.kubeconfig(), clock=clock)
        assert kube.server_version() == "1.24.9"
        assert {"policy/v1beta1", "policy/v1", "batch/v1beta1"} <= kube.served_api_versions()
        pdb = next(m for m in load_manifests([file]) if m.kind == "PodDisruptionBudget")
        assert pdb.api_version == "policy/v1beta1"
        applied = kube.apply(in_namespace(pdb, "default"))
        assert (applied["apiVersion"], applied["metadata"]["name"]) == ("policy/v1beta1", name)
    finally:
        old.stop()


class RecordingClock(SimClock):
    """The simulated clock, keeping every sleep asked of it (retry and wait tests check the delays)."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)
