"""`sim advance`: time jumps between scheduled events, each step is saved, and the CLI shows progress,
stops cleanly on SIGINT/SIGTERM and refuses absurd durations."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from bluegreen_cli.sim_cmd import app
from typer.testing import CliRunner

from bluegreen.events import EventLog
from bluegreen.sim import persist
from bluegreen.sim.world import World

from .sim_helpers import make_spec

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

HOURLY = """
apiVersion: batch/v1
kind: CronJob
metadata: {name: hourly, namespace: default}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: c, image: registry.example.test/hourly:1}]
"""
EVERY_MINUTE = HOURLY.replace("hourly", "minutely").replace('"0 * * * *"', '"* * * * *"')


def _world(tmp_path: Path, manifest: str) -> Path:
    (tmp_path / "cron.yaml").write_text(manifest)
    World.create(tmp_path / "w", make_spec("cron.yaml"), tmp_path)
    return tmp_path / "w"


def _fired(view: dict) -> list[str]:
    return [e["time"] for e in view["executions"] if e["event"] == "fired"]


def test_advance_jumps_from_event_to_event_and_misses_none(tmp_path: Path, no_real_sleep: list[float]):
    world = _world(tmp_path, HOURLY)
    log = EventLog()
    with World.open(world) as opened:
        passed = opened.advance(2 * 86400, events=log)
        view = opened.show()
    assert passed == 2 * 86400 and view["time"] == "2026-03-03T08:00:00Z"
    fired = _fired(view)
    assert len(fired) == 48  # every hour, none lost to the jumps
    assert all(t.endswith(":00:00Z") for t in fired)
    steps = log.of_kind("waiting")
    assert len(steps) < 48 * 4, f"{len(steps)} steps for 48 runs: not jumping"  # minute steps would be 2,880
    assert steps[-1].data["fraction"] == 1.0


def test_a_minute_cronjob_still_runs_every_minute(tmp_path: Path, no_real_sleep: list[float]):
    world = _world(tmp_path, EVERY_MINUTE)
    with World.open(world) as opened:
        opened.advance(3600)
        fired = _fired(opened.show())
    assert len(fired) == 60


def test_stopped_advance_keeps_what_it_advanced(tmp_path: Path, no_real_sleep: list[float]):
    world = _world(tmp_path, HOURLY)
    log = EventLog()
    with World.open(world) as opened:
        passed = opened.advance(86400, events=log, stop=lambda: len(log.events) >= 5)
    assert 0 < passed < 86400
    state = persist.load_state(world)
    assert state["clock"] == log.events[-1].data["now"]


KILLED_CHILD = """
import os, signal, sys
from pathlib import Path
from bluegreen.sim.world import World

steps = []
def on_step(event):
    steps.append(event)
    if len(steps) == 7:
        print(event.data["now"], flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

with World.open(Path(sys.argv[1])) as world:
    world.advance(30 * 86400, events=on_step)
"""


def test_every_step_is_committed_so_a_kill_keeps_it(tmp_path: Path):
    world = _world(tmp_path, HOURLY)
    child = subprocess.run([sys.executable, "-c", KILLED_CHILD, str(world)], cwd=ROOT, capture_output=True,
                           text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.returncode == -9, child.stderr
    killed_at = child.stdout.strip()
    with World.open(world) as opened:
        view = opened.show()
    assert view["time"] == killed_at and view["time"] > "2026-03-01T08:00:00Z"
    assert _fired(view)  # the runs before the kill are kept too


@pytest.mark.parametrize("duration", ["400d", "0s", "100000h"])
def test_absurd_durations_are_refused_naming_the_argument(tmp_path: Path, duration: str):
    world = _world(tmp_path, HOURLY)
    before = persist.load_state(world)["clock"]
    result = runner.invoke(app, ["advance", str(world), duration])
    assert result.exit_code == 2, result.output
    assert "DURATION" in result.output and "366d" in result.output
    assert persist.load_state(world)["clock"] == before


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_shows_progress_on_a_terminal_and_keeps_it_when_interrupted(tmp_path: Path, signum: int):
    world = _world(tmp_path, EVERY_MINUTE)
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bluegreen_cli.app", "sim", "advance", str(world), "30d"],
                            cwd=ROOT, stdin=follower, stdout=follower, stderr=follower,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"})
    os.close(follower)
    seen = b""
    deadline = datetime.now() + timedelta(seconds=90)
    try:
        while b"simulated 2026-" not in seen:  # the progress bar is up
            assert datetime.now() < deadline, seen[-400:]
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                seen += os.read(leader, 65536)
        proc.send_signal(signum)
        assert proc.wait(timeout=60) == 128 + signum
        while select.select([leader], [], [], 0.2)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    assert b"interrupted: simulated time is now" in seen
    saved = persist.load_state(world)["clock"]
    assert "2026-03-01T08:00:00Z" < saved < "2026-03-31T08:00:00Z"
