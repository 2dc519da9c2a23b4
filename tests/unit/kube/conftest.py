"""Shared fixtures for the kube layer's unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = (Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "manifests").resolve()


@pytest.fixture
def corpus() -> Path:
    """The real-world manifests shared by every test suite (read in place, never copied)."""
    if not CORPUS.is_dir():
        pytest.fail(f"manifest corpus missing at {CORPUS}")
    return CORPUS
