from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from kube_helpers import KUBECTL  # noqa: E402

needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (CI installs it)")
