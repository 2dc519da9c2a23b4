"""Time as an injected dependency.

Every wait in the library (LRO polling, retries, readiness waits, pod drains)
goes through a `Clock`, so the simulator can run a ten-minute AKS create in
milliseconds of real time and tests never sleep.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass."""


class SystemClock:
    """Wall-clock time; the only clock production code uses."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
