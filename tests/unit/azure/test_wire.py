"""wire_dict: SDK results read as the service's JSON, also when the SDK hands back the JSON itself.

The TypeSpec-generated SDKs return the parsed JSON, not a model, when building the model raises (their
deserializer swallows the error). These tests make model construction fail and check that the clients still
read the answer: before, DNS record and subnet reads raised "'dict' object has no attribute 'as_dict'".
"""

from __future__ import annotations

import pytest
from azure.mgmt.network import models as network_models
from azure.mgmt.privatedns import models as dns_models
from bg_azure_testkit import ARM, example
from test_dns import PZ_A, private_get
from test_network_credentials import SUBNET_ID

from bluegreen.azure.dns import PrivateDnsRecords
from bluegreen.azure.network import NetworkClient
from bluegreen.azure.wire import wire_dict


def test_a_model_and_a_plain_mapping_give_the_same_json() -> None:
    body = private_get()
    model = dns_models.RecordSet(body)
    assert wire_dict(model) == wire_dict(dict(body)) == body
    copy = wire_dict(body)
    copy["etag"] = "changed"
    assert body["etag"] != "changed"
    with pytest.raises(TypeError, match="got list"):
        wire_dict([1, 2])


def _models_that_cannot_be_built(monkeypatch: pytest.MonkeyPatch, *classes: type) -> None:
    def refuse(self: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError("a model that cannot be built")

    for cls in classes:
        monkeypatch.setattr(cls, "__init__", refuse)


def test_a_record_read_survives_the_sdk_falling_back_to_json(ctx, rsps, monkeypatch: pytest.MonkeyPatch) -> None:
    rsps.get(PZ_A, json=private_get())
    _models_that_cannot_be_built(monkeypatch, dns_models.RecordSet)
    assert isinstance(ctx.privatedns.record_sets.get("resourceGroup1", "privatezone1.com", "A", "recordA"), dict)
    rec = PrivateDnsRecords(ctx).get("resourceGroup1", "privatezone1.com", "recordA", "A")
    assert rec is not None and rec.values == ("1.2.3.4",) and rec.ttl == 3600


def test_a_subnet_read_survives_the_sdk_falling_back_to_json(ctx, rsps, monkeypatch: pytest.MonkeyPatch) -> None:
    rsps.get(f"{ARM}{SUBNET_ID}", json=example("network/Subnets_Get.json")["responses"]["200"]["body"])
    _models_that_cannot_be_built(monkeypatch, network_models.Subnet)
    info = NetworkClient(ctx).subnet(SUBNET_ID)
    assert info.address_prefixes == ("10.0.0.0/16",) and info.free == 65531
