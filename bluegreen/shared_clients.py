"""Clients every session of one process may share: built once per key, kept for the process's life.

Azure SDK clients are thread-safe, and each new one opens an HTTP session of its own (a connection pool and
a TLS handshake to ARM). A fleet plan of 300 pairs built 600 of them to make four requests a pair.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class SharedClients:
    """A client per key; concurrent first uses of one key build it once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[Hashable, Any] = {}

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:  # building a client does no I/O: holding the lock while it runs is cheap
            if key not in self._clients:
                self._clients[key] = build()
            client: T = self._clients[key]
            return client

    def __len__(self) -> int:
        with self._lock:
            return len(self._clients)
