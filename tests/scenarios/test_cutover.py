"""A whole cutover through the CLI against the simulator.

Covers: the end state of a full run (green serves, record on green, blue
stopped and empty, a restarted blue fires nothing, no CronJob active on both
clusters at once); plan makes no mutating request; a stale plan is refused and
leaves the record alone; a crash-looping image fails smoke before traffic
moves; decommission is refused while the record points at blue; rollback;
no secret value in any output.
"""

from __future__ import annotations

import http.client
import json
from datetime import datetime
from typing import Any

import pytest

from bluegreen.sim.world import World
from tests.scenarios.conftest import SECRET_VALUES, Cutover

BLUE, GREEN = "aks-shop-blue", "aks-shop-green"


def _cluster(show: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in show["clusters"] if c["name"] == name)


def _record(show: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in show["records"] if r["name"] == "shop")


def _workloads(show: dict[str, Any], cluster: str) -> list[dict[str, Any]]:
    kinds = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}  # `sim show` lists no Pods
    return [o for o in show["objects"].get(cluster, []) if o["kind"] in kinds
            and o["namespace"] in ("shop", "jobs")]


def _active_intervals(log: list[dict[str, Any]]) -> dict[str, list[tuple[int, int]]]:
    """Per cluster, the [seq, seq) intervals during which the CronJob could fire."""
    open_at: dict[str, int] = {}
    out: dict[str, list[tuple[int, int]]] = {}
    for entry in sorted(log, key=lambda e: e["seq"]):
        if entry["cronjob"] != "send-invoices":
            continue
        cluster = entry["cluster"]
        if entry["event"] == "activated":
            open_at[cluster] = entry["seq"]
        elif entry["event"] == "deactivated" and cluster in open_at:
            out.setdefault(cluster, []).append((open_at.pop(cluster), entry["seq"]))
    for cluster, start in open_at.items():
        out.setdefault(cluster, []).append((start, 10**9))
    return out


def test_full_cutover_end_state(cutover: Cutover) -> None:
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    show = cutover.show()
    green_ip = _record(show)["values"][0]
    # Green serves: its ingress answers over a real socket, and the record points at it.
    with World.open(cutover.world):
        conn = http.client.HTTPConnection(green_ip, 80, timeout=5)
        conn.request("GET", "/", headers={"Host": "shop.contoso.internal"})
        response = conn.getresponse()
        assert response.status == 200
        assert GREEN in response.read().decode()
    assert _cluster(show, BLUE)["power_state"] == "Stopped"
    assert _workloads(show, BLUE) == []
    # The one-off migration Job already ran on blue: it is not copied to run again on green.
    assert not any(o["name"] == "db-migrate-4-2" for o in show["objects"][GREEN])
    green_cronjob = next(o for o in show["objects"][GREEN] if o["kind"] == "CronJob")
    assert green_cronjob["suspend"] is False
    stopped_at = show["time"]
    # The drain really waited for blue's pods to terminate (30 s grace) before the cluster was stopped.
    journal = json.loads((cutover.world / "state" / "shop-1-31" / "journal.json").read_text())
    actions = journal["steps"]["decommission"]["actions"]
    deleted = max(datetime.fromisoformat(t) for k, t in actions.items() if k.startswith("decommission/delete/"))
    drained = datetime.fromisoformat(actions["decommission/drain"])
    assert (drained - deleted).total_seconds() >= 30
    assert datetime.fromisoformat(actions["decommission/stop"]) >= drained
    # Somebody starts the stopped blue months later: nothing comes back to life.
    assert cutover.cli("sim", "start-cluster", str(cutover.world), BLUE).exit_code == 0
    assert cutover.cli("sim", "advance", str(cutover.world), "2h").exit_code == 0
    later = cutover.show()
    blue_firings = [e for e in later["executions"] if e["cluster"] == BLUE and e["event"] == "fired"
                    and datetime.fromisoformat(e["time"]) > datetime.fromisoformat(stopped_at)]
    assert blue_firings == []
    assert _workloads(later, BLUE) == []
    with World.open(cutover.world) as world:
        from bluegreen.kube.client import KubeClient

        restarted_blue = KubeClient.from_kubeconfig(world.cluster(BLUE).kubeconfig(), clock=world.clock)
        assert restarted_blue.list("v1", "Pod") == []
    assert any(e["cluster"] == GREEN and e["event"] == "fired" for e in later["executions"])
    # Never active on both clusters at once.
    intervals = _active_intervals(later["executions"])
    for b_start, b_end in intervals.get(BLUE, []):
        for g_start, g_end in intervals.get(GREEN, []):
            assert b_end <= g_start or g_end <= b_start, (intervals, later["executions"])
    for secret in SECRET_VALUES:
        assert secret not in result.output


def test_plan_makes_no_mutating_request_and_stale_plan_is_refused(cutover: Cutover) -> None:
    cutover.init()
    before = cutover.show()["mutations"]["total"]
    plan_file = cutover.root / "plan.json"
    result = cutover.cli("plan", str(cutover.playbook), "--out", str(plan_file))
    assert result.exit_code == 0, result.output
    assert cutover.show()["mutations"]["total"] == before
    plan = json.loads(plan_file.read_text())
    switch = next(s for s in plan["steps"] if s["name"] == "switch")
    record_action = next(a for a in switch["actions"] if a["kind"] == "set_record")
    assert record_action["before"]["ttl"] == 300 and record_action["before"]["etag"]
    for secret in SECRET_VALUES:
        assert secret not in plan_file.read_text()
        assert secret not in result.output
    # Somebody edits the record between plan and run.
    _edit_record(cutover, "10.9.9.9")
    edited = _record(cutover.show())
    result = cutover.cli("run", str(cutover.playbook), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 3, result.output
    assert "stale" in result.output
    after = cutover.show()
    assert _record(after) == edited
    assert [c["name"] for c in after["clusters"]] == [BLUE]


def _edit_record(cutover: Cutover, value: str) -> None:
    from bluegreen.azure import AzureContext, PrivateDnsRecords

    with World.open(cutover.world) as world:
        ctx = AzureContext(world.credential, world.subscription_id, world.clock, polling_interval=1)
        dns = PrivateDnsRecords(ctx)
        record = dns.get("rg-shop", "contoso.internal", "shop", "A")
        assert record is not None
        dns.set_values(record, [value])


def test_crash_looping_green_fails_smoke_and_traffic_stays(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["simulation"].setdefault("cluster_behaviour", {}).update(
        {GREEN: {"broken_images": ["contoso.azurecr.io/shop/cart:"]}}))
    before = _record_after_init(cutover)
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 1, result.output
    assert "shop/cart" in result.output
    show = cutover.show()
    assert _record(show)["values"] == before["values"]
    assert _cluster(show, BLUE)["power_state"] == "Running"


def _record_after_init(cutover: Cutover) -> dict[str, Any]:
    cutover.init()
    return _record(cutover.show())


def test_decommission_refused_while_record_points_at_blue(cutover: Cutover) -> None:
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "smoke")
    assert result.exit_code == 0, result.output
    # Pretend the switch happened in the journal only: the live record still says blue.
    journal_path = cutover.world / "state" / "shop-1-31" / "journal.json"
    journal = json.loads(journal_path.read_text())
    journal["steps"]["switch"] = {"status": "done"}
    journal_path.write_text(json.dumps(journal))
    result = cutover.cli("decommission", str(cutover.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "still points at blue" in result.output
    show = cutover.show()
    assert _cluster(show, BLUE)["power_state"] == "Running"
    assert _workloads(show, BLUE) != []


def test_switch_dry_run_then_rollback(cutover: Cutover) -> None:
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "smoke").exit_code == 0
    before = _record(cutover.show())
    dry = cutover.cli("switch", str(cutover.playbook), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert before["values"][0] in dry.output and "300" in dry.output
    assert before["etag"] in dry.output and "last_modified_by=terraform-sp@contoso.example" in dry.output
    assert _record(cutover.show()) == before
    assert cutover.cli("switch", str(cutover.playbook), "--yes").exit_code == 0
    switched = _record(cutover.show())
    assert switched["values"] != before["values"]
    result = cutover.cli("rollback", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    show = cutover.show()
    assert _record(show)["values"] == before["values"]
    blue_cj = next(o for o in show["objects"][BLUE] if o["kind"] == "CronJob")
    green_cj = next(o for o in show["objects"][GREEN] if o["kind"] == "CronJob")
    assert (blue_cj["suspend"], green_cj["suspend"]) == (False, True)


def test_entra_id_cluster_is_reached_with_an_azure_identity_token(cutover: Cutover) -> None:
    """AAD clusters hand out a kubelogin exec kubeconfig; bluegreen uses an azure-identity token instead."""
    cutover.edit(lambda raw: raw["simulation"]["blue"].update(aad=True))
    cutover.init()
    import yaml

    from bluegreen.azure import AksClient, AzureContext

    with World.open(cutover.world) as world:
        ctx = AzureContext(world.credential, world.subscription_id, world.clock, polling_interval=1)
        kubeconfig = yaml.safe_load(AksClient(ctx).user_kubeconfig("rg-shop", BLUE))
    assert "exec" in kubeconfig["users"][0]["user"] and "token" not in kubeconfig["users"][0]["user"]
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert _cluster(cutover.show(), BLUE)["power_state"] == "Stopped"


def test_preflight_refuses_a_subnet_without_room_for_green(cutover: Cutover) -> None:
    """Azure CNI on the node subnet: each node reserves maxPods + 1 addresses, surge nodes included."""
    def small_subnet(raw: dict[str, Any]) -> None:
        blue = raw["simulation"]["blue"]
        blue.update(network_plugin="azure", network_plugin_mode=None,
                    subnet={"vnet": "vnet-shop", "name": "snet-aks", "prefix": "10.240.0.0/24", "used_ips": 20})
        raw["green"]["node_pools"]["system"]["count"] = 5

    cutover.edit(small_subnet)
    plan = cutover.cli("plan", str(cutover.playbook))
    assert "green needs 217 addresses in subnet snet-aks" in plan.output, plan.output
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 1
    assert "subnet has room" in result.output
    assert [c["name"] for c in cutover.show()["clusters"]] == [BLUE]
    cutover.edit(lambda raw: raw["green"]["node_pools"]["system"].update(count=3))
    plan = cutover.cli("plan", str(cutover.playbook))
    assert "ok   subnet has room: green needs 124 addresses" in plan.output, plan.output


def test_cname_switch(cutover: Cutover) -> None:
    """A CNAME record moves from blue's ingress host name to green's; smoke still goes to green's address."""
    def cname(raw: dict[str, Any]) -> None:
        raw["switch"].update(record_type="CNAME", blue_value="blue-ingress.contoso.internal",
                             green_value="green-ingress.contoso.internal")
        raw["simulation"]["dns_zones"][0]["records"] = [
            {"name": "shop", "type": "CNAME", "ttl": 60, "values": ["blue-ingress.contoso.internal"]}]

    cutover.edit(cname)
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    show = cutover.show()
    record = _record(show)
    assert (record["type"], record["values"]) == ("CNAME", ["green-ingress.contoso.internal"])
    assert _cluster(show, BLUE)["power_state"] == "Stopped"


@pytest.mark.parametrize(("change", "expected"), [
    (lambda raw: raw["switch"].update(zone="elsewhere.internal"),
     "DNS zone exists: zone elsewhere.internal not found in rg-shop"),
    (lambda raw: raw["switch"].update(resource_group="rg-missing"),
     "DNS zone exists: zone contoso.internal not found in rg-missing"),
    (lambda raw: raw["switch"].update(record="nothing-here"), "DNS record exists: "),
])
def test_plan_tells_a_missing_zone_from_a_missing_record(cutover: Cutover, change: Any, expected: str) -> None:
    cutover.edit(change)
    plan = cutover.cli("plan", str(cutover.playbook))
    assert expected in plan.output, plan.output
    assert plan.exit_code != 0
