"""Crash-safe storage of a world directory: one state file and one lock file.

The state is rewritten whole after every mutation, atomically (temp file,
fsync, rename), so a `kill -9` at any instant leaves either the previous or
the next consistent state behind, never half of one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bluegreen.errors import LockHeldError
from bluegreen.private_files import open_private, write_private

STATE_FILE = "world.json"
LOCK_FILE = "world.lock"
FORMAT = "bluegreen-sim-world"


class WorldLockedError(LockHeldError):
    """Another process has the world open."""

    def __init__(self, directory: Path, pid: int | None) -> None:
        holder = f"process {pid}" if pid else "another process"
        super().__init__(f"simulated world {directory} is in use by {holder}")
        self.pid = pid


def is_world(directory: Path) -> bool:
    return (directory / STATE_FILE).is_file()


def write_atomic(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Replace `path` with `data` so readers see the old or the new content, nothing in between.

    Created 0600 at open time: the state holds the world's kubeconfig credentials and Secrets.
    """
    write_private(path, data, fsync=fsync)


def dump_state(directory: Path, state: dict[str, Any], *, fsync: bool = True) -> int:
    """Write the state; returns its size in bytes (for measurements)."""
    data = json.dumps({"format": FORMAT, **state}, separators=(",", ":")).encode()
    write_atomic(directory / STATE_FILE, data, fsync=fsync)
    return len(data)


def load_state(directory: Path) -> dict[str, Any]:
    path = directory / STATE_FILE
    try:
        state = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise FileNotFoundError(f"{directory} is not a simulated world (no {STATE_FILE})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a bluegreen simulated world")
    state.pop("format")
    return state


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
