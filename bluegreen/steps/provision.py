"""Provision: create green as a clone of blue's live configuration, or adopt it."""

from __future__ import annotations

from typing import Any

from bluegreen.actions import Action, CreateCluster, SettleCluster, VerifyCluster
from bluegreen.azure.aks_clone import clone_warnings
from bluegreen.derive import green_body
from bluegreen.kinds import MANAGED_BY_TAG
from bluegreen.observe import Observed
from bluegreen.plan import Check, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord

CREATE_ETA = 600.0


def _pool_summary(body: dict[str, Any]) -> list[str]:
    out = []
    for p in body["properties"]["agentPoolProfiles"]:
        surge = (p.get("upgradeSettings") or {}).get("maxSurge", "-")
        out.append(f"{p['name']}: {p.get('count')} x {p.get('vmSize')} (max surge {surge})")
    return out


def plan_provision(pb: Playbook, obs: Observed, record: RunRecord | None = None) -> StepPlan:
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
    # Proves green's credentials work now rather than in the middle of redeploy.
    verify = Action(id="provision/verify", params=VerifyCluster(pb.green_rg, pb.green.name), eta_seconds=2)
    green = obs.green.info
    if green is not None:
        owner = green.tags.get(MANAGED_BY_TAG)
        if owner != pb.name:
            checks.append(Check("green is ours", False, f"a cluster {pb.green.name} exists that this playbook did not "
                                f"create (tag {MANAGED_BY_TAG}={owner!r}); refusing to adopt it"))
            return StepPlan(name="provision", checks=tuple(checks), notes=tuple(notes))
        if green.provisioning_state == "Succeeded":
            notes.append(f"green {green.name} exists ({green.kubernetes_version}, {green.power_state}): adopted")
            return StepPlan(name="provision", actions=(verify,), checks=tuple(checks), notes=tuple(notes))
        if green.provisioning_state in ("Creating", "Updating"):
            # The same id as the create: it is that create, started by a run that was killed.
            settle = Action(id="provision/cluster",
                            params=SettleCluster(pb.green_rg, pb.green.name, green.provisioning_state),
                            before={"provisioningState": green.provisioning_state},
                            after={"provisioningState": "Succeeded"}, eta_seconds=CREATE_ETA)
            return StepPlan(name="provision", actions=(settle, verify), checks=tuple(checks), notes=tuple(notes),
                            waits=(f"green is {green.provisioning_state}: wait for it to finish",))
    if checks and any(not c.ok for c in checks):
        return StepPlan(name="provision", checks=tuple(checks), notes=tuple(notes))
    body = green_body(pb, obs)
    props = body["properties"]
    action = Action(
        id="provision/cluster",
        params=CreateCluster(pb.green_rg, pb.green.name, body, recreate=green is not None),
        before=None if green is None else {"provisioningState": green.provisioning_state},
        after={
            "location": body["location"],
            "kubernetesVersion": props.get("kubernetesVersion"),
            "dnsPrefix": props.get("dnsPrefix"),
            "nodePools": _pool_summary(body),
            "networkPlugin": (props.get("networkProfile") or {}).get("networkPlugin"),
        },
        eta_seconds=CREATE_ETA,
    )
    return StepPlan(name="provision", actions=(action, verify), checks=tuple(checks), notes=tuple(notes),
                    waits=("long-running create (about 10 minutes on Azure)",))
