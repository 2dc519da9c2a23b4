"""Pure pieces behind issue 7 items 1-4 and 19.

Covers: the plan digest ignores layout and key order but nothing else; Identity names each changed field;
a record without identity or run id (format 2) gets a run id and stays unbound until bound; a Blocker
stops its step and every later one only; `verify_archived` judges a legacy archive (no run id) by its
objects' uids and refuses another run's archive.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from bluegreen.archive import NotArchivedError, verify_archived, write_archive
from bluegreen.errors import TamperedPlanError
from bluegreen.plan import Blocker, plan_digest, seal, verify_digest
from bluegreen.record import Identity, RunRecord


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)

    def sleep(self, seconds: float) -> None:
        raise NotImplementedError


def test_the_digest_covers_content_not_layout() -> None:
    data = seal({"format": 2, "steps": [{"name": "switch", "actions": []}], "fingerprint": {"a": 1}})
    verify_digest(json.loads(json.dumps(data, indent=4, sort_keys=True)))
    assert plan_digest({"fingerprint": {"a": 1}, "steps": [{"actions": [], "name": "switch"}], "format": 2}) \
        == data["digest"]
    with pytest.raises(TamperedPlanError, match="changed after it was saved"):
        verify_digest(dict(data, steps=[]))
    with pytest.raises(TamperedPlanError, match="no digest"):
        verify_digest({k: v for k, v in data.items() if k != "digest"})


def test_identity_names_what_changed() -> None:
    one = Identity("shop", "sub", "rg/blue", "rg/green", "private_dns rg/zone/A/shop")
    other = Identity("shop", "sub", "rg/blue", "rg/green-2", "private_dns rg/zone/A/www")
    assert one.changes(other) == ["green: rg/green -> rg/green-2",
                                  "switch: private_dns rg/zone/A/shop -> private_dns rg/zone/A/www"]
    assert one.changes(one) == []


def test_a_format_2_record_gets_a_run_id_and_no_identity() -> None:
    record = RunRecord.from_dict({"format": 2, "playbook": "shop", "steps": {"provision": {
        "status": "done", "actions": {"provision/cluster": "t"}}}, "facts": {"green_id": "x"}})
    assert record.identity is None and len(record.run_id) == 32 and record.changed_anything
    again = RunRecord.from_dict(json.loads(json.dumps(record.to_dict())))
    assert again.run_id == record.run_id and again.format == 3
    assert not RunRecord(playbook="shop").changed_anything


def test_a_blocker_stops_its_step_and_the_later_ones() -> None:
    blocker = Blocker("timers", "a CronJob outside", applies_from="switch")
    assert [s for s in ("preflight", "smoke", "switch", "decommission") if blocker.applies_to(s)] == \
        ["switch", "decommission"]


def _obj(kind: str, name: str, uid: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "shop", "uid": uid}}


def test_verify_archived_by_run_and_uid(tmp_path: Path) -> None:
    objects = [_obj("ConfigMap", "a", "u1"), _obj("Service", "b", "u2")]
    mine = write_archive(tmp_path / "x", "aks-blue", objects, clock=_Clock(), run_id="0123abcd" * 4)
    verify_archived(mine.path, "0123abcd" * 4, [("ConfigMap", "shop", "a", "u1"), ("Service", "shop", "b", None)])
    with pytest.raises(NotArchivedError, match=r"does not hold ConfigMap/shop/a \(uid u9\), Secret/shop/c"):
        verify_archived(mine.path, "0123abcd" * 4, [("ConfigMap", "shop", "a", "u9"), ("Secret", "shop", "c", None)])
    with pytest.raises(NotArchivedError, match="written by another run"):
        verify_archived(mine.path, "ffffffff" * 4, [("ConfigMap", "shop", "a", "u1")])
    legacy = write_archive(tmp_path / "y", "aks-blue", objects, clock=_Clock())  # before run ids
    verify_archived(legacy.path, "ffffffff" * 4, [("ConfigMap", "shop", "a", "u1")])
    with pytest.raises(NotArchivedError, match="ConfigMap/shop/a"):
        verify_archived(legacy.path, "ffffffff" * 4, [("ConfigMap", "shop", "a", "another-uid")])
