"""json_copy: a deep copy of JSON-shaped data that never shares a mutable part with its source."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

from bluegreen.json_copy import json_copy


def test_nothing_mutable_is_shared_and_the_copy_is_equal() -> None:
    source = {"metadata": {"labels": {"a": "1"}, "finalizers": ["x"]}, "spec": {"replicas": 3, "paused": False,
              "ratio": 0.5, "nothing": None, "ports": [{"port": 80}, [1, [2]]]}}
    out = json_copy(source)
    assert out == source
    out["metadata"]["labels"]["a"] = "2"
    out["metadata"]["finalizers"].append("y")
    out["spec"]["ports"][0]["port"] = 81
    out["spec"]["ports"][1][1].append(3)
    assert source["metadata"] == {"labels": {"a": "1"}, "finalizers": ["x"]}
    assert source["spec"]["ports"] == [{"port": 80}, [1, [2]]]


def test_a_shared_reference_is_copied_twice() -> None:
    shared = {"k": "v"}
    out = json_copy({"a": shared, "b": shared})
    assert out["a"] is not out["b"] and out["a"] is not shared
    out["a"]["k"] = "changed"
    assert out["b"] == {"k": "v"}


def test_other_values_inside_are_deep_copied() -> None:
    class Box:
        def __init__(self) -> None:
            self.items = [1]

    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    source = {"box": Box(), "when": when, "pair": (1, [2])}
    out = json_copy(source)
    assert out["box"] is not source["box"] and out["box"].items == [1]
    assert out["when"] == when
    assert out["pair"] == (1, [2]) and out["pair"][1] is not source["pair"][1]
    assert copy.deepcopy(source)["pair"] == out["pair"]
