"""The one error tree of bluegreen.

    BluegreenError
     +-- PlaybookError          bad input: the playbook or a command argument (names the field)
     +-- RefusedError           a safety rule said no; nothing was changed
     |    +-- StalePlanError    the saved plan's fingerprint no longer matches the live state
     |    +-- LockHeldError     another run holds the playbook's lock
     |    +-- GuardError        a step's guard (e.g. record still points at blue)
     |    +-- RecordFormatError the run record was written in a format this version cannot read
     |    +-- RecordOwnerError  the run record belongs to another playbook (or to this one before an edit)
     |    +-- TamperedPlanError a saved plan's content is not what was saved (its digest)
     |    +-- PausedError       a stepwise shift waits for `bluegreen promote` (manual pause, inconclusive gate)
     |    +-- RecordConflictError  a remote run record changed since this run read it (its ETag moved)
     +-- StepFailedError        a step ran and failed (smoke check, provisioning failure)
     +-- RemoteError            Azure or Kubernetes answered with an error
          +-- TransientRemoteError   worth retrying (429, 5xx, connection reset)
          +-- PermanentRemoteError   retrying will not help (4xx other than 429)

Foreign exceptions (azure-core, kubernetes, urllib3) are translated once, at
the client boundary, with `raise ... from exc`. Exit codes are mapped in the CLI
alone.
"""

from __future__ import annotations


class BluegreenError(Exception):
    """Root of every error bluegreen raises on purpose."""


class PlaybookError(BluegreenError):
    """The input is wrong; `field` names where, when known."""

    def __init__(
        self, message: str, field: str | None = None, problems: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.problems = problems or ([(field, message)] if field else [])


class RefusedError(BluegreenError):
    """A safety rule refused to go on; nothing was changed."""


class StalePlanError(RefusedError):
    """The live state moved on since the plan was made."""


class LockHeldError(RefusedError):
    """Another process is running a step of the same playbook."""


class GuardError(RefusedError):
    """A step's precondition does not hold."""


class RecordFormatError(RefusedError):
    """The run record on disk has a format this version of bluegreen cannot read."""


class RecordOwnerError(RefusedError):
    """The run record was bound to another playbook identity (clusters, record, subscription, name)."""


class TamperedPlanError(RefusedError):
    """A saved plan whose content is not what was saved, or that carries no digest to prove it."""


class PausedError(RefusedError):
    """A stepwise shift waits for a person: a manual pause or an inconclusive gate (`bluegreen promote`)."""


class RecordConflictError(RefusedError):
    """Another agent wrote the run record after this run read it: this run's view of it is stale."""


class StepFailedError(BluegreenError):
    """A step started and could not finish."""

    def __init__(self, message: str, step: str | None = None) -> None:
        super().__init__(message)
        self.step = step


class RemoteError(BluegreenError):
    """Azure or a Kubernetes API server answered with an error."""

    def __init__(
        self,
        message: str,
        *,
        resource: str | None = None,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        text = f"{resource}: {message}" if resource else message
        super().__init__(text)
        self.resource = resource
        self.status = status
        self.code = code
        self.retry_after = retry_after


class TransientRemoteError(RemoteError):
    """Worth another try after `retry_after` seconds (or a backoff)."""


class PermanentRemoteError(RemoteError):
    """Retrying will not help."""


class NotFoundError(PermanentRemoteError):
    """The remote object does not exist."""


class PreconditionFailedError(PermanentRemoteError):
    """A conditional write (If-Match / resourceVersion) lost a race."""
