"""Fault injection: make chosen requests answer as a throttled, failing or slow ARM would.

A fault matches on method, a path regex, the API name and/or the spec operationId, and fires
`times` times. Effects:
- "throttle": 429 with Retry-After (ARM's SubscriptionRequestsThrottled)
- "server_error": 500 InternalServerError; "unavailable": 503 ServiceUnavailable with Retry-After
- "latency": the request takes `latency_seconds` of simulated time, then proceeds
- "fail_lro": the long-running operation the request starts ends Failed with `code`/`message`
With `after_commit: true`, a 500/503 is sent *after* the request was applied (ARM timed out on a write
that landed): the client sees an error for a change that happened, and its retry must cope.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from bluegreen.errors import PlaybookError

EFFECTS = ("throttle", "server_error", "unavailable", "latency", "fail_lro")
_KEYS = {
    "effect": "effect",
    "method": "method",
    "path": "path",
    "api": "api",
    "service": "api",
    "operation": "operation",
    "times": "times",
    "retry_after": "retry_after",
    "retryafter": "retry_after",
    "latency_seconds": "latency_seconds",
    "latencyseconds": "latency_seconds",
    "latency": "latency_seconds",
    "code": "code",
    "message": "message",
    "after_commit": "after_commit",
    "aftercommit": "after_commit",
}


@dataclass
class FaultSpec:
    effect: str
    method: str | None = None
    path: str | None = None  # regex, searched case-insensitively in the URL path
    api: str | None = None  # e.g. "Microsoft.ContainerService/managedClusters"
    operation: str | None = None  # spec operationId, e.g. "ManagedClusters_CreateOrUpdate"
    times: int = 1
    retry_after: float = 1.0
    latency_seconds: float = 0.0
    code: str | None = None
    message: str | None = None
    after_commit: bool = False
    fired: int = field(default=0)

    def __post_init__(self) -> None:
        self.retry_after = float(self.retry_after)
        self.latency_seconds = float(self.latency_seconds)
        if self.effect not in EFFECTS:
            raise PlaybookError(f"unknown fault effect {self.effect!r}; expected one of {', '.join(EFFECTS)}", "effect")
        if self.times < 1:
            raise PlaybookError("times must be at least 1", "times")
        if self.path is not None:
            try:
                re.compile(self.path)
            except re.error as exc:
                raise PlaybookError(f"not a regular expression: {exc}", "path") from exc
        if self.after_commit and self.effect not in ("server_error", "unavailable"):
            raise PlaybookError("after_commit goes with server_error or unavailable", "after_commit")
        if self.effect == "latency" and self.latency_seconds <= 0:
            raise PlaybookError("a latency fault needs latency_seconds > 0", "latency_seconds")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultSpec:
        """Read one entry of a playbook's `simulation.faults` (snake_case or camelCase keys)."""
        if not isinstance(data, dict):
            raise PlaybookError("a fault must be a mapping", "simulation.faults")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            name = _KEYS.get(str(key).replace("-", "_").lower()) or _KEYS.get(str(key).lower())
            if name is None:
                raise PlaybookError(f"unknown key {key!r}", f"simulation.faults.{key}")
            kwargs[name] = value
        if "effect" not in kwargs:
            raise PlaybookError("missing 'effect'", "simulation.faults.effect")
        for name in ("times",):
            if name in kwargs:
                kwargs[name] = int(kwargs[name])
        for name in ("retry_after", "latency_seconds"):
            if name in kwargs:
                kwargs[name] = float(kwargs[name])
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def exhausted(self) -> bool:
        return self.fired >= self.times

    def matches(self, method: str, path: str, api: str, operation: str, lro: bool) -> bool:
        if self.exhausted:
            return False
        if self.effect == "fail_lro" and not lro:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.api and self.api.lower() != api.lower():
            return False
        if self.operation and self.operation.lower() != operation.lower():
            return False
        return not (self.path and not re.search(self.path, path, re.IGNORECASE))
