"""Plan data and run record: JSON round trip with typed parameters, unknown kinds refused, fingerprint drift
by owner, the run record's format (migration from format 1, newer formats refused), atomic saves, exclusive lock.
"""

from __future__ import annotations

import json
import multiprocessing
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bluegreen.actions import Action, Apply, Sealed, SetRecord
from bluegreen.errors import LockHeldError, RecordFormatError
from bluegreen.journal import JournalStore
from bluegreen.plan import Check, FingerprintEntry, Plan, StepPlan, fingerprint_drift, seal
from bluegreen.record import DONE, FAILED, PAUSED, RECORD_FORMAT, RunRecord

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def _plan() -> Plan:
    return Plan(
        playbook="shop",
        playbook_digest="abc",
        created_at=NOW.isoformat(),
        steps=(
            StepPlan("switch", actions=(Action("switch/record",
                                               SetRecord("rg", "x", "shop", "A", "10.0.0.1", "10.0.0.2", "green"),
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
    action = again.steps[0].actions[0]
    assert isinstance(action.params, SetRecord) and action.params.value == "10.0.0.2"
    assert action.summary == "point shop.x A at green: 10.0.0.1 -> 10.0.0.2"  # derived from the parameters


def test_a_saved_plan_with_an_unknown_action_kind_is_refused() -> None:
    data = json.loads(_plan().to_json())
    data["steps"][0]["actions"][0]["kind"] = "reboot_the_internet"
    with pytest.raises(ValueError, match="unknown action kind 'reboot_the_internet'.*make a new plan"):
        Plan.from_dict(seal(data))  # re-sealed: the kind, not the digest, is what is refused


def test_object_bodies_are_never_saved_with_a_plan() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"},
              "data": {"password": "aHVudGVyMg=="}}
    action = Action("redeploy/apply/shop/Secret/db", Apply("green", "Secret", "shop", "db", False, Sealed(secret)))
    text = json.dumps(action.to_dict())
    assert "aHVudGVyMg" not in text and "aHVudGVyMg" not in repr(action)
    assert Action.from_dict(json.loads(text)).params == action.params  # the body is no part of its identity


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
    record = RunRecord(playbook="shop")
    record.step("redeploy").actions["redeploy/apply/x"] = NOW.isoformat()
    record.learn({"green_ingress_ip": "10.0.0.2"})
    store.save(record)
    assert store.load() == record
    assert json.loads(store.path.read_text())["format"] == RECORD_FORMAT
    assert (store.path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in store.directory.iterdir()] == ["journal.json"]


def test_a_format_1_journal_is_migrated(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, "shop")
    store.directory.mkdir(parents=True)
    store.path.write_text(json.dumps({
        "playbook": "shop", "plan_id": "p1",
        "steps": {"redeploy": {"status": "done"}, "switch": {"status": "done"}, "decommission": {"status": "failed"}},
        "actions": {"redeploy/apply/x": "t1", "switch/record": "t2", "decommission/begun": "t3"},
        "facts": {"redeploy_source": "digest", "switched_to": "10.0.0.2", "record_ttl": 60},
    }))
    record = store.load()
    assert record.format == RECORD_FORMAT and record.plan_id == "p1"
    assert record.finished("redeploy") == {"redeploy/apply/x": "t1"}
    assert record.finished("switch") == {"switch/record": "t2"}
    assert record.step("redeploy").basis == "digest" and record.status("switch") == DONE
    assert record.facts.decommission_begun == "t3" and record.finished("decommission") == {}
    assert (record.facts.switched_to, record.facts.record_ttl) == ("10.0.0.2", 60)


@pytest.mark.parametrize("fmt", [1, RECORD_FORMAT])
def test_a_shift_journalled_as_failed_while_it_waited_for_promote_loads_as_paused(tmp_path: Path, fmt: int) -> None:
    store = JournalStore(tmp_path, "shop")
    store.directory.mkdir(parents=True)
    waiting = {"steps": {"switch": {"status": "failed"}}, "facts": {"shift_reached": 25, "shift_paused_at": 25}}
    store.path.write_text(json.dumps({"playbook": "shop", **({"format": fmt} if fmt > 1 else {}), **waiting}))
    assert store.load().status("switch") == PAUSED
    failed = {"steps": {"switch": {"status": "failed"}},
              "facts": {"shift_reached": 50, "shift_paused_at": 50, "shift_failed": "failed at 50%: x"}}
    store.path.write_text(json.dumps({"playbook": "shop", "format": RECORD_FORMAT, **failed}))
    assert store.load().status("switch") == FAILED  # a failed gate stays failed


def test_a_journal_of_a_newer_format_is_refused_saying_what_to_do(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, "shop")
    store.directory.mkdir(parents=True)
    store.path.write_text(json.dumps({"format": RECORD_FORMAT + 1, "playbook": "shop"}))
    with pytest.raises(RecordFormatError, match="run the bluegreen version that wrote it"):
        store.load()


def test_resetting_a_step_forgets_what_it_established() -> None:
    record = RunRecord(playbook="shop")
    record.step("smoke").status = DONE
    record.learn({"smoked_address": "10.0.0.2", "green_ingress_ip": "10.0.0.2"})
    record.reset("smoke")
    assert record.status("smoke") == "pending"
    assert (record.facts.smoked_address, record.facts.green_ingress_ip) == (None, "10.0.0.2")


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
