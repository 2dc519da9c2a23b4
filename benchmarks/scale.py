"""How the simulator scales: per-request cost as a cluster fills, a month of CronJobs, a fleet of 600 clusters.

Run:  .venv/bin/python benchmarks/scale.py [--objects 5000] [--fleet-pairs 300]

Prints, for the same process and machine:
  - reference: a GET of one Namespace through the simulated API server (official Python client);
  - server-side apply of N ConfigMaps through the API server (official client, `application/apply-patch+yaml`),
    each request saved to the world's database: the median server time (the API server's handler, from
    request line to response, the save included) and round trip over the requests around 100, 1,000 and
    5,000 stored objects. Goal: flat (exit 1 if the server time at 5,000 is more than 1.5x that at 100);
  - `bluegreen sim advance 30d` on a world with 20 CronJobs of mixed schedules, in real seconds (the CLI,
    in a fresh process), with the Jobs it ran;
  - creating a world of 300 cluster pairs (600 clusters, a few objects each), opening it, serving one
    cluster of it (kubeconfig + a request) and advancing it a simulated hour, in real seconds.
A benchmark, not a test: the machine's load shows in the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from bluegreen.sim import persist
from bluegreen.sim.world import World
from bluegreen.simulation_spec import SimulationSpec

ROOT = Path(__file__).resolve().parents[1]
FLAT_GOAL = 1.5
SCHEDULES = ["*/5 * * * *", "*/10 * * * *", "*/15 * * * *", "*/30 * * * *", "0 * * * *", "15 * * * *",
             "0 */2 * * *", "0 */3 * * *", "0 */6 * * *", "30 */12 * * *", "0 2 * * *", "0 3 * * *",
             "30 4 * * *", "0 6 * * 1", "0 7 * * 1-5", "0 0 1 * *", "0 12 * * 0", "45 23 * * *",
             "0 9 * * 1-5", "20 */4 * * *"]


def _spec(start: str = "2026-03-01T08:00:00Z") -> SimulationSpec:
    return SimulationSpec.model_validate({
        "start": start,
        "kubernetes_versions": {"westeurope": {"versions": ["1.30.5", "1.31.2"]}},
        "blue": {"name": "aks-blue", "resource_group": "rg-blue", "version": "1.30.5", "manifests": []},
    })


def _client(world: World, cluster: str) -> k8s.ApiClient:
    return k8s_config.new_client_from_config_dict(yaml.safe_load(world.kubeconfigs()[cluster]))


def _configmap(i: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i:05d}", "namespace": "default",
                                                                  "labels": {"bench": "scale"}},
            "data": {"key": f"value-{i}", "other": "x" * 64}}


def apply_benchmark(root: Path, objects: int) -> tuple[list[str], list[str]]:
    World.create(root / "apply", _spec(), root)
    lines, failures = [], []
    with World.open(root / "apply") as world:
        core = k8s.CoreV1Api(_client(world, "aks-blue"))
        server_times = _time_handler(world, "aks-blue")
        reference = []
        for _ in range(50):
            began = time.perf_counter()
            core.read_namespace("default")
            reference.append(time.perf_counter() - began)
        ref = statistics.median(reference)
        base = len(world.cluster("aks-blue").store.objects)
        server_times.clear()
        rounds: list[float] = []
        began_all = time.perf_counter()
        for i in range(objects):
            began = time.perf_counter()
            core.patch_namespaced_config_map(f"cm-{i:05d}", "default", _configmap(i), field_manager="bench",
                                             force=True, _content_type="application/apply-patch+yaml")
            rounds.append(time.perf_counter() - began)
        total = time.perf_counter() - began_all
        stored = len(world.cluster("aks-blue").store.objects)
    size = sum(p.stat().st_size for p in (root / "apply").glob(persist.STATE_FILE + "*"))
    lines.append(f"reference  GET of a Namespace through the API server: {ref * 1000:.2f} ms (median of 50)")
    medians = {}
    for mark in (100, 1000, 5000):
        if mark > objects:
            continue
        lo, hi = max(0, mark - 100), min(objects, mark + 100)
        medians[mark] = statistics.median(server_times[lo:hi])
        trip = statistics.median(rounds[lo:hi])
        lines.append(f"apply      at {mark + base:>5} stored objects: server time {medians[mark] * 1000:.2f} ms, "
                     f"round trip {trip * 1000:.2f} ms = {trip / ref:.1f} reference GETs (medians of {hi - lo})")
    lines.append(f"apply      {objects} server-side applies in {total:.1f} s; {stored} objects stored, "
                 f"database {size / 1e6:.1f} MB")
    first, last = medians[min(medians)], medians[max(medians)]
    if last > FLAT_GOAL * first:
        failures.append(f"per-request cost grew {last / first:.2f}x from {min(medians)} to {max(medians)} objects "
                        f"(goal <= {FLAT_GOAL}x)")
    return lines, failures


def _time_handler(world: World, cluster: str) -> list[float]:
    """Record how long the API server's handler spends on each request (benchmark instrumentation)."""
    server = world.cluster(cluster)._server  # started by the kubeconfig above
    assert server is not None
    handler = server.httpd.RequestHandlerClass
    original = handler._dispatch  # type: ignore[attr-defined]
    times: list[float] = []

    def timed(self: Any) -> None:
        began = time.perf_counter()
        try:
            original(self)
        finally:
            times.append(time.perf_counter() - began)

    handler._dispatch = timed  # type: ignore[attr-defined]
    for verb in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
        setattr(handler, f"do_{verb}", timed)
    return times


def _cronjob(i: int, schedule: str) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": f"cron-{i:02d}", "namespace": "default"},
            "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "c", "image": "registry.example.test/job:1"}]}}}}}}


def advance_benchmark(root: Path) -> list[str]:
    manifest = root / "crons.yaml"
    manifest.write_text(yaml.safe_dump_all([_cronjob(i, s) for i, s in enumerate(SCHEDULES)]))
    spec = _spec().model_dump(mode="json")
    spec["blue"]["manifests"] = ["crons.yaml"]
    World.create(root / "cron", SimulationSpec.model_validate(spec), root)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bluegreen_cli.app", "sim", "advance", str(root / "cron"), "30d"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    real = time.perf_counter() - began
    if proc.returncode != 0:
        raise SystemExit(f"sim advance failed: {proc.stderr[-2000:]}")
    fired = sum(1 for e in persist.load_state(root / "cron").get("log", []) if e.get("event") == "fired")
    return [f"advance    `sim advance 30d` with {len(SCHEDULES)} CronJobs: {real:.1f} s real "
            f"({fired} Jobs run; a process start included)"]


def fleet_benchmark(root: Path, pairs: int) -> list[str]:
    objects = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop"},
         "data": {"mode": "prod"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
             "metadata": {"labels": {"app": "web"}},
             "spec": {"containers": [{"name": "web", "image": "registry.example.test/web:1"}]}}}},
        _cronjob(0, "0 3 * * *") | {"metadata": {"name": "nightly", "namespace": "shop"}},
    ]
    began = time.perf_counter()
    World.create(root / "fleet", _spec(), root)
    with World.open(root / "fleet") as world, world.batch():
        for i in range(pairs):
            for colour in ("blue", "green"):
                if i == 0 and colour == "blue":
                    world.cluster("aks-blue").load_objects(objects)
                    continue
                world.add_cluster(f"aks-{i:03d}-{colour}", resource_group=f"rg-{i:03d}", version="1.30.5",
                                  objects=objects, node_count=1)
        names = [c["name"] for c in world.arm.clusters()]
    created = time.perf_counter() - began
    began = time.perf_counter()
    with World.open(root / "fleet") as world:
        opened = time.perf_counter() - began
        began = time.perf_counter()
        namespaces = k8s.CoreV1Api(_client_one(world, f"aks-{pairs // 2:03d}-green")).list_namespace()
        served = time.perf_counter() - began
        began = time.perf_counter()
        world.advance(3600)
        advanced = time.perf_counter() - began
        stored = sum(len(world.cluster(name).store.objects) for name in names)
    size = sum(p.stat().st_size for p in (root / "fleet").glob(persist.STATE_FILE + "*"))
    assert any(n.metadata.name == "shop" for n in namespaces.items)
    return [f"fleet      {len(names)} clusters ({stored} objects, database {size / 1e6:.0f} MB): created in "
            f"{created:.1f} s, opened in {opened:.1f} s, one cluster served and listed in {served:.2f} s, "
            f"advanced a simulated hour in {advanced:.1f} s"]


def _client_one(world: World, cluster: str) -> k8s.ApiClient:
    """A client for one cluster: only its API server starts (the fleet's others stay closed)."""
    return k8s_config.new_client_from_config_dict(yaml.safe_load(world.cluster(cluster).kubeconfig()))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--fleet-pairs", type=int, default=300)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bluegreen-scale-"))
    try:
        lines, failures = apply_benchmark(root, args.objects)
        for line in lines:
            print(line, flush=True)
        for line in advance_benchmark(root):
            print(line, flush=True)
        for line in fleet_benchmark(root, args.fleet_pairs):
            print(line, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for failure in failures:
        print(f"MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
