"""Conformance: the archive and the simulated world on ../shared's public manifests.

Main-suite twins: tests/unit/test_archive.py and tests/sim/ on tests/data/manifests.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import yaml
from sim.sim_helpers import make_spec

from bluegreen.archive import read_archive, write_archive
from bluegreen.sim.clock import SimClock
from bluegreen.sim.manifests import load_seed_objects
from bluegreen.sim.world import World

BOUTIQUE = "microservices-demo-kubernetes-manifests.yaml"
CRON = "descheduler-cronjob.yaml"


def test_every_corpus_file_round_trips_through_an_archive(tmp_path: Path, corpus: Path) -> None:
    objects = []
    for number, file in enumerate(sorted(corpus.glob("*.yaml"))):
        for doc in (d for d in yaml.safe_load_all(file.read_text()) if d):
            if doc["kind"] not in ("StorageClass", "Namespace", "ClusterRole"):
                doc.setdefault("metadata", {})["namespace"] = f"ns{number}"
            objects.append(doc)
    info = write_archive(tmp_path, "aks-blue", objects, clock=SimClock(datetime(2026, 3, 14, tzinfo=timezone.utc)))
    assert read_archive(info.path) == objects
    assert info.objects == len(objects) > 60


def test_seed_objects_from_corpus_files_and_folders(corpus: Path) -> None:
    objects = load_seed_objects([BOUTIQUE], corpus, "f")
    assert sum(o["kind"] == "Deployment" for o in objects) == 12
    assert len(load_seed_objects(["."], corpus, "f")) > len(objects)


def test_world_seeded_from_the_corpus_resolves_addresses(tmp_path: Path, corpus: Path) -> None:
    World.create(tmp_path / "w", make_spec(BOUTIQUE, CRON, lb_service="default/frontend-external"), corpus)
    with World.open(tmp_path / "w") as world:
        view = world.show()
        lb = next(o for o in world.cluster("aks-blue").objects()
                  if o["kind"] == "Service" and o["metadata"]["name"] == "frontend-external")
    www = next(r for r in view["records"] if r["name"] == "www")
    assert www["values"] == [lb["status"]["loadBalancer"]["ingress"][0]["ip"]]
    assert sum(o["kind"] == "Deployment" for o in view["objects"]["aks-blue"]) == 12
    cron = next(o for o in view["objects"]["aks-blue"] if o["kind"] == "CronJob")
    assert (cron["namespace"], cron["name"], cron["suspend"]) == ("kube-system", "descheduler-cronjob", False)
