"""Fixtures for the whole suite."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from bg_shared import ConformanceTier


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ConformanceTier(config), "bluegreen-conformance-tier")


@pytest.fixture
def no_real_sleep(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Fails the test if anything waits in real time: every wait must go through the injected clock.

    This, not a stopwatch, is how the tests hold "a ten-minute create takes no real time"
    (timing lives in benchmarks/, see the README).
    """
    slept: list[float] = []
    real_sleep = time.sleep

    def recording_sleep(seconds: float) -> None:
        slept.append(seconds)
        real_sleep(min(seconds, 0.01))

    monkeypatch.setattr(time, "sleep", recording_sleep)
    yield slept
    assert not [s for s in slept if s >= 0.5], f"real waits leaked past the injected clock: {slept}"
    assert sum(slept) < 1.0, f"real waits added up to {sum(slept):.2f} s: {slept}"
