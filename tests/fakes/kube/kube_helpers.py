"""Helpers for tests of the simulated Kubernetes API server."""

from __future__ import annotations

import itertools
import random
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import yaml
from bg_shared import DATA
from kubernetes import client, config

from bluegreen.sim.clock import SimClock
from bluegreen.sim.kube.cluster import ClusterBehaviour, ClusterSimulator

MANIFESTS = DATA / "manifests"  # the project's own; tests/conformance reads ../shared's corpus
KUBECTL = shutil.which("kubectl")

# A random 127.a.b.0/24 per test process, so parallel runs on one machine do not collide on LB sockets.
_NET = (random.randint(2, 250), random.randint(2, 250))
_HOSTS = itertools.count(2)


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
