"""Crash-safe storage of a world directory: one SQLite database (WAL) and one lock file.

One row per Kubernetes object, per cluster, per ARM section and per log entry, so a
mutation writes only what it changed: its cost does not grow with the world. Every save
is one transaction; a `kill -9` at any instant leaves the previous or the next consistent
state behind, never half of one (WAL with synchronous=NORMAL survives a killed process).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bluegreen.errors import LockHeldError
from bluegreen.private_files import open_private, write_private

STATE_FILE = "world.db"
LEGACY_STATE_FILE = "world.json"  # worlds written before the database; converted when opened
LOCK_FILE = "world.lock"
FORMAT = "bluegreen-sim-world"
SCHEMA = 1
ARM_PREFIX = "arm:"

ObjectKey = tuple[str, str, str, str]  # storage group, kind, namespace, name

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clusters (id TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    cluster TEXT NOT NULL, grp TEXT NOT NULL, kind TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL,
    value TEXT NOT NULL, PRIMARY KEY (cluster, grp, kind, ns, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, value TEXT NOT NULL);
"""


class WorldLockedError(LockHeldError):
    """Another process has the world open."""

    def __init__(self, directory: Path, pid: int | None) -> None:
        holder = f"process {pid}" if pid else "another process"
        super().__init__(f"simulated world {directory} is in use by {holder}")
        self.pid = pid


def is_world(directory: Path) -> bool:
    return (directory / STATE_FILE).is_file() or (directory / LEGACY_STATE_FILE).is_file()


def write_atomic(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Replace `path` with `data` so readers see the old or the new content, nothing in between.

    Created 0600 at open time: the state holds the world's kubeconfig credentials and Secrets.
    """
    write_private(path, data, fsync=fsync)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _object_key(obj: dict[str, Any]) -> ObjectKey:
    meta = obj.get("metadata") or {}
    return (str(obj.get("apiVersion", "")).rpartition("/")[0], str(obj.get("kind", "")),
            meta.get("namespace") or "", str(meta.get("name", "")))


class Database:
    """The world's tables; every `transaction()` commits atomically. Not thread-safe: the world's lock guards it."""

    def __init__(self, directory: Path, *, readonly: bool = False) -> None:
        path = Path(directory) / STATE_FILE
        if readonly:
            self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                                        check_same_thread=False)
        else:
            # Created 0600 before SQLite opens it (its -wal and -shm files take the same mode): the state holds
            # the world's kubeconfig credentials and Secrets.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(_SCHEMA)

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # ---- whole state (creation, tests, schedule_crash) ------------------------------------------
    def write_all(self, state: dict[str, Any]) -> None:
        """Replace everything with `state` (the shape `World.to_state()` returns)."""
        with self.transaction() as tx:
            for table in ("meta", "clusters", "objects", "log"):
                tx.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            tx.execute("INSERT INTO meta VALUES ('format', ?)", (_dumps(FORMAT),))
            tx.execute("INSERT INTO meta VALUES ('schema', ?)", (_dumps(SCHEMA),))
            for key, value in state.items():
                if key not in ("clusters", "log", "arm"):
                    tx.execute("INSERT INTO meta VALUES (?, ?)", (key, _dumps(value)))
            if "arm" in state:
                tx.executemany("INSERT INTO meta VALUES (?, ?)", arm_rows(state["arm"]).items())
            for cid, cluster in (state.get("clusters") or {}).items():
                self.put_cluster(tx, cid, cluster)
            tx.executemany("INSERT INTO log VALUES (?, ?)",
                           ((i, _dumps(e)) for i, e in enumerate(state.get("log") or [])))

    @staticmethod
    def put_cluster(tx: sqlite3.Connection, cid: str, cluster: dict[str, Any]) -> None:
        """A cluster row (without its objects) and, when it carries them, its objects' rows."""
        row = dict(cluster)
        objects = None
        if isinstance(row.get("state"), dict):
            row["state"] = dict(row["state"])
            objects = row["state"].pop("objects", None)
        tx.execute("INSERT OR REPLACE INTO clusters VALUES (?, ?)", (cid, _dumps(row)))
        if objects is not None:
            tx.execute("DELETE FROM objects WHERE cluster = ?", (cid,))
            tx.executemany("INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?)",
                           ((cid, *_object_key(o), _dumps(o)) for o in objects))

    @staticmethod
    def put_objects(tx: sqlite3.Connection, cid: str, changed: Iterable[tuple[ObjectKey, dict[str, Any] | None]]) -> None:
        for key, obj in changed:
            if obj is None:
                tx.execute("DELETE FROM objects WHERE cluster = ? AND grp = ? AND kind = ? AND ns = ? AND name = ?",
                           (cid, *key))
            else:
                tx.execute("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?)", (cid, *key, _dumps(obj)))

    def read_all(self) -> dict[str, Any]:
        rows = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        if json.loads(rows.pop("format", "null")) != FORMAT:
            raise ValueError(f"{STATE_FILE} is not a bluegreen simulated world")
        rows.pop("schema", None)
        state = {k: json.loads(v) for k, v in rows.items() if not k.startswith(ARM_PREFIX)}
        arm = {k: v for k, v in rows.items() if k.startswith(ARM_PREFIX)}
        if arm:
            state["arm"] = _arm_from_rows(arm)
        objects: dict[str, list[dict[str, Any]]] = {}
        for cid, value in self.conn.execute("SELECT cluster, value FROM objects ORDER BY cluster, grp, kind, ns, name"):
            objects.setdefault(cid, []).append(json.loads(value))
        clusters: dict[str, Any] = {}
        for cid, value in self.conn.execute("SELECT id, value FROM clusters ORDER BY rowid"):
            cluster = json.loads(value)
            if isinstance(cluster.get("state"), dict):
                cluster["state"]["objects"] = objects.get(cid, [])
            clusters[cid] = cluster
        if clusters or "clusters" in rows:
            state["clusters"] = clusters
        log = [json.loads(v) for (v,) in self.conn.execute("SELECT value FROM log ORDER BY seq")]
        if log:
            state["log"] = log
        return state


def arm_rows(arm: dict[str, Any]) -> dict[str, str]:
    """The ARM state as rows keyed by their JSON path: one row per member of a collection (one cluster, one
    zone, one operation), so saving after one ARM request writes what it changed, not every resource."""
    rows: dict[str, str] = {}
    for section, value in arm.items():
        if not isinstance(value, dict):
            rows[_arm_key([section])] = _dumps(value)
            continue
        rows[_arm_key([section])] = "{}"
        for name, member in value.items():
            if isinstance(member, dict) and member and all(isinstance(m, dict) for m in member.values()):
                rows[_arm_key([section, name])] = "{}"
                rows.update((_arm_key([section, name, k]), _dumps(m)) for k, m in member.items())
            else:
                rows[_arm_key([section, name])] = _dumps(member)
    return rows


def _arm_key(path: list[str]) -> str:
    return ARM_PREFIX + _dumps(path)


def _arm_from_rows(rows: dict[str, str]) -> dict[str, Any]:
    arm: dict[str, Any] = {}
    paths = sorted(((json.loads(k[len(ARM_PREFIX):]), v) for k, v in rows.items()), key=lambda pv: len(pv[0]))
    for path, value in paths:
        parent = arm
        for part in path[:-1]:
            parent = parent.setdefault(part, {})
        parent[path[-1]] = json.loads(value)
    return arm


def dump_state(directory: Path, state: dict[str, Any]) -> None:
    """Write a whole state (seeding a world, arming a crash); one transaction."""
    _convert_legacy(directory)
    db = Database(directory)
    try:
        db.write_all(state)
    finally:
        db.close()


def load_state(directory: Path) -> dict[str, Any]:
    directory = Path(directory)
    if not (directory / STATE_FILE).is_file():
        if (directory / LEGACY_STATE_FILE).is_file():
            return _read_legacy(directory)
        raise FileNotFoundError(f"{directory} is not a simulated world (no {STATE_FILE})")
    db = Database(directory, readonly=True)
    try:
        return db.read_all()
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{directory / STATE_FILE} is not a bluegreen simulated world ({exc})") from exc
    finally:
        db.close()


def _read_legacy(directory: Path) -> dict[str, Any]:
    path = directory / LEGACY_STATE_FILE
    state = json.loads(path.read_bytes())
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a bluegreen simulated world")
    state.pop("format")
    return state


def _convert_legacy(directory: Path) -> None:
    """A world saved as one JSON file becomes a database (same content); the file goes once that committed."""
    legacy = directory / LEGACY_STATE_FILE
    if legacy.is_file() and not (directory / STATE_FILE).is_file():
        db = Database(directory)
        try:
            db.write_all(_read_legacy(directory))
        finally:
            db.close()
        legacy.unlink()


def open_database(directory: Path) -> Database:
    """The world's database for writing (the caller holds `exclusive`); a legacy JSON world is converted first."""
    _convert_legacy(Path(directory))
    return Database(Path(directory))


@contextlib.contextmanager
def exclusive(directory: Path) -> Iterator[None]:
    """Hold the directory's lock (non-blocking); the lock file names the holder's pid."""
    fd = open_private(directory / LOCK_FILE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorldLockedError(directory, _read_pid(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None
