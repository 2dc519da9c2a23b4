"""Executors of the AKS cluster kinds: create, settle, verify, tag, stop, delete."""

from __future__ import annotations

from collections.abc import Callable

from bluegreen.actions import (
    CreateCluster,
    DeleteCluster,
    SettleCluster,
    StopCluster,
    TagCluster,
    VerifyCluster,
)
from bluegreen.azure.aks import ManagedClusterInfo
from bluegreen.errors import PermanentRemoteError, PreconditionFailedError, StepFailedError
from bluegreen.events import WAITING
from bluegreen.executors.base import ExecEnv, Outcome, executes
from bluegreen.kinds import MANAGED_BY_TAG
from bluegreen.kube.wait import NotYet, wait_until

CREATE_TIMEOUT = 3600.0
OPERATION_TIMEOUT = 3600.0
_TRANSITIONS = ("Stopping", "Starting", "Deleting", "Updating", "Upgrading", "Creating", "Canceling")
# A 409 because an operation is in flight (ours, whose answer was lost, or anybody's): wait, then send again.
BUSY_ATTEMPTS = 5
# A stop whose operation ends Failed is reconciled and sent again this many times before we give up.
STOP_ATTEMPTS = 5


def _settled(env: ExecEnv, rg: str, name: str, *, timeout: float) -> ManagedClusterInfo | None:
    """The cluster once no operation is in flight on it (a resumed run may find its own still running)."""
    absent = object()

    reported: list[str] = []

    def settled() -> object:
        info = env.aks.get(rg, name)
        if info is not None and info.provisioning_state in _TRANSITIONS:
            if info.provisioning_state not in reported:
                reported.append(info.provisioning_state)
                env.report(WAITING, f"{name} is busy ({info.provisioning_state}); waiting for that operation to end",
                           cluster=name, provisioning_state=info.provisioning_state)
            raise NotYet(f"{name} is {info.provisioning_state}")
        return absent if info is None else info

    result = wait_until(settled, clock=env.clock, timeout=timeout, interval=env.poll_interval * 3,
                        describe=f"the operation in flight on {name}")
    return None if result is absent else result  # type: ignore[return-value]


def _conflict(exc: PermanentRemoteError) -> bool:
    return exc.status == 409


def _left_failed(env: ExecEnv, rg: str, name: str) -> bool:
    """Whether the cluster is now in provisioning state Failed: the operation we sent was accepted and failed.

    Decided from the cluster, not the error: a failed operation surfaces as the status monitor's error
    or as the operation result's 4xx, depending on how ARM is polled.
    """
    info = env.aks.get(rg, name)
    return info is not None and info.provisioning_state == "Failed"


def _when_idle(env: ExecEnv, rg: str, name: str, what: str, send: Callable[[], object],
               done: Callable[[ManagedClusterInfo | None], bool] = lambda _: False) -> None:
    """Send one mutation of a cluster once no operation is in flight on it.

    ARM answers 409 OperationNotAllowed while a cluster is Updating/Stopping/Deleting/... (after our own
    tag update, a write that landed before a 500, or somebody else's). That is a wait, not a failure:
    wait for the operation to end, then decide again from what the cluster is now (`done`: a stop or
    delete already under way, say, needs nothing more) and send again. Bounded by BUSY_ATTEMPTS waits,
    each bounded by OPERATION_TIMEOUT on the injected clock.
    """
    for _ in range(BUSY_ATTEMPTS):
        if done(_settled(env, rg, name, timeout=OPERATION_TIMEOUT)):
            return
        try:
            send()
            return
        except PermanentRemoteError as exc:
            if not _conflict(exc):
                raise
            now = env.aks.get(rg, name)
            if now is not None and now.provisioning_state not in _TRANSITIONS and not done(now):
                raise  # not busy: a real refusal (a stopped or failed cluster), for the caller to judge
            env.report(WAITING, f"{name} refused {what} while busy ({now.provisioning_state if now else 'gone'}); "
                                "waiting for the operation in flight", cluster=name)
    raise StepFailedError(f"{name} stayed busy through {BUSY_ATTEMPTS} waits; {what} was not sent")


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
    _when_idle(env, p.resource_group, p.name, "the tag update",
               lambda: env.aks.update_tags(p.resource_group, p.name, tags))
    return Outcome()


def _stopped(info: ManagedClusterInfo | None) -> bool:
    return info is None or (info.power_state == "Stopped" and info.provisioning_state == "Succeeded")


def _reconcile_advice(rg: str, name: str, state: str) -> str:
    return (f"{name} is {state}. Reconcile it: `az aks update --resource-group {rg} --name {name}` (a PUT of "
            "its current model), wait until its provisioning state is Succeeded, then run the same bluegreen "
            "command again")


@executes(StopCluster)
def stop_cluster(p: StopCluster, env: ExecEnv) -> Outcome:
    """Stop, recovering a cluster a failed operation left Running/Failed by AKS's documented reconcile."""
    rg, name = p.resource_group, p.name
    for _ in range(STOP_ATTEMPTS):
        current = _settled(env, rg, name, timeout=OPERATION_TIMEOUT)
        if _stopped(current):
            break
        assert current is not None
        if current.provisioning_state == "Failed":
            if current.power_state != "Running":
                raise StepFailedError(_reconcile_advice(rg, name, f"{current.power_state}/Failed"), "decommission")
            env.report(WAITING, f"{name} is Running/Failed (a failed operation); reconciling it before stopping "
                                "it again", cluster=name)
            try:
                _when_idle(env, rg, name, "the reconcile", lambda: env.aks.reconcile(rg, name))
            except PermanentRemoteError as exc:
                if not _left_failed(env, rg, name):
                    raise StepFailedError(f"{exc}; {_reconcile_advice(rg, name, 'Running/Failed')}",
                                          "decommission") from exc
            continue
        try:
            _when_idle(env, rg, name, "the stop", lambda: env.aks.stop(rg, name), done=_stopped)
        except PermanentRemoteError as exc:
            if not _left_failed(env, rg, name):
                raise
            env.report(WAITING, f"stopping {name} failed ({exc}); trying again", cluster=name)
    else:
        last = env.aks.get(rg, name)
        if not _stopped(last):
            state = f"{last.power_state}/{last.provisioning_state}" if last else "gone"
            raise StepFailedError(f"{name} did not stop after {STOP_ATTEMPTS} attempts; "
                                  + _reconcile_advice(rg, name, state), "decommission")
    env.forget(p.cluster)
    return Outcome()


@executes(DeleteCluster)
def delete_cluster(p: DeleteCluster, env: ExecEnv) -> Outcome:
    """Delete; a 409 because a delete is already under way (a retry whose first attempt landed) is waited for."""
    _when_idle(env, p.resource_group, p.name, "the delete",
               lambda: env.aks.delete(p.resource_group, p.name), done=lambda info: info is None)
    env.forget(p.cluster)
    return Outcome()
