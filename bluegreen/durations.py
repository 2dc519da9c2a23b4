"""Durations as playbooks write them: 90, "90s", "10m", "2h", "1d"; never negative, NaN or endless."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
# Longer than any wait a cutover has: a bigger number is a typo, and would overflow the clock's dates.
MAX_DURATION = 366 * 86400.0


def parse_duration(value: Any) -> float:
    """Seconds from 90, "90s", "10m", "2h" or "1d"; negative, NaN, infinite or absurdly long ones are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 10m, 2h)")
    if isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if not match:
            raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 10m, 2h)")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        seconds = float(value)
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(f"a duration must be 0 or more, got {value!r}")
    if seconds > MAX_DURATION:
        raise ValueError(f"a duration must be at most 366d, got {value!r}")
    return seconds


# Seconds, written as 90, "90s", "15m" or "2h" in the playbook.
Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0, "maximum": MAX_DURATION},
                              {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$"}]}),
]
