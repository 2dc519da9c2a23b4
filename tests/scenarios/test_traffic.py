"""Weighted routers and the stepwise shift, end to end against the simulator through the CLI.

Covers: Traffic Manager, Front Door and a Gateway API HTTPRoute cut over and roll
back; a gate (webhook, or Prometheus metric) that fails at the third step sends all
traffic back to blue and exits 1, with the step reached in the run record and
`status`; a manual pause waits for `promote`, `abort` returns traffic to blue, a
gate whose webhook does not answer or whose metric has no data pauses; a profile,
origin or route edited between plan and run is refused as stale (exit 3); rollback
refuses while blue's workloads are not available; CronJobs change hands at the
named step and back on abort.
"""

from __future__ import annotations

import json
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from bluegreen.azure.context import AzureContext
from bluegreen.azure.traffic import FrontDoorOrigins, TrafficManagerEndpoints
from bluegreen.sim.world import World
from tests.scenarios.conftest import Cutover

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "bluegreen" / "demo" / "manifests" / "shop.yaml"


def _copy(tmp_path: Path, name: str, change: Any = None) -> Cutover:
    raw = yaml.safe_load((ROOT / "playbooks" / name).read_text())
    raw["workloads"]["manifests"] = [str(SHOP)]
    raw["simulation"]["blue"]["manifests"] = [str(SHOP)]
    if change is not None:
        change(raw)
    (tmp_path / "playbook.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return Cutover(tmp_path)


def _weights(c: Cutover) -> dict[str, tuple[int, bool]]:
    return {w["name"]: (w["weight"], w["enabled"]) for w in c.show()["weights"]}


def _status(c: Cutover) -> dict[str, Any]:
    result = c.cli("status", str(c.playbook), "--output", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


ALL_BLUE = {"blue": (1000, True), "green": (1, False)}
ALL_GREEN = {"blue": (1, False), "green": (1000, True)}


class _Hook(BaseHTTPRequestHandler):
    fail_at: int | None = None
    seen: list[int]

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(body["percent"])
        self.send_response(500 if body["percent"] == type(self).fail_at else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def hook() -> Iterator[tuple[str, type[_Hook]]]:
    handler = type("Hook", (_Hook,), {"seen": [], "fail_at": None})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/gate", handler
    server.shutdown()
    server.server_close()


def test_traffic_manager_shifts_in_steps_and_rolls_back(tmp_path: Path) -> None:
    c = _copy(tmp_path, "shop-traffic-manager.yaml")
    result = c.cli("run", str(c.playbook), "--yes", "--until", "switch")
    assert result.exit_code == 0, result.output
    for line in ("blue 900, green 100 = 10% to green", "blue 750, green 250 = 25% to green",
                 "blue 500, green 500 = 50% to green", "gate passed at 50%"):
        assert line in result.output
    assert _weights(c) == ALL_GREEN
    status = _status(c)["traffic"]
    assert status["green_percent"] == 100 and status["step_reached"] == 100
    assert status["gates"] == {"10%": "passed", "25%": "passed", "50%": "passed", "100%": "passed"}
    result = c.cli("rollback", str(c.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert _weights(c) == ALL_BLUE
    assert _status(c)["steps"]["switch"] == "rolled_back"


def _copy_gateway(tmp_path: Path) -> Cutover:
    def edge(raw: dict[str, Any]) -> None:
        raw["simulation"]["blue"]["manifests"].append(str(ROOT / "playbooks" / "edge" / "gateway.yaml"))
    return _copy(tmp_path, "shop-gateway-api.yaml", edge)


def _route_weights(c: Cutover) -> dict[str, int]:
    from bluegreen.kube.client import KubeClient

    with World.open(c.world) as world:
        kube = KubeClient.from_kubeconfig(world.cluster("aks-shop-blue").kubeconfig(), clock=world.clock)
        route = kube.get("gateway.networking.k8s.io/v1", "HTTPRoute", "edge", "shop")
    assert route is not None
    return {r["name"]: r["weight"] for r in route["spec"]["rules"][0]["backendRefs"]}


def test_gateway_api_route_shifts_in_steps_and_rolls_back(tmp_path: Path) -> None:
    c = _copy_gateway(tmp_path)
    result = c.cli("run", str(c.playbook), "--yes", "--until", "switch")
    assert result.exit_code == 0, result.output
    assert "HTTPRoute edge/shop on aks-shop-blue now blue 800, green 200 = 20% to green" in result.output
    assert _route_weights(c) == {"storefront-blue": 0, "storefront-green": 1000}
    result = c.cli("rollback", str(c.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert _route_weights(c) == {"storefront-blue": 1000, "storefront-green": 0}


def test_front_door_cuts_over_and_rolls_back(tmp_path: Path) -> None:
    c = _copy(tmp_path, "shop-front-door.yaml")
    result = c.cli("run", str(c.playbook), "--yes", "--until", "switch")
    assert result.exit_code == 0, result.output
    assert _weights(c) == ALL_GREEN
    result = c.cli("abort", str(c.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert _weights(c) == ALL_BLUE


def _gate_hook(url: str, pause: Any = 0) -> Any:
    def change(raw: dict[str, Any]) -> None:
        raw["switch"]["shift"] = {"steps": [10, 25, 50, 100], "pause": pause,
                                  "gate": {"http": True, "webhooks": [{"name": "analysis", "url": url,
                                                                       "timeout": 2}],
                                           "entry_point": {"host": "tm-shop.trafficmanager.net", "requests": 20}}}
    return change


def test_a_gate_failing_at_the_third_step_sends_all_traffic_back_to_blue(tmp_path: Path, hook: Any) -> None:
    url, handler = hook
    handler.fail_at = 50
    c = _copy(tmp_path, "shop-traffic-manager.yaml", _gate_hook(url))
    result = c.cli("run", str(c.playbook), "--yes")
    assert result.exit_code == 1, result.output
    assert handler.seen == [10, 25, 50]
    assert "All traffic is back on blue" in result.output
    assert _weights(c) == ALL_BLUE
    journal = json.loads((c.world / "state" / "shop-tm" / "journal.json").read_text())
    assert journal["facts"]["shift_reached"] == 50 and journal["steps"]["switch"]["status"] == "failed"
    status = _status(c)["traffic"]
    assert status["step_reached"] == 50 and status["green_percent"] == 0
    assert status["gates"]["10%"] == "passed" and status["gates"]["50%"].startswith("failed at 50%")
    # The entry point's request log: each gate's 20 requests were spread by that step's weights.
    (entry,) = c.show()["entry_points"]
    by_step: dict[tuple[int, int], dict[str, int]] = {}
    for request in entry["log"]:
        assert request["status"] == 200
        weights = (request["weights"].get("blue", 0), request["weights"].get("green", 0))
        served = by_step.setdefault(weights, {})
        served[request["endpoint"]] = served.get(request["endpoint"], 0) + 1
    assert by_step == {(900, 100): {"blue": 18, "green": 2}, (750, 250): {"blue": 15, "green": 5},
                       (500, 500): {"blue": 10, "green": 10}}
    # After the failed gate: all of it on blue again.
    with World.open(c.world) as world:
        address = world.show()["entry_points"][0]["address"]
        for _ in range(5):
            with urllib.request.urlopen(urllib.request.Request(f"http://{address}/",  # noqa: S310 - 127.x
                                                               headers={"Host": "shop.contoso.example"})) as r:
                assert r.status == 200
    after = c.show()["entry_points"][0]["log"][-5:]
    assert [(r["endpoint"], r["weights"]) for r in after] == [("blue", {"blue": 1000})] * 5
    # Shifting again first needs a rollback, which resets the shift.
    again = c.cli("run", str(c.playbook), "--yes")
    assert again.exit_code == 3 and "bluegreen rollback" in again.output
    assert c.cli("rollback", str(c.playbook), "--yes").exit_code == 0
    assert _status(c)["traffic"]["step_reached"] is None


def test_a_manual_pause_waits_for_promote_and_abort_returns_traffic_to_blue(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["switch"]["shift"] = {"steps": [25, 50, 100], "pause": "manual"}

    c = _copy(tmp_path, "shop-traffic-manager.yaml", change)
    result = c.cli("run", str(c.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "bluegreen promote" in result.output
    assert _weights(c) == {"blue": (750, True), "green": (250, True)}
    assert _status(c)["traffic"]["paused_at"] == 25
    journal = json.loads((c.world / "state" / "shop-tm" / "journal.json").read_text())
    assert journal["steps"]["switch"]["status"] == "paused"  # waiting for a person is not a failure
    assert _status(c)["steps"]["switch"] == "paused"
    assert "switch paused" in result.output and "switch failed" not in result.output
    result = c.cli("promote", str(c.playbook), "--yes")
    assert result.exit_code == 3, result.output  # on to 50%, and the next manual pause
    assert _weights(c) == {"blue": (500, True), "green": (500, True)}
    assert _status(c)["traffic"]["paused_at"] == 50
    result = c.cli("abort", str(c.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert _weights(c) == ALL_BLUE


def test_a_gate_without_an_answer_pauses_instead_of_deciding(tmp_path: Path) -> None:
    closed = "http://127.0.0.1:9/gate"  # discard port: nothing answers
    c = _copy(tmp_path, "shop-traffic-manager.yaml", _gate_hook(closed))
    result = c.cli("run", str(c.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "inconclusive at 10%" in result.output
    assert _weights(c) == {"blue": (900, True), "green": (100, True)}  # neither forward nor back
    status = _status(c)["traffic"]
    assert status["paused_at"] == 10 and status["gates"]["10%"].startswith("inconclusive")


@pytest.mark.parametrize("name", ["shop-traffic-manager.yaml", "shop-front-door.yaml", "shop-gateway-api.yaml"])
def test_a_router_edited_between_plan_and_run_is_refused_as_stale(tmp_path: Path, name: str) -> None:
    c = _copy_gateway(tmp_path) if "gateway" in name else _copy(tmp_path, name)
    assert c.cli("run", str(c.playbook), "--yes", "--until", "smoke").exit_code == 0
    plan = tmp_path / "plan.json"
    assert c.cli("plan", str(c.playbook), "--out", str(plan)).exit_code == 0
    with World.open(c.world) as world:
        ctx = AzureContext(world.credential, world.subscription_id, world.clock, polling_interval=1)
        if "traffic" in name:
            TrafficManagerEndpoints(ctx, "rg-shop", "tm-shop", "ExternalEndpoints").set("blue", 700, True)
        elif "front" in name:
            FrontDoorOrigins(ctx, "rg-shop", "fd-shop", "shop-origins").set("blue", 700, True)
        else:
            from bluegreen.kube.client import KubeClient
            from bluegreen.traffic.gateway import HttpRouteBackends

            kube = KubeClient.from_kubeconfig(world.cluster("aks-shop-blue").kubeconfig(), clock=world.clock)
            HttpRouteBackends(lambda: kube, "edge", "shop", 0).set("storefront-blue", 700, True)
    result = c.cli("run", str(c.playbook), "--plan", str(plan), "--yes")
    assert result.exit_code == 3, result.output
    assert "stale" in result.output and "traffic/" in result.output
    if "gateway" in name:
        assert _route_weights(c) == {"storefront-blue": 700, "storefront-green": 0}
    else:
        assert _weights(c)["green"] == (1, False)


def test_rollback_refuses_while_blue_cannot_serve(tmp_path: Path) -> None:
    c = _copy(tmp_path, "shop-front-door.yaml")
    assert c.cli("run", str(c.playbook), "--yes", "--until", "switch").exit_code == 0
    from bluegreen.kube.client import KubeClient

    with World.open(c.world) as world:
        kube = KubeClient.from_kubeconfig(world.cluster("aks-shop-blue").kubeconfig(), clock=world.clock)
        kube.patch_merge("apps/v1", "Deployment", "shop", "storefront",
                         {"spec": {"template": {"spec": {"containers": [{"name": "storefront",
                                                                         "image": "missing:0"}]}}}})
    result = c.cli("rollback", str(c.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "blue cannot serve the traffic it would get back" in result.output
    assert _weights(c) == ALL_GREEN
    shutil.rmtree(c.world, ignore_errors=True)


class _Prometheus(BaseHTTPRequestHandler):
    values: list[float | None]
    queries: list[str]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        from urllib.parse import parse_qs, urlsplit

        type(self).queries.append(parse_qs(urlsplit(self.path).query)["query"][0])
        value = type(self).values.pop(0) if type(self).values else None
        result = [] if value is None else [{"metric": {}, "value": [1700000000, str(value)]}]
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def prometheus() -> Iterator[tuple[str, type[_Prometheus]]]:
    handler = type("Prom", (_Prometheus,), {"values": [], "queries": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _metric_gate(url: str) -> Any:
    def change(raw: dict[str, Any]) -> None:
        raw["switch"]["shift"] = {"steps": [10, 25, 50, 100], "pause": 0, "gate": {"http": False, "metrics": [
            {"name": "error rate", "prometheus": url, "query": 'sum(rate(http_errors_total{app="shop"}[1m]))',
             "max": 0.05, "samples": 2, "interval": 30}]}}
    return change


def test_a_metric_beyond_its_threshold_at_the_third_step_fails_the_gate(tmp_path: Path, prometheus: Any) -> None:
    url, handler = prometheus
    handler.values = [0.01, 0.02, 0.01, 0.0, 0.01, 0.2]
    c = _copy(tmp_path, "shop-traffic-manager.yaml", _metric_gate(url))
    result = c.cli("run", str(c.playbook), "--yes")
    assert result.exit_code == 1, result.output
    assert "metric error rate: 0.2 beyond max 0.05" in result.output
    assert len(handler.queries) == 6 and handler.queries[0].startswith("sum(rate(http_errors_total")
    assert _weights(c) == ALL_BLUE
    assert _status(c)["traffic"]["step_reached"] == 50


def test_a_metric_without_data_pauses_the_shift(tmp_path: Path, prometheus: Any) -> None:
    url, handler = prometheus
    handler.values = [0.01, None]
    c = _copy(tmp_path, "shop-traffic-manager.yaml", _metric_gate(url))
    result = c.cli("run", str(c.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "inconclusive at 10%" in result.output and "no data for" in result.output
    assert _weights(c) == {"blue": (900, True), "green": (100, True)}


def _suspended(c: Cutover) -> dict[str, bool | None]:
    objects = c.show()["objects"]
    return {cluster: next(o["suspend"] for o in objects[cluster] if o["name"] == "send-invoices")
            for cluster in ("aks-shop-blue", "aks-shop-green") if cluster in objects}


def test_cronjobs_change_hands_at_the_named_step_and_back_on_abort(tmp_path: Path) -> None:
    jobs = str(ROOT / "bluegreen" / "demo" / "manifests" / "jobs.yaml")

    def change(raw: dict[str, Any]) -> None:
        raw["workloads"]["namespaces"] = ["shop", "jobs"]
        raw["workloads"]["manifests"].append(jobs)
        raw["simulation"]["blue"]["manifests"].append(jobs)
        raw["switch"]["shift"] = {"steps": [25, 50, 100], "pause": "manual", "cronjobs_at": 50}

    c = _copy(tmp_path, "shop-traffic-manager.yaml", change)
    assert c.cli("run", str(c.playbook), "--yes").exit_code == 3  # paused at 25%
    assert _suspended(c) == {"aks-shop-blue": False, "aks-shop-green": True}
    assert c.cli("promote", str(c.playbook), "--yes").exit_code == 3  # at 50%: handed over, paused again
    assert _suspended(c) == {"aks-shop-blue": True, "aks-shop-green": False}
    result = c.cli("abort", str(c.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert _suspended(c) == {"aks-shop-blue": False, "aks-shop-green": True}
    assert _weights(c) == ALL_BLUE


def test_a_missing_edge_cluster_fails_preflight_naming_it(tmp_path: Path) -> None:
    c = _copy_gateway(tmp_path)
    c.edit(lambda raw: raw["switch"]["gateway_api"]["cluster"].update(name="aks-edge"))
    result = c.cli("preflight", str(c.playbook))
    assert result.exit_code == 1, result.output
    assert "cluster aks-edge (switch.gateway_api.cluster) does not exist" in result.output


def _through(address: str, n: int) -> int:
    """Send n requests to an entry point; how many green answered."""
    import http.client

    green = 0
    for _ in range(n):
        conn = http.client.HTTPConnection(address, 80, timeout=10)
        conn.request("GET", "/", headers={"Host": "shop.contoso.example"})
        body = conn.getresponse().read().decode()
        conn.close()
        green += "aks-shop-green" in body
    return green


def test_requests_through_the_entry_point_follow_each_step_and_return_to_blue(tmp_path: Path) -> None:
    c = _copy(tmp_path, "shop-traffic-manager.yaml")
    c.init()
    entry = next(e["address"] for e in c.show()["entry_points"] if e["router"] == "trafficManager/tm-shop")
    assert c.cli("run", str(c.playbook), "--yes", "--until", "smoke").exit_code == 0
    green_ip = json.loads((c.world / "state" / "shop-tm" / "journal.json").read_text())["facts"]["green_ingress_ip"]
    with World.open(c.world) as world:  # the operator points green's endpoint at green's ingress
        ctx = AzureContext(world.credential, world.subscription_id, world.clock, polling_interval=1)
        ctx.trafficmanager.endpoints.update("rg-shop", "tm-shop", "ExternalEndpoints", "green",
                                            {"properties": {"target": green_ip}})
        assert _through(entry, 10) == 0

    seen: dict[int, int] = {}

    class Analysis(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            percent = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["percent"]
            seen[percent] = _through(entry, 20)
            self.send_response(500 if percent == 50 else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Analysis)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        c.edit(_gate_hook(f"http://127.0.0.1:{server.server_address[1]}/"))
        result = c.cli("run", str(c.playbook), "--yes")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1, result.output
    assert seen == {10: 2, 25: 5, 50: 10}  # of 20 requests each: the weights took effect
    with World.open(c.world):
        assert _through(entry, 20) == 0  # the failed gate put everything back on blue


def _targets(c: Cutover) -> dict[str, str]:
    return {w["name"]: w["target"] for w in c.show()["weights"]}


@pytest.mark.parametrize("name", ["shop-traffic-manager.yaml", "shop-front-door.yaml"])
def test_green_target_auto_points_green_at_its_ingress_as_a_planned_action(tmp_path: Path, name: str) -> None:
    c = _copy(tmp_path, name)
    assert c.cli("run", str(c.playbook), "--yes", "--until", "smoke").exit_code == 0
    green_ip = _status(c)["facts"]["green_ingress_ip"]
    assert _targets(c)["green"] == "green.shop.contoso.example"
    assert c.cli("plan", str(c.playbook), "--out", str(tmp_path / "plan.json")).exit_code == 0
    actions = {a["id"]: a for s in json.loads((tmp_path / "plan.json").read_text())["steps"] for a in s["actions"]}
    target = actions["switch/green-target"]
    assert target["before"] == {"target": "green.shop.contoso.example"} and target["after"] == {"target": green_ip}
    # Before the first move: green takes no traffic until it points at green.
    order = list(actions)
    assert order.index("switch/green-target") < order.index("switch/shift/10" if "traffic" in name
                                                            else "switch/shift/100")
    result = c.cli("run", str(c.playbook), "--yes", "--until", "switch")
    assert result.exit_code == 0, result.output
    assert _targets(c)["green"] == green_ip


def test_without_green_target_the_plan_says_where_green_points_and_the_entry_point_gate_catches_it(tmp_path: Path) -> None:
    def operator(raw: dict[str, Any]) -> None:
        raw["switch"]["traffic_manager"].pop("green_target")

    c = _copy(tmp_path, "shop-traffic-manager.yaml", operator)
    assert c.cli("run", str(c.playbook), "--yes", "--until", "smoke").exit_code == 0
    plan = c.cli("plan", str(c.playbook))
    assert "points at green.shop.contoso.example (targets are the operator's" in plan.output
    assert c.cli("plan", str(c.playbook), "--out", str(tmp_path / "plan.json")).exit_code == 0
    assert "switch/green-target" not in (tmp_path / "plan.json").read_text()
    # Green's endpoint points where the simulator cannot reach: the gate's requests through the public entry
    # point see green's share fail (the direct checks against green cannot), and traffic goes back to blue.
    result = c.cli("run", str(c.playbook), "--yes", "--until", "switch")
    assert result.exit_code == 1, result.output
    assert "home page through tm-shop.trafficmanager.net: 2/20 failed" in result.output
    assert _weights(c) == ALL_BLUE
    assert _targets(c)["green"] == "green.shop.contoso.example"


def test_an_entry_point_that_does_not_resolve_makes_the_gate_inconclusive(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["switch"]["shift"]["gate"]["entry_point"]["host"] = "tm-elsewhere.trafficmanager.net"

    c = _copy(tmp_path, "shop-traffic-manager.yaml", change)
    result = c.cli("run", str(c.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "entry point tm-elsewhere.trafficmanager.net does not resolve: NXDOMAIN" in result.output
    assert _weights(c) == {"blue": (900, True), "green": (100, True)}  # neither forward nor back
    assert _status(c)["steps"]["switch"] == "paused"


def _azure_metric_gate(raw: dict[str, Any]) -> None:
    raw["switch"]["shift"] = {"steps": [10, 25, 50, 100], "pause": 0, "gate": {"http": False, "metrics": [
        {"name": "5xx share", "azure_monitor": {
            "resource_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop/providers/"
                           "Microsoft.Network/trafficManagerProfiles/tm-shop",
            "metric": "Percentage5XX", "aggregation": "Average", "window": 300},
         "max": 5, "samples": 2, "interval": 30}]}}


def _set_metric(c: Cutover, values: list[float | None]) -> None:
    c.init()
    with World.open(c.world) as world:
        rid = (f"/subscriptions/{world.subscription_id}/resourceGroups/rg-shop/providers/"
               "Microsoft.Network/trafficManagerProfiles/tm-shop")
        world.arm.insights.set_metric(rid, "Percentage5XX", values)
    c.edit(lambda raw: raw["switch"]["shift"]["gate"]["metrics"][0]["azure_monitor"].update(resource_id=rid))


def test_an_azure_monitor_metric_beyond_its_threshold_at_the_third_step_fails_the_gate(tmp_path: Path) -> None:
    c = _copy(tmp_path, "shop-traffic-manager.yaml", _azure_metric_gate)
    _set_metric(c, [0.5, 1.0, 0.2, 0.0, 0.4, 7.5])
    result = c.cli("run", str(c.playbook), "--yes")
    assert result.exit_code == 1, result.output
    assert "metric 5xx share: 7.5 beyond max 5" in result.output
    assert _weights(c) == ALL_BLUE
    assert _status(c)["traffic"]["step_reached"] == 50


def test_an_azure_monitor_metric_without_data_pauses_the_shift(tmp_path: Path) -> None:
    c = _copy(tmp_path, "shop-traffic-manager.yaml", _azure_metric_gate)
    _set_metric(c, [0.5, None])
    result = c.cli("run", str(c.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "inconclusive at 10%" in result.output and "Percentage5XX of tm-shop: no data" in result.output
    assert _weights(c) == {"blue": (900, True), "green": (100, True)}
    assert _status(c)["steps"]["switch"] == "paused"


def test_the_httproute_entry_point_spreads_a_gated_shift_by_the_backendref_weights(tmp_path: Path) -> None:
    def edge(raw: dict[str, Any]) -> None:
        raw["simulation"]["blue"]["manifests"].append(str(ROOT / "playbooks" / "edge" / "gateway.yaml"))
        # The ExternalName Services' names, resolvable in the simulated zones (green's once it has an address).
        raw["simulation"]["dns_zones"] = [{"name": "shop.contoso.example", "private": False, "records": [
            {"name": "blue", "type": "A", "ttl": 60, "values": [{"service": "shop/storefront", "cluster": "blue"}]}]}]
        raw["switch"]["shift"] = {"steps": [20, 50, 100], "pause": 0,
                                  "gate": {"entry_point": {"host": "shop.contoso.example", "requests": 20}}}

    c = _copy(tmp_path, "shop-gateway-api.yaml", edge)
    assert c.cli("run", str(c.playbook), "--yes", "--until", "smoke").exit_code == 0
    green_ip = _status(c)["facts"]["green_ingress_ip"]
    with World.open(c.world) as world:
        world.arm.dns.seed_record(False, world.subscription_id, "rg-shop", "shop.contoso.example", "green", "A",
                                  [green_ip], 60)
    result = c.cli("run", str(c.playbook), "--yes", "--until", "switch")
    assert result.exit_code == 0, result.output
    assert "home page through shop.contoso.example" in result.output
    (entry,) = c.show()["entry_points"]
    assert entry["router"] == "httpRoute/aks-shop-blue/edge/shop" and entry["host"] == "shop.contoso.example"
    by_step: dict[tuple[int, int], dict[str, int]] = {}
    for request in entry["log"]:
        assert request["status"] == 200
        weights = (request["weights"].get("storefront-blue", 0), request["weights"].get("storefront-green", 0))
        served = by_step.setdefault(weights, {})
        served[request["endpoint"]] = served.get(request["endpoint"], 0) + 1
    assert by_step == {(800, 200): {"storefront-blue": 16, "storefront-green": 4},
                       (500, 500): {"storefront-blue": 10, "storefront-green": 10},
                       (0, 1000): {"storefront-green": 20}}
