"""The run record of one playbook: which steps and actions are done.

Kept in a local state directory, rewritten atomically (temp file, fsync,
rename) after every change, so a process killed at any instant leaves either
the old or the new record, never half of one. A lock file makes a second
concurrent run of the same playbook fail at once instead of racing the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bluegreen.errors import LockHeldError

PENDING, RUNNING, DONE, FAILED, ROLLED_BACK = "pending", "running", "done", "failed", "rolled_back"


def atomic_write(path: Path, text: str, mode: int = 0o600) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass
class Journal:
    """Step statuses, finished action ids and facts learned on the way (never secrets)."""

    playbook: str
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)  # action id -> finished at (iso)
    facts: dict[str, Any] = field(default_factory=dict)
    plan_id: str | None = None

    def status(self, step: str) -> str:
        return str(self.steps.get(step, {}).get("status", PENDING))

    def to_dict(self) -> dict[str, Any]:
        return {
            "playbook": self.playbook,
            "plan_id": self.plan_id,
            "steps": self.steps,
            "actions": self.actions,
            "facts": self.facts,
        }


class JournalStore:
    """Loads and saves one playbook's journal under `state_dir/<playbook>/`."""

    def __init__(self, state_dir: Path, playbook: str) -> None:
        self.directory = state_dir / playbook
        self.path = self.directory / "journal.json"
        self.lock_path = self.directory / "lock"
        self.playbook = playbook

    def load(self) -> Journal:
        if not self.path.exists():
            return Journal(playbook=self.playbook)
        data = json.loads(self.path.read_text())
        return Journal(
            playbook=data["playbook"],
            steps=data.get("steps", {}),
            actions=data.get("actions", {}),
            facts=data.get("facts", {}),
            plan_id=data.get("plan_id"),
        )

    def save(self, journal: Journal) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self.path, json.dumps(journal.to_dict(), indent=2, default=str))

    @contextlib.contextmanager
    def locked(self, now: datetime) -> Iterator[None]:
        """Hold the playbook's lock; raise LockHeldError at once if another process has it."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "another process"
                raise LockHeldError(
                    f"playbook {self.playbook!r} is being run by {holder}; wait for it to finish "
                    f"(lock file {self.lock_path})"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {now.isoformat()}".encode(), 0)
            yield
        finally:
            os.close(fd)  # closing releases the flock
