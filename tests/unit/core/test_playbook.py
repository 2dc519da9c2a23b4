"""Playbook loading: every problem named by its field path, the demo playbook valid, schema exported."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bluegreen.durations import parse_duration
from bluegreen.errors import PlaybookError
from bluegreen.playbook import json_schema, load_playbook, validation_problems

DEMO = Path(__file__).resolve().parents[3] / "bluegreen" / "demo" / "playbook.yaml"


def _raw() -> dict:
    return yaml.safe_load(DEMO.read_text())


def test_demo_playbook_is_valid() -> None:
    loaded = load_playbook(DEMO)
    assert loaded.playbook.green.kubernetes_version == "1.31"
    assert loaded.playbook.simulation is not None


def test_every_problem_names_its_field() -> None:
    raw = _raw()
    raw["green"]["kubernetes_version"] = "latest"
    raw["green"]["node_pools"]["system"]["count"] = -1
    raw["switch"]["record_type"] = "MX"
    raw["smoke"]["http"][0]["url"] = "shop.contoso.internal/"
    fields = {f for f, _ in validation_problems(raw)}
    assert {"green.kubernetes_version", "green.node_pools.system.count", "switch.record_type",
            "smoke.http[0].url"} <= fields


def test_unknown_field_is_rejected_with_its_path() -> None:
    raw = _raw()
    raw["decommission"]["mode_"] = "stop"
    assert ("decommission.mode_", "Extra inputs are not permitted") in validation_problems(raw)


def test_system_namespaces_are_refused() -> None:
    raw = _raw()
    raw["workloads"]["namespaces"] = ["kube-system", "shop"]
    assert any("system namespace" in m for _, m in validation_problems(raw))


def test_green_must_differ_from_blue(tmp_path: Path) -> None:
    raw = _raw()
    raw["green"]["name"] = raw["blue"]["name"]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(PlaybookError, match="green.name must differ"):
        load_playbook(path)


def test_missing_manifest_path_names_the_field(tmp_path: Path) -> None:
    raw = _raw()
    raw["workloads"]["manifests"] = ["nowhere"]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    assert info.value.problems[0][0] == "workloads.manifests[0]"


def test_durations() -> None:
    assert parse_duration("15m") == 900
    assert parse_duration(90) == 90
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_schema_describes_the_playbook() -> None:
    schema = json_schema()
    assert schema["title"] == "bluegreen playbook"
    assert {"blue", "green", "switch", "workloads"} <= set(schema["required"])
    assert "simulation" in schema["properties"]
