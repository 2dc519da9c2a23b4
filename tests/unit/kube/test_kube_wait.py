"""wait_until on the simulated clock.

Covers: immediate success, success after simulated time passes (no real sleeping), timeout
raising StepFailedError with the description and the last reason (from NotYet or a transient
API error), permanent errors surfacing at once, the final check happening at the deadline.
"""

from __future__ import annotations

import pytest

from bluegreen.errors import NotFoundError, StepFailedError, TransientRemoteError
from bluegreen.kube.wait import NotYet, wait_until
from bluegreen.sim.clock import SimClock


def test_returns_first_value() -> None:
    clock = SimClock()
    start = clock.now()
    assert wait_until(lambda: "done", clock=clock, timeout=60, interval=5, describe="x") == "done"
    assert clock.now() == start


def test_polls_on_the_injected_clock(no_real_sleep: list[float]) -> None:
    clock = SimClock()
    start = clock.now()
    seen: list[float] = []

    def check() -> int | None:
        elapsed = (clock.now() - start).total_seconds()
        seen.append(elapsed)
        return 42 if elapsed >= 600 else None

    assert wait_until(check, clock=clock, timeout=900, interval=30, describe="rollout") == 42
    assert seen[:3] == [0, 30, 60] and seen[-1] == 600


def test_timeout_names_what_and_why() -> None:
    clock = SimClock()
    calls = 0

    def check() -> None:
        nonlocal calls
        calls += 1
        raise NotYet(f"{calls - 1} of 3 replicas available")

    with pytest.raises(StepFailedError) as info:
        wait_until(check, clock=clock, timeout=100, interval=30, describe="Deployment shop/web to roll out")
    text = str(info.value)
    assert "Deployment shop/web to roll out" in text
    assert f"{calls - 1} of 3 replicas available" in text
    assert calls == 5  # at 0, 30, 60, 90 and the deadline 100


def test_transient_errors_count_as_not_yet() -> None:
    clock = SimClock()
    outcomes: list[object] = [TransientRemoteError("connection reset", resource="Deployment shop/web"), None, "ok"]

    def check() -> str | None:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[return-value]

    assert wait_until(check, clock=clock, timeout=60, interval=10, describe="x") == "ok"

    with pytest.raises(StepFailedError, match="API error: .*connection reset"):
        wait_until(
            lambda: (_ for _ in ()).throw(TransientRemoteError("connection reset")),
            clock=clock, timeout=20, interval=10, describe="x",
        )


def test_permanent_errors_surface_immediately() -> None:
    clock = SimClock()
    start = clock.now()

    def check() -> None:
        raise NotFoundError("gone", resource="Deployment shop/web")

    with pytest.raises(NotFoundError):
        wait_until(check, clock=clock, timeout=60, interval=10, describe="x")
    assert clock.now() == start


def test_false_means_not_yet() -> None:
    clock = SimClock()
    answers = iter([False, False, True])
    assert wait_until(lambda: next(answers), clock=clock, timeout=60, interval=10, describe="x") is True
