"""Plan data and journal: JSON round trip, fingerprint drift by owner, atomic journal, exclusive lock."""

from __future__ import annotations

import json
import multiprocessing
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bluegreen.errors import LockHeldError
from bluegreen.journal import Journal, JournalStore
from bluegreen.plan import Action, Check, FingerprintEntry, Plan, StepPlan, fingerprint_drift

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def _plan() -> Plan:
    return Plan(
        playbook="shop",
        playbook_digest="abc",
        created_at=NOW.isoformat(),
        steps=(
            StepPlan("switch", actions=(Action("switch/record", "set_record", "shop.x A", "point at green",
                                               before={"values": ["10.0.0.1"], "etag": "e1"},
                                               after={"values": ["10.0.0.2"]}, eta_seconds=5),),
                     checks=(Check("record", True, "ok"),)),
        ),
        fingerprint={"azure/record/x": FingerprintEntry("e1", "switch"),
                     "azure/cluster/green": FingerprintEntry("(absent)", "provision")},
    )


def test_plan_round_trips_through_json() -> None:
    plan = _plan()
    again = Plan.from_dict(json.loads(plan.to_json()))
    assert again == plan
    assert again.id == plan.id
    assert plan.eta_seconds == 5


def test_drift_reports_what_moved() -> None:
    plan = _plan()
    now = dict(plan.fingerprint)
    now["azure/record/x"] = FingerprintEntry("e2", "switch")
    assert fingerprint_drift(plan.fingerprint, now, set()) == ["azure/record/x: was e1, now e2"]


def test_drift_ignores_what_our_own_started_steps_changed() -> None:
    plan = _plan()
    now = dict(plan.fingerprint)
    now["azure/cluster/green"] = FingerprintEntry("etag-1 Succeeded Running", "provision")
    assert fingerprint_drift(plan.fingerprint, now, {"provision"}) == []
    assert fingerprint_drift(plan.fingerprint, now, set()) != []


def test_journal_saves_atomically_and_privately(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, "shop")
    journal = Journal(playbook="shop")
    journal.actions["redeploy/apply/x"] = NOW.isoformat()
    store.save(journal)
    assert store.load().actions == journal.actions
    assert (store.path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in store.directory.iterdir()] == ["journal.json"]


def _hold_lock(directory: str, ready, release) -> None:  # type: ignore[no-untyped-def]
    with JournalStore(Path(directory), "shop").locked(NOW):
        ready.set()
        release.wait(10)


def test_second_run_gets_lock_held_at_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(LockHeldError, match=f"pid {holder.pid}"), JournalStore(tmp_path, "shop").locked(NOW):
            pass
    finally:
        release.set()
        holder.join(10)
    with JournalStore(tmp_path, "shop").locked(NOW):
        pass
