"""Make the library and the CLI package importable without installing, and point at the project's own manifests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for entry in (ROOT, ROOT / "cli"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

@pytest.fixture
def manifests() -> Path:
    """tests/data/manifests (../shared's corpus is only read by tests/conformance)."""
    from bg_shared import DATA

    return DATA / "manifests"
