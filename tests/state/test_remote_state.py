"""Remote state against the real Azurite: the run record a blob written with If-Match, the lock a blob lease.

Aspects:
- resume on another agent after `kill -9` (another process, another state directory, the same blob);
- the lease race: two agents at once, one runs, the other exits 3 naming the holder;
- a lease left by a crashed agent is taken over once it expired, never while it lives;
- an ETag conflict on the run record (and If-None-Match on create) is refused naming the record;
- a lease whose renewal fails stops the run before its next write;
- the record lives only in the blob (no journal beside the playbook or in either agent's state directory).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobLeaseClient
from bluegreen_cli.app import app
from typer.testing import CliRunner

from bluegreen.errors import LockHeldError, RecordConflictError
from bluegreen.record import DONE, RunRecord
from bluegreen.sim.world import World
from bluegreen.state.blob import BlobStore
from bluegreen.state.location import StateLocation
from tests.scenarios.conftest import DEMO, Cutover
from tests.scenarios.endstate import Expect, check_end_state
from tests.state.conftest import Azurite

EXPECT = Expect(blue="aks-shop-blue", green="aks-shop-green", record="shop", namespaces=("shop", "jobs"))
AZURE_KEY_FRAGMENT = "Eby8vdM02xNOcqFl"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def _store(azurite: Azurite, container: str, **options: Any) -> BlobStore:
    return BlobStore(azurite.service(), StateLocation(azurite.account_url, container, "fleet/a"), "shop-1-31",
                     **options)


def _cutover(tmp_path: Path) -> Cutover:
    shutil.copy(DEMO / "playbook.yaml", tmp_path / "playbook.yaml")
    shutil.copytree(DEMO / "manifests", tmp_path / "manifests")
    cutover = Cutover(tmp_path)
    cutover.init()
    return cutover


def _agent(cutover: Cutover, azurite: Azurite, state_url: str, state_dir: Path, *args: str,
           world: Path | None = None) -> subprocess.Popen[str]:
    """`bluegreen run` as one pipeline agent would start it: its own process and state directory."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", **azurite.env())
    return subprocess.Popen(
        [sys.executable, "-m", "bluegreen_cli.app", "--simulate", str(world or cutover.world),
         "--state-dir", str(state_dir), "--state", state_url, "run", str(cutover.playbook), "--yes",
         "--output", "json", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)


def _remote_record(azurite: Azurite, container: str) -> dict[str, Any]:
    blob = azurite.service().get_blob_client(container, "fleet/a/shop-1-31/journal.json")
    return json.loads(blob.download_blob().readall())


def _no_local_journal(*directories: Path) -> None:
    for directory in directories:
        assert not directory.exists() or not list(directory.rglob("journal.json")), directory


# ---------------------------------------------------------------------------------------------- agents


@pytest.mark.slow
def test_run_killed_on_one_agent_is_resumed_on_another(azurite: Azurite, tmp_path: Path) -> None:
    container = azurite.new_container()
    url = f"{azurite.account_url}/{container}/fleet/a"
    cutover = _cutover(tmp_path)
    before = cutover.show()
    World.schedule_crash(cutover.world, after_mutations=4)  # kill -9 in the middle of redeploy
    first = _agent(cutover, azurite, url, tmp_path / "agent1")
    out, err = first.communicate(timeout=300)
    assert first.returncode == -signal.SIGKILL, (first.returncode, out[-2000:], err[-2000:])
    crashed_pid = first.pid
    record = _remote_record(azurite, container)
    assert record["steps"]["provision"]["status"] == DONE
    assert record["steps"]["redeploy"]["status"] != DONE

    # The dead agent's lease still lives: another agent is refused, naming the dead one, until it expires.
    early = _agent(cutover, azurite, url, tmp_path / "agent2")
    out, err = early.communicate(timeout=300)
    assert early.returncode == 3, out[-2000:] + err[-2000:]
    assert f"pid {crashed_pid}" in err and record["run_id"] in err, err

    azurite.advance(61)  # the crashed agent's 60 s lease runs out
    second = _agent(cutover, azurite, url, tmp_path / "agent2")
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, out[-3000:] + err[-3000:]
    journal = _remote_record(azurite, container)
    assert journal["run_id"] == record["run_id"]  # the same run, resumed
    assert all(journal["steps"][s]["status"] == DONE
               for s in ("preflight", "provision", "redeploy", "smoke", "switch", "decommission"))
    assert check_end_state(before, cutover.show(), journal, EXPECT) == []
    _no_local_journal(tmp_path / "agent1", tmp_path / "agent2", cutover.world / "state", tmp_path / ".bluegreen")


@pytest.mark.slow
def test_two_agents_race_for_the_lease(azurite: Azurite, tmp_path: Path) -> None:
    container = azurite.new_container()
    url = f"{azurite.account_url}/{container}/fleet/a"
    cutover = _cutover(tmp_path)
    first = _agent(cutover, azurite, url, tmp_path / "agent1", "--until", "redeploy")
    assert first.stdout is not None
    json.loads(first.stdout.readline())  # its first event: it holds the lease and is observing
    first.send_signal(signal.SIGSTOP)  # holds it still, so the race cannot end before the second agent asks
    try:
        # The second agent points at Azure itself (a simulated world is one process's at a time): the lease is
        # checked before anything else, so it is refused without a single request to Azure.
        env = dict(os.environ, PYTHONUNBUFFERED="1", AZURE_SUBSCRIPTION_ID="00000000-0000-0000-0000-000000000000",
                   **azurite.env())
        env.pop("BLUEGREEN_SIMULATE", None)
        second = subprocess.run(
            [sys.executable, "-m", "bluegreen_cli.app", "--state-dir", str(tmp_path / "agent2"), "--state", url,
             "run", str(cutover.playbook), "--yes", "--until", "redeploy"],
            capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == 3, second.stdout[-2000:] + second.stderr[-2000:]
    err = second.stderr
    assert f"pid {first.pid}" in err and "is being run by" in err and f"{container}/fleet/a/shop-1-31/lock" in err
    rest, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, rest[-2000:] + err1[-2000:]
    record = _remote_record(azurite, container)
    assert record["steps"]["redeploy"]["status"] == DONE
    assert record["run_id"] in err  # the holder named the run it was making
    _no_local_journal(tmp_path / "agent1", tmp_path / "agent2")


# ---------------------------------------------------------------------------------------------- the lease

_HOLD = """
import sys, time
from datetime import datetime, timezone
from azure.core.credentials import AzureNamedKeyCredential
from azure.storage.blob import BlobServiceClient
from bluegreen.state.blob import BlobStore
from bluegreen.state.location import StateLocation
url, container, key = sys.argv[1:4]
service = BlobServiceClient(url, credential=AzureNamedKeyCredential("devstoreaccount1", key))
store = BlobStore(service, StateLocation(url, container, "fleet/a"), "shop-1-31", lease_seconds=15)
store.load()
with store.locked(datetime.now(timezone.utc)):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_lease_expired_after_a_crash_is_taken_over(azurite: Azurite, tmp_path: Path) -> None:
    container = azurite.new_container()
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, azurite.account_url, container, azurite.env()["AZURE_STORAGE_KEY"]],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held", holder.stderr.read() if holder.stderr else ""
    holder.kill()  # kill -9: no release, its lease stays until it expires
    holder.wait(30)

    store = _store(azurite, container, lease_seconds=15)
    store.load()
    with pytest.raises(LockHeldError, match=rf"being run by .*pid {holder.pid}"), store.locked(NOW):
        pass
    azurite.advance(14)  # still live: never broken early
    with pytest.raises(LockHeldError), store.locked(NOW):
        pass
    azurite.advance(2)  # now past its 15 s
    with store.locked(NOW):
        assert f"pid {os.getpid()}" in store.holder()
        other = _store(azurite, container, lease_seconds=15)
        with pytest.raises(LockHeldError, match=rf"pid {os.getpid()}"), other.locked(NOW):
            pass
    # Released at the end: the next agent gets it at once.
    with _store(azurite, container).locked(NOW):
        pass


def test_a_live_run_keeps_its_lease_past_the_lease_duration(azurite: Azurite) -> None:
    container = azurite.new_container()
    store = _store(azurite, container, lease_seconds=15, renew_every=0.05)
    store.load()
    with store.locked(NOW):
        renewer = store._renewer
        assert renewer is not None
        for _ in range(3):  # 30 s of the emulator's time in all, renewed in between
            azurite.advance(10)
            seen = renewer.renewals
            assert _until(lambda seen=seen: renewer.renewals > seen + 1), "the lease was not renewed"
        with pytest.raises(LockHeldError, match=rf"pid {os.getpid()}"), _store(azurite, container).locked(NOW):
            pass
        assert not renewer.failed


def _until(condition: Any, seconds: float = 10) -> bool:
    """Wait for a background thread (the renewer works in real time, as the lease does)."""
    import threading

    pause = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return True
        pause.wait(0.01)
    return bool(condition())


def test_a_lost_lease_stops_the_run_before_its_next_write(azurite: Azurite) -> None:
    container = azurite.new_container()
    store = _store(azurite, container, lease_seconds=15, renew_every=0.05)
    record = store.load()
    with store.locked(NOW):
        store.save(record)
        lock = azurite.service().get_blob_client(container, "fleet/a/shop-1-31/lock")
        BlobLeaseClient(lock).break_lease(lease_break_period=0)  # somebody broke it: renewal fails
        assert store._renewer is not None and store._renewer.stopped.wait(10)
        with pytest.raises(LockHeldError, match="could not be renewed"):
            store.save(record)


# ---------------------------------------------------------------------------------------------- ETags


def test_a_record_changed_by_another_agent_is_refused(azurite: Azurite) -> None:
    container = azurite.new_container()
    first = _store(azurite, container)
    record = first.load()
    record.step("preflight").status = DONE
    first.save(record)  # created with If-None-Match: *

    mine, theirs = _store(azurite, container), _store(azurite, container)
    mine_record, their_record = mine.load(), theirs.load()
    their_record.step("provision").status = DONE
    theirs.save(their_record)
    mine_record.step("provision").status = "failed"
    with pytest.raises(RecordConflictError, match="changed by another agent since this run read it") as refused:
        mine.save(mine_record)
    assert "fleet/a/shop-1-31/journal.json" in str(refused.value) and container in str(refused.value)
    assert _remote_record(azurite, container)["steps"]["provision"]["status"] == DONE  # theirs kept
    # Read again, the same agent goes on from what the record holds now.
    again = mine.load()
    assert again.status("provision") == DONE
    again.step("redeploy").status = DONE
    mine.save(again)
    assert RunRecord.from_dict(_remote_record(azurite, container)).status("redeploy") == DONE


def test_a_record_created_by_another_agent_meanwhile_is_refused(azurite: Azurite) -> None:
    container = azurite.new_container()
    mine, theirs = _store(azurite, container), _store(azurite, container)
    mine_record, their_record = mine.load(), theirs.load()
    theirs.save(their_record)
    with pytest.raises(RecordConflictError, match="changed by another agent"):
        mine.save(mine_record)


def test_a_missing_container_is_named(azurite: Azurite) -> None:
    from bluegreen.errors import RemoteError

    store = _store(azurite, "no-such-container")
    with pytest.raises(RemoteError, match="container 'no-such-container' does not exist"), store.locked(NOW):
        pass


# ---------------------------------------------------------------------------------------------- selection


def test_the_playbooks_state_block_and_the_state_option(azurite: Azurite, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """`state:` in the playbook puts the record in the blob; `--state` overrides it; `status` reads it there."""
    monkeypatch.setenv("AZURE_STORAGE_KEY", azurite.env()["AZURE_STORAGE_KEY"])
    in_playbook, on_command_line = azurite.new_container(), azurite.new_container()
    cutover = _cutover(tmp_path)
    cutover.edit(lambda raw: raw.update(state={"backend": "azure_blob", "account_url": azurite.account_url,
                                               "container": in_playbook, "prefix": "fleet/a"}))
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "preflight")
    assert result.exit_code == 0, result.output
    assert _remote_record(azurite, in_playbook)["steps"]["preflight"]["status"] == DONE
    _no_local_journal(cutover.world / "state", tmp_path / ".bluegreen")

    status = cutover.cli("status", str(cutover.playbook), "--output", "json")
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["steps"]["preflight"] == DONE

    override = ["--state", f"{azurite.account_url}/{on_command_line}/fleet/a"]
    result = CliRunner().invoke(app, ["--simulate", str(cutover.world), *override, "status", str(cutover.playbook),
                                      "--output", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["steps"]["preflight"] == "pending"  # another record: nothing done there
    assert AZURE_KEY_FRAGMENT not in result.output
