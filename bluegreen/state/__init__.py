"""Which record store a run uses: local files by default, Azure Blob Storage when asked.

`Runtime.state` (the CLI's `--state URL`) overrides the playbook's `state:`
block. The blob client comes from `Runtime.blob_service`, a factory from an
account URL to a BlobServiceClient: the CLI builds it from
DefaultAzureCredential, tests and the simulator inject their own (Azurite's
account key), so nothing here knows which one it talks to. azure-storage-blob
is imported only when a remote store is used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bluegreen.errors import RecordFormatError
from bluegreen.journal import JournalStore, RecordStore, atomic_write
from bluegreen.private_files import private_dir
from bluegreen.state.location import StateLocation, parse_state_url

if TYPE_CHECKING:
    from bluegreen.playbook import Playbook
    from bluegreen.runtime import Runtime

__all__ = ["Document", "LocalDocument", "StateLocation", "open_document", "open_store", "parse_state_url",
           "state_location"]


def state_location(pb: Playbook, runtime: Runtime) -> StateLocation | None:
    """The remote home of this playbook's record, or None for local files."""
    if runtime.state is not None:
        return runtime.state
    return pb.state.location() if pb.state is not None else None


def open_store(pb: Playbook, runtime: Runtime) -> RecordStore:
    """The run record store for this playbook under this runtime."""
    location = state_location(pb, runtime)
    if location is None:
        return JournalStore(runtime.state_dir, pb.name)
    from bluegreen.state.blob import BlobStore

    return BlobStore(_service(location, runtime), location, pb.name, **runtime.lease_options)


def _service(location: StateLocation, runtime: Runtime) -> Any:
    if runtime.blob_service is not None:
        return runtime.blob_service(location.account_url)
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient(location.account_url, credential=runtime.credential)


class Document(Protocol):
    """A JSON document several writers change: read it with a version, write it only over that version."""

    @property
    def where(self) -> str: ...

    def read(self) -> tuple[dict[str, Any], str | None]: ...

    def write(self, data: dict[str, Any], etag: str | None) -> str | None:
        """Raises RecordConflictError when the document changed since it was read at `etag`."""
        ...


class LocalDocument:
    """A JSON document in a private local file, rewritten atomically (one machine, so no version to check)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def where(self) -> str:
        return str(self.path)

    def read(self) -> tuple[dict[str, Any], str | None]:
        if not self.path.exists():
            return {}, None
        try:
            data = json.loads(self.path.read_text())
        except ValueError as exc:
            raise RecordFormatError(f"{self.path} is not readable JSON ({exc}); move it away to start afresh") \
                from exc
        if not isinstance(data, dict):
            raise RecordFormatError(f"{self.path} does not hold a JSON object; move it away to start afresh")
        return data, None

    def write(self, data: dict[str, Any], etag: str | None) -> str | None:
        private_dir(self.path.parent)
        atomic_write(self.path, json.dumps(data, indent=2, sort_keys=True))
        return None


def open_document(runtime: Runtime, folder: str, name: str, local: Path) -> Document:
    """A shared document: the blob `<prefix>/<folder>/<name>` where the runtime's remote state is (`--state`),
    else the local file `local`."""
    if runtime.state is None:
        return LocalDocument(local)
    from bluegreen.state.blob import BlobDocument

    return BlobDocument(_service(runtime.state, runtime), runtime.state, folder, name)
