"""A plan is data: ordered steps of actions, each with its before and after.

The same Plan object is printed for review, saved as JSON, checked against a
fresh observation (fingerprint) and then applied. It never holds secret values:
Secrets appear as counts of keys, kubeconfigs not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

PLAN_FORMAT = 1
STEPS = ("preflight", "provision", "redeploy", "smoke", "switch", "decommission")
# Steps that change nothing; on resume they run again unless the step after them is done.
READ_ONLY_STEPS = ("preflight", "smoke")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    severity: str = "error"  # "error" blocks the run, "warning" is reported only
    field: str | None = None  # the playbook field at fault, when the problem is bad input


@dataclass(frozen=True)
class Action:
    id: str  # stable within a playbook: the journal keys on it
    kind: str
    target: str
    summary: str
    before: Any = None
    after: Any = None
    eta_seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepPlan:
    name: str
    actions: tuple[Action, ...] = ()
    checks: tuple[Check, ...] = ()
    notes: tuple[str, ...] = ()
    waits: tuple[str, ...] = ()

    @property
    def eta_seconds(self) -> float:
        return sum(a.eta_seconds for a in self.actions)

    @property
    def blocking(self) -> list[Check]:
        return [c for c in self.checks if not c.ok and c.severity == "error"]


@dataclass(frozen=True)
class FingerprintEntry:
    """One observed version of something a step will rely on; `owner` is the step that changes it."""

    value: str
    owner: str


@dataclass(frozen=True)
class Plan:
    playbook: str
    playbook_digest: str
    created_at: str
    steps: tuple[StepPlan, ...]
    fingerprint: dict[str, FingerprintEntry]
    format: int = PLAN_FORMAT

    @property
    def id(self) -> str:
        body = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:12]

    @property
    def eta_seconds(self) -> float:
        return sum(s.eta_seconds for s in self.steps)

    def step(self, name: str) -> StepPlan | None:
        return next((s for s in self.steps if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "playbook": self.playbook,
            "playbook_digest": self.playbook_digest,
            "created_at": self.created_at,
            "fingerprint": {k: asdict(v) for k, v in sorted(self.fingerprint.items())},
            "steps": [asdict(s) for s in self.steps],
        }

    def to_json(self) -> str:
        data = self.to_dict()
        data["id"] = self.id
        data["eta_seconds"] = self.eta_seconds
        return json.dumps(data, indent=2, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        if data.get("format") != PLAN_FORMAT:
            raise ValueError(f"unsupported plan format {data.get('format')!r}")
        steps = tuple(
            StepPlan(
                name=s["name"],
                actions=tuple(Action(**a) for a in s.get("actions", ())),
                checks=tuple(Check(**c) for c in s.get("checks", ())),
                notes=tuple(s.get("notes", ())),
                waits=tuple(s.get("waits", ())),
            )
            for s in data["steps"]
        )
        fingerprint = {k: FingerprintEntry(**v) for k, v in data["fingerprint"].items()}
        return cls(
            playbook=data["playbook"],
            playbook_digest=data["playbook_digest"],
            created_at=data["created_at"],
            steps=steps,
            fingerprint=fingerprint,
        )


def fingerprint_drift(
    planned: dict[str, FingerprintEntry], observed: dict[str, FingerprintEntry], ignore_owners: set[str]
) -> list[str]:
    """What moved since the plan, ignoring what our own already-started steps changed."""
    drift = []
    for key in sorted(set(planned) | set(observed)):
        before, now = planned.get(key), observed.get(key)
        owner = (before or now).owner  # type: ignore[union-attr]
        if owner in ignore_owners:
            continue
        if (before.value if before else "(absent)") != (now.value if now else "(absent)"):
            drift.append(
                f"{key}: was {before.value if before else '(absent)'}, now {now.value if now else '(absent)'}"
            )
    return drift


def format_eta(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s" if sec else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
