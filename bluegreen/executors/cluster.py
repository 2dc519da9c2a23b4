"""Executors of the AKS cluster kinds: create, settle, verify, tag, stop, delete."""

from __future__ import annotations

from bluegreen.actions import (
    CreateCluster,
    DeleteCluster,
    SettleCluster,
    StopCluster,
    TagCluster,
    VerifyCluster,
)
from bluegreen.azure.aks import ManagedClusterInfo
from bluegreen.errors import PreconditionFailedError, StepFailedError
from bluegreen.events import WAITING
from bluegreen.executors.base import ExecEnv, Outcome, executes
from bluegreen.kinds import MANAGED_BY_TAG
from bluegreen.kube.wait import NotYet, wait_until

CREATE_TIMEOUT = 3600.0
OPERATION_TIMEOUT = 3600.0
_TRANSITIONS = ("Stopping", "Starting", "Deleting", "Updating", "Creating")


def _settled(env: ExecEnv, rg: str, name: str, *, timeout: float) -> ManagedClusterInfo | None:
    """The cluster once no operation is in flight on it (a resumed run may find its own still running)."""
    absent = object()

    def settled() -> object:
        info = env.aks.get(rg, name)
        if info is not None and info.provisioning_state in _TRANSITIONS:
            raise NotYet(f"{name} is {info.provisioning_state}")
        return absent if info is None else info

    result = wait_until(settled, clock=env.clock, timeout=timeout, interval=env.poll_interval * 3,
                        describe=f"the operation in flight on {name}")
    return None if result is absent else result  # type: ignore[return-value]


def _settled_present(env: ExecEnv, rg: str, name: str) -> ManagedClusterInfo:
    info = _settled(env, rg, name, timeout=CREATE_TIMEOUT)
    if info is None:
        raise StepFailedError(f"{name} disappeared while it was being created", "provision")
    return info


@executes(SettleCluster)
def settle_cluster(p: SettleCluster, env: ExecEnv) -> Outcome:
    env.report(WAITING, f"{p.name} is {p.state}; waiting")
    info = _settled_present(env, p.resource_group, p.name)
    if info.provisioning_state != "Succeeded":
        raise StepFailedError(f"{p.name} ended {info.provisioning_state}", "provision")
    return Outcome(message=f"{p.name} is {info.provisioning_state} (Kubernetes {info.kubernetes_version})")


@executes(CreateCluster)
def create_cluster(p: CreateCluster, env: ExecEnv) -> Outcome:
    try:
        info = env.aks.create_or_update(p.resource_group, p.name, p.body, if_none_match=not p.recreate)
    except PreconditionFailedError:
        # If-None-Match failed on a retry: our own first PUT landed before its answer was lost.
        landed = env.aks.get(p.resource_group, p.name)
        if landed is None or landed.tags.get(MANAGED_BY_TAG) != env.pb.name:
            raise
        env.report(WAITING, f"{landed.name} was created by our first attempt; adopting it")
        info = (_settled_present(env, p.resource_group, p.name)
                if landed.provisioning_state in ("Creating", "Updating") else landed)
    if info.provisioning_state != "Succeeded":
        raise StepFailedError(f"{p.name} ended {info.provisioning_state}", "provision")
    return Outcome(message=f"green {info.name} is {info.provisioning_state} (Kubernetes {info.kubernetes_version})")


@executes(VerifyCluster)
def verify_cluster(p: VerifyCluster, env: ExecEnv) -> Outcome:
    info = env.aks.get(p.resource_group, p.name)
    if info is None or info.provisioning_state != "Succeeded":
        raise StepFailedError(f"green {p.name} is not ready", "provision")
    version = env.kube("green").server_version()
    return Outcome({"green_id": info.id, "green_version": version},
                   f"{p.name} answers (Kubernetes {version})")


@executes(TagCluster)
def tag_cluster(p: TagCluster, env: ExecEnv) -> Outcome:
    tags = dict(p.tags)
    tags.update({"bluegreen-retired-at": env.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "bluegreen-retired-by": p.retired_by, "bluegreen-retired-why": p.why})
    env.aks.update_tags(p.resource_group, p.name, tags)
    return Outcome()


@executes(StopCluster)
def stop_cluster(p: StopCluster, env: ExecEnv) -> Outcome:
    current = _settled(env, p.resource_group, p.name, timeout=OPERATION_TIMEOUT)
    if current is not None and current.power_state != "Stopped":
        env.aks.stop(p.resource_group, p.name)
    env.forget(p.cluster)
    return Outcome()


@executes(DeleteCluster)
def delete_cluster(p: DeleteCluster, env: ExecEnv) -> Outcome:
    if _settled(env, p.resource_group, p.name, timeout=OPERATION_TIMEOUT) is not None:
        env.aks.delete(p.resource_group, p.name)
    env.forget(p.cluster)
    return Outcome()
