"""Which record store a run uses: local files by default, Azure Blob Storage when asked.

`Runtime.state` (the CLI's `--state URL`) overrides the playbook's `state:`
block. The blob client comes from `Runtime.blob_service`, a factory from an
account URL to a BlobServiceClient: the CLI builds it from
DefaultAzureCredential, tests and the simulator inject their own (Azurite's
account key), so nothing here knows which one it talks to. azure-storage-blob
is imported only when a remote store is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bluegreen.journal import JournalStore, RecordStore
from bluegreen.state.location import StateLocation, parse_state_url

if TYPE_CHECKING:
    from bluegreen.playbook import Playbook
    from bluegreen.runtime import Runtime

__all__ = ["StateLocation", "open_store", "parse_state_url", "state_location"]


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

    if runtime.blob_service is not None:
        service = runtime.blob_service(location.account_url)
    else:
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient(location.account_url, credential=runtime.credential)
    return BlobStore(service, location, pb.name, **runtime.lease_options)
