"""Planners over kinds found by discovery (issue 7 item 0): pure, from hand-made observations.

Covers: CronJobs at batch/v1beta1 are handed over and deleted at that version; decommission deletes every
discovered object, timers first, owned objects left to the garbage collector; a custom resource owning a
CronJob, or CronJobs blue will not list, block the switch unless the playbook accepts them (by kind or
by object); green does not get a CRD it already serves.
"""

from __future__ import annotations

from typing import Any

from bluegreen.actions import Delete, RestoreCronJob, SuspendCronJob
from bluegreen.derive import deleted_on_blue, planned_objects, unmanaged_schedulers
from bluegreen.kube.discovery import KindSelection, ListedKind
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord
from bluegreen.steps.decommission import plan_decommission
from bluegreen.steps.redeploy import plan_redeploy
from bluegreen.steps.switch import plan_switch
from tests.unit.core.test_planners import GREEN_IP, _cluster, _observed, _record, pb  # noqa: F401

V1BETA1_CRONJOB = {"apiVersion": "batch/v1beta1", "kind": "CronJob",
                   "metadata": {"name": "nightly", "namespace": "jobs", "uid": "u-cj"},
                   "spec": {"schedule": "0 * * * *", "suspend": False, "jobTemplate": {}}}
WIDGET = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "shop", "uid": "u-w"}}
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop"}}
ROOT_CA = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": "shop"}}
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop",
                                                                           "uid": "u-d"}}
REPLICASET = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {
    "name": "web-1", "namespace": "shop", "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": "u-d"}]}}
NIGHTLY = {"apiVersion": "ops.example.com/v1", "kind": "Nightly", "metadata": {"name": "cleanup", "namespace": "jobs"}}
OWNED_CRONJOB = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {
    "name": "cleanup", "namespace": "jobs",
    "ownerReferences": [{"apiVersion": "ops.example.com/v1", "kind": "Nightly", "name": "cleanup", "uid": "x"}]},
    "spec": {"schedule": "0 3 * * *"}}


def _schedulers(step: Any) -> list[Any]:
    return [c for c in step.blocking if c.name.startswith("schedulers")]


def _keys(objects: list[dict[str, Any]]) -> list[str]:
    return [f"{o['kind']}/{o['metadata']['name']}" for o in objects]


def test_decommission_deletes_every_discovered_object_timers_first(pb: Playbook) -> None:  # noqa: F811
    obs = _observed(blue_objects=[CONFIGMAP, WIDGET, DEPLOYMENT, REPLICASET, ROOT_CA, V1BETA1_CRONJOB],
                    record=_record(GREEN_IP))
    assert _keys(deleted_on_blue(obs)) == ["CronJob/nightly", "Deployment/web", "Widget/w", "ConfigMap/settings"]
    step = plan_decommission(pb, obs, RunRecord(pb.name))
    deletes = [a.params for a in step.actions if isinstance(a.params, Delete)]
    assert (deletes[0].api_version, deletes[0].kind) == ("batch/v1beta1", "CronJob")
    suspend = next(a.params for a in step.actions if isinstance(a.params, SuspendCronJob))
    assert suspend.api_version == "batch/v1beta1"
    assert "decommission/delete/shop/Widget.example.com/w" in [a.id for a in step.actions]


CLAIM = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "shop",
                                                                          "uid": "u-pvc"}}


def test_decommission_keeps_volume_claims_unless_the_playbook_deletes_them(pb: Playbook) -> None:  # noqa: F811
    """A claim's volume holds data the manifest archive cannot keep: it stays on blue, and the plan says so."""
    obs = _observed(blue_objects=[DEPLOYMENT, CLAIM], record=_record(GREEN_IP))
    step = plan_decommission(pb, obs, RunRecord(pb.name))
    assert "decommission/delete/shop/PersistentVolumeClaim/data" not in [a.id for a in step.actions]
    assert any("PersistentVolumeClaim" in n and "shop/data" in n for n in step.notes)
    opted = pb.model_copy(update={"decommission": pb.decommission.model_copy(update={"delete_volume_claims": True})})
    step = plan_decommission(opted, obs, RunRecord(pb.name))
    assert "decommission/delete/shop/PersistentVolumeClaim/data" in [a.id for a in step.actions]
    assert not any("PersistentVolumeClaim" in n for n in step.notes)


def test_switch_hands_over_cronjobs_at_the_version_each_cluster_serves(pb: Playbook) -> None:  # noqa: F811
    obs = _observed(blue_objects=[V1BETA1_CRONJOB])
    step = plan_switch(pb, obs, RunRecord(pb.name))
    suspend = next(a.params for a in step.actions if isinstance(a.params, SuspendCronJob))
    restore = next(a.params for a in step.actions if isinstance(a.params, RestoreCronJob))
    assert (suspend.cluster, suspend.api_version) == ("blue", "batch/v1beta1")
    # Green not reachable yet: its CronJob is what redeploy applies, here at blue's version (no conversion seen).
    assert (restore.cluster, restore.api_version, restore.carry_api_version) == ("green", "batch/v1beta1",
                                                                              "batch/v1beta1")
    assert _schedulers(step) == []


def test_a_custom_resource_owning_a_cronjob_blocks_the_switch(pb: Playbook) -> None:  # noqa: F811
    obs = _observed(blue_objects=[NIGHTLY, OWNED_CRONJOB])
    (check,) = _schedulers(plan_switch(pb, obs, RunRecord(pb.name)))
    assert "Nightly (ops.example.com) jobs/cleanup owns CronJob jobs/cleanup" in check.detail
    # Redeploy would copy the Nightly to green, whose operator would start its timer while blue's still runs.
    assert [c.detail for c in _schedulers(plan_redeploy(pb, obs, RunRecord(pb.name)))] == [check.detail]
    for accept in (["ops.example.com/Nightly"], ["jobs/cleanup"]):
        accepted = pb.model_copy(update={"switch": pb.switch.model_copy(
            update={"accept_unmanaged_schedulers": accept})})
        step = plan_switch(accepted, obs, RunRecord(pb.name))
        assert _schedulers(step) == []
        assert _schedulers(plan_redeploy(accepted, obs, RunRecord(pb.name))) == []
        assert [c.severity for c in step.checks if c.name.startswith("schedulers")] == ["warning"]


def test_cronjobs_blue_will_not_list_block_the_switch(pb: Playbook) -> None:  # noqa: F811
    obs = _observed(blue_objects=[DEPLOYMENT])
    obs.blue.unreadable["batch/v1beta1 CronJob"] = "403 Forbidden"
    obs.blue.unreadable["example.com/v1 Widget"] = "403 Forbidden"  # not a timer: reported, not blocking
    problems = unmanaged_schedulers(pb, obs)
    assert [(m.split(":")[0], ok) for m, ok in problems] == [("cannot read blue's batch/v1beta1 CronJobs (403 Forbidden)",
                                                              False)]
    (check,) = _schedulers(plan_switch(pb, obs, RunRecord(pb.name)))
    assert "batch/CronJob" in check.detail
    warnings = [c for c in plan_decommission(pb, obs, RunRecord(pb.name)).checks if c.severity == "warning"]
    assert any("example.com/v1 Widget" in c.detail for c in warnings)


def test_green_does_not_get_a_crd_it_already_serves(pb: Playbook) -> None:  # noqa: F811
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}}}
    widget = {k: v for k, v in WIDGET.items()}
    obs = _observed(blue_objects=[widget])
    obs.source_objects.insert(0, crd)
    assert _keys(planned_objects(pb, obs)) == ["CustomResourceDefinition/widgets.example.com", "Widget/w"]
    obs.green.reachable = True
    obs.green.kinds = KindSelection((ListedKind("example.com/v1", "Widget", "widgets"),), ())
    assert _keys(planned_objects(pb, obs)) == ["Widget/w"]
