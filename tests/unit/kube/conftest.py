"""Shared fixtures for the kube layer's unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from bg_shared import shared_path


@pytest.fixture
def corpus() -> Path:
    """The real-world manifests of ../shared (read in place, never copied): the conformance tier."""
    return shared_path("corpus/manifests")
