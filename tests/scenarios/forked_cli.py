"""`bluegreen` in a real child process that does not pay for the CLI's imports every time.

The crash tests start a cutover, SIGKILL it and start it again, some seventy times; a fresh interpreter
spent about a third of each run's CPU importing the library, the SDKs and the simulator. A multiprocessing
fork server imports them once (it is a fresh single-threaded interpreter: no world, socket, thread or
cache of a test is inherited) and forks one child per command. Each child is a new process with its own
pid and state, seeing only what importing left behind, and a kill is a real SIGKILL of that process.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# What `bluegreen --simulate DIR run` imports (a missing name only costs the child its import).
WARM = ("bluegreen_cli.app", "bluegreen_cli.commands.cutover", "bluegreen_cli.sim_cmd", "bluegreen_cli.render",
        "bluegreen.engine", "bluegreen.sim.world", "bluegreen.kube.transport", "kubernetes",
        "azure.mgmt.containerservice.models", "azure.mgmt.containerservice.operations",
        "azure.mgmt.privatedns.models", "azure.mgmt.privatedns.operations", "azure.identity",
        "azure.core.pipeline.transport._requests_basic", "azure.core.rest._requests_basic")

_context: multiprocessing.context.ForkServerContext | None = None


def _forkserver() -> multiprocessing.context.ForkServerContext:
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([*WARM, __name__])
        _context = context
    return _context


def _child(args: list[str], env: dict[str, str], out: str, err: str) -> None:
    """In the forked child: the environment and streams a `subprocess.run` would give, then the CLI's main."""
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    # Unbuffered, as PYTHONUNBUFFERED=1 makes them: what was written before a SIGKILL is kept.
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", write_through=True,
                                  errors="backslashreplace")
    sys.argv = ["bluegreen", *args]
    from bluegreen_cli.app import main

    main()  # its SystemExit becomes the child's exit status


def run(args: list[str], *, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Like `subprocess.run([python, -m, bluegreen_cli.app, *args], capture_output=True, text=True)`."""
    with tempfile.TemporaryDirectory(prefix="bg-cli-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        process = _forkserver().Process(target=_child, args=(list(args), dict(env), str(out), str(err)))
        process.start()
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired(["bluegreen", *args], timeout)
        return subprocess.CompletedProcess(["bluegreen", *args], process.exitcode, _read(out), _read(err))


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

