from __future__ import annotations

from datetime import timedelta

import pytest
from azure.core.exceptions import ClientAuthenticationError
from bg_azure_testkit import ARM, FakeCredential, example

from bluegreen.azure.aks import NodePoolInfo
from bluegreen.azure.credentials import AKS_SERVER_SCOPE, aks_aad_token_provider, subscription_from
from bluegreen.azure.network import NetworkClient, SubnetInfo, addresses_needed, parse_subnet_id, surge_nodes
from bluegreen.errors import PermanentRemoteError, PlaybookError

SUBNET_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/subnet-test"
    "/providers/Microsoft.Network/virtualNetworks/vnetname/subnets/subnet1"
)


def pool(count: int, max_pods: int | None = 30, surge: str | None = "33%", **kw) -> NodePoolInfo:
    return NodePoolInfo("p", count, "Standard_D4s_v5", max_pods, None, "User", "1.30", surge, **kw)


def test_subnet_from_example(ctx, rsps):
    rsps.get(f"{ARM}{SUBNET_ID}", json=example("network/Subnets_Get.json")["responses"]["200"]["body"])
    info = NetworkClient(ctx).subnet(SUBNET_ID)
    assert info.address_prefixes == ("10.0.0.0/16",)
    assert (info.total, info.reserved, info.used, info.free) == (65536, 5, 0, 65531)


def test_subnet_counts_ip_configurations_and_all_prefixes():
    raw = {
        "id": SUBNET_ID,
        "properties": {
            "addressPrefixes": ["10.0.0.0/28", "10.0.1.0/28", "fd00::/64"],
            "ipConfigurations": [{"id": f"nic{i}"} for i in range(7)],
        },
    }
    info = SubnetInfo.from_arm(raw)
    assert (info.total, info.reserved, info.used, info.free) == (32, 10, 7, 15)


def test_parse_subnet_id():
    assert parse_subnet_id(SUBNET_ID) == ("subnet-test", "vnetname", "subnet1")
    with pytest.raises(PlaybookError):
        parse_subnet_id("/subscriptions/x/resourceGroups/rg")


def test_surge_nodes():
    assert surge_nodes(3, "33%") == 1
    assert surge_nodes(10, "33%") == 4
    assert surge_nodes(10, "5") == 5
    assert surge_nodes(3, None) == 1
    assert surge_nodes(30, None) == 3


def test_addresses_needed_azure_cni_node_subnet():
    # 3 nodes + 1 surge, each 1 + 30 pods
    assert addresses_needed([pool(3)], "azure", None) == 4 * 31
    # autoscaling pools count at max size
    assert addresses_needed([pool(2, enable_auto_scaling=True, max_count=10)], "azure", None) == (10 + 4) * 31
    # unset maxPods -> Azure CNI default 30
    assert addresses_needed([pool(1, max_pods=None, surge="1")], "azure", None) == 2 * 31


@pytest.mark.parametrize("plugin,mode", [("azure", "overlay"), ("kubenet", None), ("none", None)])
def test_addresses_needed_one_per_node(plugin, mode):
    assert addresses_needed([pool(3), pool(10, surge="2")], plugin, mode) == 4 + 12


def test_pod_subnet_pools_need_one_per_node():
    assert addresses_needed([pool(3, pod_subnet_id="pods")], "azure", None) == 4


def test_subscription_from():
    assert subscription_from("abc", {"AZURE_SUBSCRIPTION_ID": "env"}) == "abc"
    assert subscription_from(None, {"AZURE_SUBSCRIPTION_ID": "env"}) == "env"
    with pytest.raises(PlaybookError):
        subscription_from("", {})


def test_aks_token_is_cached_until_shortly_before_expiry(clock):
    cred = FakeCredential()
    cred.expires_on = int((clock.now() + timedelta(hours=1)).timestamp())
    provider = aks_aad_token_provider(cred, clock)
    assert provider() == "fake-token"
    clock.advance(3000)
    assert provider() == "fake-token"
    assert cred.calls == [(AKS_SERVER_SCOPE,)]
    clock.advance(400)  # now inside the 5-minute refresh margin
    provider()
    assert len(cred.calls) == 2


def test_aks_token_failure_hints_az_login(clock):
    class Broken:
        def get_token(self, *scopes, **kwargs):
            raise ClientAuthenticationError("no credential")

    with pytest.raises(PermanentRemoteError, match="az login"):
        aks_aad_token_provider(Broken(), clock)()  # type: ignore[arg-type]
