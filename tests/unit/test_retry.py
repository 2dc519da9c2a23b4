"""call_with_retry: transient errors retried with backoff on the injected clock, everything else at once."""

from __future__ import annotations

import gc

import pytest

from bluegreen.errors import PermanentRemoteError, TransientRemoteError
from bluegreen.retry import RetryPolicy, call_with_retry
from bluegreen.sim.clock import SimClock


class Flaky:
    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def _clock() -> tuple[SimClock, list[float]]:
    clock, waits = SimClock(), []
    sleep = clock.sleep

    def recorded(seconds: float) -> None:
        waits.append(seconds)
        sleep(seconds)

    clock.sleep = recorded  # type: ignore[method-assign]
    return clock, waits


def test_a_first_success_never_waits() -> None:
    clock, waits = _clock()
    fn = Flaky([])
    assert call_with_retry(fn, clock, RetryPolicy(attempts=3)) == "ok"
    assert fn.calls == 1 and waits == []


def test_transient_errors_back_off_and_are_reported_with_their_attempt() -> None:
    clock, waits = _clock()
    seen: list[tuple[int, float]] = []
    fn = Flaky([TransientRemoteError("busy"), TransientRemoteError("busy"), TransientRemoteError("busy")])
    policy = RetryPolicy(attempts=6, base_delay=1.0, on_retry=lambda n, e, s: seen.append((n, s)))
    assert call_with_retry(fn, clock, policy) == "ok"
    assert fn.calls == 4
    assert waits == [1.0, 2.0, 4.0] and seen == [(1, 1.0), (2, 2.0), (3, 4.0)]


def test_retry_after_is_honoured_and_capped() -> None:
    clock, waits = _clock()
    fn = Flaky([TransientRemoteError("throttled", retry_after=7), TransientRemoteError("throttled", retry_after=900)])
    assert call_with_retry(fn, clock, RetryPolicy(attempts=3, max_delay=60)) == "ok"
    assert waits == [7.0, 60.0]


@pytest.mark.parametrize("attempts", [1, 2, 5])
def test_attempts_bound_the_calls_and_the_last_error_surfaces(attempts: int) -> None:
    clock, waits = _clock()
    errors = [TransientRemoteError(f"busy {i}") for i in range(10)]
    fn = Flaky(errors)
    with pytest.raises(TransientRemoteError, match=f"busy {attempts - 1}$"):
        call_with_retry(fn, clock, RetryPolicy(attempts=attempts))
    assert fn.calls == attempts and len(waits) == attempts - 1


def test_anything_else_surfaces_at_once_even_after_a_retry() -> None:
    clock, waits = _clock()
    fn = Flaky([PermanentRemoteError("no")])
    with pytest.raises(PermanentRemoteError):
        call_with_retry(fn, clock, RetryPolicy(attempts=5))
    assert fn.calls == 1 and waits == []
    fn = Flaky([TransientRemoteError("busy"), PermanentRemoteError("gone")])
    with pytest.raises(PermanentRemoteError, match="gone"):
        call_with_retry(fn, clock, RetryPolicy(attempts=5))
    assert fn.calls == 2 and waits == [1.0]


def test_a_call_that_succeeds_at_once_leaves_no_cycle_for_the_collector() -> None:
    clock = SimClock()
    gc.collect()
    gc.disable()
    try:
        before = gc.get_count()[0]
        for _ in range(200):
            call_with_retry(Flaky([]), clock, RetryPolicy())
        grown = gc.get_count()[0] - before  # container objects allocated and still tracked
    finally:
        gc.enable()
    assert gc.collect() == 0 and grown < 200
