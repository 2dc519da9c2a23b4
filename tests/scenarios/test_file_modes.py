"""Files that can hold secrets or tokens are created 0600 in a 0700 directory (issue 7 item 9).

Under umask 000 (the loosest a user can have), so nothing here holds by the umask's grace: saved plans,
the journal and its lock, the simulated world's state and lock, the kubeconfig `sim serve` writes, and
the archive (Secret manifests). `os.chmod` is watched: a file mode set after the file was written
would leave a window in which another user could read it.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bluegreen.private_files import private_dir, write_private
from tests.scenarios.conftest import Cutover


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """umask 000, and a record of every chmod of a file (directories may be tightened: their files are private)."""
    chmodded: list[str] = []
    real_chmod = os.chmod

    def watched_chmod(path: object, mode: int, *args: object, **kwargs: object) -> None:
        if isinstance(path, (str, Path)) and Path(path).is_file():
            chmodded.append(str(path))
        real_chmod(path, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "chmod", watched_chmod)
    old = os.umask(0)
    try:
        yield chmodded
    finally:
        os.umask(old)


def test_plan_journal_world_and_archive_are_private(cutover: Cutover, loose_umask: list[str]) -> None:
    cutover.init()
    plan = cutover.root / "plan.json"
    assert cutover.cli("plan", str(cutover.playbook), "--out", str(plan)).exit_code == 0
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--plan", str(plan))
    assert result.exit_code == 0, result.output
    state = cutover.world / "state" / "shop-1-31"
    archives = list((cutover.root / "archive").iterdir())
    assert archives
    world_files = [f for f in cutover.world.iterdir() if f.name.startswith("world.")]  # world.db, -wal, lock
    assert cutover.world / "world.db" in world_files and cutover.world / "world.lock" in world_files
    files = [plan, state / "journal.json", state / "lock", *world_files, *(f for a in archives for f in a.iterdir())]
    assert {str(f): oct(_mode(f)) for f in files if _mode(f) != 0o600} == {}
    dirs = [state, cutover.world, cutover.root / "archive", *archives]
    assert {str(d): oct(_mode(d)) for d in dirs if _mode(d) != 0o700} == {}
    assert loose_umask == []


def test_sim_serve_writes_a_private_kubeconfig(cutover: Cutover, loose_umask: list[str]) -> None:
    cutover.init()
    process = subprocess.Popen(
        [sys.executable, "-m", "bluegreen_cli.app", "sim", "serve", str(cutover.world), "--speed", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # inherits umask 000
    kubeconfig = cutover.world / "kubeconfig"
    try:
        assert process.stderr is not None
        said = process.stderr.readline().decode()  # "# written to DIR/kubeconfig; ...", once it is written
        assert "written to" in said, said + process.stderr.read().decode()
        assert _mode(kubeconfig) == 0o600
        assert _mode(cutover.world) == 0o700
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)


def test_write_private_replaces_atomically_and_never_widens(tmp_path: Path, loose_umask: list[str]) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    os.chmod(target, 0o644)
    loose_umask.clear()
    write_private(target, "new")
    assert target.read_text() == "new" and _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]  # no temporary file left
    wide = tmp_path / "wide"
    wide.mkdir(mode=0o755)
    os.chmod(wide, 0o755)
    assert _mode(private_dir(wide)) == 0o700
    assert _mode(private_dir(tmp_path / "new" / "deeper")) == 0o700
    assert loose_umask == []
