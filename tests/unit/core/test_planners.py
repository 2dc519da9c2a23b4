"""The planners as tables: a hand-made observation and run record in, the actions and checks out.

Covers: provision (create, adopt, wait for a create in flight, refuse a foreign
green); redeploy (basis, may it run again, smoke reset, bodies sealed);
smoke (where the checks go); switch (intent before the write, refusals, the
smoked address guard, CronJob handoff); decommission (TTL wait, record re-read
before each destructive stretch, resume after the drain, guards an earlier
switch satisfies); rollback (refusals, the record back, incomplete when green
is unreachable). No simulator, no clients: planners are pure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bluegreen.actions import (
    ConfirmRecord,
    CreateCluster,
    Kind,
    RestoreCronJob,
    Sealed,
    SetRecord,
    SwitchIntent,
    WaitTtl,
)
from bluegreen.azure.aks import ManagedClusterInfo, NodePoolInfo
from bluegreen.azure.dns import RecordSetInfo
from bluegreen.kinds import MANAGED_BY_TAG, ORIGINAL_SUSPEND
from bluegreen.observe import ClusterView, Observed, source_digest
from bluegreen.playbook import Playbook, load_playbook
from bluegreen.record import RunRecord
from bluegreen.steps.decommission import plan_decommission
from bluegreen.steps.provision import plan_provision
from bluegreen.steps.redeploy import plan_redeploy
from bluegreen.steps.rollback import may_roll_back, plan_rollback
from bluegreen.steps.smoke import plan_smoke
from bluegreen.steps.switch import plan_switch

DEMO = Path(__file__).resolve().parents[3] / "bluegreen" / "demo" / "playbook.yaml"
BLUE_IP, GREEN_IP = "10.0.0.1", "10.0.0.2"


@pytest.fixture(scope="module")
def pb() -> Playbook:
    return load_playbook(DEMO).playbook


def _cluster(name: str, *, state: str = "Succeeded", power: str = "Running", tags: dict[str, str] | None = None
             ) -> ManagedClusterInfo:
    raw = {"location": "westeurope", "properties": {"kubernetesVersion": "1.29.9", "agentPoolProfiles": [
        {"name": "system", "count": 3, "vmSize": "Standard_D4s_v5", "mode": "System"}]}}
    return ManagedClusterInfo(
        id=f"/subscriptions/s/resourceGroups/rg-shop/providers/Microsoft.ContainerService/managedClusters/{name}",
        name=name, resource_group="rg-shop", location="westeurope", kubernetes_version="1.29.9",
        provisioning_state=state, power_state=power, fqdn=None, network_plugin="kubenet", network_plugin_mode=None,
        node_pools=tuple(NodePoolInfo.from_arm(p) for p in raw["properties"]["agentPoolProfiles"]),
        tags=tags or {}, etag="e1", aad_enabled=False, raw=raw)


def _record(*values: str, ttl: int = 300) -> RecordSetInfo:
    return RecordSetInfo(zone="contoso.internal", resource_group="rg-shop", name="shop", type="A", ttl=ttl,
                         values=values, etag="r1", fqdn=None, id="rid", last_modified_by=None, private=True)


def _cronjob(name: str, *, suspend: bool, original: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "jobs"}
    if original is not None:
        meta["annotations"] = {ORIGINAL_SUSPEND: original}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
            "spec": {"schedule": "0 * * * *", "suspend": suspend, "jobTemplate": {}}}


DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
              "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "web:1"}]}}},
              "status": {"replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}}
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"},
          "data": {"password": "aHVudGVyMg=="}}


def _observed(*, blue: ManagedClusterInfo | None = None, green: ManagedClusterInfo | None = None,
              record: RecordSetInfo | None = None, blue_objects: list[dict[str, Any]] | None = None,
              green_objects: list[dict[str, Any]] | None = None, green_reachable: bool = False,
              blue_reachable: bool = True) -> Observed:
    blue = blue or _cluster("aks-shop-blue")
    objects = blue_objects if blue_objects is not None else [DEPLOYMENT, SECRET]
    return Observed(
        blue=ClusterView(blue, reachable=blue_reachable, objects=objects if blue_reachable else [],
                         ingress_ip=BLUE_IP if blue_reachable else None,
                         unreachable_reason=None if blue_reachable else "cluster is Stopped"),
        green=ClusterView(green, reachable=green_reachable, objects=green_objects or [],
                          ingress_ip=GREEN_IP if green_reachable else None,
                          unreachable_reason=None if green_reachable else "cluster absent"),
        record=record if record is not None else _record(BLUE_IP),
        zone_exists=True, versions=[], source_objects=[o for o in objects if o.get("kind") != "Pod"],
        source_kind="live",
    )


def _ids(step: Any) -> list[str]:
    return [a.id for a in step.actions]


def _blocking(step: Any) -> list[str]:
    return [c.name for c in step.blocking]


# -- provision -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("green", "ids", "blocking"), [
    (None, ["provision/cluster", "provision/verify"], []),
    (_cluster("aks-shop-green", tags={MANAGED_BY_TAG: "shop-1-31"}), ["provision/verify"], []),
    (_cluster("aks-shop-green", state="Creating", tags={MANAGED_BY_TAG: "shop-1-31"}),
     ["provision/cluster", "provision/verify"], []),
    (_cluster("aks-shop-green", tags={MANAGED_BY_TAG: "someone-else"}), [], ["green is ours"]),
])
def test_provision(pb: Playbook, green: ManagedClusterInfo | None, ids: list[str], blocking: list[str]) -> None:
    step = plan_provision(pb, _observed(green=green), RunRecord(pb.name))
    assert (_ids(step), _blocking(step)) == (ids, blocking)


def test_provision_creates_green_with_the_target_version_and_its_tags(pb: Playbook) -> None:
    step = plan_provision(pb, _observed(), RunRecord(pb.name))
    create = step.actions[0].params
    assert isinstance(create, CreateCluster) and not create.recreate
    assert create.body["tags"][MANAGED_BY_TAG] == "shop-1-31"
    assert step.actions[0].summary == "create green cluster aks-shop-green"


# -- redeploy ------------------------------------------------------------------------------------------------------
def test_redeploy_applies_every_object_then_waits_for_the_ingress(pb: Playbook) -> None:
    obs = _observed(blue_objects=[DEPLOYMENT, SECRET, _cronjob("nightly", suspend=False)])
    step = plan_redeploy(pb, obs, RunRecord(pb.name))
    assert _ids(step) == ["redeploy/namespace/jobs", "redeploy/namespace/shop", "redeploy/apply/shop/Secret/db",
                          "redeploy/apply/shop/Deployment/web", "redeploy/apply/jobs/CronJob/nightly",
                          "redeploy/cronjobs-suspended", "redeploy/ingress"]
    assert (step.basis, step.may_rerun, step.resets) == (source_digest(obs), True, ("smoke",))
    secret = next(a for a in step.actions if a.id.endswith("Secret/db"))
    assert isinstance(secret.params.obj, Sealed) and "aHVudGVyMg" not in repr(secret) + str(secret.after)
    cronjob = next(a for a in step.actions if a.id.endswith("CronJob/nightly")).params.obj
    assert cronjob is not None and cronjob.value["spec"]["suspend"] is True


def test_redeploy_may_not_run_again_once_the_switch_has_begun(pb: Playbook) -> None:
    record = RunRecord(pb.name)
    record.step("switch").actions["switch/record"] = "t"
    assert plan_redeploy(pb, _observed(), record).may_rerun is False


# -- smoke ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fixed", "address"), [(None, GREEN_IP), ("10.9.9.9", "10.9.9.9")])
def test_smoke_checks_green_where_the_switch_will_send_traffic(pb: Playbook, fixed: str | None, address: str) -> None:
    pb = pb.model_copy(update={"switch": pb.switch.model_copy(update={"green_value": fixed})})
    step = plan_smoke(pb, _observed(green=_cluster("aks-shop-green"), green_reachable=True), RunRecord(pb.name))
    assert _ids(step) == ["smoke/ready", "smoke/http/home page", "smoke/http/cart"]
    assert {a.params.address for a in step.actions} == {address}  # type: ignore[attr-defined]
    assert all(a.params.REPEAT for a in step.actions)  # checks run on every attempt


# -- switch --------------------------------------------------------------------------------------------------------
def test_switch_records_its_intent_before_the_write_then_hands_cronjobs_over(pb: Playbook) -> None:
    obs = _observed(green=_cluster("aks-shop-green"), green_reachable=True,
                    blue_objects=[_cronjob("nightly", suspend=False)],
                    green_objects=[_cronjob("nightly", suspend=True, original="false")])
    step = plan_switch(pb, obs, RunRecord(pb.name))
    assert _ids(step) == ["switch/intent", "switch/record", "switch/suspend/blue/jobs/nightly",
                          "switch/restore/green/jobs/nightly"]
    assert step.actions[0].params == SwitchIntent(BLUE_IP, GREEN_IP)
    assert step.actions[1].params == SetRecord("rg-shop", "contoso.internal", "shop", "A", BLUE_IP, GREEN_IP, "green")
    restore = step.actions[3].params
    assert isinstance(restore, RestoreCronJob) and (restore.suspend, restore.carry_from) == (False, "blue")
    assert _blocking(step) == []


@pytest.mark.parametrize(("record_values", "smoked", "ids", "blocking"), [
    ((GREEN_IP,), None, ["switch/intent", "switch/record"], []),  # written, but its time never recorded
    (("10.9.9.9",), None, [], ["record points at blue"]),
    ((BLUE_IP,), "10.7.7.7", ["switch/intent", "switch/record"], ["smoke checked green's address"]),
])
def test_switch_guards(pb: Playbook, record_values: tuple[str, ...], smoked: str | None, ids: list[str],
                       blocking: list[str]) -> None:
    record = RunRecord(pb.name)
    record.learn({"smoked_address": smoked})
    step = plan_switch(pb, _observed(green=_cluster("aks-shop-green"), green_reachable=True,
                                     record=_record(*record_values), blue_objects=[]), record)
    assert (_ids(step), _blocking(step)) == (ids, blocking)


def test_switch_before_redeploy_defers_the_address_guard_to_redeploy(pb: Playbook) -> None:
    step = plan_switch(pb, _observed(blue_objects=[]), RunRecord(pb.name))
    assert [c.satisfied_by for c in step.blocking] == ["redeploy"]


# -- decommission --------------------------------------------------------------------------------------------------
def _switched(pb: Playbook) -> RunRecord:
    record = RunRecord(pb.name)
    record.learn({"switched_at": "2026-11-20T09:00:00+00:00", "record_ttl": 300})
    return record


def test_decommission_waits_one_ttl_and_rereads_the_record_before_each_destructive_stretch(pb: Playbook) -> None:
    obs = _observed(record=_record(GREEN_IP), green=_cluster("aks-shop-green"), green_reachable=True,
                    blue_objects=[DEPLOYMENT, _cronjob("nightly", suspend=False)])
    step = plan_decommission(pb, obs, _switched(pb))
    assert _ids(step) == [
        "decommission/ttl", "decommission/archive", "decommission/confirm/workloads", "decommission/begin",
        "decommission/suspend/jobs/nightly", "decommission/delete/jobs/CronJob/nightly",
        "decommission/delete/shop/Deployment/web", "decommission/drain", "decommission/confirm/tag",
        "decommission/tag", "decommission/confirm/stop", "decommission/stop"]
    assert step.actions[0].params == WaitTtl(300, "2026-11-20T09:00:00+00:00")
    confirm = step.actions[2].params
    assert isinstance(confirm, ConfirmRecord) and (confirm.not_value, confirm.only_value) == (BLUE_IP, GREEN_IP)
    assert _blocking(step) == []


def test_decommission_resumed_after_the_drain_only_stops_blue(pb: Playbook) -> None:
    record = _switched(pb)
    record.step("decommission").actions["decommission/drain"] = "t"
    obs = _observed(record=_record(GREEN_IP), blue_reachable=False,
                    blue=_cluster("aks-shop-blue", state="Stopping", power="Running"))
    step = plan_decommission(pb, obs, record)
    assert _ids(step) == ["decommission/ttl", "decommission/confirm/tag", "decommission/begin", "decommission/tag",
                          "decommission/confirm/stop", "decommission/stop"]


@pytest.mark.parametrize(("blue", "blocking"), [
    (_cluster("aks-shop-blue", power="Stopped"), ["blue's workloads removed"]),
    (_cluster("aks-shop-blue"), ["blue reachable"]),
])
def test_decommission_refuses_a_blue_whose_workloads_it_cannot_remove(pb: Playbook, blue: ManagedClusterInfo,
                                                                      blocking: list[str]) -> None:
    step = plan_decommission(pb, _observed(blue=blue, blue_reachable=False, record=_record(GREEN_IP)), _switched(pb))
    assert _blocking(step) == blocking


def test_decommission_while_the_record_points_at_blue_is_a_guard_the_switch_satisfies(pb: Playbook) -> None:
    step = plan_decommission(pb, _observed(), RunRecord(pb.name))
    assert [(c.name, c.satisfied_by) for c in step.blocking] == [("record no longer points at blue", "switch")]


# -- rollback ------------------------------------------------------------------------------------------------------
def test_rollback_is_refused_before_the_switch_and_once_decommission_began(pb: Playbook) -> None:
    record = RunRecord(pb.name)
    assert "nothing to roll back" in (may_roll_back(record) or "")
    record.learn({"switched_from": BLUE_IP, "switched_to": GREEN_IP})
    assert may_roll_back(record) is None
    record.learn({"decommission_begun": "t"})
    assert "refused once decommission" in (may_roll_back(record) or "")


@pytest.mark.parametrize(("green_reachable", "ids", "incomplete"), [
    (True, ["rollback/record", "rollback/suspend/green/jobs/nightly"], False),
    (False, ["rollback/record"], True),
])
def test_rollback_puts_the_record_back_from_what_the_switch_wrote(pb: Playbook, green_reachable: bool,
                                                                  ids: list[str], incomplete: bool) -> None:
    record = RunRecord(pb.name)
    record.learn({"switched_from": BLUE_IP, "switched_to": GREEN_IP})
    obs = _observed(record=_record(GREEN_IP), green=_cluster("aks-shop-green"), green_reachable=green_reachable,
                    green_objects=[_cronjob("nightly", suspend=False)], blue_objects=[])
    step = plan_rollback(pb, obs, record)
    assert (_ids(step), step.incomplete is not None) == (ids, incomplete)
    assert step.actions[0].params == SetRecord("rg-shop", "contoso.internal", "shop", "A", GREEN_IP, BLUE_IP, "blue")


def test_rollback_refuses_a_record_somebody_else_changed(pb: Playbook) -> None:
    record = RunRecord(pb.name)
    record.learn({"switched_from": BLUE_IP, "switched_to": GREEN_IP})
    step = plan_rollback(pb, _observed(record=_record("10.9.9.9")), record)
    assert _blocking(step) == ["record holds green"]
    assert not any(a.kind == Kind.SET_RECORD for a in step.actions)
