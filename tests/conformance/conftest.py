"""The conformance tier's fixtures: ../shared's corpus and spec examples, found by bg_shared (skipped without them).

The fakes' helpers and the kube layer's checks (tests/unit/kube/kube_checks.py) are imported from their folders,
so the tier drives the same simulators and runs the same test bodies the main suite does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from bg_shared import shared_path

TESTS = Path(__file__).resolve().parents[1]
for helpers in (TESTS / "fakes" / "kube", TESTS / "fakes" / "arm", TESTS / "unit" / "kube", TESTS.parent):
    if str(helpers) not in sys.path:
        sys.path.insert(0, str(helpers))


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus/manifests: public manifests, read in place, never copied."""
    return shared_path("corpus/manifests")


@pytest.fixture(scope="session")
def spec_examples() -> Path:
    """../shared/azure-rest-examples: Azure REST spec examples, read in place, never copied."""
    return shared_path("azure-rest-examples")
