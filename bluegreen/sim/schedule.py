"""Cron schedule arithmetic, memoised: parsing a cron expression costs about a millisecond, and a month of
simulated time asks for the next run of the same CronJobs tens of thousands of times."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, timezone

from croniter import croniter


@functools.lru_cache(maxsize=8192)
def next_run(schedule: str, tz: str | None, after: datetime) -> datetime:
    """The first schedule time strictly after `after` (UTC in, UTC out), evaluated in time zone `tz`."""
    zone = zoneinfo.ZoneInfo(tz) if tz else timezone.utc
    found = croniter(schedule, after.astimezone(zone)).get_next(datetime)
    return found.astimezone(timezone.utc)
