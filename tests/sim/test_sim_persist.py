from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bluegreen.sim import persist
from bluegreen.sim.persist import WorldLockedError

ROOT = Path(__file__).resolve().parents[2]


def test_dump_and_load_round_trip(tmp_path: Path):
    state = {"clock": "2026-01-01T00:00:00Z", "clusters": {"a": {"n": 1}}}
    size = persist.dump_state(tmp_path, state)
    assert size == (tmp_path / persist.STATE_FILE).stat().st_size
    assert persist.load_state(tmp_path) == state
    assert persist.is_world(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [persist.STATE_FILE]  # no temp file left behind


def test_load_refuses_foreign_json(tmp_path: Path):
    (tmp_path / persist.STATE_FILE).write_text(json.dumps({"clock": 1}))
    with pytest.raises(ValueError, match="not a bluegreen simulated world"):
        persist.load_state(tmp_path)


def test_lock_held_by_another_process_names_its_pid(tmp_path: Path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from bluegreen.sim import persist\n"
         f"with persist.exclusive(Path({str(tmp_path)!r})):\n"
         "    print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(WorldLockedError) as info, persist.exclusive(tmp_path):
            pass
        assert info.value.pid == holder.pid
        assert str(holder.pid) in str(info.value)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    with persist.exclusive(tmp_path):  # released when the holder exits
        pass


def test_lock_is_released_when_the_holder_is_killed(tmp_path: Path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import os, signal; from pathlib import Path; from bluegreen.sim import persist\n"
         f"with persist.exclusive(Path({str(tmp_path)!r})):\n"
         "    os.kill(os.getpid(), signal.SIGKILL)"],
        cwd=ROOT,
    )
    assert holder.wait(timeout=10) == -9
    with persist.exclusive(tmp_path):
        pass
