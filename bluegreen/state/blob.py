"""The run record and its lock in Azure Blob Storage, for runs from agents that come and go.

The record is one blob, read with its ETag and written with `If-Match` on it
(`If-None-Match: *` when it does not exist yet): an agent whose view is stale
is refused (RecordConflictError) instead of overwriting another agent's work.
The lock is a lease on a second blob, acquired for a fixed duration and renewed
in a background thread while the run lives; its holder (host, pid, start, run
id) is written to that blob's metadata, so a refused agent can say who holds
it. A lease left by a crashed agent expires on its own and is then simply
acquired: a live lease is never broken. If renewal fails the run stops before
its next write to the record. Leases run on the service's real time, so the
renewal waits in real time, not on the run's (possibly simulated) clock.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobLeaseClient, BlobServiceClient, ContentSettings

from bluegreen.errors import (
    LockHeldError,
    PermanentRemoteError,
    RecordConflictError,
    RecordFormatError,
    RemoteError,
)
from bluegreen.record import RunRecord
from bluegreen.redact import redact_urls
from bluegreen.state.location import StateLocation

LEASE_SECONDS = 60  # Azure allows 15-60 s or infinite; finite, so a crashed agent's lease runs out


class BlobStore:
    """One playbook's run record (`<prefix>/<playbook>/journal.json`) and lock blob (`.../lock`)."""

    def __init__(self, service: BlobServiceClient, location: StateLocation, playbook: str, *,
                 lease_seconds: int = LEASE_SECONDS, renew_every: float | None = None) -> None:
        container = service.get_container_client(location.container)
        self.location = location
        self.playbook = playbook
        self._record = container.get_blob_client(location.blob_name(playbook, "journal.json"))
        self._lock = container.get_blob_client(location.blob_name(playbook, "lock"))
        self.lease_seconds = lease_seconds
        self.renew_every = renew_every if renew_every is not None else lease_seconds / 3
        self._etag: str | None = None
        self._run_id: str | None = None
        self._renewer: _Renewer | None = None

    @property
    def where(self) -> str:
        return self.location.describe(self.playbook, "journal.json")

    @property
    def lock_where(self) -> str:
        return self.location.describe(self.playbook, "lock")

    def load(self) -> RunRecord:
        found = _download(self._record, self.location, self.where)
        if found is None:
            self._etag = None
            # A record not written yet keeps one run id across loads, so the lock's holder names the run saved.
            record = RunRecord(playbook=self.playbook)
            record.run_id = self._run_id or record.run_id
            self._run_id = record.run_id
            return record
        body, etag = found
        record = RunRecord.from_dict(_parse(body, self.where), where=self.where)
        self._etag, self._run_id = etag, record.run_id
        return record

    def save(self, record: RunRecord) -> None:
        if self._renewer is not None and self._renewer.failed:
            raise LockHeldError(
                f"the lease on {self.lock_where} could not be renewed ({self._renewer.failed}), so another agent "
                "may take the run over: this run stopped before writing the record again; run the same command "
                "to resume once the storage account answers")
        body = json.dumps(redact_urls(record.to_dict()), indent=2, default=str).encode()
        # If-None-Match: * while there is no record: a record another agent created meanwhile is not replaced
        self._etag = _upload_over(self._record, body, self._etag, self.location, self.where, (
            f"the run record {self.where} was changed by another agent since this run read it; nothing was "
            "written: run the same command again to go on from what the record holds now"))
        self._run_id = record.run_id

    @contextlib.contextmanager
    def locked(self, now: datetime) -> Iterator[None]:
        """Hold the lease on the lock blob; raise LockHeldError at once, naming the holder, if another has it."""
        lease = self._acquire()
        holder = {"host": socket.gethostname(), "pid": str(os.getpid()), "started": now.isoformat(),
                  "run_id": self._run_id or ""}
        try:
            self._lock.set_blob_metadata(holder, lease=lease)
        except AzureError as exc:
            _release(lease)
            raise _remote(exc, self.lock_where) from exc
        self._renewer = _Renewer(lease, self.renew_every, self.lease_seconds)
        self._renewer.start()
        try:
            yield
        finally:
            self._renewer.stop()
            _release(lease)  # a release that fails leaves a lease that expires by itself

    def holder(self) -> str:
        """Who holds (or last held) the lock, from the lock blob's metadata."""
        try:
            meta = self._lock.get_blob_properties().metadata or {}
        except AzureError:
            meta = {}
        if not meta.get("host"):
            return "another agent (it has not named itself yet)"
        return (f"{meta['host']} (pid {meta.get('pid', '?')}, since {meta.get('started', '?')}, "
                f"run {meta.get('run_id') or '?'})")

    def _acquire(self) -> BlobLeaseClient:
        lease = BlobLeaseClient(self._lock)
        for _ in range(2):
            try:
                lease.acquire(lease_duration=self.lease_seconds)
                return lease
            except ResourceNotFoundError as exc:  # the first run here: create the lock blob, then lease it
                self._missing_container(exc)
                try:
                    self._lock.upload_blob(b"", overwrite=False)
                except ResourceExistsError:
                    pass
                except AzureError as inner:
                    raise _remote(inner, self.lock_where) from inner
            except HttpResponseError as exc:
                if exc.status_code == 409:  # LeaseAlreadyPresent: a live lease, never broken
                    raise LockHeldError(
                        f"playbook {self.playbook!r} is being run by {self.holder()}; wait for it to finish "
                        f"(lease on {self.lock_where}; a crashed agent's lease expires within "
                        f"{self.lease_seconds} s)") from None
                raise _remote(exc, self.lock_where) from exc
            except AzureError as exc:
                raise _remote(exc, self.lock_where) from exc
        raise PermanentRemoteError("the lock blob disappeared while it was being leased", resource=self.lock_where)

    def _missing_container(self, exc: ResourceNotFoundError) -> None:
        _raise_if_no_container(exc, self.location, self.where)


def _download(blob: Any, location: StateLocation, where: str) -> tuple[bytes, str] | None:
    """The blob's bytes and ETag; None while it does not exist (a missing container is an error)."""
    try:
        downloader = blob.download_blob()
        return downloader.readall(), downloader.properties.etag
    except ResourceNotFoundError as exc:
        _raise_if_no_container(exc, location, where)
        return None
    except AzureError as exc:
        raise _remote(exc, where) from exc


def _parse(body: bytes, where: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise RecordFormatError(f"{where} is not readable JSON ({exc}); move it away to start afresh") from exc


def _upload_over(blob: Any, body: bytes, etag: str | None, location: StateLocation, where: str, conflict: str) -> str:
    """Write `body` only over the version read at `etag` (None: only if there is still none); its new ETag.
    A blob changed or created meanwhile is refused with `conflict`, nothing written."""
    settings = ContentSettings(content_type="application/json")
    try:
        if etag is None:
            result = blob.upload_blob(body, overwrite=False, content_settings=settings)
        else:
            result = blob.upload_blob(body, overwrite=True, content_settings=settings, etag=etag,
                                      match_condition=MatchConditions.IfNotModified)
    except (ResourceModifiedError, ResourceExistsError) as exc:
        raise RecordConflictError(conflict) from exc
    except ResourceNotFoundError as exc:
        _raise_if_no_container(exc, location, where)
        raise _remote(exc, where) from exc
    except AzureError as exc:
        raise _remote(exc, where) from exc
    return str(result["etag"])


def _raise_if_no_container(exc: ResourceNotFoundError, location: StateLocation, where: str) -> None:
    if getattr(exc, "error_code", None) == "ContainerNotFound":
        raise PermanentRemoteError(
            f"container {location.container!r} does not exist in {location.account_url}; create it "
            "(bluegreen does not create containers)", resource=where, status=404, code="ContainerNotFound") from exc


def _release(lease: BlobLeaseClient) -> None:
    with contextlib.suppress(AzureError):
        lease.release()


def _remote(exc: AzureError, resource: str) -> RemoteError:
    status = getattr(exc, "status_code", None)
    code = getattr(exc, "error_code", None)
    message = getattr(exc, "reason", None) or type(exc).__name__
    return RemoteError(f"Azure Storage answered {status or 'no response'} {code or ''} ({message})".replace("  ", " "),
                       resource=resource, status=status, code=str(code) if code else None)


class _Renewer:
    """Renews a lease every `every` seconds (real time) until stopped; records why when it cannot."""

    def __init__(self, lease: BlobLeaseClient, every: float, lease_seconds: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.lease = lease
        self.every = every
        self.lease_seconds = lease_seconds
        self.failed: str | None = None
        self._monotonic = monotonic
        self._stop = threading.Event()
        self.stopped = threading.Event()  # set when renewal gave up
        self.renewals = 0
        self._thread = threading.Thread(target=self._run, name="bluegreen-lease", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        renewed = self._monotonic()
        wait = self.every
        while not self._stop.wait(wait):
            try:
                self.lease.renew()
            except Exception as exc:  # noqa: BLE001 - any failure counts; the main thread reports it
                # A lease somebody broke or took is lost at once; otherwise try again while it still holds.
                lost = getattr(exc, "status_code", None) in (409, 412)
                if lost or self._monotonic() - renewed + self.every / 4 >= self.lease_seconds * 0.8:
                    self.failed = _describe(exc)
                    self.stopped.set()
                    return
                wait = self.every / 4
                continue
            renewed, wait = self._monotonic(), self.every
            self.renewals += 1


def _describe(exc: BaseException) -> str:
    status: Any = getattr(exc, "status_code", None)
    code: Any = getattr(exc, "error_code", None)
    return " ".join(str(p) for p in (status, code) if p) or type(exc).__name__


class BlobDocument:
    """One JSON document shared by agents (a fleet's approvals and stages), read with its ETag and written with
    `If-Match` on it (`If-None-Match: *` while it does not exist): a write based on an old read is refused
    (RecordConflictError) and the writer reads again, instead of erasing another agent's change."""

    def __init__(self, service: BlobServiceClient, location: StateLocation, folder: str, name: str) -> None:
        self.location = location
        self._folder, self._name = folder, name
        self._blob = service.get_container_client(location.container).get_blob_client(location.blob_name(folder, name))

    @property
    def where(self) -> str:
        return self.location.describe(self._folder, self._name)

    def read(self) -> tuple[dict[str, Any], str | None]:
        """The document and its ETag; ({}, None) while there is none."""
        found = _download(self._blob, self.location, self.where)
        if found is None:
            return {}, None
        data = _parse(found[0], self.where)
        if not isinstance(data, dict):
            raise RecordFormatError(f"{self.where} does not hold a JSON object; move it away to start afresh")
        return data, found[1]

    def write(self, data: dict[str, Any], etag: str | None) -> str:
        """Write `data` if the document is still the one read with `etag` (None: if there is still none)."""
        body = json.dumps(data, indent=2, sort_keys=True).encode()
        return _upload_over(self._blob, body, etag, self.location, self.where,
                            f"{self.where} was changed by another agent since it was read")
