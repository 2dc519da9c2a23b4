"""The run record, a saved plan and an archive each belong to one playbook and one run (issue 7, items 1-4, 19).

Covers, through the CLI against the simulator:
- a second playbook with the same name and state directory but other clusters and record is refused (exit 3),
  naming the owner, its path and identity; `plan` and `status` refuse it too, another --state-dir goes on;
- records of formats 1 and 2 (no identity) are bound on first use, then guarded like any other;
- an edited green.name after `--until provision` is refused naming `green: old -> new` (no traceback, nothing
  changed); an edit of a field that binds nothing re-plans; a record under which nothing was done is rebound;
- a saved plan edited by hand (decommission removed, fingerprint kept) or stripped of its digest is refused;
- two playbooks sharing blue.name and archive_dir: each run writes and keeps its own archive (its run id in
  the index); a run whose archive lacks an object it is about to delete refuses, naming it, and deletes nothing;
- decommission's refusal known at plan time (mode stop, active CronJob outside the namespaces) stops the run
  before the switch, and `plan` exits 3 after printing the plan.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import yaml
from bluegreen_cli.app import app
from typer.testing import CliRunner

from bluegreen.kube.client import KubeClient
from bluegreen.sim.world import World
from tests.scenarios.conftest import Cutover

DATA = Path(__file__).resolve().parents[1] / "data"
BLUE, GREEN = "aks-shop-blue", "aks-shop-green"
NAME = "shop-1-31"


def _journal_path(cutover: Cutover, name: str = NAME) -> Path:
    return cutover.world / "state" / name / "journal.json"


def _journal(cutover: Cutover, name: str = NAME) -> dict[str, Any]:
    return json.loads(_journal_path(cutover, name).read_text())


def _mutations(cutover: Cutover) -> int:
    return int(cutover.show()["mutations"]["total"])


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _record_values(cutover: Cutover) -> list[str]:
    return next(r for r in cutover.show()["records"] if r["name"] == "shop")["values"]


# -- item 1: the run record belongs to one playbook ------------------------------------------------------------
def test_a_record_of_another_playbook_with_the_same_name_is_refused(cutover: Cutover) -> None:
    state = cutover.root / "state"
    first = _cli("--simulate", str(cutover.world), "--state-dir", str(state), "run", str(cutover.playbook), "--yes")
    assert first.exit_code == 0, first.output
    # A second playbook, same name and state directory, another green and record, an untouched world.
    other = cutover.root / "other.yaml"
    raw = yaml.safe_load(cutover.playbook.read_text())
    raw["green"]["name"] = "aks-shop-green-2"
    raw["switch"]["record"] = "store"
    raw["simulation"]["dns_zones"][0]["records"][0]["name"] = "store"
    other.write_text(yaml.safe_dump(raw, sort_keys=False))
    world2 = cutover.root / "world2"
    for command in (("run", str(other), "--yes"), ("plan", str(other)), ("status", str(other))):
        result = _cli("--simulate", str(world2), "--state-dir", str(state), *command)
        assert result.exit_code == 3, (command, result.output)
        assert "already done" not in result.output
        assert f"belongs to another playbook: {NAME!r}, last run from {cutover.playbook.resolve()}" in result.output
        assert "green: rg-shop/aks-shop-green -> rg-shop/aks-shop-green-2" in result.output
        assert "switch: private_dns rg-shop/contoso.internal/A/shop -> private_dns rg-shop/contoso.internal/A/store" \
            in result.output
        assert "--state-dir" in result.output and "another name" in result.output
    show = Cutover(cutover.root).cli("sim", "show", str(world2), "--output", "json")
    assert json.loads(show.stdout)["mutations"]["total"] == 0
    assert [c["name"] for c in json.loads(show.stdout)["clusters"]] == [BLUE]
    # Its own state directory: a record of its own, planned from scratch.
    planned = _cli("--simulate", str(world2), "--state-dir", str(cutover.root / "state2"), "plan", str(other))
    assert planned.exit_code == 0, planned.output


def _as_format_2(journal: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in dict(journal, format=2).items() if k not in ("identity", "run_id", "playbook_path")}


def _as_format_1(journal: dict[str, Any]) -> dict[str, Any]:
    actions = {a: at for entry in journal["steps"].values() for a, at in entry.get("actions", {}).items()}
    steps = {n: {k: v for k, v in e.items() if k not in ("actions", "basis")} for n, e in journal["steps"].items()}
    facts = dict(journal["facts"])
    if journal["steps"].get("redeploy", {}).get("basis"):
        facts["redeploy_source"] = journal["steps"]["redeploy"]["basis"]
    return {"playbook": journal["playbook"], "plan_id": None, "steps": steps, "facts": facts, "actions": actions}


def test_records_written_before_identities_are_bound_on_first_use(cutover: Cutover) -> None:
    cutover.init()
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "provision").exit_code == 0
    bound = _journal(cutover)
    for legacy in (_as_format_1(bound), _as_format_2(bound)):
        _journal_path(cutover).write_text(json.dumps(legacy))
        planned = cutover.cli("plan", str(cutover.playbook))  # reads only: accepted, not yet bound
        assert planned.exit_code == 0, planned.output
        assert "identity" not in _journal(cutover)
        result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "provision")
        assert result.exit_code == 0, result.output
        assert "provision: skipped (already done)" in result.output  # the migrated record was resumed
        journal = _journal(cutover)
        assert journal["format"] == 3 and journal["identity"] == bound["identity"]
        assert journal["run_id"] and journal["playbook_path"] == str(cutover.playbook.resolve())
    # Once bound, it is guarded like any record.
    cutover.edit(lambda raw: raw["blue"].update(name="aks-shop-blue-2"))
    refused = cutover.cli("run", str(cutover.playbook), "--yes")
    assert refused.exit_code == 3 and "blue: rg-shop/aks-shop-blue -> rg-shop/aks-shop-blue-2" in refused.output


# -- item 2: a playbook edited between runs ---------------------------------------------------------------
def test_green_renamed_after_provision_is_refused_naming_the_change(cutover: Cutover) -> None:
    cutover.init()
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "provision").exit_code == 0
    before, journal = _mutations(cutover), _journal_path(cutover).read_text()
    cutover.edit(lambda raw: raw["green"].update(name="aks-shop-green-2"))
    for command in ("run", "redeploy"):
        result = CliRunner().invoke(app, ["--simulate", str(cutover.world), command, str(cutover.playbook), "--yes"])
        assert result.exit_code == 3, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output and "AssertionError" not in result.output
        assert f"belongs to this playbook ({cutover.playbook.resolve()}) before it was edited" in result.output
        assert "green: rg-shop/aks-shop-green -> rg-shop/aks-shop-green-2" in result.output
    assert _mutations(cutover) == before and _journal_path(cutover).read_text() == journal
    # Put back, the cutover goes on; a field that binds nothing (the drain timeout, a smoke check) re-plans.
    cutover.edit(lambda raw: raw["green"].update(name=GREEN))

    def other_checks(raw: dict[str, Any]) -> None:
        raw["decommission"]["drain_timeout"] = "20m"
        raw["smoke"]["http"].pop()

    cutover.edit(other_checks)
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 0, result.output
    assert _record_values(cutover) == [_journal(cutover)["facts"]["green_ingress_ip"]]


def test_a_record_under_which_nothing_was_done_is_rebound(cutover: Cutover) -> None:
    cutover.init()
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "preflight").exit_code == 0
    cutover.edit(lambda raw: raw["green"].update(name="aks-shop-green-2"))
    result = cutover.cli("run", str(cutover.playbook), "--yes", "--until", "provision", "--output", "json")
    assert result.exit_code == 0, result.output
    assert "bound to this playbook now (green: rg-shop/aks-shop-green -> rg-shop/aks-shop-green-2)" in result.output
    assert _journal(cutover)["identity"]["green"] == "rg-shop/aks-shop-green-2"
    assert "aks-shop-green-2" in [c["name"] for c in cutover.show()["clusters"]]


# -- item 3: a saved plan carries a digest of its whole content --------------------------------------------
def test_a_saved_plan_edited_by_hand_or_without_digest_is_refused(cutover: Cutover) -> None:
    cutover.init()
    plan_file = cutover.root / "plan.json"
    assert cutover.cli("plan", str(cutover.playbook), "--out", str(plan_file)).exit_code == 0
    saved = json.loads(plan_file.read_text())
    assert saved["digest"].startswith("sha256:")
    tampered = dict(saved, steps=[s if s["name"] != "decommission" else dict(s, actions=[])
                                  for s in saved["steps"]])  # fingerprint and digest kept
    no_digest = {k: v for k, v in saved.items() if k != "digest"}
    before = _mutations(cutover)
    for data, message in ((tampered, "the plan file was changed after it was saved"),
                          (no_digest, "the plan file has no digest")):
        plan_file.write_text(json.dumps(data, indent=2))
        result = cutover.cli("run", str(cutover.playbook), "--plan", str(plan_file), "--yes")
        assert result.exit_code == 3, result.output
        assert message in result.output
    assert _mutations(cutover) == before and not _journal_path(cutover).exists()
    plan_file.write_text(json.dumps(saved, indent=1))  # layout is not content: the reviewed plan applies
    result = cutover.cli("run", str(cutover.playbook), "--plan", str(plan_file), "--yes", "--until", "provision")
    assert result.exit_code == 0, result.output


# -- item 4: an archive belongs to one run -----------------------------------------------------------------
def _second_playbook(cutover: Cutover, name: str) -> Cutover:
    """Another playbook in the same folder (so the same archive_dir) with the same blue.name, its own world."""
    raw = yaml.safe_load(cutover.playbook.read_text())
    raw["name"] = name
    other = cutover.root / f"{name}.yaml"
    other.write_text(yaml.safe_dump(raw, sort_keys=False))

    class Other(Cutover):
        @property
        def playbook(self) -> Path:
            return other

        @property
        def world(self) -> Path:
            return self.root / f"world-{name}"

    return Other(cutover.root)


def _index(path: str) -> dict[str, Any]:
    return json.loads((Path(path) / "index.json").read_text())


def test_two_playbooks_sharing_blue_name_and_archive_dir_keep_their_own_archives(cutover: Cutover) -> None:
    first, second = cutover, _second_playbook(cutover, "shop-again")
    first.init()
    assert first.cli("run", str(first.playbook), "--yes").exit_code == 0
    archive_a = _journal(first)["facts"]["archive"]
    index_a = (Path(archive_a) / "index.json").read_bytes()
    second.init()  # the same simulated start: the same moment, the same blue name, the same folder
    result = second.cli("run", str(second.playbook), "--yes")
    assert result.exit_code == 0, result.output
    journal_b = _journal(second, "shop-again")
    archive_b = journal_b["facts"]["archive"]
    assert archive_b != archive_a and (Path(archive_a) / "index.json").read_bytes() == index_a
    assert _index(archive_a)["run"] == _journal(first)["run_id"]
    assert _index(archive_b)["run"] == journal_b["run_id"]
    # Every object the second run deleted is in its own archive, with the uid it had on its blue.
    held = {(e["kind"], e["namespace"], e["name"]) for e in _index(archive_b)["objects"]}
    deleted = [a.split("/")[-3:] for a in journal_b["steps"]["decommission"]["actions"]
               if a.startswith("decommission/delete/")]
    assert deleted and all((kind, ns, name) in held for ns, kind, name in deleted)
    uids_a = {e["uid"] for e in _index(archive_a)["objects"]}
    assert not uids_a & {e["uid"] for e in _index(archive_b)["objects"]}


def test_a_delete_that_the_runs_own_archive_does_not_hold_is_refused(cutover: Cutover) -> None:
    cutover.init()
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "switch").exit_code == 0
    World.schedule_crash(cutover.world, after_mutations=1)  # killed after decommission's first change on blue
    killed = cutover.forked("run", str(cutover.playbook), "--yes")
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-2000:] + killed.stderr[-2000:]
    archive = Path(_journal(cutover)["facts"]["archive"])
    index = _index(str(archive))
    assert index["run"] == _journal(cutover)["run_id"]
    # The archive loses its Deployments (as if it were another run's, or written before they existed).
    index["objects"] = [e for e in index["objects"] if e["kind"] != "Deployment"]
    (archive / "index.json").write_text(json.dumps(index))
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "does not hold Deployment/shop/" in result.output and "refusing to delete" in result.output
    blue_objects = cutover.show()["objects"][BLUE]
    assert any(o["kind"] == "Deployment" and o["namespace"] == "shop" for o in blue_objects)
    assert next(c for c in cutover.show()["clusters"] if c["name"] == BLUE)["power_state"] == "Running"


def test_an_archive_of_another_run_is_not_adopted(cutover: Cutover) -> None:
    """Killed after the archive's start was recorded: a complete archive at its path that another run wrote
    (its index names another run) is not taken for this run's, and nothing on blue is deleted."""
    cutover.init()
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "switch").exit_code == 0
    World.schedule_crash(cutover.world, after_mutations=1)
    assert cutover.forked("run", str(cutover.playbook), "--yes").returncode == -signal.SIGKILL
    journal = _journal(cutover)
    archive = Path(journal["facts"]["archive"])
    index = _index(str(archive))
    index["run"] = "0123456789abcdef0123456789abcdef"
    (archive / "index.json").write_text(json.dumps(index))
    # Back to the moment between "archive started" and "archive done".
    decommission = journal["steps"]["decommission"]
    decommission["actions"] = {a: at for a, at in decommission["actions"].items() if a == "decommission/ttl"}
    journal["facts"] = {k: v for k, v in journal["facts"].items() if k not in ("archive", "archived_objects")}
    _journal_path(cutover).write_text(json.dumps(journal))
    on_blue = cutover.show()["objects"][BLUE]
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert f"{archive} holds the archive of another run (0123456789abcdef" in result.output
    assert "archive" not in _journal(cutover)["facts"]
    assert cutover.show()["objects"][BLUE] == on_blue and any(o["kind"] == "Deployment" for o in on_blue)


def test_blue_is_not_deleted_with_an_object_its_archive_does_not_hold(cutover: Cutover) -> None:
    """Mode delete: the cluster goes with everything on it, so the archive must hold all of that first."""
    cutover.edit(lambda raw: raw["decommission"].update(mode="delete"))
    cutover.init()
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "switch").exit_code == 0
    World.schedule_crash(cutover.world, after_mutations=1)  # the archive is written, one delete done
    assert cutover.forked("run", str(cutover.playbook), "--yes").returncode == -signal.SIGKILL
    with World.open(cutover.world) as world:  # created on blue after the archive was written
        KubeClient.from_kubeconfig(world.cluster(BLUE).kubeconfig(), clock=world.clock).apply(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late", "namespace": "shop"},
             "data": {"k": "v"}}, field_manager="test")
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "does not hold ConfigMap/shop/late" in result.output
    assert BLUE in [c["name"] for c in cutover.show()["clusters"]]


# -- item 19: fail before traffic moves -------------------------------------------------------------------
def test_a_refusal_decommission_knows_now_stops_the_run_before_the_switch(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["simulation"]["blue"]["manifests"].append(
        str(DATA / "manifests" / "janitor-cronjob.yaml")))
    cutover.init()
    plan_file = cutover.root / "plan.json"
    planned = cutover.cli("plan", str(cutover.playbook), "--out", str(plan_file))
    assert planned.exit_code == 3, planned.output
    assert "Plan " in planned.output and "decommission" in planned.output  # the plan is printed first
    assert "blocking problem" in planned.output and "kube-system/node-janitor" in planned.output
    assert json.loads(plan_file.read_text())["steps"][-1]["blockers"][0]["applies_from"] == "switch"
    blue_value = _record_values(cutover)
    result = cutover.cli("run", str(cutover.playbook), "--yes")
    assert result.exit_code == 3, result.output
    assert "switch does not start" in result.output and "kube-system/node-janitor" in result.output
    journal = _journal(cutover)
    assert journal["steps"]["smoke"]["status"] == "done"
    assert "switch" not in journal["steps"] or journal["steps"]["switch"]["status"] == "pending"
    assert _record_values(cutover) == blue_value  # traffic did not move
    # With the timer accepted the plan is clean and the cutover completes.
    cutover.edit(lambda raw: raw["decommission"].update(accept_unmanaged_cronjobs=True))
    assert cutover.cli("plan", str(cutover.playbook)).exit_code == 0
    assert cutover.cli("run", str(cutover.playbook), "--yes").exit_code == 0


def test_a_run_until_the_switch_is_stopped_too(cutover: Cutover) -> None:
    cutover.edit(lambda raw: raw["simulation"]["blue"]["manifests"].append(
        str(DATA / "manifests" / "janitor-cronjob.yaml")))
    cutover.init()
    assert cutover.cli("run", str(cutover.playbook), "--yes", "--until", "smoke").exit_code == 0
    result = cutover.cli("switch", str(cutover.playbook), "--yes")
    assert result.exit_code == 3 and "decommission would refuse" in result.output, result.output
