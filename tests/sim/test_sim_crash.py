"""Crash injection: a process killed (SIGKILL) right after a mutation leaves a world that reopens with it applied."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bluegreen.sim import persist
from bluegreen.sim.world import World

from .sim_helpers import CRON, MANIFESTS, make_spec

ROOT = Path(__file__).resolve().parents[2]

# Idempotent, like a resumed step: create records r0..r2 that are not there yet.
DNS_CHILD = """
import sys
from pathlib import Path
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.privatedns import PrivateDnsManagementClient
from azure.mgmt.privatedns.models import ARecord, RecordSet
from bluegreen.sim.world import World

with World.open(Path(sys.argv[1])) as world:
    dns = PrivateDnsManagementClient(world.credential, world.subscription_id, retry_total=0)
    for i in range(3):
        try:
            dns.record_sets.get("rg-shop", "shop.internal", "A", f"r{i}")
            continue
        except ResourceNotFoundError:
            pass
        dns.record_sets.create_or_update("rg-shop", "shop.internal", "A", f"r{i}",
                                         RecordSet(ttl=60, a_records=[ARecord(ipv4_address=f"10.0.0.{i + 1}")]))
print("done")
"""

KUBE_CHILD = """
import sys
from pathlib import Path
import yaml
from kubernetes import client, config
from bluegreen.sim.world import World

with World.open(Path(sys.argv[1])) as world:
    api = config.new_client_from_config_dict(yaml.safe_load(world.kubeconfigs()["aks-blue"]))
    client.BatchV1Api(api).delete_namespaced_cron_job("node-janitor", "kube-system")
print("done")
"""


def _run(script: str, world: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", script, str(world)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def _records(world: Path) -> dict[str, list[str]]:
    with World.open(world) as opened:
        return {r["name"]: r["values"] for r in opened.show()["records"] if r["zone"] == "shop.internal"}


@pytest.fixture
def world(tmp_path: Path) -> Path:
    spec = make_spec(CRON, dns_zones=[{"name": "shop.internal", "records": []}])
    World.create(tmp_path / "w", spec, MANIFESTS)
    return tmp_path / "w"


def test_killed_after_an_arm_mutation_reopens_with_it_applied(world: Path):
    World.schedule_crash(world, after_mutations=2)
    crashed = _run(DNS_CHILD, world)
    assert crashed.returncode == -9, crashed.stderr
    assert "done" not in crashed.stdout
    assert _records(world) == {"r0": ["10.0.0.1"], "r1": ["10.0.0.2"]}  # the fatal mutation is kept
    state = persist.load_state(world)
    assert state["crash"]["consumed"] is True
    assert state["mutations"] == {"Microsoft.Network/privateDnsZones": 2}

    rerun = _run(DNS_CHILD, world)  # the fault is one-shot: the re-run goes through
    assert rerun.returncode == 0, rerun.stderr
    assert "done" in rerun.stdout
    assert _records(world) == {"r0": ["10.0.0.1"], "r1": ["10.0.0.2"], "r2": ["10.0.0.3"]}
    with World.open(world) as opened:
        assert opened.show()["mutations"]["total"] == 3


def test_killed_inside_an_api_server_request_reopens_with_it_applied(world: Path):
    World.schedule_crash(world, after_mutations=1)
    crashed = _run(KUBE_CHILD, world)
    assert crashed.returncode == -9, crashed.stderr
    with World.open(world) as opened:
        view = opened.show()
    assert not any(o["kind"] == "CronJob" for o in view["objects"]["aks-blue"])
    assert view["mutations"] == {"by_api": {"kubernetes/aks-blue": 1}, "total": 1}
    assert view["clusters"][0]["power_state"] == "Running"


def test_schedule_crash_needs_a_positive_count(world: Path):
    with pytest.raises(ValueError):
        World.schedule_crash(world, after_mutations=0)
