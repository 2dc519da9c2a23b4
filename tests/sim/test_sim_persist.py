from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bluegreen.sim import persist
from bluegreen.sim.persist import WorldLockedError

ROOT = Path(__file__).resolve().parents[2]


def test_dump_and_load_round_trip(tmp_path: Path):
    state = {"clock": "2026-01-01T00:00:00Z", "clusters": {"a": {"n": 1}},
             "arm": {"version": 1, "aks": {"clusters": {"/subscriptions/s/x": {"id": "/subscriptions/s/x"}},
                                           "versions": {}, "etagSeq": 3}, "faults": []},
             "log": [{"seq": 1}, {"seq": 2}]}
    persist.dump_state(tmp_path, state)
    assert persist.load_state(tmp_path) == state
    assert persist.is_world(tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temp file left behind


def test_load_refuses_a_foreign_database(tmp_path: Path):
    conn = sqlite3.connect(tmp_path / persist.STATE_FILE)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.commit()
    conn.close()
    with pytest.raises(ValueError, match="not a bluegreen simulated world"):
        persist.load_state(tmp_path)


def test_a_world_saved_as_json_is_converted_when_opened(tmp_path: Path):
    state = {"clock": "2026-01-01T00:00:00Z", "clusters": {"a": {"n": 1}}, "arm": {"version": 1}}
    (tmp_path / persist.LEGACY_STATE_FILE).write_text(json.dumps({"format": persist.FORMAT, **state}))
    assert persist.is_world(tmp_path) and persist.load_state(tmp_path) == state
    persist.open_database(tmp_path).close()
    assert not (tmp_path / persist.LEGACY_STATE_FILE).exists()
    assert persist.load_state(tmp_path) == state


def test_load_refuses_foreign_json(tmp_path: Path):
    (tmp_path / persist.LEGACY_STATE_FILE).write_text(json.dumps({"clock": 1}))
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


def test_incremental_saves_leave_exactly_the_worlds_state_on_disk(tmp_path: Path):
    """Each save writes only changed rows; what is on disk must still be the whole world, object for object."""
    from bluegreen.sim.world import World

    from .sim_helpers import CRON, MANIFESTS, SHOP, make_spec

    World.create(tmp_path / "w", make_spec(SHOP, CRON), MANIFESTS)
    with World.open(tmp_path / "w") as world:
        blue = world.cluster("aks-blue")
        namespace = blue.table.lookup("", "v1", "namespaces")
        assert namespace is not None
        with blue.lock:
            blue.api.create(namespace, None, {"metadata": {"name": "extra"}}, "test")
        world.persist(arm=False)
        world.advance(600)  # controllers and cron write, time moves
        cronjob = next(o for o in blue.objects() if o["kind"] == "CronJob")
        with blue.lock:
            blue.store.remove(("batch", "CronJob", cronjob["metadata"]["namespace"], cronjob["metadata"]["name"]))
        world.persist()
        expected = world.to_state()
        assert persist.load_state(tmp_path / "w") == json.loads(json.dumps(expected))


def test_the_database_and_its_journal_are_private(tmp_path: Path):
    """The world's state holds kubeconfig credentials and Secrets: owner-only, -wal and -shm too."""
    persist.dump_state(tmp_path, {"clock": "2026-01-01T00:00:00Z"})
    db = persist.open_database(tmp_path)
    try:
        with db.transaction() as tx:
            tx.execute("INSERT OR REPLACE INTO meta VALUES ('clock', '\"2026-01-02T00:00:00Z\"')")
        files = [p for p in tmp_path.iterdir() if p.name.startswith(persist.STATE_FILE)]
        assert {p.name for p in files} >= {persist.STATE_FILE, persist.STATE_FILE + "-wal"}
        assert all(p.stat().st_mode & 0o077 == 0 for p in files), {p.name: oct(p.stat().st_mode) for p in files}
    finally:
        db.close()
