"""Executor of the archive kind: every object of blue written once, before anything on blue is removed."""

from __future__ import annotations

from datetime import datetime, timezone

from bluegreen.actions import Archive
from bluegreen.archive import write_archive
from bluegreen.executors.base import ExecEnv, Outcome, executes


class _At:
    """A clock frozen at one instant, so the archive's path is known before it is written."""

    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def now(self) -> datetime:
        return self._moment

    def sleep(self, seconds: float) -> None:
        raise AssertionError("the archive does not wait")


@executes(Archive)
def archive(p: Archive, env: ExecEnv) -> Outcome:
    """Its start is recorded first, so a run killed mid-write adopts a complete archive or writes anew."""
    directory = env.loaded.resolve(p.directory)
    if p.started:
        moment = datetime.fromisoformat(p.started)
        previous = directory / f"{p.cluster_name}-{moment.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
        if (previous / "index.json").exists():
            return Outcome({"archive": str(previous)}, f"archive {previous} was complete; kept")
        if previous.exists():  # half-written before a crash: blue still has every object, so write anew
            previous.rename(previous.with_name(previous.name + f".partial-{env.clock.now():%H%M%S%f}"))
    if p.objects is None:
        raise ValueError("the objects to archive are not saved with a plan: apply a plan made now")
    moment = env.clock.now()
    env.checkpoint({"archive_started": moment.isoformat()})
    info = write_archive(directory, p.cluster_name, p.objects.value, clock=_At(moment))
    return Outcome({"archive": str(info.path), "archived_objects": info.objects})
