"""Every field's problems are reported at the playbook's own path, whatever pydantic calls it inside.

Covers: each leaf of the demo playbook (simulation section included), given a value no field
accepts, is reported at exactly its path (`smoke.http[1].url`, `simulation.blue.node_pools[0].name`);
union branches and validator names never appear in a path; any value anywhere yields problems, never an exception.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from bluegreen.playbook import validation_problems
from tests.scenarios.conftest import DEMO

GOOD: dict[str, Any] = yaml.safe_load((DEMO / "playbook.yaml").read_text())


def _leaves(node: Any, path: str = "") -> Iterator[tuple[str, list[str | int]]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, _parts(path)


def _parts(path: str) -> list[str | int]:
    return [int(i) if i else n for n, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]


LEAVES = sorted({path: parts for path, parts in _leaves(GOOD)}.items())


def test_the_walk_reaches_deep_fields() -> None:
    paths = [p for p, _ in LEAVES]
    assert "smoke.http[1].url" in paths and "simulation.blue.node_pools[0].name" in paths
    assert "simulation.dns_zones[0].records[0].values[0].service" in paths


@pytest.mark.parametrize(("path", "parts"), LEAVES, ids=[p for p, _ in LEAVES])
def test_a_wrong_value_is_reported_at_its_own_path(path: str, parts: list[str | int]) -> None:
    raw = copy.deepcopy(GOOD)
    node: Any = raw
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = {"not": ["a", "value", "any", "field", "takes"]}
    fields = [field for field, _ in validation_problems(raw)]
    assert path in fields, fields
    assert not any(re.search(r"function-|\[key\]|\.str\b|\.ServiceRef\b", f) for f in fields), fields


@pytest.mark.parametrize("value", [None, [], "", -1, 10**30, True, "x\n", 1e308, {}],
                         ids=["null", "list", "empty", "negative", "huge", "bool", "newline", "float", "mapping"])
def test_any_value_anywhere_gives_problems_not_an_exception(value: Any) -> None:
    for _, parts in LEAVES:
        raw = copy.deepcopy(GOOD)
        node: Any = raw
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value
        for field, message in validation_problems(raw):
            assert field and message
