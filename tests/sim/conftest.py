"""Make the library and the CLI package importable without installing, and point at the shared corpus."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for entry in (ROOT, ROOT / "cli"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "manifests"


@pytest.fixture
def corpus() -> Path:
    return CORPUS.resolve()
