"""SharedReads: catalogue facts read once per process for a while, on the runtime's clock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bluegreen.shared_reads import SharedReads
from bluegreen.sim.clock import SimClock


def test_a_value_is_kept_until_its_time_to_live_has_passed() -> None:
    clock, reads, loads = SimClock(), SharedReads(timedelta(minutes=10)), []

    def load() -> str:
        loads.append(1)
        return f"v{len(loads)}"

    assert reads.get("k", clock, load) == "v1"
    clock.advance(599)
    assert reads.get("k", clock, load) == "v1"
    assert reads.get("other", clock, load) == "v2"  # keys apart
    clock.advance(1)
    assert reads.get("k", clock, load) == "v3"
    assert len(loads) == 3


def test_a_failed_load_keeps_nothing() -> None:
    clock, reads = SimClock(), SharedReads()

    def broken() -> str:
        raise RuntimeError("throttled")

    with pytest.raises(RuntimeError):
        reads.get("k", clock, broken)
    assert reads.get("k", clock, lambda: "fine") == "fine"


def test_concurrent_misses_load_once() -> None:
    clock, reads, loads = SimClock(), SharedReads(), []
    started, release = threading.Event(), threading.Event()

    def slow() -> int:
        loads.append(1)
        started.set()
        release.wait(5)
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(reads.get("k", clock, slow))) for _ in range(8)]
    for t in threads:
        t.start()
    started.wait(5)
    release.set()
    for t in threads:
        t.join(5)
    assert results == [42] * 8 and loads == [1]
