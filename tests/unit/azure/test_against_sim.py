"""The thin clients driven against the ARM simulator (bluegreen.sim.arm), the same fakes the demo uses.

Skipped only while the simulator module is not importable (it is being written alongside these clients).
"""

from __future__ import annotations

import pytest
import responses

sim_mod = pytest.importorskip("bluegreen.sim.arm.simulator")

from bg_azure_testkit import SUB  # noqa: E402

from bluegreen.azure.aks import AksClient  # noqa: E402
from bluegreen.azure.aks_clone import green_cluster_body  # noqa: E402
from bluegreen.azure.dns import PrivateDnsRecords  # noqa: E402
from bluegreen.errors import PermanentRemoteError, PreconditionFailedError  # noqa: E402
from bluegreen.sim.arm.core.faults import FaultSpec  # noqa: E402
from bluegreen.sim.arm.hooks import NullHooks  # noqa: E402

POOLS = [{"name": "system", "mode": "System", "count": 3, "vmSize": "Standard_D4s_v5", "maxPods": 30}]


@pytest.fixture
def sim(clock):
    simulator = sim_mod.ArmSimulator(clock, NullHooks())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        simulator.install(mock)
        yield simulator


def _seed_blue(sim) -> None:
    sim.seed_kubernetes_versions("eastus", ["1.29.7", "1.30.4"])
    sim.seed_cluster(
        SUB,
        "rg1",
        "blue",
        location="eastus",
        version="1.29.7",
        pools=POOLS,
        network_plugin="azure",
        network_plugin_mode="overlay",
    )


def test_ten_minute_create_completes_on_the_sim_clock_without_real_waits(sim, ctx, clock, no_real_sleep):
    _seed_blue(sim)
    sim.durations["aks.create"] = 600
    aks = AksClient(ctx)
    blue = aks.get("rg1", "blue")
    assert blue is not None
    body = green_cluster_body(blue.raw, name="green", kubernetes_version="1.30.4")
    start = clock.now()
    green = aks.create_or_update("rg1", "green", body, if_none_match=True)
    assert green.provisioning_state == "Succeeded"
    assert green.kubernetes_version and green.kubernetes_version.startswith("1.30")
    assert (clock.now() - start).total_seconds() >= 600


def test_throttled_get_is_retried_after_retry_after(sim, ctx, clock):
    _seed_blue(sim)
    sim.add_fault(FaultSpec(effect="throttle", method="GET", operation="ManagedClusters_Get", retry_after=20))
    start = clock.now()
    assert AksClient(ctx).get("rg1", "blue") is not None
    assert (clock.now() - start).total_seconds() >= 20


def test_failed_create_is_permanent_and_names_the_cluster(sim, ctx):
    _seed_blue(sim)
    sim.add_fault(
        FaultSpec(
            effect="fail_lro",
            operation="ManagedClusters_CreateOrUpdate",
            code="QuotaExceeded",
            message="Insufficient regional vcpu quota",
        )
    )
    aks = AksClient(ctx)
    blue = aks.get("rg1", "blue")
    assert blue is not None
    with pytest.raises(PermanentRemoteError) as err:
        aks.create_or_update(
            "rg1", "green", green_cluster_body(blue.raw, name="green", kubernetes_version="1.30.4")
        )
    assert "green" in str(err.value)
    assert err.value.code == "QuotaExceeded"


def test_concurrent_record_edit_is_refused_and_theirs_is_kept(sim, ctx):
    sim.seed_private_zone(SUB, "dns", "corp.internal")
    sim.seed_record(
        private=True,
        subscription=SUB,
        resource_group="dns",
        zone="corp.internal",
        name="app",
        type="A",
        values=["10.0.0.4"],
        ttl=60,
    )
    records = PrivateDnsRecords(ctx)
    ours = records.get("dns", "corp.internal", "app", "A")
    theirs = records.get("dns", "corp.internal", "app", "A")
    assert ours is not None and theirs is not None
    records.set_values(theirs, ["10.0.0.99"])  # someone else edits first
    with pytest.raises(PreconditionFailedError):
        records.set_values(ours, ["10.1.0.4"])
    now = records.get("dns", "corp.internal", "app", "A")
    assert now is not None and now.values == ("10.0.0.99",)
