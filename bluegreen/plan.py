"""A plan is data: ordered steps of actions, each with its before and after.

The same Plan object is printed for review, saved as JSON, checked against a
fresh observation (fingerprint) and then applied. It never holds secret values:
Secrets appear as counts of keys, kubeconfigs not at all.

A saved plan carries a digest of its whole content, so a plan edited after
review (its decommission deleted, its fingerprint kept) is refused rather
than applied as if it were the reviewed one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from bluegreen.actions import Action
from bluegreen.errors import TamperedPlanError
from bluegreen.redact import redact_urls

PLAN_FORMAT = 2  # 2: typed action parameters
STEPS = ("preflight", "provision", "redeploy", "smoke", "switch", "decommission")
# Steps that change nothing; on resume they run again unless the step after them is done.
READ_ONLY_STEPS = ("preflight", "smoke")
DONE_NOTE = "done"  # the note of a step a plan shows as already done


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    severity: str = "error"  # "error" blocks the run, "warning" is reported only
    field: str | None = None  # the playbook field at fault, when the problem is bad input
    # A guard that this earlier step makes hold: in a plan where that step still has to run, it is a note.
    satisfied_by: str | None = None


@dataclass(frozen=True)
class Blocker:
    """A refusal a step already knows at plan time, and the first step it must stop.

    Why: a problem that will make a later step refuse should stop the run before
    anything irreversible happens, not halfway (decommission in mode stop refusing
    active CronJobs outside the playbook's namespaces is as true before the switch
    as after it, and finding out after traffic moved leaves a half-done cutover).

    How to use it: a planner returns it in `StepPlan.blockers`, with `applies_from`
    the first step it must stop (default: the switch, so traffic never moves). The
    engine plans the later steps before it starts any step at or after
    `applies_from` and refuses (GuardError, exit 3) while a blocker holds; a step's
    own blockers stop it too, so a checks list need not repeat them. `bluegreen
    plan` lists them and exits 3. Only what the planner can know from the
    observation and the playbook belongs here; a guard that an earlier step makes
    hold (e.g. "the record no longer points at blue") is a `Check` with
    `satisfied_by`.
    """

    name: str
    detail: str
    applies_from: str = "switch"

    def applies_to(self, step: str) -> bool:
        """Whether this blocker stops `step` (it stops every step from `applies_from` on)."""
        return step in STEPS and STEPS.index(step) >= STEPS.index(self.applies_from)


@dataclass(frozen=True)
class StepPlan:
    name: str
    actions: tuple[Action, ...] = ()
    checks: tuple[Check, ...] = ()
    notes: tuple[str, ...] = ()
    waits: tuple[str, ...] = ()
    # What the step's finished actions were made from (e.g. a digest of the source): when it changes, they
    # are forgotten and, if `may_rerun`, a step already done runs again.
    basis: str | None = None
    may_rerun: bool = False
    resets: tuple[str, ...] = ()  # later steps whose result this step invalidates when it starts
    incomplete: str | None = None  # the step does only part of its job: it fails with this after its actions
    blockers: tuple[Blocker, ...] = ()  # refusals known now that stop earlier steps too (see Blocker)

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

    @cached_property
    def id(self) -> str:
        """A digest of everything the plan says (computed once: the plan is frozen)."""
        body = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:12]

    @property
    def eta_seconds(self) -> float:
        return sum(s.eta_seconds for s in self.steps)

    def step(self, name: str) -> StepPlan | None:
        return next((s for s in self.steps if s.name == name), None)

    @property
    def blocking_problems(self) -> list[str]:
        """Everything this plan already knows will stop a run: failed guards and declared blockers."""
        return ([f"{s.name}: {c.name}: {c.detail}" for s in self.steps for c in s.blocking]
                + [f"{s.name}: {b.name}: {b.detail} (stops {b.applies_from} and every step after it)"
                   for s in self.steps for b in s.blockers])

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "playbook": self.playbook,
            "playbook_digest": self.playbook_digest,
            "created_at": self.created_at,
            "fingerprint": {k: asdict(v) for k, v in sorted(self.fingerprint.items())},
            "steps": [step_to_dict(s) for s in self.steps],
        }

    def to_json(self) -> str:
        data = self.to_dict()
        data["id"] = self.id
        data["eta_seconds"] = self.eta_seconds
        # Defence in depth: the planners store URLs redacted already; a saved plan file must never hold one.
        # Redacted first, then sealed: the digest covers exactly what is in the file.
        return json.dumps(seal(redact_urls(data)), indent=2, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """A saved plan, after checking its digest: nothing in an unverified file is trusted."""
        if not isinstance(data, dict):
            raise ValueError(f"a saved plan is a JSON object, not {type(data).__name__}")
        if data.get("format") != PLAN_FORMAT:  # another bluegreen's file: bad input, whatever else it holds
            raise ValueError(f"unsupported plan format {data.get('format')!r} (this bluegreen reads format "
                             f"{PLAN_FORMAT}); make a new plan with `bluegreen plan`")
        verify_digest(data)
        steps = tuple(step_from_dict(s) for s in data["steps"])
        fingerprint = {k: FingerprintEntry(**v) for k, v in data["fingerprint"].items()}
        return cls(
            playbook=data["playbook"],
            playbook_digest=data["playbook_digest"],
            created_at=data["created_at"],
            steps=steps,
            fingerprint=fingerprint,
        )


DIGEST = "digest"


def plan_digest(data: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of everything in a saved plan but the digest itself."""
    body = {k: v for k, v in data.items() if k != DIGEST}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seal(data: dict[str, Any]) -> dict[str, Any]:
    """The saved form: `data` with its digest."""
    return {**data, DIGEST: plan_digest(data)}


def verify_digest(data: dict[str, Any]) -> None:
    digest = data.get(DIGEST)
    if not isinstance(digest, str) or not digest:
        raise TamperedPlanError("the plan file has no digest, so it cannot be shown to be the reviewed plan; "
                                "make a new plan with `bluegreen plan --out`")
    if digest != plan_digest(data):
        raise TamperedPlanError("the plan file was changed after it was saved (its digest does not match its "
                                "content); review and save a new plan with `bluegreen plan --out`")


def step_to_dict(step: StepPlan) -> dict[str, Any]:
    return {"name": step.name, "actions": [a.to_dict() for a in step.actions],
            "checks": [asdict(c) for c in step.checks], "notes": list(step.notes), "waits": list(step.waits),
            "basis": step.basis, "may_rerun": step.may_rerun, "resets": list(step.resets),
            "incomplete": step.incomplete, "blockers": [asdict(b) for b in step.blockers]}


def step_from_dict(data: dict[str, Any]) -> StepPlan:
    return StepPlan(
        name=data["name"],
        actions=tuple(Action.from_dict(a) for a in data.get("actions", ())),
        checks=tuple(Check(**c) for c in data.get("checks", ())),
        notes=tuple(data.get("notes", ())),
        waits=tuple(data.get("waits", ())),
        basis=data.get("basis"),
        may_rerun=bool(data.get("may_rerun")),
        resets=tuple(data.get("resets", ())),
        incomplete=data.get("incomplete"),
        blockers=tuple(Blocker(**b) for b in data.get("blockers", ())),
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
