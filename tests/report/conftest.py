"""A real headless browser for the report tests: Debian's chromium, offline, in a fresh profile.

Tests that need it skip with the reason when chromium is missing, and fail instead when
BLUEGREEN_REQUIRE_BROWSER=1 (.ci/run installs chromium and sets it, so a skipped browser
test cannot pass unnoticed in CI).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

REQUIRE_BROWSER = "BLUEGREEN_REQUIRE_BROWSER"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


@dataclass
class Chromium:
    binary: str

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(prefix="bg-chromium-") as profile:
            done = subprocess.run([self.binary, *FLAGS, f"--user-data-dir={profile}", *args],
                                  capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    def dump_dom(self, page: Path) -> str:
        """The DOM as the browser parsed and laid it out (what a person's browser would hold)."""
        return self._run("--dump-dom", page.resolve().as_uri()).stdout

    def screenshot(self, page: Path, out: Path, size: str = "1000,1600") -> Path:
        self._run(f"--screenshot={out}", f"--window-size={size}", page.resolve().as_uri())
        return out


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        message = "chromium is not installed (apt-get install -y chromium; .ci/run installs it)"
        if os.environ.get(REQUIRE_BROWSER, "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{REQUIRE_BROWSER} is set but {message}")
        pytest.skip(message)
    return Chromium(binary)


def png_facts(path: Path) -> tuple[int, int, int]:
    """A PNG's width, height and how many distinct byte values its pixels hold (1-2 means a blank page)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


class ExternalResources(HTMLParser):
    """Every way a page could load something from elsewhere: src/href/xlink:href/srcset/action to a URL,
    @import and url(http...) in CSS, <script>, <link>, <iframe>, <object>, <embed>."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.tags: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("script", "link", "iframe", "object", "embed", "base"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name in ("src", "href", "xlink:href", "srcset", "action", "data", "poster") and value and \
                    not value.startswith("#"):
                self.found.append(f"{tag} {name}={value}")
            if name == "style" and ("url(" in value or "@import" in value):
                self.found.append(f"{tag} style={value}")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        lowered = data.lower()
        if self._in_style and ("@import" in lowered or "url(" in lowered or "@font-face" in lowered):
            self.found.append(f"css: {data.strip()[:80]}")


def external_resources(page: str) -> list[str]:
    parser = ExternalResources()
    parser.feed(page)
    parser.close()
    assert "html" in parser.tags and "body" in parser.tags
    return parser.found
