"""The end state every finished cutover must reach, however it got there (crashes, ARM faults, re-runs).

Reusable: `check_end_state` returns a list of problems (empty when all holds) so a test can print them
all at once; other checks can be added as further `_check_*` functions called from it. Inputs are the
world as `sim show --output json` prints it before the run and after it, the run's journal, and the
playbook's facts (`Expect`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Kinds that can start containers: none may be left on blue in the playbook's namespaces.
RUNNABLE = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"})
DNS_APIS = ("Microsoft.Network/privateDnsZones", "Microsoft.Network/dnsZones")


@dataclass(frozen=True)
class Expect:
    """What the playbook says the end state is about."""

    blue: str
    green: str
    record: str
    namespaces: tuple[str, ...]
    blue_power: str | None = "Stopped"  # decommission mode stop; None: blue deleted


def _objects(show: dict[str, Any], cluster: str, namespaces: Iterable[str]) -> set[tuple[str, str, str]]:
    wanted = set(namespaces)
    return {(o["kind"], o["namespace"], o["name"]) for o in show["objects"].get(cluster, [])
            if o["namespace"] in wanted}


def _archive_objects(archive: Path) -> set[tuple[str, str, str]]:
    index = json.loads((archive / "index.json").read_text())
    return {(o["kind"], o["namespace"], o["name"]) for o in index["objects"]}


def active_overlaps(executions: list[dict[str, Any]]) -> list[str]:
    """CronJobs that were active (created or resumed, not suspended or deleted) on two clusters at once."""
    active: dict[tuple[str, str], set[str]] = {}
    problems = []
    for entry in sorted(executions, key=lambda e: e["seq"]):
        key = (entry["namespace"], entry["cronjob"])
        clusters = active.setdefault(key, set())
        if entry["event"] == "activated":
            clusters.add(entry["cluster"])
            if len(clusters) > 1:
                problems.append(f"CronJob {key[0]}/{key[1]} active on {sorted(clusters)} at seq {entry['seq']}")
        elif entry["event"] == "deactivated":
            clusters.discard(entry["cluster"])
    return problems


def check_end_state(before: dict[str, Any], after: dict[str, Any], journal: dict[str, Any],
                    expect: Expect) -> list[str]:
    """Every way the finished cutover differs from what it must be (empty: it is right)."""
    problems: list[str] = []
    facts = journal.get("facts") or {}
    clusters = {c["name"]: c for c in after["clusters"]}

    # The record points at green's ingress, and was written exactly once.
    record = next((r for r in after["records"] if r["name"] == expect.record), None)
    green_ip = facts.get("green_ingress_ip")
    if record is None or not green_ip or record["values"] != [green_ip]:
        problems.append(f"record {expect.record} is {record and record['values']}, not green's {green_ip}")
    dns_writes = sum(after["mutations"]["by_api"].get(api, 0) - before["mutations"]["by_api"].get(api, 0)
                     for api in DNS_APIS)
    if dns_writes != 1:
        problems.append(f"{dns_writes} DNS writes landed, expected exactly one")

    # Green runs and succeeded; blue is stopped (or gone) and settled.
    green = clusters.get(expect.green)
    if green is None or (green["power_state"], green["provisioning_state"]) != ("Running", "Succeeded"):
        problems.append(f"green is {green and (green['power_state'], green['provisioning_state'])}")
    blue = clusters.get(expect.blue)
    if expect.blue_power is None:
        if blue is not None:
            problems.append(f"blue still exists ({blue['power_state']}/{blue['provisioning_state']})")
    elif blue is None or (blue["power_state"], blue["provisioning_state"]) != (expect.blue_power, "Succeeded"):
        problems.append(f"blue is {blue and (blue['power_state'], blue['provisioning_state'])}, "
                        f"expected {expect.blue_power}/Succeeded")

    # Blue holds nothing that can run in the playbook's namespaces.
    left = sorted(o for o in _objects(after, expect.blue, expect.namespaces) if o[0] in RUNNABLE)
    if left:
        problems.append(f"left on blue: {left}")

    # Every object this run removed from blue is in this run's archive.
    removed = _objects(before, expect.blue, expect.namespaces) - _objects(after, expect.blue, expect.namespaces)
    removed = {o for o in removed if o[0] != "Pod"}  # a bare Pod's owner is archived; pods come and go
    archive = facts.get("archive")
    if removed:
        if not archive or not (Path(archive) / "index.json").is_file():
            problems.append(f"{len(removed)} objects removed from blue but the run names no archive ({archive})")
        else:
            missing = sorted(removed - _archive_objects(Path(archive)))
            if missing:
                problems.append(f"removed from blue but not archived in {archive}: {missing}")

    # No CronJob could fire on both clusters at any moment.
    problems.extend(active_overlaps(after["executions"]))
    return problems
