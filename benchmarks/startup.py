"""Start-up time of the light commands against a bare Typer app with one command.

Run:  .venv/bin/python benchmarks/startup.py [--runs N]

Compares, under the same interpreter and started the same way (`python -c "from M import main;
main()"`), like with like:
  - `bluegreen --help`                 vs the bare app's `--help` (Typer loads rich for both);
  - `bluegreen validate PLAYBOOK`      vs the bare app running its one command;
  - `bluegreen schema`                 vs the bare app running its one command.
Each pair runs N times interleaved (alternating which goes first), after one warm-up each so byte
code is cached; medians of wall-clock time per process. Prints the medians and the three ratios;
exits 1 if a ratio is above 1.5. A benchmark, not a test: the machine's load shows in the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.5
BARE_APP = '''\
import typer

app = typer.Typer()


@app.command()
def hello(name: str) -> None:
    """Say hello."""
    print(f"hello {name}")


def main() -> None:
    app()
'''
CASES = (
    ("--help", ("--help",), ("--help",)),
    ("validate PLAYBOOK", ("validate", "playbooks/shop.yaml"), ("world",)),
    ("schema", ("schema",), ("world",)),
)


def _command(module: str, args: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-c", f"from {module} import main; main()", *args]


def _seconds(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per command (default 21)")
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="bluegreen-startup-") as bare_dir:
        (Path(bare_dir) / "bare_typer_app.py").write_text(BARE_APP)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [bare_dir, os.environ.get("PYTHONPATH")])),
                   COLUMNS="100")
        # Like an installed package, both sides run from cached byte code (the warm-up writes it).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        print(f"{sys.executable} (Python {sys.version.split()[0]}), {runs} runs per command, interleaved")
        print(f"{'command':<20} {'bluegreen':>10} {'bare Typer':>11} {'ratio':>6}")
        failed = []
        for label, ours, bare in CASES:
            pair = (_command("bluegreen_cli.app", ours), _command("bare_typer_app", bare))
            for command in pair:  # warm-up: byte code compiled and cached, files in the page cache
                _seconds(command, env)
            times: tuple[list[float], list[float]] = ([], [])
            for i in range(runs):
                order = (0, 1) if i % 2 == 0 else (1, 0)
                for which in order:
                    times[which].append(_seconds(pair[which], env))
            ours_median, bare_median = statistics.median(times[0]), statistics.median(times[1])
            ratio = ours_median / bare_median
            print(f"{label:<20} {ours_median * 1000:>8.0f}ms {bare_median * 1000:>9.0f}ms {ratio:>5.2f}x")
            if ratio > GOAL:
                failed.append(label)
    if failed:
        print(f"above the {GOAL}x goal: {', '.join(failed)}")
        return 1
    print(f"all within the {GOAL}x goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
