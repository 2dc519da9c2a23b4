"""Service-neutral behaviour of the ARM fake.

Covers: 401 AuthenticationFailed without a Bearer token; 400 MissingApiVersionParameter; case-insensitive
paths; unknown routes; injected 429 (Retry-After) / 500 / 503 reaching a retry_total=0 client, and a
429 retried by azure-core's default policy; latency faults on the simulated clock; failed LROs
(Azure-AsyncOperation and Location flavours); FaultSpec.from_dict; mutation counting and on_mutation
seeing the applied state; to_state() round-trips exactly and a restored simulator carries on;
set_power and inspection.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from arm_helpers import LOCATION, RG, SUB, FakeCredential, RecordingHooks
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.privatedns import PrivateDnsManagementClient

from bluegreen.errors import PlaybookError
from bluegreen.sim.arm import ArmSimulator, FaultSpec

BASE = "https://management.azure.com"
ZONE = "internal.contoso.com"
RECORD = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/privateDnsZones/{ZONE}/A/app"
POOLS = [{"name": "sys", "count": 3, "vmSize": "Standard_D4s_v5", "maxPods": 30, "mode": "System"}]


@pytest.fixture
def zone(sim: ArmSimulator) -> str:
    sim.seed_private_zone(SUB, RG, ZONE)
    sim.seed_record(private=True, subscription=SUB, resource_group=RG, zone=ZONE, name="app", type="A",
                    values=["10.0.0.4"], ttl=60)
    return ZONE


@pytest.fixture
def pdns(make_client: Any, zone: str) -> PrivateDnsManagementClient:
    return make_client(PrivateDnsManagementClient)


def cluster_body() -> dict[str, Any]:
    return {"location": LOCATION, "properties": {"dnsPrefix": "green", "agentPoolProfiles": [dict(POOLS[0])]}}


def test_bearer_token_required(arm, zone) -> None:
    answer = requests.get(f"{BASE}{RECORD}?api-version=2024-06-01")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "AuthenticationFailed"


def test_sdk_sees_401_as_authentication_error(arm, zone) -> None:
    class EmptyToken:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            return AccessToken("", 4_102_444_800)

    client = PrivateDnsManagementClient(EmptyToken(), SUB, retry_total=0)
    with pytest.raises(ClientAuthenticationError) as err:
        client.record_sets.get(RG, ZONE, "A", "app")
    assert err.value.status_code == 401


def test_api_version_required_and_paths_case_insensitive(arm, zone) -> None:
    auth = {"Authorization": "Bearer t"}
    missing = requests.get(f"{BASE}{RECORD}", headers=auth)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "MissingApiVersionParameter"
    lowered = requests.get(f"{BASE}{RECORD.lower()}?api-version=2024-06-01", headers=auth)
    assert lowered.status_code == 200 and lowered.json()["properties"]["aRecords"] == [{"ipv4Address": "10.0.0.4"}]
    unknown = requests.get(f"{BASE}/subscriptions/{SUB}/providers/Microsoft.Nope/things?api-version=1", headers=auth)
    assert unknown.status_code == 404 and set(unknown.json()["error"]) == {"code", "message", "target", "details"}


@pytest.mark.parametrize(("effect", "status", "code"), [
    ("throttle", 429, "SubscriptionRequestsThrottled"),
    ("server_error", 500, "InternalServerError"),
    ("unavailable", 503, "ServiceUnavailable"),
])
def test_injected_errors_reach_a_no_retry_client(pdns, sim, arm, effect, status, code) -> None:
    sim.add_fault(FaultSpec(effect=effect, method="GET", api="Microsoft.Network/privateDnsZones", retry_after=7))
    with pytest.raises(HttpResponseError) as err:
        pdns.record_sets.get(RG, ZONE, "A", "app")
    assert err.value.status_code == status and err.value.error.code == code
    if effect != "server_error":
        assert arm.last("GET").headers["Retry-After"] == "7"
    assert pdns.record_sets.get(RG, ZONE, "A", "app").ttl == 60  # times=1: the next call goes through


def test_default_retry_policy_retries_a_429(make_client, zone, sim, arm) -> None:
    sim.add_fault(FaultSpec(effect="throttle", operation="RecordSets_Get", times=2, retry_after=0.01))
    client = PrivateDnsManagementClient(FakeCredential(), SUB)  # default retry settings
    assert client.record_sets.get(RG, ZONE, "A", "app").ttl == 60
    assert [e.status for e in arm if e.method == "GET"] == [429, 429, 200]
    sim.add_fault(FaultSpec(effect="throttle", operation="RecordSets_Get", times=1, retry_after=0.01))
    with pytest.raises(HttpResponseError) as err:
        make_client(PrivateDnsManagementClient).record_sets.get(RG, ZONE, "A", "app")
    assert err.value.status_code == 429


def test_latency_fault_costs_simulated_time(pdns, sim, clock) -> None:
    sim.add_fault(FaultSpec(effect="latency", path=r"/A/app$", latency_seconds=45))
    before = clock.now()
    pdns.record_sets.get(RG, ZONE, "A", "app")
    assert (clock.now() - before).total_seconds() == 45


def test_failed_create_lro(make_client, sim, polling, hooks) -> None:
    sim.add_fault(FaultSpec(effect="fail_lro", operation="ManagedClusters_CreateOrUpdate",
                            code="ReconcileVMSSAgentPoolFailed", message="quota exceeded"))
    aks = make_client(ContainerServiceClient)
    with pytest.raises(HttpResponseError) as err:
        aks.managed_clusters.begin_create_or_update(RG, "green", cluster_body(), polling=polling()).result()
    assert "ReconcileVMSSAgentPoolFailed" in str(err.value)
    cluster = aks.managed_clusters.get(RG, "green")
    assert cluster.provisioning_state == "Failed"
    assert hooks.events == []


def test_failed_stop_lro_via_location(make_client, sim, polling, hooks) -> None:
    sim.seed_cluster(SUB, RG, "blue", location=LOCATION, version="1.30", pools=POOLS)
    sim.add_fault(FaultSpec.from_dict({"effect": "fail_lro", "operation": "ManagedClusters_Stop"}))
    aks = make_client(ContainerServiceClient)
    with pytest.raises(HttpResponseError) as err:
        aks.managed_clusters.begin_stop(RG, "blue", polling=polling()).result()
    assert "InternalOperationError" in str(err.value)
    assert aks.managed_clusters.get(RG, "blue").power_state.code == "Running"
    assert [e[0] for e in hooks.events] == ["created"]


def test_fault_spec_from_dict() -> None:
    spec = FaultSpec.from_dict({"effect": "throttle", "method": "put", "service": "Microsoft.Cdn/profiles",
                                "retryAfter": "3", "times": 2})
    assert (spec.api, spec.retry_after, spec.times) == ("Microsoft.Cdn/profiles", 3.0, 2)
    assert spec.matches("PUT", "/x", "microsoft.cdn/profiles", "AFDOrigins_Create", lro=True)
    assert not spec.matches("GET", "/x", "Microsoft.Cdn/profiles", "AFDOrigins_Get", lro=False)
    for bad, field in (({"effect": "explode"}, "effect"), ({"effect": "throttle", "colour": 1}, "colour"),
                       ({"method": "GET"}, "effect"), ({"effect": "latency"}, "latency_seconds"),
                       ({"effect": "throttle", "path": "("}, "path")):
        with pytest.raises(PlaybookError) as err:
            FaultSpec.from_dict(bad)
        assert field in str(err.value)


def test_mutations_counted_after_being_applied(pdns, sim) -> None:
    seen: list[tuple[str, Any]] = []

    def on_mutation(api: str) -> None:
        rows = {r["name"]: r for r in sim.records()}
        seen.append((api, rows["app"]["ttl"]))

    sim.on_mutation = on_mutation
    pdns.record_sets.get(RG, ZONE, "A", "app")
    pdns.record_sets.update(RG, ZONE, "A", "app", {"properties": {"ttl": 5}})
    with pytest.raises(HttpResponseError):
        pdns.record_sets.update(RG, ZONE, "A", "app", {"properties": {"ttl": -1}})
    assert seen == [("Microsoft.Network/privateDnsZones", 5)]
    assert sim.mutation_counts == {"Microsoft.Network/privateDnsZones": 1}


def test_state_round_trips_and_restored_simulator_carries_on(make_client, sim, clock, polling, zone) -> None:
    sim.seed_subnet(SUB, RG, "vnet", "nodes", prefix="10.1.0.0/22", used_ips=7)
    sim.seed_traffic_manager(SUB, RG, "tm", endpoints=[{"name": "blue", "target": "b.example", "weight": 10}])
    sim.seed_front_door(SUB, RG, "fd", "og", origins=[{"name": "blue", "hostName": "b.example", "weight": 10}])
    sim.seed_cluster(SUB, RG, "blue", location=LOCATION, version="1.29.9", pools=POOLS, running=False)
    sim.add_fault(FaultSpec(effect="throttle", method="DELETE", times=3))
    aks = make_client(ContainerServiceClient)
    aks.managed_clusters.begin_create_or_update(RG, "green", cluster_body(), polling=False)

    state = sim.to_state()
    assert json.loads(json.dumps(state)) == state
    hooks = RecordingHooks()
    restored = ArmSimulator(clock, hooks, state)
    assert restored.to_state() == state
    assert restored.clusters() == sim.clusters()
    assert restored.records() == sim.records() and restored.weights() == sim.weights()
    assert {c["name"]: (c["powerState"], c["provisioningState"]) for c in restored.clusters()} == {
        "blue": ("Stopped", "Succeeded"), "green": ("Running", "Creating")}

    clock.advance(600)
    restored.settle()
    assert hooks.events == [("created", f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
                                        "Microsoft.ContainerService/managedClusters/green", "green", "1.30.2")]
    assert restored.to_state()["faults"][0]["times"] == 3


def test_set_power_is_immediate_and_fires_hook(sim, hooks) -> None:
    rid = sim.seed_cluster(SUB, RG, "blue", location=LOCATION, version="1.30", pools=POOLS)
    sim.set_power(rid, False)
    assert hooks.events[-1] == ("power", rid, False)
    assert sim.clusters()[0]["powerState"] == "Stopped"
    assert sim.mutation_counts == {}
