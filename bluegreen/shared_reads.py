"""Reads every session of one process may share for a while: catalogue facts, not the state of a resource.

A fleet plan of 300 pairs in one region asked ARM 300 times which Kubernetes versions AKS offers there.
Only facts that change on the provider's schedule belong here (never a cluster, a record or anything a
cutover writes), each kept for a short time on the runtime's clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bluegreen.clock import Clock

T = TypeVar("T")

DEFAULT_TTL = timedelta(minutes=10)


class SharedReads:
    """A read-through cache with a time to live; concurrent misses of one key load it once."""

    def __init__(self, ttl: timedelta = DEFAULT_TTL) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[datetime, Any]] = {}
        self._loading: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, clock: Clock, load: Callable[[], T]) -> T:
        """The value kept for `key`, or `load()`'s (kept until `ttl` has passed on `clock`); a failed load keeps nothing."""
        with self._lock:
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                entry = self._entries.get(key)
            if entry is not None and clock.now() < entry[0]:
                value: T = entry[1]
                return value
            value = load()
            with self._lock:
                self._entries[key] = (clock.now() + self.ttl, value)
            return value
