"""What the fake ARM tells the simulated world about clusters.

The fake owns the ARM view of a cluster (provisioningState, powerState); the
world owns what runs inside it. These calls are the only coupling, so a created
cluster gets a fake API server and `listClusterUserCredential` returns a
kubeconfig that really points at it.
"""

from __future__ import annotations

from typing import Protocol


class ClusterHooks(Protocol):
    def cluster_created(self, cluster_id: str, name: str, kubernetes_version: str) -> None: ...

    def cluster_deleted(self, cluster_id: str) -> None: ...

    def cluster_power_changed(self, cluster_id: str, running: bool) -> None: ...

    def cluster_upgraded(self, cluster_id: str, kubernetes_version: str) -> None: ...

    def kubeconfig(self, cluster_id: str, role: str) -> bytes: ...


class NullHooks:
    """Hooks for tests of the ARM fake alone: a placeholder kubeconfig, no world."""

    def cluster_created(self, cluster_id: str, name: str, kubernetes_version: str) -> None:
        return None

    def cluster_deleted(self, cluster_id: str) -> None:
        return None

    def cluster_power_changed(self, cluster_id: str, running: bool) -> None:
        return None

    def cluster_upgraded(self, cluster_id: str, kubernetes_version: str) -> None:
        return None

    def kubeconfig(self, cluster_id: str, role: str) -> bytes:
        name = cluster_id.rstrip("/").rsplit("/", 1)[-1]
        return (
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: {name}\n  cluster:\n    server: https://{name}.invalid:443\n"
            f"users:\n- name: cluster{role.capitalize()}_{name}\n  user:\n    token: fake\n"
            f"contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: cluster{role.capitalize()}_{name}\n"
            f"current-context: {name}\n"
        ).encode()
