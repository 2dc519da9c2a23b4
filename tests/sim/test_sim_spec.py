from __future__ import annotations

from datetime import timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from bluegreen.errors import PlaybookError
from bluegreen.sim.manifests import load_seed_objects, namespaces_needed
from bluegreen.simulation_spec import ServiceRef, SimulationSpec

MINIMAL = {"blue": {"name": "aks-blue", "resource_group": "rg", "version": "1.29.9"}}


def test_minimal_spec_gets_defaults():
    spec = SimulationSpec.model_validate(MINIMAL)
    assert spec.start.tzinfo is not None
    assert spec.blue.node_pools[0].name == "system"
    assert spec.blue.location == "westeurope"


def test_naive_start_is_utc():
    spec = SimulationSpec.model_validate({**MINIMAL, "start": "2026-03-01T08:00:00"})
    assert spec.start.tzinfo == timezone.utc and spec.start.hour == 8


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"blue": {**MINIMAL["blue"], "version": "1.29"}}, ("blue", "version")),
        ({"blue": {**MINIMAL["blue"], "colour": "blue"}}, ("blue", "colour")),
        ({"blue": {**MINIMAL["blue"], "node_pools": [{"name": "System_1"}]}}, ("blue", "node_pools", 0, "name")),
        ({"dns_zones": [{"name": "z", "records": [{"name": "a", "type": "CNAME", "values": ["x", "y"]}]}]},
         ("dns_zones", 0, "records", 0)),
        ({"dns_zones": [{"name": "z", "records": [{"name": "a", "type": "A", "values": [{"service": "web"}]}]}]},
         ("dns_zones", 0, "records", 0, "values", 0)),
    ],
)
def test_invalid_specs_name_the_field(patch, where):
    with pytest.raises(ValidationError) as info:
        SimulationSpec.model_validate({**MINIMAL, **patch})
    locs = [e["loc"] for e in info.value.errors()]
    assert any(loc[: len(where)] == where for loc in locs), locs


def test_record_values_accept_service_references():
    spec = SimulationSpec.model_validate(
        {**MINIMAL, "dns_zones": [{"name": "shop.internal", "records": [
            {"name": "www", "type": "A", "values": [{"service": "default/storefront-public"}, "10.0.0.9"]}]}]}
    )
    values = spec.dns_zones[0].records[0].values
    assert isinstance(values[0], ServiceRef) and values[0].cluster == "blue"
    assert values[1] == "10.0.0.9"


def test_schema_carries_descriptions():
    schema = SimulationSpec.model_json_schema()
    blue = schema["$defs"]["BlueSpec"]["properties"]
    assert "relative to the playbook" in blue["manifests"]["description"]
    assert schema["additionalProperties"] is False


def test_seed_objects_from_files_and_folders(manifests: Path, tmp_path: Path):
    objects = load_seed_objects(["shop.yaml"], manifests, "f")
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "ServiceAccount"} <= kinds
    assert sum(o["kind"] == "Deployment" for o in objects) == 4
    folder = load_seed_objects(["."], manifests, "f")
    assert len(folder) > len(objects)


def test_seed_objects_errors_name_the_field(tmp_path: Path):
    with pytest.raises(PlaybookError) as info:
        load_seed_objects(["missing.yaml"], tmp_path, "simulation.blue.manifests")
    assert info.value.field == "simulation.blue.manifests[0]"
    (tmp_path / "bad.yaml").write_text("just: a mapping\n")
    with pytest.raises(PlaybookError, match="document 1 is not a Kubernetes object"):
        load_seed_objects(["bad.yaml"], tmp_path, "f")


def test_namespaces_needed(manifests: Path):
    objects = load_seed_objects(["janitor-cronjob.yaml"], manifests, "f")
    objects.append({"kind": "Namespace", "metadata": {"name": "shop"}})
    objects.append({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}})
    made = namespaces_needed(objects, ["ingress", "shop", "ingress"])
    assert [n["metadata"]["name"] for n in made] == ["ingress"]
