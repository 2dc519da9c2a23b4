"""Files that may hold secrets or tokens (saved plans, kubeconfigs, world state): 0600 in a 0700 directory.

The mode is given at open time (O_CREAT with 0600, O_EXCL on a fresh temporary name, no symlink
followed), never by a chmod after the content was written, so there is no moment in which another
user could read the file. Replacing is a rename of that temporary file: readers see the old or the new
content, and the new inode is born private.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def private_dir(path: Path) -> Path:
    """Make `path` (and missing parents) a directory only its owner can enter; tighten ours if it is wider."""
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, DIR_MODE)  # a directory: what it holds is already 0600
    return path


def open_private(path: Path, flags: int = os.O_RDWR | os.O_CREAT) -> int:
    """os.open with mode 0600 at creation (a lock file, say); returns the descriptor."""
    return os.open(path, flags | getattr(os, "O_CLOEXEC", 0), FILE_MODE)


def write_private(path: Path, data: bytes | str, *, fsync: bool = True) -> None:
    """Replace `path` with `data`, atomically, created 0600 whatever the umask."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)  # a leftover of a process with our pid that was killed
    fd = os.open(temp, _CREATE, FILE_MODE)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        if fsync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    os.close(fd)
    os.replace(temp, path)
    if fsync:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
