"""A pair's run as a report: what the run record says happened, and when, on the record's clock.

Everything comes from the run record alone (no Azure call), so a report can be
written long after the clusters are gone. The record passes through the
redaction before anything is read from it: a URL's credentials or a registered
secret in an error text never reach the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bluegreen.plan import STEPS
from bluegreen.playbook import LoadedPlaybook
from bluegreen.record import ROLLED_BACK, RunRecord, StepRecord
from bluegreen.redact import Redactor
from bluegreen.runtime import Runtime
from bluegreen.state import open_store
from bluegreen.traffic.split import setting_for
from bluegreen.traffic.status import shift_status


@dataclass(frozen=True)
class StepSpan:
    name: str
    status: str
    started: datetime | None
    finished: datetime | None
    actions: int
    error: str | None = None


@dataclass(frozen=True)
class SplitPoint:
    """Green's share of the traffic from `at` on, and what the router held for it."""

    at: datetime
    percent: int
    setting: str  # "blue 900, green 100" for a weighted router, the record's value for DNS
    why: str  # "shift to 25%", "DNS flip", "rolled back"
    gate: str | None = None


@dataclass(frozen=True)
class CronJobHandoff:
    """One CronJob changing hands: suspended on one cluster, resumed on the other."""

    name: str  # namespace/name
    step: str  # switch, or rollback
    source: str  # the cluster that owned it before
    target: str  # the one that owns it after
    suspended_at: datetime | None
    resumed_at: datetime | None

    @property
    def at(self) -> datetime | None:
        return self.resumed_at or self.suspended_at


@dataclass(frozen=True)
class PairReport:
    playbook: str
    run_id: str
    identity: list[tuple[str, str]]
    steps: list[StepSpan]
    split: list[SplitPoint]
    cronjobs: list[CronJobHandoff]
    value_before: str | None  # the switched record's (or router's) value before the switch
    value_after: str | None
    switched_at: datetime | None
    weighted: bool
    archive: str | None
    archived_objects: int | None
    rolled_back_at: datetime | None = None  # a rollback resets the switch: its moves are no longer recorded
    facts: list[tuple[str, str]] = field(default_factory=list)
    shift: dict[str, object] = field(default_factory=dict)

    @property
    def start(self) -> datetime | None:
        times = [t for s in self.steps for t in (s.started, s.finished) if t is not None]
        return min(times) if times else None

    @property
    def end(self) -> datetime | None:
        times = [t for s in self.steps for t in (s.started, s.finished) if t is not None]
        times += [p.at for p in self.split] + [c.at for c in self.cronjobs if c.at is not None]
        return max(times) if times else None


def when(text: str | None) -> datetime | None:
    """An ISO time from the record (Python 3.10 does not read a trailing Z)."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None


def _weights(percent: int) -> str:
    setting = setting_for(percent)
    return ", ".join(f"{side} {s['weight']}" + ("" if s["enabled"] else " (disabled)")
                     for side, s in setting.items())


def pair_report(record: RunRecord, redactor: Redactor | None = None) -> PairReport:
    """The report of one run record, read after the redaction (pass the run's Redactor when there is one)."""
    record = RunRecord.from_dict((redactor or Redactor()).scrub(record.to_dict()))
    facts = record.facts
    names = list(STEPS) + sorted(set(record.steps) - set(STEPS))
    steps = [StepSpan(name, entry.status, when(entry.started) or when(entry.at), _end(entry), len(entry.actions),
                      entry.error)
             for name in names if (entry := record.steps.get(name)) is not None]
    switch = record.steps.get("switch")
    switch_actions = switch.actions if switch else {}
    weighted = any(k.startswith("switch/shift/") for k in switch_actions) or facts.shift_reached is not None
    status = shift_status(record)
    gates: dict[str, object] = dict(status["gates"])
    split: list[SplitPoint] = []
    origin = min((s.started for s in steps if s.started is not None), default=None)
    if origin is not None:
        split.append(SplitPoint(origin, 0, _weights(0) if weighted else (facts.switched_from or "blue's value"),
                                "before the switch"))
    for action, at in switch_actions.items():
        moment = when(at)
        if moment is None:
            continue
        if action.startswith("switch/shift/") and action.rsplit("/", 1)[1].isdigit():
            percent = int(action.rsplit("/", 1)[1])
            gate = gates.get(f"{percent}%")
            split.append(SplitPoint(moment, percent, _weights(percent), f"shift to {percent}%",
                                    None if gate is None else str(gate)))
        elif action == "switch/record":
            split.append(SplitPoint(moment, 100, facts.switched_to or "green's value", "DNS flip"))
    rollback = record.steps.get("rollback")
    for action, at in (rollback.actions if rollback else {}).items():
        moment = when(at)
        if moment is not None and action in ("rollback/weights", "rollback/record"):
            split.append(SplitPoint(moment, 0, _weights(0) if weighted else (facts.switched_from or "blue's value"),
                                    "rolled back"))
    if switch is not None and switch.status == ROLLED_BACK and (moment := when(switch.at)) is not None:
        split.append(SplitPoint(moment, 0, _weights(0) if weighted else "blue's value", "rolled back"))
    if facts.shift_failed and switch is not None and (moment := _end(switch)) is not None:
        split.append(SplitPoint(moment, 0, _weights(0), f"gate {facts.shift_failed}: all traffic back to blue"))
    split.sort(key=lambda p: p.at)
    return PairReport(
        playbook=record.playbook,
        run_id=record.run_id,
        identity=[] if record.identity is None else [
            ("playbook", record.identity.playbook), ("subscription", record.identity.subscription),
            ("blue", record.identity.blue), ("green", record.identity.green),
            ("switched", record.identity.switched)],
        steps=steps,
        split=split if any(p.percent for p in split) else [],
        cronjobs=_handoffs(record),
        value_before=facts.switched_from,
        value_after=facts.switched_to,
        switched_at=when(facts.switched_at) or next((p.at for p in split if p.percent == 100), None),
        weighted=weighted,
        archive=facts.archive,
        archived_objects=facts.archived_objects,
        rolled_back_at=when(switch.at) if switch is not None and switch.status == ROLLED_BACK else None,
        facts=[(k, str(v)) for k, v in record.to_dict()["facts"].items()],
        shift={k: v for k, v in status.items() if v} if weighted else {},
    )


def _end(entry: StepRecord) -> datetime | None:
    """When a step ended: its finish, else the moment it was reset, else (failed, or still running) its last action."""
    return when(entry.finished) or when(entry.at) or max(
        (t for t in map(when, entry.actions.values()) if t is not None), default=None)


def _handoffs(record: RunRecord) -> list[CronJobHandoff]:
    """The CronJob suspends and restores of the switch (and of a rollback still recorded), paired by name."""
    found: dict[tuple[str, str], dict[str, object]] = {}
    for step in ("switch", "rollback"):
        entry = record.steps.get(step)
        for action, at in (entry.actions if entry else {}).items():
            parts = action.split("/", 4)  # step/suspend|restore/cluster/namespace/name
            if len(parts) != 5 or parts[1] not in ("suspend", "restore"):
                continue
            item = found.setdefault((step, f"{parts[3]}/{parts[4]}"), {})
            if parts[1] == "suspend":
                item.update(source=parts[2], suspended_at=when(at))
            else:
                item.update(target=parts[2], resumed_at=when(at))
    out = []
    for (step, name), item in found.items():
        source = str(item.get("source") or ("green" if item.get("target") == "blue" else "blue"))
        target = str(item.get("target") or ("blue" if source == "green" else "green"))
        out.append(CronJobHandoff(name, step, source, target, item.get("suspended_at"),  # type: ignore[arg-type]
                                  item.get("resumed_at")))  # type: ignore[arg-type]
    return sorted(out, key=lambda c: (c.step != "switch", c.name))



def load_record(loaded: LoadedPlaybook, runtime: Runtime) -> RunRecord:
    """The playbook's run record from the store the engine keeps it in, read without its lock (a report only reads)."""
    return open_store(loaded.playbook, runtime).load()  # local or remote, where the run keeps it
