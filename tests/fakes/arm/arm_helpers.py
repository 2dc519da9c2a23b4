"""Helpers for driving the ARM fake with the real azure-mgmt-* clients.

The clients get a fake token, `retry_total=0` (so 429/5xx reach the test) and a poller whose
sleep advances the simulated clock, so a ten-minute create costs milliseconds.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import responses
from azure.core.credentials import AccessToken

from bluegreen.sim.arm import NullHooks

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-app"
LOCATION = "westeurope"
# The project's own records of the wire shapes (tests/data/arm). tests/conformance reruns these tests with
# BLUEGREEN_ARM_RECORDS pointing at ../shared's spec examples, which have the same layout.
RECORDS = Path(os.environ.get("BLUEGREEN_ARM_RECORDS") or Path(__file__).resolve().parents[2] / "data" / "arm")


class FakeCredential:
    """A TokenCredential that never talks to Entra ID."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("fake-token", 4_102_444_800)


class RecordingHooks(NullHooks):
    """NullHooks that remember what the fake told the world, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def cluster_created(self, cluster_id: str, name: str, kubernetes_version: str) -> None:
        self.events.append(("created", cluster_id, name, kubernetes_version))

    def cluster_deleted(self, cluster_id: str) -> None:
        self.events.append(("deleted", cluster_id))

    def cluster_power_changed(self, cluster_id: str, running: bool) -> None:
        self.events.append(("power", cluster_id, running))

    def cluster_upgraded(self, cluster_id: str, kubernetes_version: str) -> None:
        self.events.append(("upgraded", cluster_id, kubernetes_version))


def example(relative: str) -> dict[str, Any]:
    """A recorded exchange: `parameters` (the request) and `responses` by status code.

    In the conformance rerun (records = the spec examples), an operation whose example ../shared does not
    hold yet is skipped, saying which; tests/conformance/test_arm_records.py fails for that record meanwhile.
    """
    path = RECORDS / relative
    if os.environ.get("BLUEGREEN_ARM_RECORDS") and not path.is_file():
        import pytest

        pytest.skip(f"no spec example {relative} in {RECORDS}")
    return json.loads(path.read_text())


def assert_shape(
    actual: Any, expected: Any, path: str = "$", ignore: frozenset[str] = frozenset(),
    maps: frozenset[str] = frozenset({"patchVersions", "userAssignedIdentities", "tags", "metadata"}),
) -> None:
    """Every key of the record is in the fake's answer with the same casing, recursively.

    Values may differ (ids, versions); a key the record shows that the fake spells differently
    (e.g. `ttl` vs `TTL`) or omits fails with its JSON path.
    """
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, value in expected.items():
            if key in ignore:
                continue
            if key not in actual:
                near = [k for k in actual if k.lower() == key.lower()]
                raise AssertionError(f"{path}: missing key {key!r}" + (f" (fake spells it {near[0]!r})" if near else ""))
            if value is None or actual[key] is None:
                continue
            if key in maps:
                if value and isinstance(next(iter(value.values())), dict):
                    assert actual[key], f"{path}.{key}: expected a non-empty map"
                    assert_shape(next(iter(actual[key].values())), next(iter(value.values())), f"{path}.{key}.*",
                                 ignore, maps)
            else:
                assert_shape(actual[key], value, f"{path}.{key}", ignore, maps)
    elif isinstance(expected, list) and expected and isinstance(expected[0], (dict, list)):
        assert isinstance(actual, list) and actual, f"{path}: expected a non-empty list, got {actual!r}"
        assert_shape(actual[0], expected[0], f"{path}[0]", ignore, maps)


@dataclass
class Exchange:
    """One request/response pair as it crossed the wire (the SDK consumes the stream, so we keep a copy)."""

    method: str
    url: str
    request_headers: dict[str, str]
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


class Wire(list):  # type: ignore[type-arg]
    def last(self, method: str | None = None, contains: str = "") -> Exchange:
        for exchange in reversed(self):
            if (method is None or exchange.method == method) and contains.lower() in exchange.url.lower():
                return exchange
        raise AssertionError(f"no {method} call containing {contains!r}")

    def count(self, method: str, contains: str) -> int:  # type: ignore[override]
        return sum(1 for e in self if e.method == method and contains.lower() in e.url.lower())


def record(sim: Any, mock: responses.RequestsMock) -> Wire:
    """Install `sim` on `mock`, keeping every exchange in the returned list."""
    wire = Wire()
    inner = sim.respond

    def respond(prepared: Any) -> tuple[int, dict[str, str], str]:
        status, headers, body = inner(prepared)
        wire.append(Exchange(prepared.method, prepared.url, dict(prepared.headers), status, headers, body))
        return status, headers, body

    sim.respond = respond
    sim.install(mock)
    return wire
