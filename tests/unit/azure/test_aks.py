from __future__ import annotations

import json
import re

import pytest
import responses
from bg_azure_testkit import ARM, SUB, example

from bluegreen.azure.aks import AksClient, ManagedClusterInfo
from bluegreen.errors import (
    NotFoundError,
    PermanentRemoteError,
    PreconditionFailedError,
    TransientRemoteError,
)

MC = f"{ARM}/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1"
OP = f"{ARM}/subscriptions/{SUB}/providers/Microsoft.ContainerService/locations/eastus/operations/op1"


def get_body() -> dict:
    return example("containerservice/ManagedClusters_Get.json")["responses"]["200"]["body"]


def test_get_parses_the_example_and_keeps_wire_form(ctx, rsps):
    rsps.get(MC, json=get_body())
    info = AksClient(ctx).get("rg1", "clustername1")
    assert info is not None
    assert info.name == "clustername1"
    assert info.resource_group == "rg1"
    assert info.location == "location1"
    assert info.kubernetes_version == "1.29.7"
    assert info.provisioning_state == "Succeeded"
    assert info.network_plugin == "kubenet"
    assert info.etag == "a1f3c2e4-0000-4000-8000-000000000002"
    assert info.fqdn == "shop-blue-5f3a2b1c.hcp.location1.azmk8s.io"
    assert info.tags == {"env": "prod", "team": "shop"}
    assert not info.aad_enabled
    (pool,) = info.node_pools
    assert (pool.name, pool.count, pool.vm_size, pool.max_pods, pool.max_surge) == (
        "nodepool1",
        3,
        "Standard_DS1_v2",
        110,
        "33%",
    )
    # raw is the ARM JSON with wire names, identical to what came over the wire
    assert info.raw == get_body()
    assert "agentPoolProfiles" in info.raw["properties"]


def test_repr_never_dumps_raw(ctx, rsps):
    rsps.get(MC, json=get_body())
    info = AksClient(ctx).get("rg1", "clustername1")
    assert "linuxProfile" not in repr(info) and "bluegreen-test-key" not in repr(info)


def test_get_missing_cluster_is_none_but_missing_group_raises(ctx, rsps):
    rsps.get(MC, status=404, json={"error": {"code": "ResourceNotFound", "message": "nope"}})
    assert AksClient(ctx).get("rg1", "clustername1") is None
    rsps.replace(
        responses.GET, MC, status=404, json={"error": {"code": "ResourceGroupNotFound", "message": "x"}}
    )
    with pytest.raises(NotFoundError) as err:
        AksClient(ctx).get("rg1", "clustername1")
    assert err.value.code == "ResourceGroupNotFound"


def test_throttled_get_is_retried_after_retry_after_on_the_clock(ctx, rsps, clock):
    start = clock.now()
    rsps.get(
        MC,
        status=429,
        headers={"Retry-After": "17"},
        json={"error": {"code": "TooManyRequests", "message": "slow"}},
    )
    rsps.get(MC, json=get_body())
    info = AksClient(ctx).get("rg1", "clustername1")
    assert info is not None
    assert (clock.now() - start).total_seconds() == 17
    assert len(rsps.calls) == 2


def test_permanent_error_surfaces_at_once_with_code(ctx, rsps):
    rsps.get(MC, status=403, json={"error": {"code": "AuthorizationFailed", "message": "no rights"}})
    with pytest.raises(PermanentRemoteError) as err:
        AksClient(ctx).get("rg1", "clustername1")
    assert err.value.code == "AuthorizationFailed"
    assert err.value.resource is not None and err.value.resource.endswith("/managedClusters/clustername1")
    assert len(rsps.calls) == 1


def test_retries_are_bounded(ctx, rsps):
    rsps.get(MC, status=503, json={"error": {"code": "ServiceUnavailable", "message": "down"}})
    with pytest.raises(TransientRemoteError):
        AksClient(ctx).get("rg1", "clustername1")
    assert len(rsps.calls) == 4  # RetryPolicy(attempts=4) in the fixture


def test_kubernetes_versions(ctx, rsps):
    body = example("containerservice/ManagedClusters_ListKubernetesVersions.json")["responses"]["200"]["body"]
    rsps.get(
        f"{ARM}/subscriptions/{SUB}/providers/Microsoft.ContainerService/locations/location1/kubernetesVersions",
        json=body,
    )
    versions = AksClient(ctx).kubernetes_versions("location1")
    by = {v.version: v for v in versions}
    assert by["1.30"].is_default and not by["1.30"].is_preview
    assert by["1.32"].is_preview and not by["1.31"].is_default
    assert by["1.29"].patch_versions == ("1.29.9", "1.29.11")
    assert by["1.29"].support_plans == ("KubernetesOfficial", "AKSLongTermSupport")
    assert by["1.31"].support_plans == ("KubernetesOfficial",)


def test_user_kubeconfig_is_decoded_bytes(ctx, rsps):
    body = example("containerservice/ManagedClusters_ListClusterUserCredentials.json")["responses"]["200"][
        "body"
    ]
    rsps.post(f"{MC}/listClusterUserCredential", json=body)
    assert AksClient(ctx).user_kubeconfig("rg1", "clustername1") == b"apiVersion: v1\nkind: Config\nclusters: []\n"


def _create_ok(rsps, polls_in_progress: int, retry_after: str = "30") -> None:
    put_body = example("containerservice/ManagedClusters_CreateOrUpdate.json")["responses"]["201"]["body"]
    rsps.put(MC, status=201, json=put_body, headers={"Azure-AsyncOperation": OP, "Retry-After": retry_after})
    for _ in range(polls_in_progress):
        rsps.get(OP, json={"id": OP, "status": "InProgress"}, headers={"Retry-After": retry_after})
    rsps.get(OP, json={"id": OP, "status": "Succeeded"})
    done = dict(put_body)
    done["properties"] = {**put_body["properties"], "provisioningState": "Succeeded"}
    rsps.get(MC, json=done)


def test_create_polls_on_the_injected_clock(ctx, rsps, clock):
    _create_ok(rsps, polls_in_progress=20)
    start = clock.now()
    info = AksClient(ctx).create_or_update("rg1", "clustername1", {"location": "location1", "properties": {}})
    assert isinstance(info, ManagedClusterInfo) and info.provisioning_state == "Succeeded"
    # ARMPolling polls once at once, then waits each response's Retry-After (30 s): 20 waits = 10 simulated minutes
    assert (clock.now() - start).total_seconds() == 600


def test_retry_after_zero_falls_back_to_our_polling_interval(ctx, rsps, clock):
    _create_ok(rsps, polls_in_progress=3, retry_after="0")
    start = clock.now()
    AksClient(ctx).create_or_update("rg1", "clustername1", {"location": "location1"})
    assert (clock.now() - start).total_seconds() == 3 * 15.0  # ctx.polling_interval


def test_if_none_match_and_if_match_headers(ctx, rsps):
    _create_ok(rsps, polls_in_progress=0)
    AksClient(ctx).create_or_update("rg1", "clustername1", {"location": "l"}, if_none_match=True)
    put = next(c for c in rsps.calls if c.request.method == "PUT")
    assert put.request.headers["If-None-Match"] == "*"
    assert json.loads(put.request.body) == {"location": "l"}
    rsps.calls.reset()
    _create_ok(rsps, polls_in_progress=0)
    AksClient(ctx).create_or_update("rg1", "clustername1", {"location": "l"}, etag="abc")
    put = next(c for c in rsps.calls if c.request.method == "PUT")
    assert put.request.headers["If-Match"] in ('"abc"', "abc")


def test_create_on_existing_with_if_none_match_is_precondition_failed(ctx, rsps):
    rsps.put(MC, status=412, json={"error": {"code": "PreconditionFailed", "message": "exists"}})
    with pytest.raises(PreconditionFailedError) as err:
        AksClient(ctx).create_or_update("rg1", "clustername1", {"location": "l"}, if_none_match=True)
    assert err.value.code == "PreconditionFailed"


def test_failed_lro_is_permanent_and_names_cluster_and_error(ctx, rsps):
    rsps.put(MC, status=201, json={"name": "clustername1"}, headers={"Azure-AsyncOperation": OP})
    rsps.get(
        OP,
        json={
            "id": OP,
            "status": "Failed",
            "error": {"code": "QuotaExceeded", "message": "Insufficient regional vcpu quota"},
        },
    )
    with pytest.raises(PermanentRemoteError) as err:
        AksClient(ctx).create_or_update("rg1", "clustername1", {"location": "l"})
    assert err.value.code == "QuotaExceeded"
    assert "clustername1" in str(err.value) and "Insufficient regional vcpu quota" in str(err.value)
    assert sum(c.request.method == "PUT" for c in rsps.calls) == 1


def test_throttled_poll_resumes_without_a_second_put(ctx, rsps, clock):
    put_body = example("containerservice/ManagedClusters_CreateOrUpdate.json")["responses"]["201"]["body"]
    rsps.put(MC, status=201, json=put_body, headers={"Azure-AsyncOperation": OP, "Retry-After": "10"})
    rsps.get(
        OP,
        status=429,
        headers={"Retry-After": "7"},
        json={"error": {"code": "TooManyRequests", "message": "x"}},
    )
    rsps.get(OP, json={"id": OP, "status": "Succeeded"})
    rsps.get(MC, json=put_body)
    start = clock.now()
    AksClient(ctx).create_or_update("rg1", "clustername1", {"location": "l"})
    assert sum(c.request.method == "PUT" for c in rsps.calls) == 1
    assert sum(c.request.url.startswith(OP) for c in rsps.calls) == 2
    assert (
        clock.now() - start
    ).total_seconds() == 7  # the throttled poll's Retry-After, then an immediate re-poll


@pytest.mark.parametrize("method", ["stop", "start", "delete"])
def test_stop_start_delete_follow_location(ctx, rsps, clock, method):
    name = {"stop": "Stop", "start": "Start", "delete": "Delete"}[method]
    location = example(f"containerservice/ManagedClusters_{name}.json")["responses"]["202"]["headers"][
        "location"
    ]
    url = MC if method == "delete" else f"{MC}/{method}"
    getattr(rsps, "delete" if method == "delete" else "post")(url, status=202, headers={"Location": location})
    rsps.get(
        re.compile(re.escape(location.split("?")[0]) + ".*"),
        status=202,
        headers={"Location": location, "Retry-After": "60"},
    )
    rsps.get(re.compile(re.escape(location.split("?")[0]) + ".*"), status=204)
    start = clock.now()
    getattr(AksClient(ctx), method)("rg1", "clustername1")
    assert (clock.now() - start).total_seconds() == 60  # the first poll is immediate


def test_update_tags_patches_only_tags(ctx, rsps):
    body = get_body()
    rsps.patch(MC, json=body)
    info = AksClient(ctx).update_tags("rg1", "clustername1", {"a": "b"})
    patch = next(c for c in rsps.calls if c.request.method == "PATCH")
    assert json.loads(patch.request.body) == {"tags": {"a": "b"}}
    assert info.name == "clustername1"


def test_bad_credential_hints_az_login(clock, rsps):
    from azure.core.exceptions import ClientAuthenticationError

    from bluegreen.azure.context import AzureContext

    class Broken:
        def get_token(self, *scopes, **kwargs):
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    with pytest.raises(PermanentRemoteError) as err:
        AksClient(AzureContext(Broken(), SUB, clock)).get("rg1", "clustername1")
    assert "az login" in str(err.value)


def test_conflict_is_permanent_with_arm_code(ctx, rsps):
    rsps.put(
        MC, status=409, json={"error": {"code": "OperationNotAllowed", "message": "another op in progress"}}
    )
    with pytest.raises(PermanentRemoteError) as err:
        AksClient(ctx).create_or_update("rg1", "clustername1", {"location": "l"})
    assert err.value.code == "OperationNotAllowed" and err.value.status == 409
    assert "another op in progress" in str(err.value)
    assert len(rsps.calls) == 1
