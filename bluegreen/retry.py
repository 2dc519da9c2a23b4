"""Bounded retries of transient remote errors, on the injected clock.

Azure SDK clients are built with their own retry policy switched off, so that
every retry (ARM throttling, 5xx, Kubernetes 429/5xx, connection resets) goes
through here: one policy, one place that honours Retry-After, and waits that
run instantly under the simulator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from bluegreen.clock import Clock
from bluegreen.errors import TransientRemoteError

T = TypeVar("T")


RetryListener = Callable[[int, BaseException, float], None]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    # Told (attempt, error, delay) before each wait, so the engine can report retries as events.
    on_retry: RetryListener | None = field(default=None, compare=False, repr=False)

    def delay(self, attempt: int, error: BaseException | None) -> float:
        if isinstance(error, TransientRemoteError) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_delay)
        return min(self.base_delay * (2 ** (attempt - 1)), self.max_delay)


def call_with_retry(
    fn: Callable[[], T],
    clock: Clock,
    policy: RetryPolicy | None = None,
    on_retry: RetryListener | None = None,
) -> T:
    """Run `fn`, retrying `TransientRemoteError` with backoff; anything else surfaces at once.

    The first attempt runs before any retry machinery is built: nearly every call succeeds at once, and a
    tenacity Retrying is a reference cycle the garbage collector has to find (thousands a fleet plan).
    """
    policy = policy or RetryPolicy()
    on_retry = on_retry or policy.on_retry
    try:
        return fn()
    except TransientRemoteError as exc:
        if policy.attempts <= 1:
            raise
        first = exc

    def wait_before(attempt: int, error: BaseException) -> float:
        seconds = policy.delay(attempt, error)
        if on_retry is not None:
            on_retry(attempt, error, seconds)
        return seconds

    clock.sleep(wait_before(1, first))

    def wait(state: RetryCallState) -> float:  # tenacity counts from the second attempt
        error = state.outcome.exception() if state.outcome else None
        return wait_before(state.attempt_number + 1, error) if error is not None else 0.0

    retrying = Retrying(
        retry=retry_if_exception_type(TransientRemoteError),
        stop=stop_after_attempt(policy.attempts - 1),
        wait=wait,
        sleep=clock.sleep,
        reraise=True,
    )
    return retrying(fn)
