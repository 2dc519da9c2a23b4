"""The simulated world's single clock.

`sleep` advances simulated time instead of blocking, and tells listeners
(controllers, cron, ARM operations) that time moved, so everything that would
happen during a real wait happens during the simulated one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

Listener = Callable[[datetime, datetime], None]


class SimClock:
    def __init__(self, start: datetime | None = None, lock: threading.RLock | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=timezone.utc)
        self._listeners: list[Listener] = []
        # Share the world's lock when there is one: listeners take it anyway, and one lock cannot be
        # taken in two orders (an LRO poller thread advancing time vs. a request handler sleeping).
        self._lock = lock or threading.RLock()

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward, in steps of at most a minute so cron and controllers see each minute."""
        if seconds <= 0:
            return
        with self._lock:
            end = self._now + timedelta(seconds=seconds)
            while self._now < end:
                old = self._now
                self._now = min(end, old + timedelta(seconds=60))
                for listener in list(self._listeners):
                    listener(old, self._now)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)
