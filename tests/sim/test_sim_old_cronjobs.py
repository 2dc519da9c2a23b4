"""Old simulated clusters serve CronJobs as old clusters do, and fire them (what issue 7 item 0's tests rely on).

A 1.20 server serves CronJobs only at batch/v1beta1 (batch's preferred version, v1, has Jobs only); 1.21
serves both and prefers batch/v1. The cron controller fires a CronJob created at batch/v1beta1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bluegreen.errors import PermanentRemoteError
from bluegreen.kube.client import KubeClient
from bluegreen.kube.discovery import select_kinds
from bluegreen.sim.world import World
from bluegreen.simulation_spec import SimulationSpec

from .sim_helpers import CRON, CRON_DEPS, MANIFESTS, fired, spec_dict


def _world(tmp_path: Path, version: str, api_version: str) -> Path:
    cronjob = (MANIFESTS / CRON).read_text().replace("apiVersion: batch/v1\n", f"apiVersion: {api_version}\n")
    (tmp_path / "cron.yaml").write_text(cronjob)
    data = spec_dict(str(tmp_path / "cron.yaml"), CRON_DEPS)
    data["blue"]["version"] = version
    data["kubernetes_versions"] = {"westeurope": {"versions": [version]}}
    World.create(tmp_path / "w", SimulationSpec.model_validate(data), MANIFESTS)
    return tmp_path / "w"


@pytest.mark.parametrize(("version", "served", "listed_at"), [
    ("1.20.15", {"batch/v1beta1"}, "batch/v1beta1"),
    ("1.21.14", {"batch/v1beta1", "batch/v1"}, "batch/v1"),
])
def test_cronjob_versions_served_and_fired(tmp_path: Path, version: str, served: set[str], listed_at: str) -> None:
    path = _world(tmp_path, version, "batch/v1beta1")
    with World.open(path) as world:
        kube = KubeClient.from_kubeconfig(world.cluster("aks-blue").kubeconfig(), clock=world.clock)
        resources = kube.served_resources()
        assert {r.api_version for r in resources if r.kind == "CronJob"} == served
        assert select_kinds(resources).version_of("batch", "CronJob") == listed_at
        (cronjob,) = kube.list(listed_at, "CronJob", "kube-system")
        assert cronjob["apiVersion"] == listed_at
        if "batch/v1" not in served:
            with pytest.raises(PermanentRemoteError, match="batch/v1 but no kind CronJob"):
                kube.list("batch/v1", "CronJob", "kube-system")
        start = world.show()["time"]
        world.advance(600)
        runs = fired(world.show()["executions"], after=start)
    assert len(runs) >= 4  # every two minutes
    assert {(r["cluster"], r["cronjob"]) for r in runs} == {("aks-blue", "node-janitor")}
