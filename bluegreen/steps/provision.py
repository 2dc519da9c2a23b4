"""Provision: create green as a clone of blue's live configuration, or adopt it."""

from __future__ import annotations

from typing import Any

from bluegreen.azure.aks import ManagedClusterInfo
from bluegreen.azure.aks_clone import clone_warnings, green_cluster_body
from bluegreen.context import StepContext
from bluegreen.errors import GuardError, PreconditionFailedError, StepFailedError
from bluegreen.events import ACTION_FINISHED, ACTION_STARTED, WAITING
from bluegreen.kube.wait import NotYet, wait_until
from bluegreen.observe import Observed
from bluegreen.plan import Action, Check, StepPlan
from bluegreen.playbook import NodePoolOverride, Playbook
from bluegreen.steps.kinds import MANAGED_BY_TAG
from bluegreen.steps.preflight import resolve_target_version

CREATE_ETA = 600.0
CREATE_TIMEOUT = 3600.0


def green_tags(pb: Playbook) -> dict[str, str]:
    return {MANAGED_BY_TAG: pb.name, "bluegreen-role": "green", "bluegreen-blue": pb.blue.name, **pb.green.tags}


def pool_override_wire(override: NodePoolOverride) -> dict[str, Any]:
    """The playbook's pool override in ARM's wire form (agentPoolProfiles[] field names)."""
    wire: dict[str, Any] = {}
    if override.count is not None:
        wire["count"] = override.count
    if override.vm_size:
        wire["vmSize"] = override.vm_size
    if override.max_pods:
        wire["maxPods"] = override.max_pods
    if override.max_surge:
        wire["upgradeSettings"] = {"maxSurge": override.max_surge}
    return wire


def green_body(pb: Playbook, obs: Observed) -> dict[str, Any]:
    assert obs.blue.info is not None
    target = resolve_target_version(pb, obs) or pb.green.kubernetes_version
    overrides = {name: pool_override_wire(o) for name, o in pb.green.node_pools.items()}
    return green_cluster_body(
        obs.blue.info.raw,
        name=pb.green.name,
        kubernetes_version=target,
        dns_prefix=pb.green.dns_prefix or pb.green.name,
        pool_overrides=overrides,
        subnet_id=pb.green.subnet_id,
        extra_tags=green_tags(pb),
    )


def _pool_summary(body: dict[str, Any]) -> list[str]:
    out = []
    for p in body["properties"]["agentPoolProfiles"]:
        surge = (p.get("upgradeSettings") or {}).get("maxSurge", "-")
        out.append(f"{p['name']}: {p.get('count')} x {p.get('vmSize')} (max surge {surge})")
    return out


def plan_provision(pb: Playbook, obs: Observed) -> StepPlan:
    checks: list[Check] = []
    notes: list[str] = []
    blue = obs.blue.info
    if blue is None:
        return StepPlan(name="provision", checks=(Check("blue exists", False, "cannot clone a missing blue"),))
    blue_pools = {p.name for p in blue.node_pools}
    for name in pb.green.node_pools:
        if name not in blue_pools:
            checks.append(Check(f"green.node_pools.{name}", False,
                                f"blue has no node pool {name!r} (it has {', '.join(sorted(blue_pools))})"))
    notes.extend(clone_warnings(blue.raw))
    green = obs.green.info
    if green is not None:
        owner = green.tags.get(MANAGED_BY_TAG)
        if owner != pb.name:
            checks.append(Check("green is ours", False, f"a cluster {pb.green.name} exists that this playbook did not "
                                f"create (tag {MANAGED_BY_TAG}={owner!r}); refusing to adopt it"))
            return StepPlan(name="provision", checks=tuple(checks), notes=tuple(notes))
        if green.provisioning_state == "Succeeded":
            notes.append(f"green {green.name} exists ({green.kubernetes_version}, {green.power_state}): adopted")
            return StepPlan(name="provision", checks=tuple(checks), notes=tuple(notes))
        if green.provisioning_state in ("Creating", "Updating"):
            return StepPlan(name="provision", checks=tuple(checks), notes=tuple(notes),
                            waits=(f"green is {green.provisioning_state}: wait for it to finish",))
    if checks and any(not c.ok for c in checks):
        return StepPlan(name="provision", checks=tuple(checks), notes=tuple(notes))
    body = green_body(pb, obs)
    props = body["properties"]
    action = Action(
        id="provision/cluster",
        kind="create_cluster",
        target=f"managedClusters/{pb.green.name}",
        summary=("recreate failed" if green is not None else "create") + f" green cluster {pb.green.name}",
        before=None if green is None else {"provisioningState": green.provisioning_state},
        after={
            "location": body["location"],
            "kubernetesVersion": props.get("kubernetesVersion"),
            "dnsPrefix": props.get("dnsPrefix"),
            "nodePools": _pool_summary(body),
            "networkPlugin": (props.get("networkProfile") or {}).get("networkPlugin"),
        },
        eta_seconds=CREATE_ETA,
        params={"body": body},
    )
    return StepPlan(name="provision", actions=(action,), checks=tuple(checks), notes=tuple(notes),
                    waits=("long-running create (about 10 minutes on Azure)",))


def _settled_green(ctx: StepContext) -> ManagedClusterInfo:
    """Green once the operation in flight on it (ours, from a run that was killed) has finished."""
    pb = ctx.pb

    def settled() -> ManagedClusterInfo:
        info = ctx.aks.get(pb.green_rg, pb.green.name)
        if info is None:
            raise StepFailedError(f"green {pb.green.name} disappeared while it was being created", "provision")
        if info.provisioning_state in ("Creating", "Updating"):
            raise NotYet(f"green is {info.provisioning_state}")
        return info

    return wait_until(settled, clock=ctx.clock, timeout=CREATE_TIMEOUT, interval=ctx.rt.poll_interval * 3,
                      describe=f"the operation in flight on green {pb.green.name}")


def run_provision(ctx: StepContext, obs: Observed, plan: StepPlan) -> None:
    pb = ctx.pb
    if plan.blocking:
        raise GuardError("; ".join(c.detail for c in plan.blocking))
    green = obs.green.info
    if green is not None and green.provisioning_state in ("Creating", "Updating"):
        ctx.emit(WAITING, f"green {green.name} is {green.provisioning_state}; waiting", "provision")

        green = _settled_green(ctx)
    for action in plan.actions:
        ctx.emit(ACTION_STARTED, action.summary, "provision", action=action.id, eta_seconds=action.eta_seconds)
        body = green_body(pb, obs)
        try:
            info = ctx.aks.create_or_update(pb.green_rg, pb.green.name, body, if_none_match=green is None)
        except PreconditionFailedError:
            # If-None-Match failed on a retry: our own first PUT landed before its answer was lost.
            landed = ctx.aks.get(pb.green_rg, pb.green.name)
            if landed is None or landed.tags.get(MANAGED_BY_TAG) != pb.name:
                raise
            ctx.emit(WAITING, f"green {landed.name} was created by our first attempt; adopting it", "provision")
            info = _settled_green(ctx) if landed.provisioning_state in ("Creating", "Updating") else landed
        if info.provisioning_state != "Succeeded":
            raise StepFailedError(f"green {pb.green.name} ended {info.provisioning_state}", "provision")
        ctx.emit(ACTION_FINISHED, f"green {info.name} is {info.provisioning_state} "
                 f"(Kubernetes {info.kubernetes_version})", "provision", action=action.id)
        green = info
    if green is None:
        green = ctx.aks.get(pb.green_rg, pb.green.name)
    if green is None or green.provisioning_state != "Succeeded":
        raise StepFailedError(f"green {pb.green.name} is not ready", "provision")
    ctx.journal.facts["green_id"] = green.id
    # Prove the credentials work now rather than in the middle of redeploy.
    version = ctx.kube(green).server_version()
    ctx.journal.facts["green_version"] = version
