"""`fleet plan`: one row per pair, the fleet-wide findings; and the fleet file's bad input, named by field (exit 2)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from .conftest import FleetDir

OLD_HPA = {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "storefront", "namespace": "shop"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "storefront"},
                    "minReplicas": 1, "maxReplicas": 3}}


def _pair(shops: FleetDir, name: str, change: Any = None) -> str:
    text = (shops.fleet.parent / "shop-template.yaml").read_text()
    raw = yaml.safe_load(text.replace("${name}", name).replace("${expect}", "storefront")
                         .replace("${running}", "true"))
    if change:
        change(raw)
    (shops.fleet.parent / f"{name}.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return f"{name}.yaml"


def test_plan_shows_every_pair_and_the_fleet_wide_findings(shops: FleetDir, no_real_sleep: list[float]) -> None:
    (shops.fleet.parent / "old-hpa.yaml").write_text(yaml.safe_dump(OLD_HPA))

    def old_api(raw: dict[str, Any]) -> None:
        raw["workloads"]["manifests"] = ["old-hpa.yaml"]

    def small_subnet(raw: dict[str, Any]) -> None:
        raw["simulation"]["blue"].update(
            network_plugin="azure", network_plugin_mode=None,
            subnet={"vnet": "vnet-b", "name": "snet-b", "prefix": "10.240.0.0/24", "used_ips": 60})

    files = [_pair(shops, "a", old_api), _pair(shops, "b", small_subnet), _pair(shops, "c")]

    def as_list(raw: dict[str, Any]) -> None:
        raw["pairs"] = {"playbooks": files}
        raw["rollout"]["stages"] = [{"name": "one", "groups": [{"name": "g", "pairs": ["a", "b"]}]},
                                    {"name": "two", "groups": [{"name": "g", "pairs": ["c"]}]}]

    shops.edit(as_list)
    result = shops.cli("fleet", "plan", str(shops.fleet), "--output", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    rows = {r["pair"]: r for r in plan["pairs"]}
    assert [(r["pair"], r["stage"], r["blue_version"], r["target_version"]) for r in plan["pairs"]] == [
        ("a", "one", "1.29.9", "1.31"), ("b", "one", "1.29.9", "1.31"), ("c", "two", "1.29.9", "1.31")]
    assert list(plan["findings"]["removed_apis"]) == ["a"]
    assert "autoscaling/v2beta2" in plan["findings"]["removed_apis"]["a"][0]
    assert list(plan["findings"]["subnets_lacking_room"]) == ["b"]
    assert "snet-b" in plan["findings"]["subnets_lacking_room"]["b"][0]
    assert rows["c"]["findings"] == [] and rows["c"]["eta_seconds"] > 0
    ids = [r["plan_id"] for r in plan["pairs"]]  # each pair's plan by its id: the rows do not carry the plans
    assert all(isinstance(i, str) and len(i) == 12 for i in ids) and len(set(ids)) == 3 and "plan" not in rows["a"]
    text = shops.cli("fleet", "plan", str(shops.fleet))
    assert "a: uses APIs removed in its target version" in text.output
    assert "b: subnet lacks room" in text.output


@pytest.mark.parametrize(("change", "field", "message"), [
    (lambda r: r.pop("kind"), "kind", "Field required"),
    (lambda r: r["rollout"]["stages"][1].update(name="Regions"), "rollout.stages[1].name", "lowercase"),
    (lambda r: r["rollout"]["stages"][2].update(approval="maybe"), "rollout.stages[2].approval", "manual"),
    (lambda r: r["rollout"]["stages"][0].update(failure_budget=0), "rollout.stages[0].failure_budget", "1"),
    (lambda r: r["rollout"].update(max_concurrency=0), "rollout.max_concurrency", "1"),
    (lambda r: r["rollout"].update(after_stage_wait="soon"), "rollout.after_stage_wait", ""),
    (lambda r: r["rollout"]["stages"][0]["groups"][0]["pairs"].append("shop-99"),
     "rollout.stages[0].groups[0].pairs[2]", "no pair named 'shop-99'"),
    (lambda r: r["rollout"]["stages"][0]["groups"][0]["pairs"].append("shop-03"),
     "rollout.stages[1].groups[0].pairs[0]", "'shop-03' is already in stage canary"),
    (lambda r: r["rollout"]["stages"][2]["groups"].pop(), "rollout.stages", "pair 'shop-11' is in no stage"),
    (lambda r: r["pairs"]["table"][1].update(name="shop-01"), "pairs.table[1]", "a second pair named 'shop-01'"),
    (lambda r: r["pairs"]["table"][2].pop("expect"), "pairs.table[2] (template)", "${expect}"),
    (lambda r: r["pairs"]["table"][4].update(running="perhaps"), "pairs.table[4] simulation.blue.running", ""),
    (lambda r: r["pairs"].update(template="missing.yaml"), "pairs.template", "no such playbook"),
    (lambda r: r["pairs"].update(playbooks=["x.yaml"]), "pairs", "either playbooks or template"),
])
def test_bad_fleet_files_exit_2_naming_the_field(shops: FleetDir, change: Any, field: str, message: str) -> None:
    shops.edit(change)
    result = shops.cli("fleet", "plan", str(shops.fleet))
    assert result.exit_code == 2, result.output
    assert f"{field}: " in result.output and message in result.output, result.output
    assert not shops.world.exists()  # refused before any world (or Azure) was touched


def test_approve_names_a_stage_of_the_fleet(shops: FleetDir) -> None:
    result = shops.cli("fleet", "approve", str(shops.fleet), "prod")
    assert result.exit_code == 2
    assert "no stage 'prod' (stages: canary, regions, production)" in result.output


def test_a_pair_whose_simulation_cannot_be_seeded_leaves_no_half_world(shops: FleetDir) -> None:
    def missing(raw: dict[str, Any]) -> None:
        raw["simulation"]["blue"]["manifests"] = ["no-such-folder"]

    files = [_pair(shops, "a"), _pair(shops, "b", missing)]

    def as_list(raw: dict[str, Any]) -> None:
        raw["pairs"] = {"playbooks": files}
        raw["rollout"]["stages"] = [{"name": "one", "groups": [{"name": "g", "pairs": ["a", "b"]}]}]

    shops.edit(as_list)
    result = shops.cli("fleet", "plan", str(shops.fleet))
    assert result.exit_code == 2, result.output
    assert "pair b:" in result.output and "simulation.blue.manifests" in result.output
    assert not shops.world.exists()


def test_run_without_yes_and_without_a_terminal_is_refused(shops: FleetDir) -> None:
    result = shops.cli("fleet", "run", str(shops.fleet))
    assert result.exit_code == 2
    assert "refusing to cut over the 12 pairs of fleet shops" in result.output
    assert not shops.world.exists()


def test_plan_reports_a_stopped_blue_as_skipped_with_its_version(shops: FleetDir, no_real_sleep: list[float]) -> None:
    result = shops.cli("fleet", "plan", str(shops.fleet), "--output", "json")
    assert result.exit_code == 0, result.output
    rows = {r["pair"]: r for r in json.loads(result.stdout)["pairs"]}
    assert rows["shop-06"]["skip"] == "blue aks-shop-06-blue is Stopped"
    assert rows["shop-06"]["blue_version"] == "1.29.9"  # read once, by the plan's own observation of blue
    assert rows["shop-06"]["eta_seconds"] == 0
    assert [p for p, r in rows.items() if r["skip"]] == ["shop-06"]
    assert all(r["eta_seconds"] > 0 for p, r in rows.items() if p != "shop-06")


def test_the_pairs_of_one_region_read_its_kubernetes_versions_once(
    shops: FleetDir, no_real_sleep: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    from azure.mgmt.containerservice.operations import ManagedClustersOperations

    asked: list[str] = []
    original = ManagedClustersOperations.list_kubernetes_versions

    def counted(self: Any, location: str, **kwargs: Any) -> Any:
        asked.append(location)
        return original(self, location, **kwargs)

    monkeypatch.setattr(ManagedClustersOperations, "list_kubernetes_versions", counted)
    result = shops.cli("fleet", "plan", str(shops.fleet), "--output", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["pairs"]
    assert len(rows) == 12 and all(r["target_version"] for r in rows)
    assert asked == ["westeurope"]  # twelve pairs, one region: one read
