"""Guards that keep blue safe when the world does not stand still.

Covers: decommission re-reading the record after its TTL wait (somebody
pointed it back at blue meanwhile); rollback refusing a record somebody else
changed and refusing when the switch changed nothing; a done redeploy running
again when blue changed before the switch; smoke failing when a workload is
missing on green; validate reporting every cross-field problem with its path;
a saved plan that lacks an action the run would now take is refused as stale,
naming the action, before anything changes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from bg_shared import DATA

from bluegreen import engine
from bluegreen.azure import AzureContext, PrivateDnsRecords
from bluegreen.errors import GuardError
from bluegreen.events import EventLog
from bluegreen.kube.client import KubeClient
from bluegreen.plan import seal
from bluegreen.playbook import load_playbook
from bluegreen.runtime import Runtime
from bluegreen.sim.world import World
from tests.scenarios.conftest import Cutover

BLUE, GREEN = "aks-shop-blue", "aks-shop-green"


def _record(show: dict[str, Any]) -> list[str]:
    return next(r for r in show["records"] if r["name"] == "shop")["values"]


def _set_record(world: World, value: str) -> None:
    ctx = AzureContext(world.credential, world.subscription_id, world.clock, polling_interval=1)
    dns = PrivateDnsRecords(ctx)
    record = dns.get("rg-shop", "contoso.internal", "shop", "A")
    assert record is not None
    dns.set_values(record, [value])


def _kube(world: World, name: str) -> KubeClient:
    return KubeClient.from_kubeconfig(world.cluster(name).kubeconfig(), clock=world.clock)


def test_decommission_rereads_the_record_after_the_ttl_wait(cutover: Cutover) -> None:
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "switch").exit_code == 0
    blue_ip = cutover.show()["records"]
    loaded = load_playbook(cutover.playbook)
    with World.open(cutover.world) as world:
        blue_value = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())[
            "facts"]["switched_from"]
        edited = []

        def point_back(old: Any, new: Any) -> None:  # an operator reverts the record during the TTL wait
            if not edited:
                edited.append(new)
                _set_record(world, blue_value)

        world.clock.subscribe(point_back)
        runtime = Runtime(credential=world.credential, clock=world.clock, state_dir=cutover.world / "state",
                          subscription_id=world.subscription_id)
        with pytest.raises(GuardError, match="points at blue"):
            engine.run(loaded, runtime, EventLog(), only="decommission")
    show = cutover.show()
    assert _record(show) == [blue_value] and blue_ip
    assert next(c for c in show["clusters"] if c["name"] == BLUE)["power_state"] == "Running"
    assert any(o["kind"] == "Deployment" for o in show["objects"][BLUE])
    # Decommission had not begun: rollback is still possible.
    result = cutover.cli("rollback", str(cutover.playbook), "--dry-run")
    assert result.exit_code == 0, result.output


def test_rollback_refuses_a_record_somebody_else_changed(cutover: Cutover) -> None:
    result = cutover.cli("rollback", str(cutover.playbook), "--yes")
    assert result.exit_code == 3 and "changed nothing" in result.output
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "switch").exit_code == 0
    with World.open(cutover.world) as world:
        _set_record(world, "10.9.9.9")
    result = cutover.cli("rollback", str(cutover.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "not touching a record somebody else changed" in result.output
    assert _record(cutover.show()) == ["10.9.9.9"]


def test_a_changed_blue_is_redeployed_before_smoke(cutover: Cutover) -> None:
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "redeploy").exit_code == 0
    with World.open(cutover.world) as world:
        _kube(world, BLUE).patch_merge("v1", "ConfigMap", "shop", "storefront-config",
                                       {"data": {"CURRENCY": "CHF"}})
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "smoke")
    assert result.exit_code == 0, result.output
    assert "redeploy runs again" in result.output
    with World.open(cutover.world) as world:
        green_cm = _kube(world, GREEN).get("v1", "ConfigMap", "shop", "storefront-config")
    assert green_cm is not None and green_cm["data"]["CURRENCY"] == "CHF"


def test_smoke_fails_when_a_workload_is_missing_on_green(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["smoke"].update(ready_timeout="2m"))
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "redeploy").exit_code == 0
    with World.open(cutover.world) as world:
        _kube(world, GREEN).delete("apps/v1", "Deployment", "shop", "cart")
    result = cutover.cli("smoke", str(cutover.playbook), "--yes")
    assert result.exit_code == 1, result.output
    assert "missing on green: shop Deployment/cart" in result.output


def test_validate_reports_cross_field_problems_with_their_paths(cutover: Cutover) -> None:
    def breaks(raw: dict[str, Any]) -> None:
        raw["green"]["name"] = raw["blue"]["name"]
        raw["ingress"]["namespace"] = "else[/x]where"  # rich markup in a value must not crash the CLI
        raw["switch"]["record_type"] = "CNAME"
        raw["smoke"]["http"][0]["url"] = "not a url"

    cutover.edit(breaks)
    result = cutover.cli("validate", str(cutover.playbook), "--output", "json")
    assert result.exit_code == 2
    fields = {p["field"] for p in json.loads(result.stdout)["problems"]}
    assert fields == {"green.name", "ingress.namespace", "switch.blue_value", "switch.green_value", "smoke.http[0].url"}
    text = cutover.cli("validate", str(cutover.playbook))
    assert text.exit_code == 2 and "else[/x]where" in text.output


def test_unknown_node_pool_override_is_bad_input(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["green"]["node_pools"].update(sytem={"count": 2}))
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 2, result.output
    assert "green.node_pools.sytem" in result.output
    assert [c["name"] for c in cutover.show()["clusters"]] == [BLUE]


def test_bare_pods_go_and_timers_outside_the_playbook_are_called_out(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["simulation"]["blue"]["manifests"].append(str(DATA / "manifests" / "janitor-cronjob.yaml")))
    cutover.init()
    with World.open(cutover.world) as world:
        _kube(world, BLUE).apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "shop"},
                                  "spec": {"containers": [{"name": "sh", "image": "busybox:1.36"}]}})
    # mode stop would leave the janitor timer on a blue that may be started again: refused.
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "kube-system/node-janitor" in result.output
    assert next(c for c in cutover.show()["clusters"] if c["name"] == BLUE)["power_state"] == "Running"
    cutover.edit(lambda raw: raw["decommission"].update(accept_unmanaged_cronjobs=True))
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--output", "json")
    assert result.exit_code == 0, result.output
    warnings = [json.loads(line) for line in result.stdout.splitlines() if '"warning"' in line]
    assert any("kube-system/node-janitor" in w["message"] for w in warnings)
    journal = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())
    assert "decommission/delete/shop/Pod/debug" in journal["steps"]["decommission"]["actions"]  # deleted before blue was stopped
    archive = Path(journal["facts"]["archive"])
    assert "name: debug" in (archive / "shop.yaml").read_text()  # ...and archived first
    with World.open(cutover.world) as world:
        assert _kube(world, GREEN).get("v1", "Pod", "shop", "debug") is None  # bare Pods are never copied


def test_a_missing_resource_group_for_green_is_named(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["green"].update(resource_group="rg-shop-green"))
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 2, result.output
    assert "green.resource_group" in result.output and "rg-shop-green does not exist" in result.output
    cutover.edit(lambda raw: raw["simulation"].update(resource_groups=["rg-shop-green"]))
    shutil.rmtree(cutover.world)
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "provision")
    assert result.exit_code == 0, result.output
    green = next(c for c in cutover.show()["clusters"] if c["name"] == GREEN)
    assert green["resource_group"] == "rg-shop-green"


def test_an_app_that_only_runs_because_it_started_long_ago_is_found_on_green(cutover: Cutover) -> None:
    """Field notes §3: blue's pods run although their Secret was deleted since; green's cannot start."""
    cutover.edit(lambda raw: raw["smoke"].update(ready_timeout="3m"))
    cutover.init()
    with World.open(cutover.world) as world:
        _kube(world, BLUE).delete("v1", "Secret", "shop", "payment-gateway")
        world.advance(60)
    show = cutover.show()
    assert next(o for o in show["objects"][BLUE] if o["name"] == "cart" and o["kind"] == "Deployment")["ready"] == 2
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 1, result.output
    assert "Deployment shop/cart" in result.output
    assert 'CreateContainerConfigError' in result.output and 'secret "payment-gateway" not found' in result.output
    journal = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())
    assert not journal["steps"].get("switch", {}).get("actions")
    assert _record(cutover.show()) == [journal["facts"].get("switched_from") or _blue_ip(cutover)]


def test_no_scheduled_run_happens_on_both_clusters(cutover: Cutover) -> None:
    """Green's resumed CronJob must not start the run blue already made (its most recent missed one)."""
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "smoke").exit_code == 0
    assert cutover.cli("sim", "advance", str(cutover.world), "10m").exit_code == 0  # blue runs the :15 job
    assert cutover.cli("switch", str(cutover.playbook), "--yes").exit_code == 0
    assert cutover.cli("sim", "advance", str(cutover.world), "40m").exit_code == 0
    fired = [e for e in cutover.show()["executions"] if e["event"] == "fired" and e["cronjob"] == "send-invoices"]
    on_blue = {e["job"] for e in fired if e["cluster"] == BLUE}
    on_green = {e["job"] for e in fired if e["cluster"] == GREEN}
    assert on_blue and on_green
    assert on_blue.isdisjoint(on_green), sorted(on_blue & on_green)


def _blue_ip(cutover: Cutover) -> str:
    with World.open(cutover.world) as world:
        ip = _kube(world, BLUE).load_balancer_ip("shop", "storefront")
    assert ip
    return ip


def test_a_failed_redeploy_blocks_the_switch_until_smoke_passes_again(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["smoke"].update(ready_timeout="2m"))
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "smoke").exit_code == 0
    with World.open(cutover.world) as world:  # blue changes in a way green cannot take
        _kube(world, BLUE).patch_merge("apps/v1", "Deployment", "shop", "cart", {"spec": {"template": {"spec": {
            "containers": [{"name": "cart", "image": "contoso.azurecr.io/shop/cart:2.7.1", "env": [
                {"name": "NEW", "valueFrom": {"secretKeyRef": {"name": "not-there", "key": "k"}}}]}]}}}})
    assert cutover.cli("redeploy", str(cutover.playbook), "--yes").exit_code == 0
    result = cutover.cli("switch", str(cutover.playbook), "--yes")
    assert result.exit_code == 3 and "needs smoke" in result.output
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 1 and 'secret "not-there" not found' in result.output
    journal = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())
    assert not journal["steps"].get("switch", {}).get("actions")


def test_a_redeploy_resumed_after_blue_changed_applies_the_change(cutover: Cutover) -> None:
    cutover.init()
    World.schedule_crash(cutover.world, after_mutations=7)  # the create, then part of redeploy
    crashed = cutover.forked("run", str(cutover.playbook), "--yes", "--until", "redeploy")
    assert crashed.returncode != 0
    journal = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())
    assert "redeploy/apply/shop/ConfigMap/storefront-config" in journal["steps"]["redeploy"]["actions"]  # applied before the crash
    assert journal["steps"]["redeploy"]["status"] == "running"
    with World.open(cutover.world) as world:
        _kube(world, BLUE).patch_merge("v1", "ConfigMap", "shop", "storefront-config", {"data": {"CURRENCY": "CHF"}})
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "smoke").exit_code == 0
    with World.open(cutover.world) as world:
        config = _kube(world, GREEN).get("v1", "ConfigMap", "shop", "storefront-config")
    assert config is not None and config["data"]["CURRENCY"] == "CHF"


def test_rollback_after_a_crash_between_the_record_write_and_its_journal_entry(cutover: Cutover) -> None:
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "smoke").exit_code == 0
    before = _record(cutover.show())
    World.schedule_crash(cutover.world, after_mutations=1)  # the record write is the switch's first
    crashed = cutover.forked("switch", str(cutover.playbook), "--yes")
    assert crashed.returncode != 0
    assert _record(cutover.show()) != before  # traffic already moved to green
    result = cutover.cli("rollback", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert _record(cutover.show()) == before


def test_a_single_step_does_not_break_resuming_a_saved_plan(cutover: Cutover) -> None:
    plan_file = cutover.root / "plan.json"
    assert cutover.cli("plan", str(cutover.playbook), "--out", str(plan_file)).exit_code == 0
    assert cutover.cli("run", str(cutover.playbook), "--plan", str(plan_file), "--until", "redeploy",
                       "--yes").exit_code == 0
    assert cutover.cli("smoke", str(cutover.playbook), "--yes").exit_code == 0
    result = cutover.cli("run", str(cutover.playbook), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 0, result.output


def test_an_action_the_approved_plan_does_not_contain_is_refused_as_stale(cutover: Cutover) -> None:
    cutover.init()
    before = cutover.show()["mutations"]["total"]
    plan_file = cutover.root / "plan.json"
    assert cutover.cli("plan", str(cutover.playbook), "--out", str(plan_file)).exit_code == 0
    plan = json.loads(plan_file.read_text())
    provision = next(s for s in plan["steps"] if s["name"] == "provision")
    assert [a["id"] for a in provision["actions"]] == ["provision/cluster", "provision/verify"]
    provision["actions"] = provision["actions"][1:]  # approved: verify green, but create nothing
    plan_file.write_text(json.dumps(seal(plan)))  # re-sealed: the approved ids are checked on their own too
    result = cutover.cli("run", str(cutover.playbook), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 3, result.output
    assert "stale" in result.output and "provision/cluster" in result.output
    assert cutover.show()["mutations"]["total"] == before
    # The plan as made is applied.
    assert cutover.cli("plan", str(cutover.playbook), "--out", str(plan_file)).exit_code == 0
    result = cutover.cli("run", str(cutover.playbook), "--plan", str(plan_file), "--yes", "--until", "provision")
    assert result.exit_code == 0, result.output
