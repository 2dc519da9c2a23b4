"""The seams through which every effect enters the library.

Production builds a Runtime from DefaultAzureCredential and the system clock;
the simulator builds one from its own credential and clock (and intercepts ARM
at the HTTP transport). Code above this line cannot tell the difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure.core.credentials import TokenCredential

from bluegreen.clock import Clock
from bluegreen.retry import RetryPolicy
from bluegreen.shared_clients import SharedClients
from bluegreen.shared_reads import SharedReads
from bluegreen.state.location import StateLocation


@dataclass
class Runtime:
    credential: TokenCredential
    clock: Clock
    state_dir: Path
    subscription_id: str | None = None  # overrides the playbook's and AZURE_SUBSCRIPTION_ID
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    polling_interval: float = 30.0
    poll_interval: float = 10.0  # our own readiness/drain polls
    # Remote state (bluegreen.state): a location overriding the playbook's `state:`, the factory that turns an
    # account URL into a BlobServiceClient (default: one with `credential`), and the lease's timing.
    state: StateLocation | None = None
    blob_service: Callable[[str], Any] | None = None
    lease_options: dict[str, Any] = field(default_factory=dict)
    # The DNS server host names are resolved through where the playbook names none ("address:port"); None: the
    # system's resolver. The simulator sets its own DNS server, which answers its routers' entry points.
    resolver: str | None = None
    # Catalogue facts its sessions share for a few minutes (the Kubernetes versions a region offers).
    shared: SharedReads = field(default_factory=SharedReads)
    # Azure SDK clients its sessions share (thread-safe, each with its own connection pool).
    clients: SharedClients = field(default_factory=SharedClients)
