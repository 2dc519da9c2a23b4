"""Fixtures: a simulator on a SimClock, installed on a RequestsMock, and real SDK clients against it.

The clients get a fake token, `retry_total=0` (so 429/5xx reach the test) and a poller whose
sleep advances the simulated clock, so a ten-minute create costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses
from arm_helpers import LOCATION, SUB, FakeCredential, RecordingHooks, Wire, record
from azure.mgmt.core.polling.arm_polling import ARMPolling

from bluegreen.sim.arm import ArmSimulator
from bluegreen.sim.clock import SimClock


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def hooks() -> RecordingHooks:
    return RecordingHooks()


@pytest.fixture
def sim(clock: SimClock, hooks: RecordingHooks) -> ArmSimulator:
    simulator = ArmSimulator(clock, hooks)
    simulator.seed_kubernetes_versions(LOCATION, ["1.29.9", "1.30", "1.31.2", "1.31.5"], preview=["1.32"])
    return simulator


@pytest.fixture
def arm(sim: ArmSimulator) -> Iterator[Wire]:
    """The simulator installed on a RequestsMock; yields the wire log of every exchange."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield record(sim, mock)


@pytest.fixture
def polling(clock: SimClock) -> Callable[[], ARMPolling]:
    class ClockPolling(ARMPolling):
        def _sleep(self, delay: float) -> None:
            clock.sleep(delay)

    return lambda: ClockPolling(timeout=0)


@pytest.fixture
def make_client(arm: Wire) -> Callable[..., Any]:
    def build(client_cls: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("retry_total", 0)
        return client_cls(FakeCredential(), SUB, **kwargs)

    return build
