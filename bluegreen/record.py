"""The run record of one playbook: typed, versioned, migrated on load.

It says which steps and actions are done and what the run learned on the way
(never secrets). Each learned value belongs to the step that learns it, so
resetting a step (a redeploy run again resets smoke, a rollback resets the
switch) forgets exactly what that step had established. Format 1 (no format
number, untyped `facts`, one flat `actions` map) is migrated on load; a newer
format is refused with what to do.

A record belongs to one playbook: its `identity` (subscription, both clusters,
the switched record, the playbook's name) is bound when the record is first
written, so a second playbook that happens to share the name and state
directory is refused instead of finding every step "already done". Records
written before identities (formats 1 and 2) are bound on first use. Its
`run_id` names this run wherever its work is kept outside the record (the
archive's index), so one run never adopts another run's archive.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any

from bluegreen.actions import Learned
from bluegreen.errors import RecordFormatError

RECORD_FORMAT = 3  # 3: identity, run id and the playbook's last path
PENDING, RUNNING, DONE, FAILED, ROLLED_BACK = "pending", "running", "done", "failed", "rolled_back"
PAUSED = "paused"  # a stepwise shift waits for `bluegreen promote`: resumable, not failed


@dataclass
class Facts:
    """Everything a run learns that a later step or command relies on."""

    green_id: str | None = None
    green_version: str | None = None
    green_ingress_ip: str | None = None
    smoked_address: str | None = None
    switched_from: str | None = None
    switched_to: str | None = None
    switched_at: str | None = None
    record_ttl: int | None = None
    archive_started: str | None = None
    archive: str | None = None
    archived_objects: int | None = None
    decommission_begun: str | None = None
    # The stepwise shift (weighted routers): highest step reached, a pause waiting for a person, the last gate.
    shift_reached: int | None = None
    shift_paused_at: int | None = None
    shift_promoted: int | None = None
    shift_gate: str | None = None
    shift_failed: str | None = None
    # TTL discipline: when the record's TTL was lowered, and what it was before (restored after the soak).
    ttl_lowered_at: str | None = None
    ttl_original: int | None = None


# Which step establishes which fact: resetting the step forgets them.
STEP_FACTS: dict[str, tuple[str, ...]] = {
    "provision": ("green_id", "green_version"),
    "redeploy": ("green_ingress_ip", "ttl_lowered_at", "ttl_original"),
    "smoke": ("smoked_address",),
    "switch": ("switched_from", "switched_to", "switched_at", "record_ttl", "shift_reached", "shift_paused_at",
               "shift_promoted", "shift_gate", "shift_failed"),
    "decommission": ("archive_started", "archive", "archived_objects", "decommission_begun"),
}
assert {f for names in STEP_FACTS.values() for f in names} == {f.name for f in dataclasses.fields(Facts)}
# Executors report facts as `Learned` (a TypedDict, so mypy checks their keys): the same names, kept in step.
assert set(Learned.__annotations__) == {f.name for f in dataclasses.fields(Facts)}, "Learned and Facts differ"


@dataclass
class StepRecord:
    status: str = PENDING
    started: str | None = None
    finished: str | None = None
    error: str | None = None
    at: str | None = None
    basis: str | None = None  # what the finished actions were made from (StepPlan.basis)
    actions: dict[str, str] = field(default_factory=dict)  # finished action id -> when (iso)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


_LABELS = {"playbook": "name", "subscription": "subscription", "blue": "blue", "green": "green",
           "switched": "switch"}


@dataclass(frozen=True)
class Identity:
    """What makes a run record this playbook's: what it changes (clusters, record) and where."""

    playbook: str
    subscription: str
    blue: str  # resource group/name
    green: str  # resource group/name
    switched: str  # what the switch moves: e.g. "private_dns rg/zone/A/name"

    def changes(self, other: Identity) -> list[str]:
        """What differs, as `field: old -> new`, in the playbook's words."""
        return [f"{_LABELS[f.name]}: {getattr(self, f.name)} -> {getattr(other, f.name)}"
                for f in dataclasses.fields(self) if getattr(self, f.name) != getattr(other, f.name)]

    def describe(self) -> str:
        return ", ".join(f"{_LABELS[f.name]} {getattr(self, f.name)}" for f in dataclasses.fields(self))


def new_run_id() -> str:
    return uuid.uuid4().hex


@dataclass
class RunRecord:
    playbook: str
    plan_id: str | None = None
    steps: dict[str, StepRecord] = field(default_factory=dict)
    facts: Facts = field(default_factory=Facts)
    format: int = RECORD_FORMAT
    identity: Identity | None = None  # None: not bound yet (a new record, or one written before format 3)
    run_id: str = field(default_factory=new_run_id)
    playbook_path: str | None = None  # where the playbook was last run from, to say who owns the record
    # A fleet's word on this pair where its steps cannot say it, so agents sharing the record see it: skipped
    # (and why) or failed before any step recorded it. {"state", "detail", "at"}; cleared when the pair runs.
    fleet: dict[str, str] | None = None

    @property
    def changed_anything(self) -> bool:
        """Whether any step finished an action: until then the record holds no work worth protecting."""
        return any(entry.actions for entry in self.steps.values()) or any(
            v is not None for v in dataclasses.asdict(self.facts).values())

    def step(self, name: str) -> StepRecord:
        return self.steps.setdefault(name, StepRecord())

    def status(self, name: str) -> str:
        entry = self.steps.get(name)
        return entry.status if entry else PENDING

    def finished(self, name: str) -> dict[str, str]:
        entry = self.steps.get(name)
        return entry.actions if entry else {}

    def learn(self, learned: Learned) -> None:
        for key, value in learned.items():
            setattr(self.facts, key, value)

    def reset(self, name: str, status: str = PENDING, at: str | None = None) -> None:
        """Forget a step's result: its status, finished actions and the facts it established."""
        self.steps[name] = StepRecord(status=status, at=at)
        for fact in STEP_FACTS.get(name, ()):
            setattr(self.facts, fact, None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "playbook": self.playbook,
            "identity": None if self.identity is None else
            {k: v for k, v in dataclasses.asdict(self.identity).items()},
            "run_id": self.run_id,
            "playbook_path": self.playbook_path,
            "plan_id": self.plan_id,
            "steps": {name: entry.to_dict() for name, entry in self.steps.items()},
            "facts": {k: v for k, v in dataclasses.asdict(self.facts).items() if v is not None},
            **({"fleet": dict(self.fleet)} if self.fleet else {}),  # absent otherwise: older readers see no change
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "the run record") -> RunRecord:
        version = data.get("format", 1)
        if version == 1:
            data = migrate_v1(data)
        elif version == 2:
            data = dict(data, format=RECORD_FORMAT)  # no identity, no run id: bound on first use
        elif version != RECORD_FORMAT:
            raise RecordFormatError(
                f"{where} has format {version!r}, but this bluegreen reads formats 1 to {RECORD_FORMAT}: "
                "run the bluegreen version that wrote it (or a newer one), or move the file away to start "
                "afresh (finished steps are then not known to be done)")
        known = {f.name for f in dataclasses.fields(Facts)}
        facts = data.get("facts") or {}
        unknown = sorted(set(facts) - known)
        if unknown:
            raise RecordFormatError(f"{where} holds facts this bluegreen does not know ({', '.join(unknown)}); "
                                    "run the bluegreen version that wrote it")
        identity = data.get("identity")
        steps = data.get("steps") or {}
        switch = steps.get("switch")
        if isinstance(switch, dict) and switch.get("status") == FAILED and facts.get("shift_paused_at") is not None \
                and not facts.get("shift_failed"):
            # Written before `paused` existed: a shift waiting for promote was journalled as failed.
            steps = dict(steps, switch=dict(switch, status=PAUSED))
        return cls(
            playbook=data["playbook"],
            plan_id=data.get("plan_id"),
            steps={name: StepRecord(**entry) for name, entry in steps.items()},
            facts=Facts(**facts),
            identity=_identity(identity, where) if identity else None,
            run_id=data.get("run_id") or new_run_id(),
            playbook_path=data.get("playbook_path"),
            fleet=_fleet_mark(data.get("fleet"), where),
        )


def _fleet_mark(data: Any, where: str) -> dict[str, str] | None:
    if data is None:
        return None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()) \
            or "state" not in data:
        raise RecordFormatError(f"{where} has a fleet entry this bluegreen cannot read; "
                                "run the bluegreen version that wrote it")
    return dict(data)


def _identity(data: Any, where: str) -> Identity:
    names = [f.name for f in dataclasses.fields(Identity)]
    if not isinstance(data, dict) or sorted(data) != sorted(names) or not all(isinstance(v, str) for v in data.values()):
        raise RecordFormatError(f"{where} has an identity this bluegreen cannot read; "
                                "run the bluegreen version that wrote it")
    return Identity(**data)


_V1_BEGUN = "decommission/begun"


def migrate_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Format 1: finished actions in one map keyed `<step>/...`, facts untyped, the source digest a fact."""
    steps: dict[str, dict[str, Any]] = {name: dict(entry) for name, entry in (data.get("steps") or {}).items()}
    facts = dict(data.get("facts") or {})
    actions = dict(data.get("actions") or {})
    if _V1_BEGUN in actions:
        facts["decommission_begun"] = actions.pop(_V1_BEGUN)
    for action_id, at in actions.items():
        steps.setdefault(action_id.split("/", 1)[0], {"status": PENDING}).setdefault("actions", {})[action_id] = at
    source = facts.pop("redeploy_source", None)
    if source is not None:
        steps.setdefault("redeploy", {"status": PENDING})["basis"] = source
    return {"format": RECORD_FORMAT, "playbook": data["playbook"], "plan_id": data.get("plan_id"),
            "steps": steps, "facts": facts}
