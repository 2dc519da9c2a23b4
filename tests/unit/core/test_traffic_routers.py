"""The split arithmetic, the router's read-compare-write-read-back, and the router section's validation.

Covers: percent <-> weights for every step (1-1000, a side taken out is disabled, never weighed 0);
the side that takes traffic is written first; a move refuses a side somebody else changed (stale)
and resumes a half-applied one; undo goes to all-blue; a DNS router keeps the If-Match flip;
playbook rules for weighted routers and shifts, reported with field paths.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bluegreen.errors import StalePlanError, StepFailedError
from bluegreen.playbook import validation_problems
from bluegreen.traffic.routers import Router
from bluegreen.traffic.split import BackendInfo, percent_of, setting_for, write_order

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("percent", [0, 1, 10, 25, 33, 50, 99, 100])
def test_weights_send_the_asked_percent(percent: int) -> None:
    setting = setting_for(percent)
    assert percent_of(setting) == percent
    assert all(1 <= s["weight"] <= 1000 for s in setting.values())


def test_a_side_taken_out_is_disabled_and_the_taking_side_is_written_first() -> None:
    assert setting_for(0)["green"]["enabled"] is False and setting_for(100)["blue"]["enabled"] is False
    assert write_order(setting_for(100)) == ["green", "blue"]
    assert write_order(setting_for(0)) == ["blue", "green"]


class FakeBackends:
    def __init__(self, setting: dict[str, Any]) -> None:
        self.state = {side: dict(v) for side, v in setting.items()}
        self.writes: list[tuple[str, int, bool]] = []
        self.broken = False

    def get(self, name: str) -> BackendInfo | None:
        s = self.state.get(name)
        return None if s is None else BackendInfo(name, s["weight"], s["enabled"], f"{name}.example")

    def set(self, name: str, weight: int, enabled: bool) -> None:
        self.writes.append((name, weight, enabled))
        if not self.broken:
            self.state[name] = {"weight": weight, "enabled": enabled}


def _router(setting: dict[str, Any]) -> tuple[Router, FakeBackends]:
    backends = FakeBackends(setting)
    return Router("Fake router", backends, "blue", "green"), backends


def test_a_move_writes_each_side_and_reads_it_back() -> None:
    router, backends = _router(setting_for(0))
    state = router.apply(setting_for(0), setting_for(100))
    assert state.green_percent == 100
    assert backends.writes == [("green", 1000, True), ("blue", 1, False)]


def test_a_side_somebody_else_changed_is_refused_as_stale() -> None:
    router, backends = _router({"blue": {"weight": 700, "enabled": True}, "green": {"weight": 1, "enabled": False}})
    with pytest.raises(StalePlanError, match="somebody changed it since the plan"):
        router.apply(setting_for(0), setting_for(10))
    assert backends.writes == []


def test_a_half_applied_move_resumes_with_the_side_left() -> None:
    half = {"blue": setting_for(0)["blue"], "green": setting_for(100)["green"]}
    router, backends = _router(half)
    assert router.apply(setting_for(0), setting_for(100)).green_percent == 100
    assert backends.writes == [("blue", 1, False)]


def test_a_write_that_does_not_read_back_fails() -> None:
    router, backends = _router(setting_for(0))
    backends.broken = True
    with pytest.raises(StepFailedError, match="reads back"):
        router.apply(setting_for(0), setting_for(10))


def test_undo_goes_back_to_all_blue_from_any_step() -> None:
    router, _ = _router(setting_for(50))
    assert router.undo().green_percent == 0


def test_a_missing_side_is_reported() -> None:
    router, backends = _router(setting_for(0))
    del backends.state["green"]
    assert router.observe().problem == "Fake router: no green green"


def _raw(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "playbooks" / name).read_text())


@pytest.mark.parametrize(("change", "problem"), [
    (lambda sw: sw.pop("traffic_manager"), ("switch.traffic_manager", "a traffic_manager switch needs its "
                                                                      "traffic_manager section")),
    (lambda sw: sw["shift"].update(steps=[10, 50]), ("switch.shift.steps", "the last step must be 100")),
    (lambda sw: sw["shift"].update(steps=[50, 25, 100]),
     ("switch.shift.steps", "steps must increase, each between 1 and 100")),
    (lambda sw: sw["shift"].update(cronjobs_at=30), ("switch.shift.cronjobs_at", "must be one of the steps")),
    (lambda sw: sw["shift"].update(pause="sometime"),
     ("switch.shift.pause", "not a duration or 'manual': 'sometime' (use e.g. 90s, 10m, manual)")),
    (lambda sw: sw.update(type="private_dns"), ("switch.zone", "a private_dns switch needs zone")),
])
def test_router_rules_name_the_field(change: Any, problem: tuple[str, str]) -> None:
    raw = _raw("shop-traffic-manager.yaml")
    change(raw["switch"])
    assert problem in validation_problems(raw)


def test_a_dns_switch_moves_all_at_once() -> None:
    raw = _raw("storefront-public-dns.yaml")
    raw["switch"]["shift"] = {"steps": [50, 100]}
    assert ("switch.shift", "a DNS record moves all at once; steps need a weighted router (traffic_manager, "
                            "front_door or gateway_api)") in validation_problems(raw)


def test_the_examples_are_valid() -> None:
    for name in ("shop-traffic-manager.yaml", "shop-front-door.yaml"):
        assert validation_problems(_raw(name)) == []


def test_externaldns_flags_and_owner_are_read_with_externaldns_defaults() -> None:
    from bluegreen.traffic.externaldns import find, owner_of, ownership_names

    deployment = {"metadata": {"name": "edns", "namespace": "infra"}, "spec": {"template": {"spec": {"containers": [
        {"image": "registry.k8s.io/external-dns/external-dns:v0.14.2",
         "args": ["--policy", "upsert-only", "--txt-owner-id=blue", "--txt-prefix=x-"]}]}}}}
    bare = {"metadata": {"name": "e2", "namespace": "infra"}, "spec": {"template": {"spec": {"containers": [
        {"image": "bitnami/external-dns:0.14"}]}}}}
    other = {"metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [{"image": "nginx"}]}}}}
    found = find("blue", [deployment, bare, other])
    assert [(e.name, e.policy, e.owner_id, e.txt_prefix) for e in found] == [
        ("edns", "upsert-only", "blue", "x-"), ("e2", "sync", "default", "")]
    assert ownership_names("shop", "A", found) == ["shop", "a-shop", "x-shop", "x-a-shop"]
    assert owner_of(('"heritage=external-dns,external-dns/owner=blue,external-dns/resource=service/a/b"',)) == "blue"
    assert owner_of(("v=spf1 -all",)) is None


def test_a_side_out_of_traffic_matches_whatever_weight_it_keeps() -> None:
    from bluegreen.traffic.split import same

    assert same({"weight": 0, "enabled": False}, {"weight": 1, "enabled": False})  # HTTPRoute 0 vs TM disabled
    assert not same({"weight": 0, "enabled": False}, {"weight": 1, "enabled": True})
    assert not same({"weight": 500, "enabled": True}, {"weight": 900, "enabled": True})


@pytest.mark.parametrize("pause", [-5, float("nan"), float("inf"), "-1m", "400d"])
def test_a_pause_is_a_duration_like_any_other(pause: Any) -> None:
    """Negative, NaN, endless or absurd pauses are refused as every playbook duration is (issue 7 item 13)."""
    raw = _raw("shop-traffic-manager.yaml")
    raw["switch"]["shift"]["pause"] = pause
    assert [path for path, _ in validation_problems(raw)] == ["switch.shift.pause"]


@pytest.mark.parametrize(("metric", "problem"), [
    ({"prometheus": "http://p:9090"}, "needs its query"),
    ({}, "prometheus (with query) or azure_monitor"),
    ({"prometheus": "http://p:9090", "query": "up", "azure_monitor": {
        "resource_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Cdn/profiles/fd", "metric": "M"}},
     "prometheus (with query) or azure_monitor"),
    ({"azure_monitor": {"resource_id": "tm-shop", "metric": "M"}}, "must be an ARM resource id"),
])
def test_a_metric_gate_names_exactly_one_source(metric: dict[str, Any], problem: str) -> None:
    from pydantic import ValidationError

    from bluegreen.traffic.spec import MetricSpec

    with pytest.raises(ValidationError, match=re.escape(problem)):
        MetricSpec.model_validate({"name": "m", "max": 1, **metric})


def test_an_azure_monitor_metric_gate_validates() -> None:
    from bluegreen.traffic.spec import MetricSpec

    spec = MetricSpec.model_validate({"name": "5xx", "max": 5, "azure_monitor": {
        "resource_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Cdn/profiles/fd",
        "metric": "Percentage5XX"}})
    assert spec.azure_monitor is not None and spec.azure_monitor.aggregation == "Average"
