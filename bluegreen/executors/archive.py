"""Executor of the archive kind: every object of blue written once, before anything on blue is removed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bluegreen.actions import Archive, VerifyArchive
from bluegreen.archive import (
    INDEX,
    ArchiveExistsError,
    NotArchivedError,
    archive_run,
    run_dir_name,
    verify_archived,
    write_archive,
)
from bluegreen.executors.base import ExecEnv, Outcome, executes


class _At:
    """A clock frozen at one instant, so the archive's path is known before it is written."""

    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def now(self) -> datetime:
        return self._moment

    def sleep(self, seconds: float) -> None:
        raise NotImplementedError("the archive does not wait")


@executes(Archive)
def archive(p: Archive, env: ExecEnv) -> Outcome:
    """Its start is recorded first, so a run killed mid-write adopts a complete archive or writes anew."""
    directory = env.loaded.resolve(p.directory)
    if p.started:
        previous = directory / run_dir_name(p.cluster_name, datetime.fromisoformat(p.started), env.run_id)
        if (previous / INDEX).exists():
            owner = archive_run(previous)
            if owner == env.run_id:  # only this run's own archive is adopted
                return Outcome({"archive": str(previous)}, f"archive {previous} was complete; kept")
            raise ArchiveExistsError(f"{previous} holds the archive of another run ({owner or 'no run id'}), not "
                                     f"this run's ({env.run_id}): it is not adopted, and nothing on blue is deleted "
                                     "before this run has its own archive; move it away and run again")
        elif previous.exists():  # half-written before a crash: blue still has every object, so write anew
            previous.rename(previous.with_name(previous.name + f".partial-{env.clock.now():%H%M%S%f}"))
    if p.objects is None:
        raise ValueError("the objects to archive are not saved with a plan: apply a plan made now")
    moment = env.clock.now()
    env.checkpoint({"archive_started": moment.isoformat()})
    info = write_archive(directory, p.cluster_name, p.objects.value, clock=_At(moment), run_id=env.run_id or None)
    return Outcome({"archive": str(info.path), "archived_objects": info.objects})


@executes(VerifyArchive)
def verify_archive(p: VerifyArchive, env: ExecEnv) -> Outcome:
    """Deleting a cluster deletes what is on it: only once this run's archive is shown to hold all of it."""
    path = env.archive_path()
    if path is None:
        raise NotArchivedError(f"{p.cluster} is to be deleted, but this run has no archive; refusing")
    if p.objects is None:
        raise ValueError("the objects to check are not saved with a plan: apply a plan made now")
    verify_archived(Path(path), env.run_id, p.objects.value)
    return Outcome(message=f"this run's archive {path} holds the {p.count} objects still on {p.cluster}")
