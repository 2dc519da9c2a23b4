"""How fleets scale in the simulator: plan time for 10, 100 and 300 pairs, requests per pair, peak memory,
and a run of every pair to `--until redeploy` on a bounded worker pool.

Run:  .venv/bin/python benchmarks/fleet.py [--sizes 10,100,300] [--run-pairs 300] [--concurrency 8]

Each size runs in a fresh process (so its peak memory is its own). Per size it prints: seeding the world
(every pair's `simulation:` section, from the example template playbooks/fleet/shop-template.yaml), then
`plan_fleet` (every pair observed and planned on a thread pool): real seconds, ARM and Kubernetes requests
per pair, peak RSS. For the run, every pair goes through `engine.run --until redeploy` with at most
--concurrency at once. Goals: 300 pairs plan in under 10 s; plan time grows linearly or better (time per pair
at 300 no more than 1.5x that at 10). Exit 1 when a goal is missed. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PLAN_GOAL_SECONDS = 10.0
LINEAR_GOAL = 1.5


class Counter:
    """Counts ARM requests (requests, intercepted by the fake) and Kubernetes requests (urllib3, to the
    simulated API servers) made while it is installed."""

    def __init__(self) -> None:
        # list.append is atomic in CPython: counting takes no lock the measured threads would contend for
        self._arm: list[None] = []
        self._kube: list[None] = []
        self._undo: list[Any] = []

    def install(self) -> None:
        import requests.adapters
        import urllib3.connectionpool

        send = requests.adapters.HTTPAdapter.send
        urlopen = urllib3.connectionpool.HTTPConnectionPool.urlopen

        def counted_send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            if "management.azure.com" in (request.url or ""):
                self._arm.append(None)
            return send(adapter, request, *args, **kwargs)

        def counted_urlopen(pool: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if pool.host in ("127.0.0.1", "localhost") or str(pool.host).startswith("127."):
                self._kube.append(None)
            return urlopen(pool, method, url, *args, **kwargs)

        requests.adapters.HTTPAdapter.send = counted_send  # type: ignore[method-assign]
        urllib3.connectionpool.HTTPConnectionPool.urlopen = counted_urlopen  # type: ignore[method-assign]
        self._undo = [(requests.adapters.HTTPAdapter, "send", send),
                      (urllib3.connectionpool.HTTPConnectionPool, "urlopen", urlopen)]

    def reset(self) -> tuple[int, int]:
        """(ARM, Kubernetes) requests since the last reset; call it when no request is in flight."""
        out = (len(self._arm), len(self._kube))
        self._arm.clear()
        self._kube.clear()
        return out


def write_fleet(root: Path, pairs: int, concurrency: int) -> Path:
    """The example template and `pairs` rows, in three stages (5%, 25%, the rest), no approval gate."""
    shutil.copytree(ROOT / "playbooks" / "fleet", root / "playbooks" / "fleet")
    shutil.copytree(ROOT / "bluegreen" / "demo" / "manifests", root / "bluegreen" / "demo" / "manifests")
    names = [f"shop-{i:03d}" for i in range(pairs)]
    first, second = max(1, pairs // 20), max(1, pairs // 4)
    cuts = [names[:first], names[first:first + second], names[first + second:]]
    stages = [{"name": stage, "groups": [{"name": "all", "pairs": group}]}
              for stage, group in zip(("canary", "early", "rest"), cuts, strict=True) if group]
    fleet = {"apiVersion": "bluegreen/v1", "kind": "Fleet", "name": "bench",
             "pairs": {"template": "shop-template.yaml",
                       "table": [{"name": n, "expect": "storefront", "running": True} for n in names]},
             "rollout": {"max_concurrency": concurrency, "stages": stages}}
    path = root / "playbooks" / "fleet" / "bench.yaml"
    path.write_text(yaml.safe_dump(fleet, sort_keys=False))
    return path


def one_size(pairs: int, concurrency: int, run: bool) -> dict[str, Any]:
    from bluegreen_cli.application import Application

    from bluegreen.events import discard
    from bluegreen.fleet import load_fleet, plan_fleet, run_fleet, status_rows

    root = Path(tempfile.mkdtemp(prefix="bluegreen-fleet-"))
    try:
        fleet_file = write_fleet(root, pairs, concurrency)
        began = time.perf_counter()
        fleet = load_fleet(fleet_file)
        loaded = time.perf_counter() - began
        app = Application(simulate=root / "world")
        began = time.perf_counter()
        with app.fleet_runtime(fleet):
            pass  # creates the world: every pair's simulation: section seeded into one world
        seeded = time.perf_counter() - began
        counter = Counter()
        out: dict[str, Any] = {"pairs": pairs, "load_s": loaded, "seed_s": seeded}
        with app.fleet_runtime(fleet) as rt:
            counter.install()  # over the fake ARM's interception, which the world installs when it opens
            began = time.perf_counter()
            plan = plan_fleet(fleet, rt, discard)
            out["plan_s"] = time.perf_counter() - began
            arm, kube = counter.reset()
            out["plan_arm_per_pair"], out["plan_kube_per_pair"] = arm / pairs, kube / pairs
            out["plan_problems"] = sum(1 for p in plan.pairs if p.error)
            if run:
                peak = 0
                running: set[str] = set()
                lock = threading.Lock()

                def sink(event: Any) -> None:
                    nonlocal peak
                    with lock:
                        if event.kind == "pair_started":
                            running.add(event.data["pair"])
                            peak = max(peak, len(running))
                        elif event.kind in ("pair_finished", "pair_failed"):
                            running.discard(event.data["pair"])

                began = time.perf_counter()
                run_fleet(fleet, rt, sink, until="redeploy")
                out["run_s"] = time.perf_counter() - began
                arm, kube = counter.reset()
                out["run_arm_per_pair"], out["run_kube_per_pair"] = arm / pairs, kube / pairs
                out["run_peak_concurrency"] = peak
                rows = status_rows(fleet, rt)
                out["run_states"] = sorted({r.state for r in rows})
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return out
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100,300")
    parser.add_argument("--run-pairs", type=int, default=300, help="run the fleet of this size to redeploy")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.concurrency, args.run)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for size in sizes:
        cmd = [sys.executable, __file__, "--one", str(size), "--concurrency", str(args.concurrency)]
        if size == args.run_pairs:
            cmd.append("--run")
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(r)
        print(f"{r['pairs']:>4} pairs  seed {r['seed_s']:6.1f} s  plan {r['plan_s']:6.2f} s "
              f"({r['plan_s'] / r['pairs'] * 1000:5.1f} ms/pair)  per pair: {r['plan_arm_per_pair']:.0f} ARM, "
              f"{r['plan_kube_per_pair']:.0f} Kubernetes requests  peak RSS {r['peak_rss_mb']:.0f} MB", flush=True)
        if "run_s" in r:
            print(f"{r['pairs']:>4} pairs  run --until redeploy {r['run_s']:6.1f} s, at most "
                  f"{r['run_peak_concurrency']} pairs at once (max_concurrency {args.concurrency}); per pair: "
                  f"{r['run_arm_per_pair']:.0f} ARM, {r['run_kube_per_pair']:.0f} Kubernetes requests; "
                  f"pair states {', '.join(r['run_states'])}", flush=True)
    failures = []
    big = max(results, key=lambda r: r["pairs"])
    small = min(results, key=lambda r: r["pairs"])
    if big["pairs"] >= 300 and big["plan_s"] > PLAN_GOAL_SECONDS:
        failures.append(f"{big['pairs']} pairs planned in {big['plan_s']:.1f} s (goal < {PLAN_GOAL_SECONDS} s)")
    if big is not small and big["plan_s"] / big["pairs"] > LINEAR_GOAL * small["plan_s"] / small["pairs"]:
        failures.append("plan time per pair grew more than linearly")
    if any(r.get("plan_problems") for r in results):
        failures.append("some pairs could not be planned")
    for failure in failures:
        print(f"MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
