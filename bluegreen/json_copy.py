"""Deep copies of JSON-shaped data (dicts, lists, strings, numbers, booleans, None).

copy.deepcopy keeps a memo of every object it meets, for cycles and shared references that JSON cannot
hold; that bookkeeping made it most of the cost of copying live Kubernetes objects (every observed object
is copied twice while a plan is made). Anything else met inside is handed to copy.deepcopy.
"""

from __future__ import annotations

import copy
from typing import TypeVar

T = TypeVar("T")

_SCALARS = (str, int, float, bool, type(None))


def json_copy(value: T) -> T:
    """A deep copy; a value referenced twice is copied twice (JSON has no shared references)."""
    kind = type(value)
    if kind is dict:
        return {k: json_copy(v) for k, v in value.items()}  # type: ignore[attr-defined,return-value]
    if kind is list:
        return [json_copy(v) for v in value]  # type: ignore[attr-defined,return-value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)
