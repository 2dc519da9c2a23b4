"""Where the run record lives: a store with load, save and a lock.

`RecordStore` is the interface (`bluegreen.state.blob.BlobStore` implements it
in Azure Blob Storage; `bluegreen.state.open_store` picks one). `JournalStore` keeps the record
in a local state directory, rewritten atomically (temp file, fsync,
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
from datetime import datetime
from pathlib import Path
from typing import Protocol

from bluegreen.errors import LockHeldError, RecordFormatError
from bluegreen.private_files import private_dir
from bluegreen.record import RunRecord
from bluegreen.redact import redact_urls


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


class RecordStore(Protocol):
    """Loads and saves one playbook's run record, and holds its lock while a run applies."""

    @property
    def where(self) -> str:
        """Where the record lives, for messages."""
        ...

    def load(self) -> RunRecord: ...

    def save(self, record: RunRecord) -> None: ...

    def locked(self, now: datetime) -> contextlib.AbstractContextManager[None]: ...


class JournalStore:
    """The run record as `state_dir/<playbook>/journal.json`, with a lock file beside it."""

    def __init__(self, state_dir: Path, playbook: str) -> None:
        self.directory = state_dir / playbook
        self.path = self.directory / "journal.json"
        self.lock_path = self.directory / "lock"
        self.playbook = playbook

    @property
    def where(self) -> str:
        return str(self.path)

    def load(self) -> RunRecord:
        if not self.path.exists():
            return RunRecord(playbook=self.playbook)
        try:
            data = json.loads(self.path.read_text())
        except ValueError as exc:
            raise RecordFormatError(f"{self.path} is not readable JSON ({exc}); move it away to start afresh") \
                from exc
        return RunRecord.from_dict(data, where=str(self.path))

    def save(self, record: RunRecord) -> None:
        private_dir(self.directory)
        atomic_write(self.path, json.dumps(redact_urls(record.to_dict()), indent=2, default=str))

    @contextlib.contextmanager
    def locked(self, now: datetime) -> Iterator[None]:
        """Hold the playbook's lock; raise LockHeldError at once if another process has it."""
        private_dir(self.directory)
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
