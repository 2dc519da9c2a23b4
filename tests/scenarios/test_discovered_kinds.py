"""Issue 7 item 0: every kind blue serves in the playbook's namespaces is found through blue's own discovery.

Blues of several versions (1.20 serves CronJobs only as batch/v1beta1), each with a CronJob and a custom
resource: the plan names them, green gets them (the CronJob suspended until the switch), the archive holds
them, decommission deletes them, and blue's CronJob never fires after the switch. A custom resource that
owns a CronJob (an operator's schedule bluegreen cannot hand over) stops the run before traffic moves,
unless the playbook accepts it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
import yaml

from bluegreen.kube.client import KubeClient
from bluegreen.sim.world import World
from tests.scenarios.conftest import Cutover

BLUE, GREEN = "aks-shop-blue", "aks-shop-green"

WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}]},
}
WIDGET = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "blue-widget", "namespace": "shop"},
          "spec": {"size": 3}}
NIGHTLY_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "nightlies.ops.example.com"},
    "spec": {"group": "ops.example.com", "scope": "Namespaced",
             "names": {"plural": "nightlies", "singular": "nightly", "kind": "Nightly"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}]},
}
NIGHTLY = {"apiVersion": "ops.example.com/v1", "kind": "Nightly", "metadata": {"name": "cleanup", "namespace": "jobs"},
           "spec": {"schedule": "0 3 * * *"}}


def _owned_cronjob(api_version: str) -> dict[str, Any]:
    return {
        "apiVersion": api_version, "kind": "CronJob",
        "metadata": {"name": "cleanup", "namespace": "jobs", "ownerReferences": [{
            "apiVersion": "ops.example.com/v1", "kind": "Nightly", "name": "cleanup",
            "uid": "5f0c1d9e-0000-4000-8000-000000000001", "controller": True}]},
        "spec": {"schedule": "*/30 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "contoso.azurecr.io/cleanup:1"}]}}}}},
    }


def _prepare(cutover: Cutover, version: str, *, owned_cronjob: bool = False) -> str:
    """Blue on `version` with the demo's shop, its CronJob at the version blue serves, and custom resources."""
    cronjob_version = "batch/v1beta1" if version.startswith("1.20.") else "batch/v1"
    jobs = cutover.root / "manifests" / "jobs.yaml"
    jobs.write_text(jobs.read_text().replace("apiVersion: batch/v1\n", f"apiVersion: {cronjob_version}\n"))
    extra = [WIDGET_CRD, WIDGET]
    if owned_cronjob:
        extra += [NIGHTLY_CRD, NIGHTLY, _owned_cronjob(cronjob_version)]
    (cutover.root / "manifests" / "extra.yaml").write_text(yaml.safe_dump_all(extra, sort_keys=False))

    def change(raw: dict[str, Any]) -> None:
        sim = raw["simulation"]
        sim["blue"]["version"] = version
        offered = sim["kubernetes_versions"]["westeurope"]["versions"]
        sim["kubernetes_versions"]["westeurope"]["versions"] = sorted(
            set(offered) | {version}, key=lambda v: tuple(int(x) for x in v.split(".")))

    cutover.edit(change)
    return cronjob_version


def _client(world: World, cluster: str) -> KubeClient:
    return KubeClient.from_kubeconfig(world.cluster(cluster).kubeconfig(), clock=world.clock)


def _blue_runs_after_switch(cutover: Cutover) -> list[dict[str, Any]]:
    journal = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())
    switched = datetime.fromisoformat(journal["steps"]["switch"]["actions"]["switch/record"])
    log = cutover.show()["executions"]
    return [e for e in log if e["cluster"] == BLUE and e["event"] == "fired"
            and datetime.fromisoformat(e["time"]) > switched]


def _archived(cutover: Cutover) -> set[tuple[str, str, str]]:
    """(apiVersion, kind, name) of every object in the archive's files."""
    found = set()
    for path in (cutover.root / "archive").rglob("*"):
        if path.is_file() and path.suffix in (".yaml", ".yml", ".json"):
            text = path.read_text()
            docs = [json.loads(text)] if path.suffix == ".json" else list(yaml.safe_load_all(text))
            for doc in docs:
                items = doc.get("items", [doc]) if isinstance(doc, dict) else []
                for item in items:
                    if isinstance(item, dict) and "kind" in item:
                        found.add((item.get("apiVersion"), item["kind"], (item.get("metadata") or {}).get("name")))
    return found


@pytest.mark.parametrize("version", ["1.20.15", "1.25.16", "1.29.9"])
def test_every_served_kind_is_found_copied_archived_and_deleted(cutover: Cutover, version: str) -> None:
    cronjob_version = _prepare(cutover, version)
    cutover.init()
    plan = cutover.cli("plan", str(cutover.playbook), "--output", "json")
    assert plan.exit_code == 0, plan.output
    shown = plan.stdout
    # The plan names the CronJob (converted when blue serves it at batch/v1beta1), the CRD and its object.
    assert "redeploy/apply/jobs/CronJob/send-invoices" in shown
    assert "redeploy/apply/-/CustomResourceDefinition/widgets.example.com" in shown
    assert "redeploy/apply/shop/Widget.example.com/blue-widget" in shown
    assert "decommission/delete/shop/Widget.example.com/blue-widget" in shown
    if cronjob_version == "batch/v1beta1":
        assert "converted_from" in shown and "batch/v1beta1 -> batch/v1" in shown
    # Kinds that are the cluster's own record are left out, with the reason.
    assert "v1 Event is not copied, archived or deleted" in shown

    result = cutover.cli("run", str(cutover.playbook), "--until", "smoke", "--yes")
    assert result.exit_code == 0, result.output
    with World.open(cutover.world) as world:
        green = _client(world, GREEN)
        (cronjob,) = green.list("batch/v1", "CronJob", "jobs")
        assert cronjob["spec"]["suspend"] is True  # suspended until the switch
        (widget,) = green.list("example.com/v1", "Widget", "shop")
        assert widget["spec"] == {"size": 3}

    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    archived = _archived(cutover)
    assert (cronjob_version, "CronJob", "send-invoices") in archived
    assert ("example.com/v1", "Widget", "blue-widget") in archived
    assert ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com") in archived
    with World.open(cutover.world) as world:
        world.start_cluster(BLUE)  # somebody starts the stopped blue: nothing of the namespaces is left
        blue = _client(world, BLUE)
        assert blue.list(cronjob_version, "CronJob", "jobs") == []
        assert blue.list("example.com/v1", "Widget", "shop") == []
        assert blue.list("v1", "ConfigMap", "jobs") == [c for c in blue.list("v1", "ConfigMap", "jobs")
                                                          if c["metadata"]["name"] == "kube-root-ca.crt"]
        green = _client(world, GREEN)
        (cronjob,) = green.list("batch/v1", "CronJob", "jobs")
        assert cronjob["spec"]["suspend"] is False  # handed over at the switch
        world.advance(3600)
    assert _blue_runs_after_switch(cutover) == []


@pytest.mark.parametrize("version", ["1.20.15", "1.29.9"])
def test_a_custom_resource_owning_a_cronjob_stops_the_switch(cutover: Cutover, version: str) -> None:
    _prepare(cutover, version, owned_cronjob=True)
    cutover.init()
    plan = cutover.cli("plan", str(cutover.playbook))
    assert "Nightly (ops.example.com) jobs/cleanup owns CronJob jobs/cleanup" in plan.stdout, plan.output
    before = _record_values(cutover)
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code != 0, result.output
    assert "Nightly (ops.example.com)" in result.output
    assert "switch.accept_unmanaged_schedulers" in result.output
    assert _record_values(cutover) == before  # no traffic moved
    with World.open(cutover.world) as world:  # and green never got the operator's schedule
        assert "ops.example.com/v1" not in _client(world, GREEN).served_api_versions()


def test_an_accepted_scheduler_lets_the_switch_go_ahead(cutover: Cutover) -> None:
    _prepare(cutover, "1.20.15", owned_cronjob=True)
    cutover.edit(lambda raw: raw["switch"].update(accept_unmanaged_schedulers=["ops.example.com/Nightly"]))
    cutover.init()
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert "accepted by the playbook" in result.output
    assert _blue_runs_after_switch(cutover) == []


def test_a_bad_accept_entry_is_bad_input(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["switch"].update(accept_unmanaged_schedulers=["no slash here"]))
    result = cutover.cli("validate", str(cutover.playbook))
    assert result.exit_code == 2, result.output
    assert "switch.accept_unmanaged_schedulers" in result.output


def _record_values(cutover: Cutover) -> list[str]:
    show = cutover.show()
    return list(next(r for r in show["records"] if r["name"] == "shop")["values"])




def test_rollback_hands_a_batch_v1beta1_cronjob_back_to_blue(cutover: Cutover) -> None:
    _prepare(cutover, "1.20.15")
    cutover.init()
    result = cutover.cli("run", str(cutover.playbook), "--until", "switch", "--yes")
    assert result.exit_code == 0, result.output
    result = cutover.cli("rollback", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    with World.open(cutover.world) as world:
        (blue_cronjob,) = _client(world, BLUE).list("batch/v1beta1", "CronJob", "jobs")
        (green_cronjob,) = _client(world, GREEN).list("batch/v1", "CronJob", "jobs")
    assert blue_cronjob["spec"]["suspend"] is False
    assert green_cronjob["spec"]["suspend"] is True
