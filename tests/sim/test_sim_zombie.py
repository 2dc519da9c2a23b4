"""The zombie timer incident (field notes section 2), replayed through the world API and through `bluegreen sim`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from bluegreen_cli.sim_cmd import app
from kubernetes import client as k8s
from typer.testing import CliRunner

from bluegreen.sim.world import World

from .sim_helpers import CRON, CRON_DEPS, MANIFESTS, fired, kube_api, make_spec, refuses_connections

runner = CliRunner()


def _delete_cronjob(world: World) -> None:
    """Through the real Kubernetes client and the cluster's API server, as decommission would."""
    api = kube_api(world.kubeconfigs()["aks-blue"])
    k8s.BatchV1Api(api).delete_namespaced_cron_job("node-janitor", "kube-system")
    assert k8s.BatchV1Api(api).list_namespaced_cron_job("kube-system").items == []


@pytest.mark.parametrize("delete_first", [False, True])
def test_zombie_through_the_world_api(tmp_path: Path, delete_first: bool):
    World.create(tmp_path / "w", make_spec(CRON, CRON_DEPS), MANIFESTS)
    with World.open(tmp_path / "w") as world:
        if delete_first:
            _delete_cronjob(world)
        url = world.show()["clusters"][0]["server_url"]
        world.stop_cluster("aks-blue")
        view = world.show()
        assert view["clusters"][0]["power_state"] == "Stopped"
        assert view["clusters"][0]["server_url"] is None
        assert refuses_connections(url)
    with World.open(tmp_path / "w") as world:  # months later, in another invocation
        assert world.show()["clusters"][0]["server_url"] is None
        world.advance(3 * 86400)
        assert fired(world.execution_log) == []  # a stopped cluster runs nothing
        world.start_cluster("aks-blue")
        restarted = world.show()["time"]
        world.advance(2 * 3600)
        view = world.show()
    assert view["clusters"][0]["power_state"] == "Running"
    runs = fired(view["executions"], after=restarted)
    if delete_first:
        assert fired(view["executions"]) == []
    else:
        assert len(runs) >= 50  # every two minutes for two hours
        assert {(r["cluster"], r["namespace"], r["cronjob"]) for r in runs} == {
            ("aks-blue", "kube-system", "node-janitor")}
        assert [r["seq"] for r in view["executions"]] == list(range(1, len(view["executions"]) + 1))


@pytest.mark.parametrize("delete_first", [False, True])
def test_zombie_through_the_cli(tmp_path: Path, delete_first: bool):
    book = tmp_path / "playbook.yaml"
    manifest = os.path.relpath(MANIFESTS / CRON, tmp_path)  # relative to the playbook, read from tests/data
    book.write_text(
        "name: shop\nsimulation:\n  start: '2026-03-01T08:00:00Z'\n"
        f"  blue: {{name: aks-blue, resource_group: rg-shop, version: 1.29.9, manifests: ['{manifest}', "
        f"'{CRON_DEPS}']}}\n"
    )
    world = str(tmp_path / "world")

    def sim(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    sim("init", world, "--playbook", str(book))
    if delete_first:
        with World.open(Path(world)) as opened:
            _delete_cronjob(opened)
    before = json.loads(sim("show", world, "--output", "json"))
    url = before["clusters"][0]["server_url"]
    sim("stop-cluster", world, "aks-blue")
    assert refuses_connections(url)
    sim("advance", world, "1d")
    sim("start-cluster", world, "aks-blue")
    restarted = json.loads(sim("show", world, "--output", "json"))["time"]
    assert restarted == "2026-03-02T08:00:00Z"
    assert "2026-03-02T10:00:00" in sim("advance", world, "2h")
    view = json.loads(sim("show", world, "--output", "json"))
    assert view["time"] == "2026-03-02T10:00:00Z"
    if delete_first:
        assert fired(view["executions"]) == []
    else:
        assert len(fired(view["executions"], after=restarted)) >= 50
    text = sim("show", world)
    assert "aks-blue" in text and "CronJob executions" in text


def test_cli_unknown_cluster_is_bad_input(tmp_path: Path):
    World.create(tmp_path / "w", make_spec(), MANIFESTS)
    result = runner.invoke(app, ["stop-cluster", str(tmp_path / "w"), "aks-green"])
    assert result.exit_code == 2
    assert "aks-green" in result.output and "aks-blue" in result.output


def test_serve_writes_a_kubeconfig_that_reaches_every_running_cluster(tmp_path: Path):
    import signal
    import subprocess
    import sys

    World.create(tmp_path / "w", make_spec(CRON, CRON_DEPS), MANIFESTS)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'cli'}"}
    server = subprocess.Popen(
        [sys.executable, "-c", "from bluegreen_cli.sim_cmd import app; app()", "serve", str(tmp_path / "w"),
         "--speed", "0"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert server.stderr is not None
        assert "written to" in server.stderr.readline()
        kubeconfig = (tmp_path / "w" / "kubeconfig").read_bytes()
        jobs = k8s.BatchV1Api(kube_api(kubeconfig)).list_namespaced_cron_job("kube-system").items
        assert [j.metadata.name for j in jobs] == ["node-janitor"]
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "current-context: aks-blue" in out
    with World.open(tmp_path / "w") as world:  # the lock was released and the world saved
        assert world.show()["time"] == "2026-03-01T08:00:00Z"
