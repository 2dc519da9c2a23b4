"""Helpers for tests of the simulated Kubernetes API server."""

from __future__ import annotations

import atexit
import itertools
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from bg_shared import DATA
from kubernetes import client, config, dynamic
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

from bluegreen.sim.clock import SimClock
from bluegreen.sim.kube.cluster import ClusterBehaviour, ClusterSimulator

MANIFESTS = DATA / "manifests"  # the project's own; tests/conformance reads ../shared's corpus
KUBECTL = shutil.which("kubectl")

# A random 127.a.b.0/24 per test process, so parallel runs on one machine do not collide on LB sockets.
_NET = (random.randint(2, 250), random.randint(2, 250))
_HOSTS = itertools.count(2)


_CACHE_DIR = tempfile.mkdtemp(prefix="bluegreen-test-discovery-")
atexit.register(shutil.rmtree, _CACHE_DIR, True)


def fresh_dynamic(api: client.ApiClient) -> dynamic.DynamicClient:
    """The official DynamicClient with a discovery cache of its own: its default cache file is named after
    host:port in /tmp, so a port reused by another test's server would load that server's discovery."""
    return dynamic.DynamicClient(api, cache_file=os.path.join(_CACHE_DIR, f"{uuid.uuid4().hex}.json"))


def ip_allocator() -> str:
    return f"127.{_NET[0]}.{_NET[1]}.{next(_HOSTS)}"


class World:
    """A clock, a lock, one cluster, its execution log; enough of the simulated world for these tests."""

    def __init__(self, name: str = "blue", version: str = "1.30", behaviour: ClusterBehaviour | None = None,
                 tmp: Path | None = None, allocator: Callable[[], str] = ip_allocator) -> None:
        self.clock = SimClock()
        self.lock = threading.RLock()
        self.log: list[dict] = []
        self.mutations = 0
        self.cluster = ClusterSimulator(name, version, self.clock, lock=self.lock, ip_allocator=allocator,
                                        on_mutation=self._mutated, log=self.log.append, behaviour=behaviour)
        self.clock.subscribe(self.cluster.on_clock)
        self.tmp = tmp
        self.cluster.start()

    def _mutated(self) -> None:
        self.mutations += 1

    def kubeconfig_file(self) -> Path:
        assert self.tmp is not None
        path = self.tmp / f"{self.cluster.name}-kubeconfig.yaml"
        path.write_bytes(self.cluster.kubeconfig())
        return path

    def kubectl(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        assert KUBECTL is not None
        proc = subprocess.run([KUBECTL, "--kubeconfig", str(self.kubeconfig_file()), *args],
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def api_client(self) -> client.ApiClient:
        cfg = client.Configuration()
        config.load_kube_config_from_dict(yaml.safe_load(self.cluster.kubeconfig()), client_configuration=cfg)
        return client.ApiClient(cfg)

    def close(self) -> None:
        self.cluster.stop()


def load_manifests(name: str, folder: Path = MANIFESTS) -> list[dict]:
    return [d for d in yaml.safe_load_all((folder / name).read_text()) if d]


# Test bodies written once: tests/fakes/kube runs them on MANIFESTS, tests/conformance on ../shared's corpus.


def check_dynamic_client_applies_and_lists(api: client.ApiClient, objects: list[dict], deployment: str) -> None:
    """DynamicClient server-side applies every object, then lists and reads one Deployment rolled out."""
    dyn = fresh_dynamic(api)
    for obj in objects:
        res = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        res.server_side_apply(body=obj, name=obj["metadata"]["name"], namespace="default", field_manager="bluegreen")
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    assert deployment in {d.metadata.name for d in deployments.get(namespace="default").items}
    front = deployments.get(name=deployment, namespace="default")
    assert front.status.availableReplicas == front.spec.replicas


def check_removed_versions_answer_404(api: client.ApiClient, legacy: list[dict], with_budget: list[dict]) -> None:
    """On 1.30 discovery lacks extensions/v1beta1 and policy/v1beta1, and their URLs answer 404 with a Status."""
    dyn = fresh_dynamic(api)
    assert len([o for o in legacy if o["apiVersion"] == "extensions/v1beta1"]) == 3
    with pytest.raises(ResourceNotFoundError):
        dyn.resources.get(api_version="extensions/v1beta1", kind="Deployment")
    pdb = next(o for o in with_budget if o["kind"] == "PodDisruptionBudget")
    with pytest.raises(ResourceNotFoundError):
        dyn.resources.get(api_version=pdb["apiVersion"], kind="PodDisruptionBudget")
    for path in ("/apis/extensions/v1beta1", "/apis/policy/v1beta1",
                 "/apis/policy/v1beta1/namespaces/default/poddisruptionbudgets"):
        with pytest.raises(NotFoundError) as err:
            dyn.request("GET", path)
        assert err.value.status == 404
        assert json.loads(err.value.body)["kind"] == "Status"


def check_older_versions_serve_what_they_served(legacy: list[dict]) -> None:
    """1.15 serves extensions/v1beta1 Deployments, stored once and seen through apps/v1; 1.24 serves policy/v1beta1."""
    old = World(version="1.15")
    try:
        dyn = fresh_dynamic(old.api_client())
        res = dyn.resources.get(api_version="extensions/v1beta1", kind="Deployment")
        created = [res.create(body=o, namespace="default") for o in legacy if o["kind"] == "Deployment"]
        apps = dyn.resources.get(api_version="apps/v1", kind="Deployment")
        assert len(apps.get(namespace="default").items) == len(created) == 3
    finally:
        old.close()
    mid = World(version="1.24")
    try:
        dyn = fresh_dynamic(mid.api_client())
        assert dyn.resources.get(api_version="policy/v1beta1", kind="PodDisruptionBudget")
        assert dyn.resources.get(api_version="policy/v1", kind="PodDisruptionBudget")
    finally:
        mid.close()
