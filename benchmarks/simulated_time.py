"""How fast simulated time runs: the figures behind "a ten-minute AKS create in well under a second".

Run:  .venv/bin/python benchmarks/simulated_time.py

Prints, for the same process and machine:
  - reference: one ARM GET round trip through the fake (real SDK, `responses`, JSON both ways);
  - a simulated 10-minute AKS create (LRO polled on the simulated clock), in real seconds and in
    round trips of the reference;
  - the whole demo cutover (preflight to decommission), simulated vs real time;
  - the world's save after each mutation, against a plain json.dumps of the same state.
Goals (exit 1 if missed): the create under 1 s of real time; the cutover at least 100x faster than the
simulated time it covers.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bluegreen import EventLog, Runtime, load_playbook, make_plan, run
from bluegreen.azure import AksClient, AzureContext
from bluegreen.azure.aks_clone import green_cluster_body
from bluegreen.sim.world import World

DEMO = Path(__file__).resolve().parents[1] / "bluegreen" / "demo"


def _world(root: Path) -> tuple[Path, object]:
    shutil.copy(DEMO / "playbook.yaml", root / "playbook.yaml")
    shutil.copytree(DEMO / "manifests", root / "manifests")
    loaded = load_playbook(root / "playbook.yaml")
    assert loaded.playbook.simulation is not None
    World.create(root / "world", loaded.playbook.simulation, root)
    return root / "world", loaded


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="bluegreen-bench-"))
    world_dir, loaded = _world(root)
    failures = []
    with World.open(world_dir) as world:
        ctx = AzureContext(world.credential, world.subscription_id, world.clock, polling_interval=30)
        aks = AksClient(ctx)
        rounds = []
        for _ in range(30):
            began = time.perf_counter()
            blue = aks.get("rg-shop", "aks-shop-blue")
            rounds.append(time.perf_counter() - began)
        reference = statistics.median(rounds)
        assert blue is not None
        body = green_cluster_body(blue.raw, name="aks-bench", kubernetes_version="1.31.2", dns_prefix="aks-bench")
        sim_start, began = world.clock.now(), time.perf_counter()
        aks.create_or_update("rg-shop", "aks-bench", body, if_none_match=True)
        create_real = time.perf_counter() - began
        create_sim = (world.clock.now() - sim_start).total_seconds()
        saves = []
        for _ in range(20):
            began = time.perf_counter()
            world.persist()
            saves.append(time.perf_counter() - began)
        began = time.perf_counter()
        json.dumps(world.to_state())
        dumps = time.perf_counter() - began
    print(f"reference  ARM GET round trip through the fake: {reference * 1000:.2f} ms (median of 30)")
    print(f"create     simulated {create_sim:.0f} s in {create_real:.3f} s real "
          f"= {create_real / reference:.0f} reference round trips")
    print(f"persist    world save {statistics.median(saves) * 1000:.1f} ms vs json.dumps of the same state "
          f"{dumps * 1000:.1f} ms")
    if create_real >= 1.0:
        failures.append(f"a simulated 10-minute create took {create_real:.2f} s of real time (goal < 1 s)")

    root2 = Path(tempfile.mkdtemp(prefix="bluegreen-bench-"))
    world_dir2, loaded2 = _world(root2)
    with World.open(world_dir2) as world:
        runtime = Runtime(credential=world.credential, clock=world.clock, state_dir=root2 / "state",
                          subscription_id=world.subscription_id)
        sim_start, began = world.clock.now(), time.perf_counter()
        events = EventLog()
        run(loaded2, runtime, events, saved_plan=make_plan(loaded2, runtime, events))  # type: ignore[arg-type]
        cutover_real = time.perf_counter() - began
        cutover_sim = (world.clock.now() - sim_start).total_seconds()
    speedup = cutover_sim / cutover_real
    print(f"cutover    simulated {cutover_sim / 60:.1f} min in {cutover_real:.2f} s real = {speedup:.0f}x")
    if speedup < 100:
        failures.append(f"the demo cutover ran only {speedup:.0f}x faster than simulated time (goal >= 100x)")
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(root2, ignore_errors=True)
    for failure in failures:
        print(f"MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
