"""What every service backend shares: the clock, the world's hooks, the state root and the LRO table."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from bluegreen.clock import Clock
from bluegreen.sim.arm.core.lro import Operations
from bluegreen.sim.arm.core.timefmt import iso
from bluegreen.sim.arm.hooks import ClusterHooks

# Simulated seconds each long-running operation takes; the simulator's `durations` overrides them.
DEFAULT_DURATIONS: dict[str, float] = {
    "aks.create": 600,
    "aks.update": 300,
    "aks.delete": 300,
    "aks.stop": 180,
    "aks.start": 180,
    "aks.tags": 30,
    "aks.upgrade": 900,
    "aks.poolcreate": 300,
    "aks.poolupdate": 120,
    "aks.pooldelete": 180,
    "aks.poolstop": 120,
    "aks.poolstart": 180,
    "cdn.create": 60,
    "cdn.update": 60,
}
POLL_SECONDS = 15  # the Retry-After ARM puts on LRO answers


@dataclass
class SimContext:
    clock: Clock
    hooks: ClusterHooks
    state: dict[str, Any]
    ops: Operations
    durations: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_DURATIONS))
    caller: str = "bluegreen@example.com"

    def now_iso(self) -> str:
        return iso(self.clock.now())

    def system_data(self, previous: dict[str, Any] | None = None) -> dict[str, Any]:
        now = self.now_iso()
        created = previous or {"createdBy": self.caller, "createdByType": "User", "createdAt": now}
        return {
            "createdBy": created["createdBy"],
            "createdByType": created["createdByType"],
            "createdAt": created["createdAt"],
            "lastModifiedBy": self.caller,
            "lastModifiedByType": "User",
            "lastModifiedAt": now,
        }


def stable_guid(*parts: str) -> str:
    """A GUID derived from names, so generated ids (principalId, resourceUID, ...) are reproducible."""
    digest = hashlib.sha256("/".join(parts).lower().encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def stable_hex(length: int, *parts: str) -> str:
    return hashlib.sha256("/".join(parts).lower().encode()).hexdigest()[:length]
