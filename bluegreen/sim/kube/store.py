"""Object storage of one simulated cluster: one resourceVersion counter, a bounded event
history for watches, and change hooks (cron activity log, ingress servers)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bluegreen.json_copy import json_copy

Key = tuple[str, str, str, str]  # storage group, kind, namespace ("" if cluster-scoped), name
ChangeHook = Callable[[dict | None, dict | None], None]

HISTORY = 20000

# Every write copies its object three times, and a month of CronJobs writes hundreds of thousands.
clone = json_copy


def key_of(store_group: str, obj: dict) -> Key:
    meta = obj.get("metadata", {})
    return (store_group, obj.get("kind", ""), meta.get("namespace") or "", meta.get("name", ""))


@dataclass
class Event:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    key: Key
    obj: dict


class Store:
    def __init__(self, lock: threading.RLock, rv: int = 0) -> None:
        self.lock = lock
        self.cond = threading.Condition(lock)
        self.objects: dict[Key, dict] = {}
        self.rv = rv
        self.events: deque[Event] = deque(maxlen=HISTORY)
        self.hooks: list[ChangeHook] = []
        self.dirty: set[Key] = set()  # written or removed since the world last saved (persistence reads it)
        # Keys by (storage group, kind), so controllers' select() costs the kind's size, not the store's.
        # Built lazily and rebuilt when `objects` was changed behind put/remove (its size no longer matches).
        self._kinds: dict[tuple[str, str], set[Key]] = {}
        self._indexed = -1

    # Reads hand out copies, so callers can never change stored state by accident.
    def get(self, key: Key) -> dict | None:
        obj = self.objects.get(key)
        return clone(obj) if obj is not None else None

    def peek(self, key: Key) -> dict | None:
        """The stored object itself, read-only by convention (controllers' hot path)."""
        return self.objects.get(key)

    def select(self, store_group: str, kind: str, namespace: str | None = None) -> list[dict]:
        """Stored objects of a kind (read-only by convention), sorted by namespace and name."""
        return [self.objects[k] for k in self.keys_of(store_group, kind) if namespace is None or k[2] == namespace]

    def keys_of(self, store_group: str, kind: str) -> list[Key]:
        """The keys of a kind's stored objects, sorted (a list's order), at the kind's size, not the store's."""
        if self._indexed != len(self.objects):
            self._reindex()
        return sorted(k for k in self._kinds.get((store_group, kind), ()) if k in self.objects)

    def _reindex(self) -> None:
        self._kinds = {}
        for key in self.objects:
            self._kinds.setdefault((key[0], key[1]), set()).add(key)
        self._indexed = len(self.objects)

    def _index(self, key: Key, present: bool) -> None:
        if self._indexed < 0:
            return  # not built yet: select() builds it
        keys = self._kinds.setdefault((key[0], key[1]), set())
        if present and key not in keys:
            keys.add(key)
            self._indexed += 1
        elif not present and key in keys:
            keys.discard(key)
            self._indexed -= 1

    def put(self, store_group: str, obj: dict) -> dict:
        """Create or replace; assigns the next resourceVersion and records the watch event."""
        key = key_of(store_group, obj)
        old = self.objects.get(key)
        self.rv += 1
        new = clone(obj)
        new.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
        self.objects[key] = new
        self._index(key, True)
        self.dirty.add(key)
        # The event shares the stored object: stored objects are replaced on write, never changed in place.
        self._record(Event(self.rv, "MODIFIED" if old is not None else "ADDED", key, new), old, new)
        return clone(new)

    def remove(self, key: Key) -> dict | None:
        old = self.objects.pop(key, None)
        if old is None:
            return None
        self._index(key, False)
        self.rv += 1
        self.dirty.add(key)
        gone = clone(old)
        gone["metadata"]["resourceVersion"] = str(self.rv)
        self._record(Event(self.rv, "DELETED", key, gone), old, None)
        return clone(gone)

    def _record(self, event: Event, old: dict | None, new: dict | None) -> None:
        self.events.append(event)
        for hook in self.hooks:
            hook(old, new)
        self.cond.notify_all()

    def take_dirty(self) -> list[tuple[Key, dict | None]]:
        """What changed since the last call: each key with its stored object, or None when removed."""
        changed = [(key, self.objects.get(key)) for key in self.dirty]
        self.dirty.clear()
        return changed

    def events_since(self, rv: int) -> list[Event] | None:
        """Events after `rv`, or None when history no longer reaches back that far (410 Gone)."""
        if self.events and self.events[0].rv > rv + 1 and rv < self.rv:
            return None
        return [e for e in self.events if e.rv > rv]
