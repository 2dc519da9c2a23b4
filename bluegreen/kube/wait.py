"""Poll until a condition holds, on the injected clock.

Every wait in the kube layer goes through here so that the simulator can
run a ten-minute rollout in no real time, and so that a timeout always says
what was awaited and what was last seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bluegreen.clock import Clock
from bluegreen.errors import StepFailedError, TransientRemoteError

T = TypeVar("T")


class NotYet(Exception):
    """Raised by a check to say "not yet, because <reason>"; the reason ends up in the timeout error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def wait_until(
    check: Callable[[], T | None],
    *,
    clock: Clock,
    timeout: float,
    interval: float,
    describe: str,
) -> T:
    """Call `check` every `interval` seconds until it returns a value other than None (or False).

    The check may raise `NotYet(reason)` instead of returning None to explain itself;
    a `TransientRemoteError` (already retried by the client) counts as "not yet" too.
    Raises StepFailedError naming `describe` and the last reason after `timeout` seconds.
    """
    if interval <= 0:
        raise ValueError("interval must be positive")
    start = clock.now()
    last_reason = "condition not met"
    attempts = 0
    while True:
        attempts += 1
        try:
            result = check()
        except NotYet as exc:
            result, last_reason = None, exc.reason
        except TransientRemoteError as exc:
            result, last_reason = None, f"API error: {exc}"
        if result is not None and result is not False:
            return result
        elapsed = (clock.now() - start).total_seconds()
        if elapsed >= timeout:
            raise StepFailedError(
                f"timed out after {elapsed:g}s ({attempts} checks) waiting for {describe}: {last_reason}"
            )
        clock.sleep(min(interval, timeout - elapsed))
