"""Seeding a world from a spec, reopening it, and what `show` reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bluegreen.errors import PlaybookError
from bluegreen.playbook import pydantic_problems
from bluegreen.sim import persist
from bluegreen.sim.world import World, WorldError
from bluegreen.simulation_spec import SimulationSpec

from .sim_helpers import CRON, MANIFESTS, SHOP, make_spec, spec_dict


def _lb_ips(world: World, cluster: str) -> dict[str, str]:
    ips = {}
    for obj in world.cluster(cluster).objects():
        ingress = (obj.get("status") or {}).get("loadBalancer", {}).get("ingress") or []
        if obj["kind"] == "Service" and ingress:
            ips[f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"] = ingress[0]["ip"]
    return ips


def test_world_round_trips_through_its_directory(tmp_path: Path):
    World.create(tmp_path / "w", make_spec(SHOP, CRON), MANIFESTS)
    with World.open(tmp_path / "w") as world:
        first = world.show()
        objects = world.cluster("aks-blue").objects()
        ips = _lb_ips(world, "aks-blue")
        world.advance(300)
        after_advance = world.show()
    with World.open(tmp_path / "w") as world:
        again = world.show()
        assert world.clock.now().isoformat().startswith("2026-03-01T08:05:00")
        assert _lb_ips(world, "aks-blue") == ips
        reopened = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in
                    world.cluster("aks-blue").objects()}
    assert first["time"] == "2026-03-01T08:00:00Z"
    assert {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects} <= reopened
    assert again["records"] == after_advance["records"] == first["records"]
    assert again["weights"] == first["weights"]
    assert again["objects"] == after_advance["objects"]
    assert again["executions"] == after_advance["executions"]
    assert again["time"] == after_advance["time"] == "2026-03-01T08:05:00Z"


def test_seeding_resolves_service_addresses_and_creates_namespaces(tmp_path: Path):
    World.create(tmp_path / "w", make_spec(SHOP, CRON), MANIFESTS)
    with World.open(tmp_path / "w") as world:
        view = world.show()
        ips = _lb_ips(world, "aks-blue")
        namespaces = {o["metadata"]["name"] for o in world.cluster("aks-blue").objects() if o["kind"] == "Namespace"}
    www = next(r for r in view["records"] if r["name"] == "www")
    assert www["values"] == [ips["default/storefront-public"]]
    assert www["ttl"] == 60 and www["private"] is True and www["etag"]
    assert re.fullmatch(r"127\.\d+\.\d+\.\d+", www["values"][0]) and www["values"][0] != "127.0.0.1"
    assert not www["values"][0].startswith("127.0.")
    assert any(r["zone"] == "shop.example.com" and r["private"] is False for r in view["records"])
    assert view["weights"] == [{"kind": "trafficManager", "profile": "tm-shop", "group": None, "name": "blue",
                                "target": ips["default/storefront-public"], "weight": 1000, "enabled": True}]
    assert {"ingress", "kube-system", "default"} <= namespaces
    deployments = [o for o in view["objects"]["aks-blue"] if o["kind"] == "Deployment"]
    assert len(deployments) == 4
    cron = next(o for o in view["objects"]["aks-blue"] if o["kind"] == "CronJob")
    assert (cron["namespace"], cron["name"]) == ("kube-system", "node-janitor")
    assert not cron["suspend"]


def test_show_has_the_documented_shape(tmp_path: Path):
    World.create(tmp_path / "w", make_spec(SHOP), MANIFESTS)
    with World.open(tmp_path / "w") as world:
        view = world.show()
    json.dumps(view)  # JSON-serialisable as is
    assert set(view) == {"time", "subscription_id", "clusters", "objects", "records", "weights", "entry_points",
                         "dns_server", "executions", "mutations"}
    (cluster,) = view["clusters"]
    assert set(cluster) == {"name", "id", "resource_group", "power_state", "provisioning_state",
                            "kubernetes_version", "server_url"}
    assert cluster["name"] == "aks-blue" and cluster["resource_group"] == "rg-shop"
    assert cluster["power_state"] == "Running" and cluster["provisioning_state"] == "Succeeded"
    assert cluster["kubernetes_version"] == "1.29.9" and cluster["server_url"].startswith("https://127.0.0.1:")
    assert all(set(o) == {"kind", "namespace", "name", "replicas", "ready", "suspend"}
               for o in view["objects"]["aks-blue"])
    assert all(set(r) == {"zone", "private", "name", "type", "values", "ttl", "etag"} for r in view["records"])
    assert view["mutations"] == {"by_api": {}, "total": 0}  # seeding is not traffic


def test_parallel_worlds_draw_different_address_blocks(tmp_path: Path):
    blocks = set()
    for i in range(6):
        World.create(tmp_path / f"w{i}", make_spec(SHOP), MANIFESTS)
        state = persist.load_state(tmp_path / f"w{i}")
        blocks.add((state["ip"]["octet"], state["ip"]["next"]))
    assert len(blocks) == 6


def test_create_refuses_foreign_and_existing_directories(tmp_path: Path):
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "x.txt").write_text("x")
    with pytest.raises(WorldError, match="not empty"):
        World.create(tmp_path / "foreign", make_spec(), MANIFESTS)
    World.create(tmp_path / "w", make_spec(), MANIFESTS)
    with pytest.raises(WorldError, match="already holds"):
        World.create(tmp_path / "w", make_spec(), MANIFESTS)
    World.create(tmp_path / "w", make_spec(CRON), MANIFESTS, replace=True)
    with World.open(tmp_path / "w") as world:
        assert any(o["kind"] == "CronJob" for o in world.show()["objects"]["aks-blue"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"dns_zones": [{"name": "z.internal", "records": [{"name": "a", "type": "A",
                                                           "values": [{"service": "default/nope"}]}]}]},
         "simulation.dns_zones[0].records[0].values[0]"),
        ({"dns_zones": [{"name": "z.internal", "records": [{"name": "a", "type": "A",
                                                           "values": [{"service": "default/productcatalogservice"}]}]}]},
         "simulation.dns_zones[0].records[0].values[0]"),
    ],
)
def test_bad_seed_data_names_the_field_and_writes_nothing(tmp_path: Path, change, field):
    spec = make_spec(SHOP, **change)
    with pytest.raises(PlaybookError) as info:
        World.create(tmp_path / "w", spec, MANIFESTS)
    assert info.value.field == field
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize(
    ("faults", "field"),
    [
        ([{"effect": "explode"}], "simulation.faults[0].effect"),
        ([{"effect": "throttle", "colour": "red"}], "simulation.faults[0].colour"),
        ([{"effect": "latency", "latency_seconds": float("inf")}], "simulation.faults[0].latency_seconds"),
    ],
)
def test_bad_faults_are_refused_by_the_spec_itself_naming_the_key(faults, field):
    """The section's own rules refuse what the simulator would (so `validate` does too), key by key."""
    raw = spec_dict(SHOP, faults=faults)
    with pytest.raises(ValidationError) as info:
        SimulationSpec.model_validate(raw)
    assert pydantic_problems(info.value, raw, prefix=("simulation",))[0][0] == field


def test_manifests_with_removed_apis_are_refused_at_seeding(tmp_path: Path):
    spec = make_spec("legacy-deployments.yaml")
    with pytest.raises(PlaybookError) as info:
        World.create(tmp_path / "w", spec, MANIFESTS)
    assert info.value.field == "simulation.blue.manifests"
    assert not (tmp_path / "w").exists()


def test_second_open_is_refused_while_the_first_holds_the_world(tmp_path: Path):
    World.create(tmp_path / "w", make_spec(), MANIFESTS)
    held = World.open(tmp_path / "w")
    with held, pytest.raises(persist.WorldLockedError, match="in use by process"), World.open(tmp_path / "w"):
        pass


def test_open_refuses_a_directory_that_is_not_a_world(tmp_path: Path):
    with pytest.raises(WorldError, match="not a simulated world"), World.open(tmp_path):
        pass


def test_unknown_cluster_name_lists_the_known_ones(tmp_path: Path):
    World.create(tmp_path / "w", make_spec(), MANIFESTS)
    with World.open(tmp_path / "w") as world, pytest.raises(PlaybookError, match="known: aks-blue"):
        world.stop_cluster("aks-green")


def test_a_repeated_creation_notice_keeps_the_clusters_objects(tmp_path: Path):
    World.create(tmp_path / "w", make_spec(CRON), MANIFESTS)
    with World.open(tmp_path / "w") as world:
        cluster_id = world.cluster_id("aks-blue")
        before = world.show()["objects"]["aks-blue"]
        world.cluster_created(cluster_id, "aks-blue", "1.29.9")
        assert world.show()["objects"]["aks-blue"] == before
        assert world.show()["clusters"][0]["server_url"]


def test_closing_a_world_closes_its_servers_without_powering_its_clusters_off(tmp_path: Path):
    World.create(tmp_path / "w", make_spec(SHOP, CRON), MANIFESTS)
    with World.open(tmp_path / "w") as world:
        sim = world.cluster("aks-blue")
        pods = sorted(o["metadata"]["name"] for o in sim.objects() if o["kind"] == "Pod")
        rv = sim.store.rv
        url = sim.server_url
    assert pods and sim.store.rv == rv  # nothing written or recorded on close (a stop would delete every pod)
    assert sorted(o["metadata"]["name"] for o in sim.objects() if o["kind"] == "Pod") == pods
    import socket
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=2).close()
