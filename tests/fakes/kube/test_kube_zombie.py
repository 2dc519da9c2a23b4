"""Acceptance 3: the zombie timer incident (field notes section 2), both outcomes."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from kube_helpers import World, load_manifests
from kubernetes import client

from bluegreen.sim.kube.cluster import ClusterBehaviour


def _cronjob_world() -> World:
    world = World(behaviour=ClusterBehaviour(pod_ready_seconds=5, job_seconds=30))
    companions = Path(__file__).resolve().parents[2] / "data" / "janitor-companions.yaml"
    world.cluster.load_objects([*load_manifests("janitor-cronjob.yaml"),
                                *[d for d in yaml.safe_load_all(companions.read_text()) if d]])
    return world


def _refused(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def fired(world: World) -> list[dict]:
    return [e for e in world.log if e["event"] == "fired"]


def test_stopped_cluster_with_cronjob_fires_again_when_started() -> None:
    world = _cronjob_world()
    try:
        world.clock.advance(300)
        assert len(fired(world)) == 2  # */2 over five minutes
        url = world.cluster.server_url
        world.cluster.stop()
        assert _refused(url)
        before = len(fired(world))
        world.clock.advance(24 * 3600)  # months, in spirit: nothing runs while stopped
        assert len(fired(world)) == before
        world.cluster.start()  # "an unrelated Terraform change started it again"
        world.clock.advance(600)
        late = fired(world)[before:]
        assert late, "the zombie CronJob should fire after the restart"
        assert all(e["cluster"] == "blue" and e["cronjob"] == "node-janitor" for e in late)
        assert all(e["time"] > "2026-01-02" for e in late)
        # its Jobs really run: pods are created by the Job controller
        core = world.cluster.summary()
        assert any(r["kind"] == "Job" for r in core)
    finally:
        world.close()


def test_cronjob_deleted_before_stop_never_fires_again() -> None:
    world = _cronjob_world()
    try:
        world.clock.advance(150)
        assert len(fired(world)) == 1
        client.BatchV1Api(world.api_client()).delete_namespaced_cron_job(
            "node-janitor", "kube-system", propagation_policy="Background")
        world.cluster.stop()
        world.clock.advance(24 * 3600)
        world.cluster.start()
        world.clock.advance(600)
        assert len(fired(world)) == 1
        events = [e["event"] for e in world.log]
        assert events == ["activated", "fired", "deactivated"]
        seqs = [e["seq"] for e in world.log]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    finally:
        world.close()


@pytest.mark.parametrize("suspend_first", [True])
def test_suspend_is_logged_as_deactivation(suspend_first: bool) -> None:
    world = _cronjob_world()
    try:
        cj = load_manifests("janitor-cronjob.yaml")[0]
        cj["spec"]["suspend"] = suspend_first
        world.cluster.load_objects([cj])
        world.clock.advance(600)
        assert not fired(world)
        assert [e["event"] for e in world.log] == ["activated", "deactivated"]
    finally:
        world.close()


def test_a_long_stop_starts_only_the_most_recent_missed_run() -> None:
    """The v2 CronJob controller starts one Job for the latest missed schedule, however many were missed."""
    world = _cronjob_world()
    try:
        world.clock.advance(120)
        world.cluster.stop()
        world.clock.advance(30 * 24 * 3600)  # 21,600 missed */2 schedules
        before = len(fired(world))
        world.cluster.start()
        world.clock.advance(59)  # less than one schedule period: only the catch-up run may start
        catch_up = fired(world)[before:]
        assert len(catch_up) == 1, catch_up
        world.clock.advance(240)  # then the normal cadence: two more over four minutes
        assert len(fired(world)[before:]) == 3
    finally:
        world.close()
