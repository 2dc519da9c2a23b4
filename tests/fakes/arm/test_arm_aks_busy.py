"""The fake AKS serialises a cluster's operations as AKS does, through the real ContainerServiceClient.

While an operation runs (a tag update or PUT: Updating for a simulated while; a stop: Stopping), every
other mutation gets AKS's 409 OperationNotAllowed "Another operation (<state>) is in progress"; once
the operation's time has passed, the same request goes through. A delete of a cluster already being
deleted gets 409 too. A stop whose operation fails leaves the cluster Running/Failed, and only a
reconcile (a PUT of its own model) brings it back to Succeeded so that it can be stopped again.
"""

from __future__ import annotations

from typing import Any

import pytest
from arm_helpers import RG
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError
from azure.mgmt.containerservice import ContainerServiceClient
from test_arm_aks import create

from bluegreen.azure.aks import ManagedClusterInfo, reconcile_body
from bluegreen.sim.arm import FaultSpec

BUSY_MESSAGE = ("Operation is not allowed: Another operation ({state}) is in progress, please wait for it to finish "
                "before starting a new operation. See https://aka.ms/aks-pending-operation for more details.")


@pytest.fixture
def aks(make_client: Any) -> ContainerServiceClient:
    return make_client(ContainerServiceClient)


def _refused(call: Any) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as err:
        call()
    return err.value


@pytest.mark.parametrize("first", ["tags", "put"])
def test_mutations_while_updating_get_the_409_until_the_update_ends(aks, polling, arm, clock, first) -> None:
    created = create(aks, polling)
    ops = aks.managed_clusters
    if first == "tags":
        ops.begin_update_tags(RG, "green", {"tags": {"a": "b"}}, polling=False)
    else:
        body = reconcile_body(ManagedClusterInfo.from_arm(created.as_dict()).raw)
        ops.begin_create_or_update(RG, "green", body, polling=False)
    assert ops.get(RG, "green").provisioning_state == "Updating"
    for attempt in (lambda: ops.begin_update_tags(RG, "green", {"tags": {"c": "d"}}, polling=False),
                    lambda: ops.begin_stop(RG, "green", polling=False),
                    lambda: ops.begin_start(RG, "green", polling=False)):
        error = _refused(attempt)
        assert error.status_code == 409
        answer = arm.last().json()["error"]
        assert (answer["code"], answer["message"]) == ("OperationNotAllowed", BUSY_MESSAGE.format(state="Updating"))
    clock.advance(300)
    assert ops.get(RG, "green").provisioning_state == "Succeeded"
    ops.begin_update_tags(RG, "green", {"tags": {"c": "d"}}, polling=polling()).result()


def test_a_second_stop_or_delete_while_one_runs_is_409(aks, polling, arm, clock) -> None:
    create(aks, polling)
    ops = aks.managed_clusters
    ops.begin_stop(RG, "green", polling=False)
    assert _refused(lambda: ops.begin_stop(RG, "green", polling=False)).status_code == 409
    assert arm.last().json()["error"]["message"] == BUSY_MESSAGE.format(state="Stopping")
    clock.advance(180)
    ops.begin_delete(RG, "green", polling=False)
    error = _refused(lambda: ops.begin_delete(RG, "green", polling=False))
    assert error.status_code == 409 and "already being deleted" in arm.last().json()["error"]["message"]


def test_a_failed_stop_leaves_running_failed_until_a_reconcile(aks, polling, arm, sim) -> None:
    create(aks, polling)
    ops = aks.managed_clusters
    sim.add_fault(FaultSpec(effect="fail_lro", operation="ManagedClusters_Stop"))
    with pytest.raises(HttpResponseError):
        ops.begin_stop(RG, "green", polling=polling()).result()
    failed = ops.get(RG, "green")
    assert (failed.power_state.code, failed.provisioning_state) == ("Running", "Failed")
    assert _refused(lambda: ops.begin_stop(RG, "green", polling=False)).status_code == 409
    body = reconcile_body(ManagedClusterInfo.from_arm(failed.as_dict()).raw)
    ops.begin_create_or_update(RG, "green", body, etag=failed.e_tag, match_condition=MatchConditions.IfNotModified,
                              polling=polling()).result()
    assert ops.get(RG, "green").provisioning_state == "Succeeded"
    ops.begin_stop(RG, "green", polling=polling()).result()
    assert ops.get(RG, "green").power_state.code == "Stopped"
