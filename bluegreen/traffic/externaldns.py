"""ExternalDNS next to a DNS switch: who owns the record, and what the switch does about it.

Why: an ExternalDNS that owns the switched record (its TXT ownership record names
its `--txt-owner-id`) and may update it (`--policy` sync or upsert-only) writes
blue's address back soon after the switch. Two clusters' ExternalDNS with the same
owner id fight over it. The switch therefore hands the ownership record to green's
owner id before the flip (and rollback hands it back), and refuses while an
ExternalDNS that would revert the flip owns the record with nobody to hand it to.
Pure: parsing and planning only; observation reads the Deployments and TXT record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bluegreen.actions import Action, SetOwnership
from bluegreen.plan import Check

UPDATING_POLICIES = ("sync", "upsert-only")  # both write the value they want over the record they own
_OWNER = re.compile(r"external-dns/owner=([^,\"]+)")


@dataclass(frozen=True)
class ExternalDns:
    cluster: str  # "blue" or "green"
    namespace: str
    name: str
    policy: str
    owner_id: str
    txt_prefix: str

    def __str__(self) -> str:
        return (f"ExternalDNS {self.namespace}/{self.name} on {self.cluster} (policy {self.policy}, "
                f"owner id {self.owner_id})")


def _flag(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
        if arg == f"--{name}" and i + 1 < len(args):
            return args[i + 1]
    return None


def find(cluster: str, deployments: list[dict[str, Any]]) -> list[ExternalDns]:
    """The ExternalDNS Deployments among `deployments`, with their flags (ExternalDNS's defaults where unset)."""
    found = []
    for d in deployments:
        containers = ((((d.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or [])
        for c in containers:
            if "external-dns" not in str(c.get("image") or ""):
                continue
            args = [str(a) for a in (c.get("command") or [])[1:] + (c.get("args") or [])]
            meta = d.get("metadata") or {}
            found.append(ExternalDns(cluster, meta.get("namespace") or "default", meta.get("name") or "?",
                                     _flag(args, "policy") or "sync", _flag(args, "txt-owner-id") or "default",
                                     _flag(args, "txt-prefix") or ""))
    return found


def ownership_names(record: str, record_type: str, found: list[ExternalDns]) -> list[str]:
    """Where ExternalDNS keeps the ownership record of `record`: `<prefix><name>` and `<prefix><type>-<name>`."""
    names: list[str] = []
    for prefix in sorted({e.txt_prefix for e in found}):
        for name in (f"{prefix}{record}", f"{prefix}{record_type.lower()}-{record}"):
            if name not in names:
                names.append(name)
    return names


def owner_of(values: tuple[str, ...]) -> str | None:
    for value in values:
        match = _OWNER.search(value)
        if match and "heritage=external-dns" in value:
            return match.group(1)
    return None


def plan_handover(found: list[ExternalDns], ownership: dict[str, tuple[str, ...]], zone_rg: str, zone: str,
                  step: str, source: str, dest: str) -> tuple[list[Action], list[Check], list[str]]:
    """Hand the record's ownership from `source`'s ExternalDNS to `dest`'s, or refuse when it would be reverted."""
    if not found:
        return [], [], []
    notes = [f"found {e}" for e in found]
    owners = {name: owner_of(values) for name, values in ownership.items()}
    owned = {name: o for name, o in owners.items() if o}
    if not owned:
        notes.append("no ExternalDNS ownership record (TXT) for the record: no ExternalDNS manages it")
        return [], [], notes
    owner = next(iter(owned.values()))
    notes.append(f"the record is owned by ExternalDNS owner id {owner} (TXT {', '.join(sorted(owned))})")
    by_owner = [e for e in found if e.owner_id == owner]
    if any(e.cluster == dest for e in by_owner):
        notes.append(f"{dest}'s ExternalDNS already owns it")
        return [], [], notes
    givers = [e for e in by_owner if e.cluster == source]
    takers = [e for e in found if e.cluster == dest and e.owner_id != owner]
    if givers and takers:
        to = takers[0].owner_id
        actions = [Action(id=f"{step}/ownership/{name}", params=SetOwnership(zone_rg, zone, name, owner, to),
                          before={"owner": owner}, after={"owner": to}, eta_seconds=2) for name in sorted(owned)]
        notes.append(f"the switch hands the ownership record from {source}'s owner id {owner} to {dest}'s {to} "
                     f"before the flip, so {givers[0]} stops managing it")
        return actions, [], notes
    reverting = [e for e in givers if e.policy in UPDATING_POLICIES]
    if reverting:
        return [], [Check("ExternalDNS would revert the switch", False,
                          f"{reverting[0]} owns the record and would write {source}'s address back; give {dest} an "
                          f"ExternalDNS with its own --txt-owner-id (the ownership record is then handed to it), or "
                          f"scale {reverting[0].namespace}/{reverting[0].name} to 0 or set --policy=create-only")], notes
    if not by_owner:
        return [], [Check("ExternalDNS owner", True, f"owner id {owner} belongs to no ExternalDNS found in blue "
                                                     "or green: another cluster may manage the record", "warning")], notes
    return [], [], notes
