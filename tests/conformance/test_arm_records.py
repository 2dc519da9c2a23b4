"""Conformance: the project's ARM records (tests/data/arm) and the ARM fake against ../shared's spec examples.

Our records hold only the keys we rely on, so each must be a subset of its spec example: same keys,
same casing, same nesting (values are ours). The fake's wire tests, which compare its answers with
our records, run once more with the spec examples in their place, so the fake still answers every
key the real API shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from arm_helpers import assert_shape
from bg_shared import DATA, REQUIRE_ENV

RECORDS = DATA / "arm"
NAMES = sorted(str(p.relative_to(RECORDS)) for p in RECORDS.rglob("*.json"))
BODY_PARAMETERS = ("parameters", "origin", "originUpdateProperties")
# Records of operations the shared sample has no example for. They were written from the published REST spec
# examples (azure-rest-api-specs, containerservice aks/stable/2025-07-01). Checked here only to still lack a
# counterpart: once the sample gains one, the record must come off this list and is compared like the others.
UNPAIRED = {
    "containerservice/AgentPools_CreateOrUpdate.json",
    "containerservice/AgentPools_Delete.json",
    "containerservice/AgentPools_Stop.json",
    "containerservice/ManagedClusters_GetUpgradeProfile.json",
}


def test_most_spec_examples_have_a_record(spec_examples: Path) -> None:
    examples = {str(p.relative_to(spec_examples)) for p in spec_examples.rglob("*.json")}
    assert len(NAMES) >= 20 and len(set(NAMES) & examples) >= len(examples) - 2


@pytest.mark.parametrize("name", sorted(UNPAIRED))
def test_unpaired_records_still_lack_a_spec_example(name: str, spec_examples: Path) -> None:
    assert name in NAMES, f"{name} is listed as unpaired but is not one of our records"
    assert not (spec_examples / name).is_file(), f"{spec_examples / name} exists now: take {name} off UNPAIRED"


@pytest.mark.parametrize("name", NAMES)
def test_record_is_a_subset_of_its_spec_example(name: str, spec_examples: Path) -> None:
    ours = json.loads((RECORDS / name).read_text())
    spec_file = spec_examples / name
    if name in UNPAIRED:  # see test_unpaired_records_still_lack_a_spec_example
        return
    assert spec_file.is_file(), f"no spec example {name} to check our record against (or list it in UNPAIRED)"
    theirs = json.loads(spec_file.read_text())
    assert set(ours["parameters"]) <= set(theirs["parameters"]), "request parameters"
    for parameter in BODY_PARAMETERS:
        if parameter in ours["parameters"]:
            assert_shape(theirs["parameters"][parameter], ours["parameters"][parameter], f"$.parameters.{parameter}")
    assert set(ours["responses"]) <= set(theirs["responses"]), "status codes"
    for status, response in ours["responses"].items():
        spec: dict[str, Any] = theirs["responses"][status]
        assert {h.lower() for h in response.get("headers", {})} <= {h.lower() for h in spec.get("headers", {})}, status
        if "body" in response:
            assert_shape(spec["body"], response["body"], f"$.responses.{status}.body")


def test_the_fake_answers_every_key_of_the_spec_examples(spec_examples: Path) -> None:
    """tests/fakes/arm with BLUEGREEN_ARM_RECORDS at the spec examples (same layout as ours)."""
    env = {**os.environ, "BLUEGREEN_ARM_RECORDS": str(spec_examples)}
    env.pop(REQUIRE_ENV, None)  # the inner run has no conformance test of its own
    root = DATA.parents[1]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "tests/fakes/arm"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
