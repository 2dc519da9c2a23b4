"""Fixtures for the Azure client tests: a simulated clock, a context on it, a `responses` mock."""

from __future__ import annotations

import pytest
import responses
from bg_azure_testkit import SUB, FakeCredential

from bluegreen.azure.context import AzureContext
from bluegreen.retry import RetryPolicy
from bluegreen.sim.clock import SimClock


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def ctx(clock: SimClock) -> AzureContext:
    return AzureContext(FakeCredential(), SUB, clock, RetryPolicy(attempts=4), polling_interval=15.0)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
