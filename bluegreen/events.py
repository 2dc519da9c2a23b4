"""What the engine reports while it works.

The library never prints: it emits `Event`s to a sink the caller provides. The
CLI renders them (rich for people, JSON lines for pipelines); tests collect
them. Event data is already redacted by the time it reaches a sink.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# Event kinds, stable names that pipelines may match on.
PLAN_READY = "plan_ready"
STEP_STARTED = "step_started"
STEP_SKIPPED = "step_skipped"
STEP_FINISHED = "step_finished"
STEP_FAILED = "step_failed"
STEP_PAUSED = "step_paused"  # a stepwise shift waits for `bluegreen promote` (not a failure)
ACTION_STARTED = "action_started"
ACTION_FINISHED = "action_finished"
CHECK = "check"
WAITING = "waiting"
RETRY = "retry"
WARNING = "warning"
RUN_FINISHED = "run_finished"


@dataclass(frozen=True)
class Event:
    kind: str
    message: str
    step: str | None = None
    time: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["time"] = self.time.isoformat() if self.time else None
        return out


EventSink = Callable[[Event], None]


def discard(_: Event) -> None:
    """A sink for callers that do not care."""


class EventLog:
    """A sink that keeps every event, for tests and summaries."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]
