"""What an SDK call returned, as the JSON the service sent.

The TypeSpec-generated SDKs return a model (a MutableMapping over the received JSON, whose as_dict() is
that JSON), except that when building the model raises, their deserializer swallows the error and returns
the parsed JSON itself: a plain dict. (Older generators' models give their attribute names from as_dict();
the readers of those, traffic.py, accept both spellings.) A 40-pair fleet run failed on that once ('dict' object has no attribute 'as_dict'; what made
the model fail inside the SDK was not found, and four reruns did not repeat it). Either way the JSON is what
the caller wants, so every client reads results through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def wire_dict(result: Any) -> dict[str, Any]:
    """A model's as_dict(), or a copy of the plain mapping the SDK fell back to."""
    as_dict = getattr(result, "as_dict", None)
    if callable(as_dict):
        return dict(as_dict())
    if isinstance(result, Mapping):
        return dict(result)
    raise TypeError(f"expected an SDK model or a JSON object, got {type(result).__name__}")
