"""Azurite, the official Azure Storage emulator, for the remote-state tests.

A session fixture starts the real `azurite-blob` (npm package `azurite`) on a
free port, in memory, and stops it at the end. It is taken from
$BLUEGREEN_AZURITE_DIR (default ~/.cache/bluegreen-azurite), installed there
with `npm install --no-save --prefix DIR azurite` when missing (`.ci/run`
does this first). Without node/npm the tests skip, saying so; with
BLUEGREEN_REQUIRE_AZURITE=1 (set by `.ci/run`) they fail instead.

Azurite's clock can be moved forward (a preloaded script reads an offset from
a file), so a lease can expire without a real wait.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Azurite's documented development account (public, identical in every Azurite): not a secret.
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
HERE = Path(__file__).resolve().parent


def _require() -> bool:
    return os.environ.get("BLUEGREEN_REQUIRE_AZURITE") == "1"


def _unavailable(reason: str) -> None:
    if _require():
        pytest.fail(f"Azurite is required (BLUEGREEN_REQUIRE_AZURITE=1) but {reason}")
    pytest.skip(f"Azurite unavailable: {reason}")


def azurite_main() -> Path | None:
    """Azurite's blob entry point, installed into the cache folder when missing (None: cannot be had)."""
    cache = Path(os.environ.get("BLUEGREEN_AZURITE_DIR") or Path.home() / ".cache" / "bluegreen-azurite")
    main = cache / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"
    if main.exists():
        return main
    npm = shutil.which("npm")
    if npm is None:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(cache), "azurite"],
                   check=False, capture_output=True, timeout=600)
    return main if main.exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Azurite:
    port: int
    clock_file: Path

    @property
    def account_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    def service(self, account_url: str | None = None) -> Any:
        """A BlobServiceClient with the emulator's account key; no SDK retries (Azurite does not throttle)."""
        from azure.core.credentials import AzureNamedKeyCredential
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient(account_url or self.account_url, credential=AzureNamedKeyCredential(ACCOUNT, KEY),
                                 retry_total=0)

    def new_container(self) -> str:
        name = f"runs-{uuid.uuid4().hex[:12]}"
        self.service().create_container(name)
        return name

    def advance(self, seconds: float) -> None:
        """Move Azurite's clock forward (cumulative)."""
        current = float(self.clock_file.read_text() or 0) if self.clock_file.exists() else 0.0
        self.clock_file.write_text(str(current + seconds))

    def env(self) -> dict[str, str]:
        """What a `bluegreen` subprocess needs to reach this Azurite through the CLI's own seam."""
        return {"AZURE_STORAGE_KEY": KEY}


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed")
    main = azurite_main()
    if main is None:
        _unavailable("the npm package azurite could not be installed (no npm, or no network)")
    assert main is not None and node is not None
    root = tmp_path_factory.mktemp("azurite")
    clock_file = root / "clock"
    port = _free_port()
    log = (root / "azurite.log").open("w")
    process = subprocess.Popen(
        [node, "--require", str(HERE / "azurite_clock.js"), str(main), "--blobHost", "127.0.0.1",
         "--blobPort", str(port), "--inMemoryPersistence", "--skipApiVersionCheck", "--silent"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=root,
        env=dict(os.environ, AZURITE_CLOCK_FILE=str(clock_file)),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    _unavailable(f"azurite did not start: {(root / 'azurite.log').read_text()[-2000:]}")
                time.sleep(0.1)
        yield Azurite(port, clock_file)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


StoreFactory = Callable[..., Any]
